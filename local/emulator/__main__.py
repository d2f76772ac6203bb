"""Command line entry point: ``python -m emulator --host 127.0.0.1 --port 4566``."""

from __future__ import annotations

import argparse
import os
import sys

from emulator.server import LOOPBACK_HOST, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="emulator", description=__doc__)
    parser.add_argument("--host", default=LOOPBACK_HOST, help="bind address; only 127.0.0.1 is accepted")
    parser.add_argument("--port", type=int, default=int(os.environ.get("EMULATOR_PORT", "4566")))
    args = parser.parse_args(argv)
    try:
        serve(args.host, args.port)
    except ValueError as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
