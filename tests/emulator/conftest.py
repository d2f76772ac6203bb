"""Boot the emulator on a free 127.0.0.1 port for the session and hand out boto3 clients against it."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from emulator_harness import REPO, Emulator

# The emulator package lives in local/; make it importable however pytest is invoked.
if str(REPO / "local") not in sys.path:
    sys.path.insert(0, str(REPO / "local"))


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    emu = Emulator()
    yield emu
    emu.stop()


@pytest.fixture(scope="session")
def holding_emulator() -> Iterator[Emulator]:
    """A second emulator with lifecycle hooks holding instances (EMULATOR_LIFECYCLE_HOLD=1)."""
    emu = Emulator({"EMULATOR_LIFECYCLE_HOLD": "1"})
    yield emu
    emu.stop()


@pytest.fixture
def client(emulator: Emulator) -> Callable[..., Any]:
    return emulator.client


@pytest.fixture
def unique() -> str:
    return f"t{time.time_ns() % 10**12}"
