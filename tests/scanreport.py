"""The summary `make scan` writes: what each scanner was asked, what it reported, what the
attacks left behind. Between markers, so prose written around the table is kept."""

from __future__ import annotations

import platform
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

START, END = "<!-- scan:start -->", "<!-- scan:end -->"


def _version(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except OSError:
        return "?"
    lines = [line for line in (result.stdout + result.stderr).splitlines()
             if line.strip() and "WARNING" not in line]
    return lines[-1].strip() if lines else "?"


def _wapiti_rows(report: dict[str, object]) -> list[str]:
    rows = []
    for section in ("vulnerabilities", "anomalies", "additionals"):
        found = report.get(section) or {}
        assert isinstance(found, dict)
        for category, items in sorted(found.items()):
            if not items:
                continue
            seen = Counter(f"{i.get('method', '')} {i.get('path', '')}: {i.get('info', '')}"
                           for i in items)
            for what, n in seen.most_common(6):
                text = what.replace("|", "\\|").replace("\n", " ")[:220]
                rows.append(f"| {section} | {category} | {n} | {text} |")
    return rows or ["| – | – | 0 | nothing reported |"]


def write_report(path: Path, wapiti: dict[str, object], sqlmap: list[dict[str, object]],
                 after: dict[str, object], quick: bool) -> None:
    report = wapiti["report"]
    assert isinstance(report, dict)
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({'quick' if quick else 'full'}); {_version(['wapiti', '--version'])}, sqlmap "
        f"{_version(['sqlmap', '--version'])}.", "",
        f"**wapiti** ({wapiti['seconds']} s):", "", f"`{wapiti['command']}`", "",
        "| section | category | count | where / what |", "|---|---|---|---|",
        *_wapiti_rows(report), "", "**sqlmap** (CSRF token fetched before each request):", "",
        "| target | seconds | injectable | last verdicts |", "|---|---|---|---|",
    ]
    for found in sqlmap:
        verdicts = "; ".join(str(v) for v in found["verdicts"]).replace("|", "\\|")[:300]  # type: ignore[attr-defined]
        lines.append(f"| {found['target']} | {found['seconds']} | "
                     f"{'**YES**' if found['vulnerable'] else 'no'} | {verdicts} |")
    lines += ["", "sqlmap commands:", "", *[f"- `{f['command']}`" for f in sqlmap], "",
              f"**Afterwards**: {after['requests']} requests answered "
              f"({', '.join(f'{k}: {v}' for k, v in after['by_status'].items())}); "  # type: ignore[attr-defined]
              f"{after['tracebacks']} tracebacks in the web log; {after['mails']} mails "
              f"reached the SMTP recorder, {after['injected_mails']} of them with an extra "
              "recipient or an injected Cc/Bcc header."]
    body = "\n".join(lines)
    text = path.read_text(encoding="utf-8") if path.exists() else f"{START}\n{END}\n"
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{START}\n{body}\n{END}{tail}", encoding="utf-8")
