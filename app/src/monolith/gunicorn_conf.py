"""gunicorn settings bootstrap passes with ``-c python:monolith.gunicorn_conf``: gunicorn's own log lines
go to stdout as JSON like the app's, and its access log is off (the app logs each request itself, with the
request id)."""

from __future__ import annotations

from typing import Any

accesslog = None
# The control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl): several instances on
# one host (local mode) would fight over it, and the systemd unit has no writable home. Nothing uses it.
control_socket_disable = True
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "monolith.logs.JsonFormatter"}},
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
    "root": {"handlers": ["stdout"], "level": "WARNING"},
}
