"""The HTML page at / for a person: server-rendered, no JavaScript."""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError
from flask import Blueprint, render_template

from .ops import current_lags
from .services import services

bp = Blueprint("web", __name__)
log = logging.getLogger("monolith.web")
_HISTORY = 5


@bp.get("/")
def index() -> tuple[str, int]:
    svc = services()
    try:
        lags = current_lags(svc)
        heads = svc.store.latest(svc.config.page_records)
        history = {h.winner.id: svc.store.versions(h.winner.id, _HISTORY)[0] for h in heads}
    except (BotoCoreError, ClientError) as exc:
        log.warning("page data unavailable", extra={"error": repr(exc)})
        page = render_template("index.html", info=svc.info(), lags=[], heads=[], history={}, error=True)
        return page, 503
    page = render_template(
        "index.html", info=svc.info(), lags=lags, heads=heads, history=history, error=False
    )
    return page, 200
