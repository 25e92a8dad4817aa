"""The reliability report: one row per scenario, printed at the end of the run and, with
RELIABILITY_REPORT=path, written into that Markdown file between two markers."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tests.smtpserver import Received

START, END = "<!-- reliability:start -->", "<!-- reliability:end -->"


@dataclass(frozen=True)
class Outcome:
    area: str
    scenario: str
    injected: str
    expected: int  # digests that should reach someone
    delivered: int  # distinct digests (by Message-ID) that did
    duplicated: int  # extra copies of a digest already delivered
    others_carried_on: bool  # every source and subscriber not targeted was unaffected
    note: str = ""

    @property
    def lost(self) -> int:
        return self.expected - self.delivered


ROWS: list[Outcome] = []


def record(outcome: Outcome) -> Outcome:
    """Add a row (before the test asserts, so a failing scenario is reported too)."""
    ROWS.append(outcome)
    print(f"\n[{outcome.area}] {outcome.scenario}: expected {outcome.expected}, delivered "
          f"{outcome.delivered}, lost {outcome.lost}, duplicated {outcome.duplicated}, "
          f"others carried on: {'yes' if outcome.others_carried_on else 'NO'}")
    return outcome


def deliveries(received: Iterable[Received], recipients: Iterable[str] | None = None
               ) -> tuple[int, int]:
    """(distinct digests delivered, extra copies), counted by Message-ID."""
    wanted = None if recipients is None else set(recipients)
    ids = Counter(r.message["Message-ID"] for r in received
                  if wanted is None or wanted & set(r.recipients))
    return len(ids), sum(n - 1 for n in ids.values())


AREAS = ["SMTP", "service", "feed", "content", "input", "config", "security", "fuzz"]


def _cell(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "\\r").replace("\n", " ⏎ ").replace("|", "\\|")


def table(rows: Iterable[Outcome]) -> str:
    ordered = sorted(rows, key=lambda r: AREAS.index(r.area) if r.area in AREAS else 99)
    lines = ["| area | scenario | injected | expected | delivered | lost | duplicated "
             "| others carried on | note |", "|---|---|---|---|---|---|---|---|---|"]
    for r in ordered:
        cells = [r.area, r.scenario, r.injected, str(r.expected), str(r.delivered),
                 str(r.lost), str(r.duplicated), "yes" if r.others_carried_on else "**no**",
                 r.note]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


SOAK_START, SOAK_END = "<!-- soak:start -->", "<!-- soak:end -->"


def write_into(path: Path, rows: list[Outcome]) -> None:
    """Replace the tables between the markers (the prose around them is kept): the chaos
    soak's rows have a table of their own, so `make soak` and `make chaos` keep each
    other's figures."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    soak = [r for r in rows if r.scenario.startswith("chaos soak")]
    others = [r for r in rows if r not in soak]
    for start, end, chosen in ((START, END, others), (SOAK_START, SOAK_END, soak)):
        if not chosen:
            continue
        if start not in text:
            text += f"\n{start}\n{end}\n"
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
        text = f"{head}{start}\n{table(chosen)}\n{end}{tail}"
    path.write_text(text, encoding="utf-8")


def target() -> Path | None:
    value = os.environ.get("RELIABILITY_REPORT")
    return Path(value) if value else None
