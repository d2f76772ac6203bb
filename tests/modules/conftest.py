"""Module tests: the session's emulator and clients come from tests/conftest.py; this folder's helpers
(module_runner) are importable from its tests."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
