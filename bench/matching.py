"""Benchmark 1: the matching index against the straightforward loop (same output).

Run as `python -m bench.matching SUBSCRIBERS ITEMS BASELINE_ITEMS`; prints one JSON line.
The loop is timed on the first BASELINE_ITEMS items and scaled to all of them (it is
linear in items); both outputs are compared on those items. The index's result is
columnar (subscriber ids per item, district bits, keyword-hit pairs); turning all of it
into `Match` objects, as writing delivery rows does, is timed separately.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from bench.data import items, subscribers
from worker.districts import Gazetteer
from worker.matching import MatchIndex, compile_rule
from worker.matching.naive import match_each


def run(n_subscribers: int, n_items: int, baseline_items: int) -> dict[str, float]:
    gazetteer = Gazetteer.tianjin()
    people, news = subscribers(n_subscribers), items(n_items)
    rules = [compile_rule(s, gazetteer) for s in people]
    started = time.perf_counter()
    index = MatchIndex(rules)
    build = time.perf_counter() - started
    started = time.perf_counter()
    matches = index.match(news)
    indexed = time.perf_counter() - started
    started = time.perf_counter()
    materialised = sum(1 for _ in matches)
    materialise = time.perf_counter() - started
    assert materialised == len(matches)
    sample = news[:baseline_items]
    started = time.perf_counter()
    expected = match_each(rules, sample)
    loop = (time.perf_counter() - started) * n_items / len(sample)
    identical = list(index.match(sample)) == expected
    return {"subscribers": n_subscribers, "items": n_items, "build_s": build,
            "index_s": indexed, "materialise_s": materialise, "loop_s": loop,
            "matches": len(matches), "identical": identical,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


if __name__ == "__main__":
    print(json.dumps(run(*(int(a) for a in sys.argv[1:4]))))
