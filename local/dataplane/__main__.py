"""``python -m dataplane run|urls|chaos|heal``; ``local/bin/dataplane`` starts and stops the daemon."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from .topology import TopologyError, build, regions_from_inventory

REPO = Path(__file__).resolve().parents[2]
_STD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class ExtrasFormatter(logging.Formatter):
    """Message plus the record's `extra=` fields, one line, so the log is greppable."""

    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{k}={v}" for k, v in vars(record).items() if k not in _STD_ATTRS)
        return f"{super().format(record)} {extras}".rstrip()


def state_dir(port: int) -> Path:
    return REPO / "build" / "dataplane" / str(port)


def read_state(port: int) -> dict[str, Any]:
    path = state_dir(port) / "state.json"
    try:
        return dict(json.loads(path.read_text()))
    except FileNotFoundError:
        hint = "run 'local/bin/dataplane start'"
        raise SystemExit(f"dataplane: not running on port {port} (no {path}); {hint}") from None


def get_json(url: str, timeout_s: float = 2.0) -> tuple[int, Any]:
    try:
        # Loopback URLs built from our own state file.
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (urllib.error.URLError, OSError, ValueError):
        return 0, None


def wait_for(url: str, deadline_s: float) -> tuple[int, Any]:
    give_up = time.monotonic() + deadline_s
    while True:
        status, body = get_json(url)
        if status == 200 or time.monotonic() >= give_up:
            return status, body
        time.sleep(0.5)


def region_name(state: dict[str, Any], wanted: str) -> str:
    for name, aws_region in state["aws_regions"].items():
        if wanted in (name, aws_region):
            return str(name)
    allowed = ", ".join(state["aws_regions"])
    raise SystemExit(f"dataplane: REGION must be one of {allowed} (or their AWS names), got {wanted!r}")


def cmd_run(args: argparse.Namespace) -> int:
    from .daemon import Daemon

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(ExtrasFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("botocore").setLevel(logging.WARNING)
    try:
        pairs = regions_from_inventory(Path(sys.executable).with_name("ansible-inventory"), Path(args.inventory))
        topology = build(
            pairs, home=args.home, base_port=args.port, emulator_url=args.emulator, state_dir=state_dir(args.port)
        )
    except TopologyError as exc:
        print(f"dataplane: {exc}", file=sys.stderr)
        return 2
    return Daemon(topology).run()


def cmd_urls(args: argparse.Namespace) -> int:
    state = read_state(args.port)
    status, _info = wait_for(f"{state['entry']}/api/info", args.wait)
    print(f"global entry  {state['entry']}  (home region {state['home']}, fails over in inventory order)")
    failed = status != 200
    for name, url in state["fronts"].items():
        front_status, front_info = get_json(f"{url}/api/info")
        what = (
            f"{front_info.get('region')} {front_info.get('colour')} v{front_info.get('version')}"
            if front_status == 200 and isinstance(front_info, dict)
            else f"not serving (HTTP {front_status or 'no answer'})"
        )
        print(f"  {name:<4} front  {url}  {what}")
    if failed:
        print(f"dataplane: {state['entry']}/api/info did not answer 200 within {args.wait:.0f}s", file=sys.stderr)
        return 1
    print(f"try: curl {state['entry']}/api/info")
    return 0


def cmd_chaos(args: argparse.Namespace) -> int:
    state = read_state(args.port)
    name = region_name(state, args.region)
    down = state_dir(args.port) / "down"
    down.mkdir(exist_ok=True)
    (down / name).touch()
    give_up = time.monotonic() + 30
    while any(i["region"] == name for i in read_state(args.port)["instances"].values()):
        if time.monotonic() > give_up:
            print(f"dataplane: {name}'s processes still run after 30 s", file=sys.stderr)
            return 1
        time.sleep(0.2)
    print(f"dataplane: region {name} is down (every instance process killed); 'make heal' brings it back")
    return 0


def cmd_heal(args: argparse.Namespace) -> int:
    state = read_state(args.port)
    names = [region_name(state, args.region)] if args.region else list(state["aws_regions"])
    for name in names:
        (state_dir(args.port) / "down" / name).unlink(missing_ok=True)
    rc = 0
    for name in names:
        status, _ = wait_for(f"{state['fronts'][name]}/readyz", args.wait)
        print(f"dataplane: region {name} {'serves again' if status == 200 else f'not ready (HTTP {status})'}")
        rc |= status != 200
    return rc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dataplane", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("DATAPLANE_PORT", "8400")))
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="the daemon, in the foreground")
    run.add_argument("--emulator", default=f"http://127.0.0.1:{os.environ.get('EMULATOR_PORT', '4566')}")
    run.add_argument("--inventory", default=str(REPO / "inventories" / "local"))
    run.add_argument("--home", default=os.environ.get("DATAPLANE_HOME") or None)
    urls = sub.add_parser("urls", help="print the entry and fronts, waiting for the entry to serve")
    urls.add_argument("--wait", type=float, default=120.0)
    chaos = sub.add_parser("chaos", help="kill a region's instance processes and keep them down")
    chaos.add_argument("region")
    heal = sub.add_parser("heal", help="let a region's (default: every region's) instances run again")
    heal.add_argument("region", nargs="?")
    heal.add_argument("--wait", type=float, default=120.0)
    args = parser.parse_args(argv)
    handlers = {"run": cmd_run, "urls": cmd_urls, "chaos": cmd_chaos, "heal": cmd_heal}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
