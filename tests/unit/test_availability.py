"""tools/availability: the downtime budget follows the configured settings, and the docs show its output."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def _tool() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("availability", str(REPO / "tools" / "availability"))
    spec = importlib.util.spec_from_loader("availability", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["availability"] = module  # dataclasses look their module up there
    loader.exec_module(module)
    return module


TOOL = _tool()


def _figures(*extra: str, inventory: str = "inventories/local") -> dict[str, Any]:
    cfg = TOOL.load_config(inventory, TOOL.parse_extra_vars(list(extra)))
    return TOOL.report(cfg, TOOL.model(cfg), inventory)


def _mode(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in data["modes"] if m["name"] == name)


def test_every_failure_mode_and_the_budget_are_reported() -> None:
    data = _figures()
    names = [m["name"] for m in data["modes"]]
    assert names == ["one instance", "one availability zone", "one region", "bad deploy", "global service"]
    assert data["budget_minutes_per_year"] == 5.26
    assert data["total_minutes_per_year"] == pytest.approx(sum(m["minutes_per_year"] for m in data["modes"]), abs=0.01)


def test_settings_come_from_the_roles_defaults() -> None:
    settings = _figures()["settings"]
    routing = yaml.safe_load((REPO / "roles/routing/defaults/main.yml").read_text())
    assert (
        settings["routing_health_check_failure_threshold"]["value"] == routing["routing_health_check_failure_threshold"]
    )
    assert settings["routing_health_check_failure_threshold"]["source"] == "roles/routing/defaults/main.yml"
    region = _mode(_figures(), "one region")
    assert (
        region["detection_seconds"]
        == routing["routing_health_check_interval"] * routing["routing_health_check_failure_threshold"]
    )


def test_a_lower_route53_failure_threshold_lowers_region_detection_and_minutes() -> None:
    before, after = (
        _mode(_figures(), "one region"),
        _mode(_figures("routing_health_check_failure_threshold=1"), "one region"),
    )
    assert after["detection_seconds"] < before["detection_seconds"]
    assert after["minutes_per_year"] < before["minutes_per_year"]


def test_a_longer_bake_raises_bad_deploy_minutes() -> None:
    before, after = _mode(_figures(), "bad deploy"), _mode(_figures("canary_bake_seconds=900"), "bad deploy")
    assert after["minutes_per_year"] > before["minutes_per_year"]


def test_a_bake_shorter_than_the_alarm_cannot_catch_a_bad_deploy() -> None:
    short = _mode(_figures("canary_bake_seconds=30"), "bad deploy")
    assert any("cannot catch" in note for note in short["notes"])
    assert short["minutes_per_year"] > _mode(_figures(), "bad deploy")["minutes_per_year"]


def test_the_canary_weight_comes_from_weight_like_canary_yml() -> None:
    small, large = _mode(_figures("weight=5"), "bad deploy"), _mode(_figures("weight=50"), "bad deploy")
    assert small["minutes_per_year"] < large["minutes_per_year"]


def test_one_instance_per_region_makes_an_instance_loss_a_region_loss() -> None:
    single = _mode(_figures("compute_capacity=1"), "one instance")
    assert any("region loss" in note for note in single["notes"])
    assert single["minutes_per_year"] > _mode(_figures(), "one instance")["minutes_per_year"]


def test_assumptions_can_be_overridden() -> None:
    fewer = _figures("region_failures_per_region_year=0.1")
    assert _mode(fewer, "one region")["events_per_year"] == pytest.approx(0.1 * len(fewer["regions"]))


def _inventory_copy(tmp_path: Path, threshold: Any) -> str:
    """A copy of inventories/local whose group_vars/edge.yml sets Route 53's failure threshold."""
    target = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories" / "local", target)
    (target / "group_vars" / "edge.yml").write_text(
        yaml.safe_dump({"routing_health_check_failure_threshold": threshold})
    )
    return str(target)


def test_inventory_group_vars_override_defaults_and_e_overrides_the_inventory(tmp_path: Path) -> None:
    inventory = _inventory_copy(tmp_path, 5)
    from_inventory = _figures(inventory=inventory)["settings"]["routing_health_check_failure_threshold"]
    assert from_inventory["value"] == 5
    assert from_inventory["source"].endswith("group_vars/edge.yml")
    from_cli = _figures("routing_health_check_failure_threshold=2", inventory=inventory)
    assert from_cli["settings"]["routing_health_check_failure_threshold"] == {"value": 2, "source": "-e"}
    assert _mode(from_cli, "one region")["detection_seconds"] == 20


def test_a_non_numeric_setting_in_the_inventory_fails_naming_it(tmp_path: Path) -> None:
    inventory = _inventory_copy(tmp_path, "three")
    with pytest.raises(SystemExit, match="routing_health_check_failure_threshold must be a number"):
        _figures(inventory=inventory)


def test_a_non_numeric_e_value_fails_naming_it() -> None:
    with pytest.raises(SystemExit, match=r"setting canary_bake_seconds must be a number, got 'soon' \(from -e\)"):
        _figures("canary_bake_seconds=soon")
    with pytest.raises(SystemExit, match=r"weight must be a number 0\.\.100"):
        _figures("weight=ten")


def test_simple_templates_resolve_and_others_fall_back_to_the_documented_default() -> None:
    doubled = _figures("compute_capacity='{{ 2 * 2 }}'")
    assert doubled["settings"]["compute_capacity"]["value"] == 4
    with_default = _figures("compute_capacity='{{ missing | default(5) }}'")
    assert with_default["settings"]["compute_capacity"]["value"] == 5
    odd = _figures('compute_capacity=\'{{ lookup("env", "X") }}\'')
    assert odd["settings"]["compute_capacity"]["value"] == 3
    assert any("compute_capacity: template" in note for note in odd["notes"])


def test_json_output_holds_the_same_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "availability.json"
    assert TOOL.main(["--json", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written["total_minutes_per_year"] == _figures()["total_minutes_per_year"]
    assert f"**{written['total_minutes_per_year']:.2f}**" in capsys.readouterr().out


def test_docs_availability_is_current() -> None:
    doc = (REPO / "docs" / "availability.md").read_text()
    table = TOOL.markdown(_figures(inventory=TOOL.DEFAULT_INVENTORY))
    assert doc == TOOL.with_block(doc, table, "docs/availability.md"), (
        "docs/availability.md is stale: run tools/availability --markdown-into docs/availability.md"
    )


def test_readme_states_the_current_figure() -> None:
    total = _figures()["total_minutes_per_year"]
    readme = (REPO / "README.md").read_text()
    assert f"**{total:.2f} min/yr**" in readme, f"README's Reliability section should say **{total:.2f} min/yr**"
