"""The project's local AWS emulator: moto in server mode plus the fixes in :mod:`emulator.fixes`.

Local mode only; nothing here is used against real AWS. Start it with ``local/bin/emulator start``
or ``PYTHONPATH=local python -m emulator --port 4566``.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
