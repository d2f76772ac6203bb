"""Build the WSGI application (moto + fixes + call log) and serve it on the loopback interface only."""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

from werkzeug.serving import make_server

from emulator import calls, faults, fixes

LOOPBACK_HOST = "127.0.0.1"


def build_app() -> faults.FaultMiddleware:
    """Apply every fix, then wrap moto's dispatcher in the call-log middleware and that in the fault switch."""
    # moto reads this when IAM backends are created; AWS always has its managed policies.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    fixes.apply_all()
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        create_backend_app,
    )

    # Outermost, so a request a fault answers never reaches moto or the call log.
    return faults.FaultMiddleware(calls.CallLogMiddleware(DomainDispatcherApplication(create_backend_app)))


def check_host(host: str) -> None:
    """Refuse anything but the IPv4 loopback address: the emulator has no authentication."""
    if host != LOOPBACK_HOST:
        raise ValueError(f"refusing to bind {host!r}: the emulator listens on {LOOPBACK_HOST} only")


def _exit(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


def serve(host: str, port: int) -> None:
    check_host(host)
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    app = build_app()
    os.environ.setdefault("MOTO_PORT", str(port))
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGINT, _exit)
    print(f"emulator: listening on http://{host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
