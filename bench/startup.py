"""Start-up: what a fresh interpreter pays before a command does its work (issue 18).

`python -m bench.startup [--runs N] [--baseline REV] [--write] [--json]` exports the tree
of REV (default: the commit before imports were moved to where they are used) with `git
archive` and times the same entry points there and here, alternating, in fresh
interpreters: wall time (median of N) and the imports of one `-X importtime` run. Both
trees share a migrated SQLite database, the same settings and Redis, and write their
bytecode caches outside the trees (PYTHONPYCACHEPREFIX), warmed before timing: an
installed package has its .pyc files.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.sections import write_section

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "d5b58c8"  # before issue 18: every command imported the settings and the store
WEB_START = ("from worker.config import load_settings; from worker.runtime import "
             "build_runtime; from worker.web.app import create_app; "
             "create_app(build_runtime(load_settings(), migrate_schema=False))")
# (label, arguments after `python`, target ratio or None for context)
ENTRY_POINTS: list[tuple[str, list[str], float | None]] = [
    ("radar status --beat-only", ["-m", "worker.cli", "status", "--beat-only"], 4.0),
    ("radar sources test --help", ["-m", "worker.cli", "sources", "test", "--help"], 4.0),
    ("import worker.web.app", ["-c", "import worker.web.app"], 4.0),
    ("web app ready (settings, runtime, create_app)", ["-c", WEB_START], None),
]


def export(rev: str, into: Path) -> Path:
    tree = into / "baseline"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def environment(scratch: Path) -> dict[str, str]:
    config = scratch / "radar.yaml"
    config.write_text(f"database_url: sqlite:///{scratch / 'radar.db'}\n"
                      f"sources_file: {ROOT / 'config' / 'sources.yaml'}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "DATABASE_URL", "RADAR_NOW")}
    env.update(RADAR_CONFIG=str(config), PYTHONPYCACHEPREFIX=str(scratch / "pycache"))
    subprocess.run([sys.executable, "-m", "worker.cli", "migrate"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    return env


def wall(args: list[str], tree: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=tree, env=env, capture_output=True,
                   timeout=120, check=False)  # status exits 1 when no beat holds the lock
    return time.perf_counter() - started


def import_seconds(args: list[str], tree: Path, env: dict[str, str]) -> float:
    """The sum of the top-level imports `-X importtime` reports (µs → s)."""
    err = subprocess.run([sys.executable, "-X", "importtime", *args], cwd=tree, env=env,
                         capture_output=True, text=True, timeout=120, check=False).stderr
    rows = [line.split("|") for line in err.splitlines() if line.startswith("import time:")]
    return sum(int(r[1]) for r in rows if len(r) == 3 and r[2].startswith(" ")
               and not r[2].startswith("  ") and r[1].strip().isdigit()) / 1e6


def run(runs: int, rev: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        scratch = Path(tmp)
        trees = {"before": export(rev, scratch), "after": ROOT}
        env = environment(scratch)
        results = []
        for label, args, target in ENTRY_POINTS:
            times: dict[str, list[float]] = {"before": [], "after": []}
            for tree in trees.values():
                wall(args, tree, env)  # writes the bytecode caches
            for _ in range(runs):
                for name, tree in trees.items():
                    times[name].append(wall(args, tree, env))
            results.append({
                "label": label, "target": target,
                **{f"{name}_s": statistics.median(t) for name, t in times.items()},
                **{f"{name}_spread": [min(t), max(t)] for name, t in times.items()},
                **{f"{name}_imports_s": import_seconds(args, tree, env)
                   for name, tree in trees.items()}})
    return {"baseline": rev, "runs": runs, "entry_points": results}


def rows(result: dict[str, Any]) -> list[str]:
    """Rows of the main benchmark table."""
    out = []
    for r in result["entry_points"]:
        target = f"≥ {r['target']:.0f}×" if r["target"] else "for context"
        out.append(
            f"| 6 start-up: {r['label']} | fresh interpreter, median of {result['runs']} "
            f"(imports {r['after_imports_s']:.2f} s vs {r['before_imports_s']:.2f} s) | "
            f"{r['after_s']:.3f} s | {r['before_s']:.3f} s ({result['baseline']}) | "
            f"{r['before_s'] / r['after_s']:.1f}× | {target} | |")
    return out


def table(result: dict[str, Any]) -> str:
    lines = [f"| entry point | now | {result['baseline']} | ratio | imports now | "
             f"imports {result['baseline']} | target |", "|---|---|---|---|---|---|---|"]
    for r in result["entry_points"]:
        spread = "–".join(f"{s:.3f}" for s in r["after_spread"])
        base = "–".join(f"{s:.3f}" for s in r["before_spread"])
        target = f"≥ {r['target']:.0f}×" if r["target"] else "for context"
        lines.append(
            f"| {r['label']} | {r['after_s']:.3f} s ({spread}) | {r['before_s']:.3f} s "
            f"({base}) | {r['before_s'] / r['after_s']:.1f}× | {r['after_imports_s']:.3f} s | "
            f"{r['before_imports_s']:.3f} s | {target} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.startup")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare with")
    parser.add_argument("--write", action="store_true", help="write its BENCHMARKS.md section")
    parser.add_argument("--json", action="store_true", help="one JSON line (for python -m bench)")
    options = parser.parse_args()
    result = run(options.runs, options.baseline)
    if options.json:
        print(json.dumps(result))
        return
    text = table(result)
    print(text)
    if options.write:
        write_section("startup", "Start-up", "python -m bench.startup --write",
                      f"Wall time of a fresh interpreter, median of {options.runs} "
                      f"(min–max), alternating with the tree of {options.baseline}; "
                      "imports: the top-level sum of one `-X importtime` run.\n\n" + text)


if __name__ == "__main__":
    main()
