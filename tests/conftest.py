"""Shared test set-up: the emulator harness (tests/emulator) is importable from every test folder."""

from __future__ import annotations

import sys
from pathlib import Path

_HARNESS = Path(__file__).resolve().parent / "emulator"
if str(_HARNESS) not in sys.path:
    sys.path.insert(0, str(_HARNESS))
