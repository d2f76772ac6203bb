"""The README's table of inputs is what the roles' argument specs declare."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def _inputs_table():
    loader = importlib.machinery.SourceFileLoader("inputs_table", str(REPO / "tools" / "inputs-table"))
    spec = importlib.util.spec_from_loader("inputs_table", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_readme_lists_every_declared_input() -> None:
    tool = _inputs_table()
    readme = (REPO / "README.md").read_text()
    assert readme == tool.readme_with_table(readme), "README.md is stale: run tools/inputs-table --write"


def test_every_role_with_inputs_appears() -> None:
    tool = _inputs_table()
    roles_in_table = {line.split("|")[1].strip() for line in tool.rows()[2:]}
    roles_with_specs = {p.parents[1].name for p in (REPO / "roles").glob("*/meta/argument_specs.yml")}
    assert roles_in_table == roles_with_specs - {r for r in roles_with_specs if not _has_options(r)}


def _has_options(role: str) -> bool:
    spec = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())
    return bool(spec["argument_specs"]["main"].get("options"))
