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
