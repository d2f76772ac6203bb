"""The failure_summary callback: after the PLAY RECAP, each host that failed, its failing task and its error."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("failure_summary", PLUGINS / "callback" / "failure_summary.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


failure_summary = load()


class Lines:
    """Ansible's Display, as far as the callback uses it; stdout lines would break a json stdout callback."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def display(self, msg: str, color: str | None = None, stderr: bool = False) -> None:
        assert stderr, f"printed on stdout: {msg!r}"
        self.lines.append(msg)


def result(host: str, task: str, **values: Any) -> Any:
    return SimpleNamespace(
        _host=SimpleNamespace(get_name=lambda: host),
        _task=SimpleNamespace(get_name=lambda: task),
        _result=values,
    )


def summary(events: list[tuple[str, Any]], failed: dict[str, int], dark: dict[str, int] | None = None) -> list[str]:
    callback = failure_summary.CallbackModule()
    callback._display = Lines()
    for event, res in events:
        getattr(callback, event)(res)
    callback.v2_playbook_on_stats(SimpleNamespace(failures=failed, dark=dark or {}))
    return list(callback._display.lines)


def test_names_each_failed_host_its_task_and_its_error_on_one_line():
    error = "Failed to create VPC:\n An error occurred (InternalServerError) when calling the CreateVpc operation"
    lines = summary(
        [
            ("v2_runner_on_ok", result("us", "vpc | Create the VPC")),
            ("v2_runner_on_failed", result("eu", "vpc | Create the VPC", msg=error)),
        ],
        failed={"eu": 1},
    )
    assert lines[1:] == [
        "failed: eu (task vpc | Create the VPC: Failed to create VPC: An error occurred (InternalServerError) "
        "when calling the CreateVpc operation)"
    ]
    assert lines[0].startswith("FAILED HOSTS")


def test_prints_nothing_when_no_host_failed_and_skips_rescued_and_ignored_errors():
    events = [
        ("v2_runner_on_failed", result("us", "a task rescued later", msg="boom")),
        ("v2_runner_on_ok", result("eu", "fine")),
    ]
    # The stats count no failure for a rescued error; an ignored one is never recorded.
    assert summary(events, failed={}) == []
    callback = failure_summary.CallbackModule()
    callback.v2_runner_on_failed(result("eu", "ignored", msg="x"), ignore_errors=True)
    assert callback.failures == {}


def test_a_loop_names_its_first_failing_item_and_unreachable_hosts_are_listed():
    lines = summary(
        [
            ("v2_runner_item_on_failed", result("eu", "subnets | Create", msg="10.20.0.0/20: ServiceUnavailable")),
            ("v2_runner_item_on_failed", result("eu", "subnets | Create", msg="second item")),
            ("v2_runner_on_failed", result("eu", "subnets | Create", msg="One or more items failed")),
            ("v2_runner_on_unreachable", result("au", "connect", msg="no route")),
        ],
        failed={"eu": 1},
        dark={"au": 1},
    )
    assert lines[1:] == [
        "failed: au (task connect: unreachable: no route)",
        "failed: eu (task subnets | Create: 10.20.0.0/20: ServiceUnavailable)",
    ]


def test_a_long_or_hidden_error_stays_one_short_line():
    [_, line] = summary([("v2_runner_on_failed", result("eu", "t", msg="x" * 5000))], failed={"eu": 1})
    assert len(line) < failure_summary.MAX_MESSAGE + 40 and line.endswith("...)")
    [_, hidden] = summary(
        [("v2_runner_on_failed", result("eu", "t", msg="secret", _ansible_no_log=True))], failed={"eu": 1}
    )
    assert "secret" not in hidden and "no_log" in hidden
