"""Golden files: expected output beside the test; `UPDATE_GOLDEN=1 make test` rewrites them."""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1" or not path.exists():
        if os.environ.get("CI", "").lower() == "true" and not path.exists():
            raise AssertionError(f"golden file {path} is missing (run UPDATE_GOLDEN=1 make test)")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
        return
    expected = path.read_bytes().decode("utf-8")  # exact: no newline translation
    assert actual == expected, f"{name} differs from its golden file (UPDATE_GOLDEN=1 to accept)"
