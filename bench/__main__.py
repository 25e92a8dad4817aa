"""`python -m bench [--quick] [--no-write]`: run the benchmarks, print a table, and write
the figures (machine, versions, date) to BENCHMARKS.md. Each measurement runs in a fresh
process, so peak memory is its own; figures are medians of several runs."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(module: str, *args: int, runs: int) -> list[dict[str, float]]:
    results = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-m", f"bench.{module}", *map(str, args)],
                             cwd=ROOT, capture_output=True, text=True, check=True, timeout=3600)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


def median(results: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (CI smoke run)")
    parser.add_argument("--no-write", action="store_true", help="do not write BENCHMARKS.md")
    options = parser.parse_args()
    runs = 1 if options.quick else 3
    sizes = [(1_000, 50, 10)] if options.quick else [
        (10_000, 1_000, 100), (100_000, 1_000, 20), (1_000_000, 100, 2)]
    rows = ["| benchmark | size | ours | baseline (same run) | ratio | target | peak RSS |",
            "|---|---|---|---|---|---|---|"]
    for subscribers, items, sample in sizes:
        r = measure("matching", subscribers, items, sample,
                    runs=1 if subscribers >= 1_000_000 else runs)
        if not all(x["identical"] for x in r):
            raise SystemExit(f"matching output differs from the loop at {subscribers}")
        ours, loop = median(r, "index_s"), median(r, "loop_s")
        rows.append(
            f"| 1 matching (index build {median(r, 'build_s'):.2f} s) | {subscribers:,} "
            f"subscribers × {items:,} items, {int(median(r, 'matches')):,} matches | "
            f"{ours:.2f} s | {loop:.1f} s (loop on {sample} items, scaled) | "
            f"{loop / ours:.1f}× | ≥ 100×, < 3 s | {median(r, 'peak_mb'):.0f} MB |")
    r = measure("rendering", 30 if options.quick else 500, runs=runs)
    full, jinja = median(r, "full_per_s"), median(r, "jinja_per_s")
    rows.append(f"| 4 rendering (20-item digests, 1 core) | {int(r[0]['digests'])} digests | "
                f"{full:.0f} /s | {jinja:.0f} /s (Jinja2 alone) | {full / jinja:.2f}× | "
                f"≥ 500 /s | |")
    table = "\n".join(rows)
    print(table)
    if not options.no_write:
        write(table, options.quick)


def write(table: str, quick: bool) -> None:
    machine = (f"{platform.machine()}, {os.cpu_count()} cores, Python "
               f"{platform.python_version()}, {platform.platform()}")
    versions = ", ".join(f"{p} {version(p)}" for p in
                         ("ahocorasick-rs", "jinja2", "css-inline", "sqlalchemy"))
    (ROOT / "BENCHMARKS.md").write_text(f"""# Benchmarks

Written by `python -m bench{' --quick' if quick else ''}` on {datetime.now(UTC):%Y-%m-%d %H:%M UTC}.
Machine: {machine}. Versions: {versions}.
Medians of {'1 run' if quick else '3 runs (1 at 1M subscribers)'}; each in a fresh process.

{table}

Benchmarks 2 (polling), 3 (sending) and 5 (end to end) are not written yet (issue #6).
""", encoding="utf-8")


if __name__ == "__main__":
    main()
