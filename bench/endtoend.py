"""Benchmark 5: end to end through the service: `radar beat` and `radar worker` (Celery,
2 pool processes) on a private Redis and a fresh PostgreSQL database, polling loopback
feeds, matching every subscriber, then sending their weekly digests to an SMTP sink.

Run as `python -m bench.endtoend SUBSCRIBERS FEEDS ITEMS_PER_FEED [LEAD_SECONDS]`; prints
one JSON line. The subscribers' weekly send time is set LEAD_SECONDS after the start (by
default scaled to the size), so the polls and the matching happen first and then every
digest comes due at once; the result says whether matching really ended before it. Time and
memory per phase are read from the database's timestamps and from /proc (RSS of the
worker's processes). The baseline, in the same run and into the same sink: Postfix's
`smtp-source` pushing as many messages as we sent, of our digests' mean size (composed again
from a sample of the sent digests).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench.data import subscribers
from bench.polling import sites
from bench.sending import CONNECTIONS, process, sink_command, smtp_source
from tests.processes import free_port, running
from tests.services import fresh_postgres_database  # the tests' own: a database, dropped after
from worker.config import Settings
from worker.digest.compose import compose
from worker.mail.message import build_message
from worker.models import Schedule
from worker.runtime import build_runtime
from worker.store import digests as digest_rows
from worker.store import subscribers as subscriber_rows
from worker.store.db import connect, migrate
from worker.store.tables import deliveries, digests, items

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")
SIZE_SAMPLE = 200  # sent digests composed again to learn the mean message size


def lead_seconds(n_subscribers: int) -> int:
    """Polling and matching must end before the send time: 45 s held at 10,000."""
    return max(45, n_subscribers // 400)


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def family(pid: int) -> list[int]:
    """The process and its children (Celery's pool processes)."""
    out = [pid]
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(status.parent.name))
    return out


def send_time(start: datetime, lead: int) -> datetime:
    """The first whole minute at least `lead` seconds ahead."""
    due = (start + timedelta(seconds=lead + 60)).replace(second=0, microsecond=0)
    return due.astimezone(SHANGHAI)


def mean_message_bytes(url: str, sources_file: Path) -> int:
    """Compose a sample of the sent digests again, as the worker did, and average sizes."""
    rt = build_runtime(Settings(database_url=url, secret_key="bench", sources_file=sources_file))
    try:
        with rt.engine.connect() as conn, conn.begin() as transaction:
            ids = list(conn.scalars(sa.select(digests.c.id).where(digests.c.state == "sent")
                                    .order_by(sa.func.random()).limit(SIZE_SAMPLE)))
            # a digest's contents are its undelivered deliveries: undeliver the sample's,
            # in a transaction rolled back (the worker is still running)
            conn.execute(deliveries.update().where(deliveries.c.digest_id.in_(ids))
                         .values(delivered_at=None))
            loaded = digest_rows.contents(conn, ids)
            transaction.rollback()
        sizes = []
        for c in loaded:
            rendered, envelope = compose(c.subscriber, c.period_key, c.entries, rt.settings,
                                         rt.gazetteer, rt.source_names, datetime.now(UTC))
            sizes.append(len(build_message(rendered, envelope, datetime.now(UTC)).data))
        return sum(sizes) // max(len(sizes), 1)
    finally:
        rt.engine.dispose()


