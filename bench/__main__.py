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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def measure(module: str, *args: int, runs: int) -> list[dict[str, Any]]:
    results = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-m", f"bench.{module}", *map(str, args)],
                             cwd=ROOT, capture_output=True, text=True, check=True, timeout=3600)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


def median(results: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in results))


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
    rows += polling(options.quick)
    rows += sending(options.quick)
    if not options.quick:  # minutes even when small: it waits for a send time to come
        rows += end_to_end()
    r = measure("rendering", 30 if options.quick else 500, runs=runs)
    full, jinja = median(r, "full_per_s"), median(r, "jinja_per_s")
    rows.append(f"| 4 rendering (20-item digests, 1 core) | {int(r[0]['digests'])} digests | "
                f"{full:.0f} /s | {jinja:.0f} /s (Jinja2 alone) | {full / jinja:.2f}× | "
                f"≥ 0.8×, ≥ 500 /s | |")
    rows += deliveries(options.quick)
    rows += startup(options.quick)
    table = "\n".join(rows)
    print(table)
    if not options.no_write:
        write(table, options.quick)


def polling(quick: bool) -> list[str]:
    """Benchmark 2, one run (the baseline alone takes minutes at full size)."""
    feeds, per_feed, latency = (10, 20, 50) if quick else (500, 50, 200)
    [r] = measure("polling", feeds, per_feed, latency, runs=1)
    ours, base = r["ours"], r["base"]
    if ours["failed"] or ours["reparsed"]:
        raise SystemExit(f"polling: {ours['failed']} failed, {ours['reparsed']} re-parsed")
    size = (f"{feeds} feeds × {per_feed} items on {min(feeds, 50)} sites, {latency} ms per "
            "request")
    first, second = base["first_s"] / ours["first_s"], base["second_s"] / ours["second_s"]
    return [
        f"| 2 polling, first poll ({ours['stored']:,} items stored) | {size} | "
        f"{ours['first_s']:.1f} s | {base['first_s']:.1f} s ({r['baseline']}) | {first:.1f}× | "
        "≥ 15× | |",
        f"| 2 polling, second poll, nothing changed ({ours['reparsed']} bodies re-parsed) | "
        f"{size} | {ours['second_s']:.2f} s | {base['second_s']:.1f} s ({r['baseline']}) | "
        f"{second:.1f}× | ≥ 60× | |"]


def sending(quick: bool) -> list[str]:
    """Benchmark 3 without and with 50 ms per SMTP reply, one run each."""
    count = 50 if quick else 5000
    rows = []
    for latency, sample in ((0, 10 if quick else 500), (50, 5 if quick else 40)):
        [r] = measure("sending", count, latency, sample, runs=1)
        ours, base, limit = r["ours_s"], r["baseline_s"], r["smtp_source_s"]
        versus = f"{ours / limit:.1f}× smtp-source's {limit:.2f} s" if limit else "no smtp-source"
        rows.append(
            f"| 3 sending, {latency} ms per reply ({r['sink']}) | {count:,} digests of "
            f"{r['message_bytes'] // 1024} KB | {ours:.2f} s ({versus}) | {base:.1f} s "
            f"(smtplib, a connection per message; {sample} timed, scaled) | {base / ours:.1f}× | "
            f"{'≥ 4×, within 1.3×' if latency == 0 else '≥ 10×, within 3×'} of smtp-source | |")
        rows.append(
            f"| 3 send_pending: claim, load, render, send, mark sent (SQLite), {latency} ms | "
            f"{count:,} digests | {r['send_pending_s']:.2f} s | | | for context | |")
    return rows


