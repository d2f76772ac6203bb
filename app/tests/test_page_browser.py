"""The HTML page in a real headless browser (Debian's Chromium): rendered DOM checked, screenshot kept.

The app is served on a loopback port by a real HTTP server over the in-process moto table. Chromium gets a
dead proxy for everything but loopback, so the page (or the browser's own services) cannot reach further.
Skipped where no Chromium is installed (`apt-get install chromium`).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from conftest import REGION, TABLE, replicate_history_item
from fakes import REPO
from monolith.heartbeat import Heartbeat

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium on this machine (apt-get install chromium)"
)
ARTIFACTS = Path(os.environ.get("MONOLITH_TEST_ARTIFACTS", REPO / "build" / "test-artifacts"))


@pytest.fixture
def served(app: Flask, ddb: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # tests run as root, where Chromium's sandbox refuses to start
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--proxy-server=http://127.0.0.1:9",  # loopback bypasses it; anything else hits a dead port
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,900",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_page_in_headless_chromium(served: str, client: Any, ddb: Any, tmp_path: Path) -> None:
    eu = Heartbeat(ddb, TABLE, "eu-west-1", (), instance_id="i-eu", ttl_s=60, alarm_ms=3000)
    eu.beat()
    rid = client.post("/api/records", json={"title": "hello from Oregon"}).get_json()["id"]
    client.put(f"/api/records/{rid}", json={"title": "edited in Oregon"}, headers={"If-Match": "1"})
    replicate_history_item(
        ddb, rid, 2, "eu-west-1", data={"title": "edited in Ireland"}, supersedes=[f"v000001#{REGION}"]
    )

    dom = chromium(tmp_path, "--dump-dom", f"{served}/")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert '<strong id="region">us-west-2</strong>' in html
    assert 'class="badge blue">blue<' in html
    assert "<td>eu-west-1</td>" in html
    assert f'id="record-{rid}"' in html
    assert "conflicting siblings: v000002#eu-west-1" in html

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "index.png"
    shot.unlink(missing_ok=True)
    eu.beat()  # fresh, so the picture shows a healthy peer next to a missing one
    done = chromium(tmp_path, f"--screenshot={shot}", f"{served}/")
    assert done.returncode == 0, done.stderr[-2000:]
    assert png_size(shot) == (1200, 900)
    assert shot.stat().st_size > 10_000  # a rendered page, not a blank frame
