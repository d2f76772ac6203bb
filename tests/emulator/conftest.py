"""Emulator tests: the session's emulator and clients come from tests/conftest.py; here the emulator package
is made importable, and a second emulator holds lifecycle hooks."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from emulator_harness import REPO, Emulator

# The emulator package lives in local/; make it importable however pytest is invoked.
if str(REPO / "local") not in sys.path:
    sys.path.insert(0, str(REPO / "local"))


@pytest.fixture(scope="session")
def holding_emulator() -> Iterator[Emulator]:
    """A second emulator with lifecycle hooks holding instances (EMULATOR_LIFECYCLE_HOLD=1)."""
    emu = Emulator({"EMULATOR_LIFECYCLE_HOLD": "1"})
    yield emu
    emu.stop()
