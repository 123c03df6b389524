"""Page inputs for the worker tests: importable by a worker process (no conftest imports)."""

from __future__ import annotations

from pathlib import Path


class FailingInputs:
    def district_page(self, code: str, name: str) -> Path:
        raise ValueError(f"cannot render {name}")
