"""Benchmark 7: storing a matching run's deliveries, set-based against one object per pair.

Run as `python -m bench.deliveries SUBSCRIBERS ITEMS`; prints one JSON line. The items
and subscribers of `bench.data` are stored (deliveries refer to both) in a fresh SQLite
file and a fresh PostgreSQL database, matched once, and the same matches are written by
today's path (`store.deliveries.store_matches`: COPY on PostgreSQL, executemany on
SQLite, straight from the arrays) and by the path before it (`store.digests.add_matches`:
a `Match` and a parameter dict per pair through SQLAlchemy), each in a transaction rolled
back afterwards, alternating, so both write into the same tables.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bench.data import items, subscribers
from worker.districts import Gazetteer
from worker.matching import MatchIndex, compile_rule
from worker.matching.index import Matches
from worker.store import digests as digest_rows
from worker.store import items as item_rows
from worker.store import sources as source_rows
from worker.store import subscribers as subscriber_rows
from worker.store.db import connect, migrate
from worker.store.deliveries import store_matches

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def stored_matches(engine: Engine, n_subscribers: int, n_items: int) -> Matches:
    from dataclasses import replace

    from worker.models import Source

    gazetteer = Gazetteer.tianjin()
    with engine.begin() as conn:
        source_rows.sync(conn, [Source("bench", "Bench", "rss", "http://b.test/", "project")])
        news = item_rows.insert(conn, [replace(i, id=None) for i in items(n_items)], NOW)
        subscriber_rows.save_many(conn, [replace(s, id=None)
                                         for s in subscribers(n_subscribers)], NOW)
        people = list(subscriber_rows.each_active(conn))
    return MatchIndex(compile_rule(s, gazetteer) for s in people).match(news)


def timed(engine: Engine, write: Callable[[Any, Matches, datetime], object],
          matches: Matches) -> float:
    with engine.connect() as conn, conn.begin() as transaction:
        started = time.perf_counter()
        write(conn, matches, NOW)
        elapsed = time.perf_counter() - started
        transaction.rollback()
    return elapsed


def run(n_subscribers: int, n_items: int, runs: int) -> dict[str, Any]:
    from tests.services import fresh_postgres_database

    out: dict[str, Any] = {"subscribers": n_subscribers, "items": n_items, "runs": runs}
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        urls = {"sqlite": f"sqlite:///{folder / 'bench.db'}",
                "postgresql": stack.enter_context(fresh_postgres_database())}
        for name, url in urls.items():
            engine = connect(url)
            migrate(engine)
            matches = stored_matches(engine, n_subscribers, n_items)
            ours, before = [], []
            for _ in range(runs):
                ours.append(timed(engine, store_matches, matches))
                before.append(timed(engine, digest_rows.add_matches, matches))
            engine.dispose()
            out[name] = {"matches": len(matches), "ours_s": sorted(ours),
                         "before_s": sorted(before)}
    return out


if __name__ == "__main__":
    print(json.dumps(run(*(int(a) for a in sys.argv[1:4]))))
