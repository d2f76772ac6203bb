"""Shared test set-up: the emulator harness (tests/emulator) is importable from every test folder, and the
emulator and module suites share one emulator for the session (their tests name what they make uniquely)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

_HARNESS = Path(__file__).resolve().parent / "emulator"
if str(_HARNESS) not in sys.path:
    sys.path.insert(0, str(_HARNESS))

from emulator_harness import Emulator  # noqa: E402 -- importable only once the path above is set


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    emu = Emulator()
    yield emu
    emu.stop()


@pytest.fixture
def client(emulator: Emulator) -> Callable[..., Any]:
    return emulator.client


@pytest.fixture
def unique() -> str:
    return f"t{time.time_ns() % 10**12}"
