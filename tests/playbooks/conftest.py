"""An emulator of the playbook tests' own, so they never touch the state `make deploy` built."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from emulator_harness import Emulator


@pytest.fixture(scope="module")
def stack_emulator() -> Iterator[Emulator]:
    emu = Emulator()
    yield emu
    emu.stop()
