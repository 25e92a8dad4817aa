"""Benchmark 4: digests rendered per second per core (Jinja2 + CSS inlining + MIME).

Run as `python -m bench.rendering DIGESTS`; prints one JSON line. The baseline is the
Jinja2 rendering alone of the templates as written (no CSS inlined), to show what
inlining and MIME cost on top; ours renders templates whose CSS was inlined when loaded.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime

from bench.data import items
from worker.config import Settings
from worker.digest.build import Links, build_digest
from worker.digest.compose import compose
from worker.digest.render import jinja_environment
from worker.districts import Gazetteer
from worker.mail.message import build_message
from worker.models import Entry, Schedule, Subscriber
from worker.resources import templates_dir

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def run(digests: int) -> dict[str, float]:
    gazetteer, settings = Gazetteer.tianjin(), Settings(secret_key="bench")
    news = items(20 * 50)
    reader = Subscriber("r@example.com", "王先生", ("武清区", "滨海新区"), (), ("新能源",),
                        schedule=Schedule("weekly"), id=1)
    batches = [[Entry(i, news[(k * 20 + i) % len(news)], ("新能源",), ()) for i in range(20)]
               for k in range(digests)]
    started = time.perf_counter()
    for k, entries in enumerate(batches):
        rendered, envelope = compose(reader, f"w:{k}", entries, settings, gazetteer, {}, NOW)
        build_message(rendered, envelope, NOW)  # the bytes that go on the wire
    full = time.perf_counter() - started
    env = jinja_environment(templates_dir(), inlined=False)
    links = Links("https://x/u", "https://x/p")
    started = time.perf_counter()
    for entries in batches:
        digest = build_digest(reader, entries, now=NOW, gazetteer=gazetteer, source_names={},
                              links=links, max_items=50, summary_chars=120)
        env.get_template("digest.txt").render(digest=digest)
        env.get_template("digest.html").render(digest=digest)
    jinja = time.perf_counter() - started
    return {"digests": digests, "full_per_s": digests / full, "jinja_per_s": digests / jinja}


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]))))