def run(n_subscribers: int, n_feeds: int, per_feed: int, lead: int | None = None
        ) -> dict[str, Any]:
    lead = lead or lead_seconds(n_subscribers)
    started_at = datetime.now(UTC)
    due = send_time(started_at, lead)
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = stack.enter_context(fresh_postgres_database())
        redis_port, smtp_port = free_port(), free_port()
        stack.enter_context(process(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(tmp)], redis_port))
        sink, command = sink_command(smtp_port)
        stack.enter_context(process(command, smtp_port))
        urls, _ = stack.enter_context(sites(n_feeds, per_feed, 0))
        (tmp / "radar.yaml").write_text(json.dumps({
            "database_url": url, "sources_file": str(tmp / "sources.yaml"),
            "mail": {"backend": "smtp", "trial": True,
                     "smtp": {"host": "127.0.0.1", "port": smtp_port}},
            "service": {"redis_url": f"redis://127.0.0.1:{redis_port}/0",
                        "dispatch_every_seconds": 2},
        }), encoding="utf-8")
        (tmp / "sources.yaml").write_text(json.dumps({"sources": [
            {"id": f"s{n}", "name": f"site {n}", "kind": "rss", "url": u,
             "category": "project" if n % 2 else "policy", "interval": 0.1}
            for n, u in enumerate(urls)]}), encoding="utf-8")
        engine = connect(url)
        migrate(engine)
        schedule = Schedule("weekly", due.time(), due.weekday(), "Asia/Shanghai")
        with engine.begin() as conn:
            people = [replace(s, id=None, schedule=schedule)
                      for s in subscribers(n_subscribers)]
            subscriber_rows.save_many(conn, people, started_at)
        env = {**os.environ, "RADAR_CONFIG": str(tmp / "radar.yaml"),
               "RADAR_SECRET_KEY": "bench", "PYTHONPATH": str(ROOT)}
        radar = [sys.executable, "-m", "worker.cli"]
        worker = stack.enter_context(running(
            [*radar, "worker", "--concurrency", "2"], tmp / "worker.log", env, tmp)).popen
        stack.enter_context(running([*radar, "beat"], tmp / "beat.log", env, tmp))
        peak: dict[int, float] = {}
        sent = expected = 0
        look = 0.0
        deadline = time.monotonic() + lead + 60 + max(300, n_subscribers // 50)
        while time.monotonic() < deadline:
            for pid in family(worker.pid):
                peak[pid] = max(peak.get(pid, 0.0), rss_mb(pid))
            # counted sparingly: at 100,000 subscribers the count of who has deliveries
            # scans 3.3 M rows (0.7 s of a core), and this runs beside what it measures
            if datetime.now(UTC) > due + timedelta(seconds=5) and time.monotonic() > look:
                with engine.connect() as conn:
                    sent = conn.scalar(sa.select(sa.func.count())
                                       .where(digests.c.state == "sent")) or 0
                    if not expected or sent >= expected:  # matching may have gone on
                        expected = conn.scalar(sa.select(sa.func.count(
                            sa.distinct(deliveries.c.subscriber_id)))) or 0
                if expected and sent >= expected:
                    break
                look = time.monotonic() + 2
            time.sleep(0.5)
        with engine.connect() as conn:
            phases = conn.execute(sa.select(
                sa.select(sa.func.max(items.c.first_seen_at)).scalar_subquery(),
                sa.select(sa.func.max(deliveries.c.created_at)).scalar_subquery(),
                sa.select(sa.func.count()).select_from(deliveries).scalar_subquery(),
                sa.select(sa.func.min(digests.c.created_at)).scalar_subquery(),
                sa.select(sa.func.max(digests.c.created_at)).scalar_subquery(),
                sa.select(sa.func.min(digests.c.sent_at)).scalar_subquery(),
                sa.select(sa.func.max(digests.c.sent_at)).scalar_subquery(),
            )).one()
        engine.dispose()
        if not sent:  # say why rather than print a row of nothing
            for log in ("worker.log", "beat.log"):
                print(f"--- {log}", *(tmp / log).read_text().splitlines()[-15:], sep="\n",
                      file=sys.stderr)
        size = mean_message_bytes(url, tmp / "sources.yaml") if sent else 0
        smtp_source_s = smtp_source(sent, smtp_port, size) if sent else None
    items_at, matched_at, n_deliveries, opened_first, opened_last, first_sent, last_sent = phases
    due_utc = due.astimezone(UTC)

    def since(a: datetime | None, b: datetime | None) -> float | None:
        return None if a is None or b is None else (b - a).total_seconds()

    pool = sorted(peak.items())
    return {
        "subscribers": n_subscribers, "items": n_feeds * per_feed, "sink": sink,
        "expected": expected, "sent": sent, "not_seen": expected - sent,
        "deliveries": n_deliveries, "lead_s": lead,
        "matched_before_due": matched_at is not None and matched_at < due_utc,
        "message_bytes": size, "smtp_source_s": smtp_source_s,
        "smtp_source_sessions": CONNECTIONS,
        "poll_and_match_s": since(started_at, matched_at),
        "items_stored_s": since(started_at, items_at),
        "open_s": since(opened_first, opened_last),
        "due_to_first_sent_s": since(due_utc, first_sent),
        "due_to_all_sent_s": since(due_utc, last_sent),
        "send_s": since(first_sent, last_sent),
        "worker_rss_mb": [round(mb) for _, mb in pool],
    }


if __name__ == "__main__":
    print(json.dumps(run(*(int(a) for a in sys.argv[1:5]))))
