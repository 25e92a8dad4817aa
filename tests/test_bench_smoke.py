"""The benchmark harness at tiny sizes, so it does not rot (the real run is `make bench`)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_quick_runs_and_checks_identical_output() -> None:
    result = subprocess.run([sys.executable, "-m", "bench", "--quick", "--no-write"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("| benchmark |")
    assert any(line.startswith("| 1 matching") and "1,000 subscribers" in line for line in lines)
    assert any(line.startswith("| 4 rendering") and "/s" in line for line in lines)
    assert sum(line.startswith("| 2 polling") for line in lines) == 2
    assert sum(line.startswith("| 3 sending") for line in lines) == 2
    assert sum(line.startswith("| 6 start-up") for line in lines) == 4
    assert sum(line.startswith("| 7 storing deliveries") for line in lines) == 2


def test_the_end_to_end_bench_runs_and_counts_every_digest() -> None:
    """The service path at a tiny size (it once stopped working unnoticed: the worker
    refused the bench's settings), row included. Waits for the next whole minute at least
    20 s ahead: the worker must start, poll and match before it (at 5 s it once did not)."""
    import json
    import shutil

    import pytest

    from bench.__main__ import end_to_end_rows
    from tests.services import IN_CI, require

    require("postgresql", 5432)  # the bench makes its own database there
    if shutil.which("redis-server") is None:  # it starts a Redis of its own
        if IN_CI:
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")
    result = subprocess.run([sys.executable, "-m", "bench.endtoend", "300", "2", "10", "20"],
                            cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stderr
    r = json.loads(result.stdout.strip().splitlines()[-1])
    assert r["expected"] > 50 and r["sent"] == r["expected"] and r["not_seen"] == 0, \
        (r, result.stderr[-3000:])
    assert r["matched_before_due"] and r["message_bytes"] > 2000, r
    [row, _] = end_to_end_rows(r, "smoke")
    assert f"{r['sent']:,} of {r['expected']:,} digests" in row and "NOT SEEN" not in row
