"""After the PLAY RECAP, one line per host that failed: the task it failed in and the error, in one place."""

from __future__ import annotations

from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: failure_summary
type: aggregate
short_description: Name each failed host, its failing task and the error after the PLAY RECAP
description:
  - >-
    A failure in one region is printed where it happens, among the other regions' output, and the PLAY RECAP
    only counts it. This adds, at the very end, one line C(failed: HOST (task NAME: ERROR)) for every host the
    run failed or could not reach, so a long run's outcome is read in one place.
  - >-
    Only failures that stopped a host count (a rescued or ignored error is not listed); for a loop, the first
    failing item's error is shown rather than the generic message of the loop.
  - Enabled by the project's ansible.cfg (C(callbacks_enabled)); prints nothing when every host succeeded.
  - Prints on stderr, so a machine-read stdout (the json stdout callback) stays valid.
requirements:
  - >-
    enable in ansible.cfg, C(callbacks_enabled = tricontinent.activeactive.failure_summary)
"""

MAX_MESSAGE = 400
_GENERIC = ("One or more items failed", "All items completed")


def _message(result: dict[str, Any]) -> str:
    message = result.get("msg") or result.get("stderr") or result.get("reason") or "failed"
    if result.get("_ansible_no_log"):
        message = "(output hidden: no_log)"
    text = " ".join(str(message).split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "tricontinent.activeactive.failure_summary"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        # The last failure of each host: a host stops at the failure that fails it, so the last is that one.
        self.failures: dict[str, tuple[str, str]] = {}
        self._item_errors: dict[str, str] = {}

    def v2_runner_item_on_failed(self, result: Any) -> None:
        self._item_errors.setdefault(result._host.get_name(), _message(result._result))

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        host = result._host.get_name()
        item_error = self._item_errors.pop(host, None)
        if ignore_errors:
            return
        message = _message(result._result)
        if item_error and message.startswith(_GENERIC):
            message = item_error
        self.failures[host] = (result._task.get_name(), message)

    def v2_runner_on_ok(self, result: Any) -> None:
        self._item_errors.pop(result._host.get_name(), None)

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self.failures[result._host.get_name()] = (result._task.get_name(), "unreachable: " + _message(result._result))

    def v2_playbook_on_stats(self, stats: Any) -> None:
        stopped = {host for host in self.failures if stats.failures.get(host) or stats.dark.get(host)}
        if not stopped:
            return
        # On stderr: stdout belongs to the stdout callback, which may be machine-read (json, for one).
        self._display.display("FAILED HOSTS (the task each one failed in, and the error):", color="red", stderr=True)
        for host in sorted(stopped):
            task, message = self.failures[host]
            self._display.display(f"failed: {host} (task {task}: {message})", color="red", stderr=True)
