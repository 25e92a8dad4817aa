"""Print the reliability table after the run; write it where RELIABILITY_REPORT says."""

from __future__ import annotations

from typing import Any

from tests.reliability.report import ROWS, table, target, write_into


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not ROWS:
        return
    terminalreporter.section("reliability")
    terminalreporter.write_line(table(ROWS))
    path = target()
    if path is not None:
        write_into(path, ROWS)
        terminalreporter.write_line(f"written to {path}")