def deliveries(quick: bool) -> list[str]:
    """Benchmark 7: the same matches stored set-based and one object per pair."""
    subscribers, items = (500, 50) if quick else (10_000, 300)
    [r] = measure("deliveries", subscribers, items, 1 if quick else 3, runs=1)
    rows = []
    for store in ("sqlite", "postgresql"):
        ours, before = statistics.median(r[store]["ours_s"]), \
            statistics.median(r[store]["before_s"])
        rows.append(
            f"| 7 storing deliveries, {store} ({'COPY' if store == 'postgresql' else 'executemany'}"
            f" from the arrays) | {subscribers:,} subscribers × {items:,} items, "
            f"{r[store]['matches']:,} matches, median of {r['runs']} | {ours:.2f} s | "
            f"{before:.2f} s (a Match per pair through SQLAlchemy) | {before / ours:.1f}× | "
            "≥ 10× | |")
    return rows


def startup(quick: bool) -> list[str]:
    """Benchmark 6: fresh interpreters, this tree against the one before issue 18."""
    from bench.startup import rows

    out = subprocess.run([sys.executable, "-m", "bench.startup", "--json", "--runs",
                          "1" if quick else "7"], cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=600)
    return rows(json.loads(out.stdout.strip().splitlines()[-1]))


START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def end_to_end() -> list[str]:
    """Benchmark 5, one run at 10,000 and one at 100,000 subscribers."""
    rows = []
    for subscribers, target in ((10_000, "< 60 s"), (100_000, "≤ 3× smtp-source")):
        [r] = measure("endtoend", subscribers, 20, 50, runs=1)
        rows += end_to_end_rows(r, target)
    return rows


def end_to_end_rows(r: dict[str, Any], target: str) -> list[str]:
    rss = max(r["worker_rss_mb"])
    ours, limit = r["due_to_all_sent_s"], r["smtp_source_s"]
    baseline = (f"{limit:.1f} s (smtp-source: {r['sent']:,} messages of {r['message_bytes']:,} "
                f"bytes, {r['smtp_source_sessions']} sessions)") if limit and ours else ""
    ratio = f"{ours / limit:.1f}× its time" if limit and ours else ""
    seen = "" if not r["not_seen"] else f", {r['not_seen']:,} NOT SEEN"
    late = "" if r["matched_before_due"] else " (matching ended after the send time)"
    return [
        f"| 5 end to end: weekly digests due → all accepted ({r['sink']}) | "
        f"{r['subscribers']:,} subscribers, {r['items']:,} items, {r['deliveries']:,} "
        f"matches, {r['sent']:,} of {r['expected']:,} digests{seen}; 2 worker processes | "
        f"{ours or 0:.1f} s{late} | {baseline} | {ratio} | {target} | {rss:.0f} MB (< 300) |",
        f"| 5 where the time goes ({r['subscribers']:,}) | polling and matching before the "
        f"send time {r['poll_and_match_s'] or 0:.1f} s; due → first digest accepted "
        f"{r['due_to_first_sent_s'] or 0:.1f} s (opening {r['sent']:,} digests, queueing); "
        f"first → last accepted {r['send_s'] or 0:.1f} s | | | | | |"]


def write(table: str, quick: bool) -> None:
    """Replace the figures between the markers of BENCHMARKS.md; the prose stays."""
    machine = (f"{platform.machine()}, {os.cpu_count()} cores, Python "
               f"{platform.python_version()}, {platform.platform()}")
    versions = ", ".join(f"{p} {version(p)}" for p in
                         ("ahocorasick-rs", "numpy", "jinja2", "css-inline", "sqlalchemy",
                          "feedparser", "aiosmtplib", "rss2email"))
    figures = f"""Written by `python -m bench{' --quick' if quick else ''}` on \
{datetime.now(UTC):%Y-%m-%d %H:%M UTC}. Machine: {machine}. Versions: {versions}.
Matching and rendering: medians of {'1 run' if quick else '3 runs (1 at 1M subscribers)'};
polling: ours the median of 3 runs, rss2email one run; sending and end to end: one run
each (they take minutes). Each in a fresh process.

{table}
"""
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else \
        f"# Benchmarks\n\n{START}\n{END}\n"
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{START}\n{figures}{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
