"""Module tests: one emulator on a free loopback port for the session, and boto3 clients against it."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from emulator_harness import Emulator

sys.path.insert(0, str(Path(__file__).resolve().parent))


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
