"""`python -m bench.indexmemory SUBSCRIBERS`: the memory a worker spends building its matching
index, as a service worker builds it (from the store, SQLite file). Prints one JSON line:
RSS before and after, and the traced peak and retained Python memory of the build."""

from __future__ import annotations

import gc
import json
import sys
import tempfile
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.data import subscribers
from worker.config import Settings
from worker.runtime import build_runtime
from worker.store import subscribers as subscriber_rows


def rss_mb() -> int:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) // 1024


def run(n: int, traced: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/r.db", secret_key="bench")
        rt = build_runtime(settings, [])
        with rt.engine.begin() as conn:
            subscriber_rows.save_many(conn, [replace(s, id=None) for s in subscribers(n)],
                                      datetime.now(UTC))
        gc.collect()
        before = rss_mb()
        if traced:
            tracemalloc.start()
        with rt.engine.connect() as conn:
            rt.subscriber_index.index(conn, rt.gazetteer)
        gc.collect()
        out: dict[str, Any] = {"subscribers": n, "rss_before_mb": before,
                               "rss_after_mb": rss_mb()}
        if traced:
            retained, peak = tracemalloc.get_traced_memory()
            out |= {"traced_peak_mb": peak >> 20, "traced_retained_mb": retained >> 20}
        rt.engine.dispose()
        return out


if __name__ == "__main__":
    # RSS untraced (tracemalloc's own bookkeeping would count), then traced in a new run
    count = int(sys.argv[1])
    print(json.dumps(run(count, "--traced" in sys.argv)))
