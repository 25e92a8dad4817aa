"""A section of BENCHMARKS.md between two markers, rewritten by the benchmark that owns it;
the prose around it stays."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"


def write_section(name: str, heading: str, command: str, body: str,
                  path: Path = BENCHMARKS) -> None:
    """Replace what lies between `<!-- name:start -->` and `<!-- name:end -->` (added at the
    end under `heading` the first time)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = path.read_text(encoding="utf-8")
    if start not in text:
        text += f"\n## {heading}\n\n{start}\n{end}\n"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    stamp = f"Written by `{command}` on {datetime.now(UTC):%Y-%m-%d}."
    path.write_text(f"{head}{start}\n{stamp}\n\n{body}\n{end}{tail}", encoding="utf-8")
