"""Per-service API call counter and a log of mutating calls, served at ``/_emulator/calls``.

``GET /_emulator/calls`` returns JSON::

    {"total": 12,
     "services": {"ec2": {"total": 9, "actions": {"DescribeVpcs": 8, "CreateVpc": 1}}},
     "mutating": [{"service": "ec2", "region": "us-west-2", "action": "CreateVpc", "time": 1712.5}]}

``POST /_emulator/calls/reset`` clears both. A call is *mutating* unless its action name starts with
``Describe``, ``List`` or ``Get`` (or is one of the read-only data-plane reads in ``READ_ONLY_ACTIONS``).
Requests to moto's own ``/moto-api/`` are not counted.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from moto.core.responses import BaseResponse

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

READ_ONLY_PREFIXES = ("Describe", "List", "Get")
READ_ONLY_ACTIONS = frozenset({"Query", "Scan", "BatchGetItem", "TransactGetItems", "HeadObject", "HeadBucket"})
_CREDENTIAL = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/")

_current = threading.local()
_lock = threading.Lock()
_counts: dict[str, dict[str, int]] = {}
_mutating: list[dict[str, Any]] = []
_patched = False


def credential_scope(environ: dict[str, Any]) -> tuple[str, str]:
    """(service, region) of a request from its SigV4 credential scope; ("unknown", "") when unsigned."""
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    return (match.group("service"), match.group("region")) if match else ("unknown", "")


def is_mutating(action: str) -> bool:
    return not (action.startswith(READ_ONLY_PREFIXES) or action in READ_ONLY_ACTIONS)


def record(service: str, region: str, action: str, mutating: bool) -> None:
    with _lock:
        per_service = _counts.setdefault(service, {})
        per_service[action] = per_service.get(action, 0) + 1
        if mutating:
            _mutating.append({"service": service, "region": region, "action": action, "time": time.time()})


def snapshot() -> dict[str, Any]:
    with _lock:
        services = {
            name: {"total": sum(actions.values()), "actions": dict(sorted(actions.items()))}
            for name, actions in sorted(_counts.items())
        }
        return {
            "total": sum(s["total"] for s in services.values()),
            "services": services,
            "mutating": list(_mutating),
        }


def reset() -> None:
    with _lock:
        _counts.clear()
        _mutating.clear()


def _install_action_probe() -> None:
    """moto knows the action name only once it has parsed the request: remember it per thread."""
    global _patched
    if _patched:
        return
    original = BaseResponse.call_action

    def call_action(self: BaseResponse) -> Any:
        try:
            _current.action = self._get_action()
        except Exception:
            _current.action = None
        return original(self)

    BaseResponse.call_action = call_action  # type: ignore[method-assign]
    _patched = True


class CallLogMiddleware:
    """WSGI middleware: counts every AWS call and answers ``/_emulator/calls``."""

    def __init__(self, app: WSGIApp) -> None:
        _install_action_probe()
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_emulator/"):
            return self._own_endpoint(environ, start_response, path)
        if path.startswith("/moto-api"):
            return self.app(environ, start_response)
        _current.action = None
        try:
            return self.app(environ, start_response)
        finally:
            self._record(environ)

    @staticmethod
    def _record(environ: dict[str, Any]) -> None:
        service, region = credential_scope(environ)
        action: str | None = getattr(_current, "action", None)
        method = environ.get("REQUEST_METHOD", "GET")
        if action:
            record(service, region, action, is_mutating(action))
        else:
            record(service, region, f"{method} {environ.get('PATH_INFO', '')}", method not in ("GET", "HEAD"))

    @staticmethod
    def _own_endpoint(environ: dict[str, Any], start_response: StartResponse, path: str) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/_emulator/calls" and method == "GET":
            status, body = "200 OK", snapshot()
        elif path == "/_emulator/calls/reset" and method == "POST":
            reset()
            status, body = "200 OK", {"reset": True}
        else:
            status, body = "404 Not Found", {"error": f"no such emulator endpoint: {method} {path}"}
        payload = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]
