"""district-radar run in-process on a real store, real loopback feeds and a real SMTP
server, with a clock the test moves forward so retries happen without waiting."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import NOW
from tests.smtpserver import SmtpServer
from worker.config import FetchSettings, MailSettings, ServiceSettings, Settings, SmtpSettings
from worker.models import Source
from worker.pipeline.cycle import CycleReport, run_cycle
from worker.pipeline.deliver import send_pending
from worker.runtime import Runtime, build_runtime
from worker.store import subscribers as subscriber_rows
from worker.store.tables import digests, subscribers
from worker.subscribers_io import read_subscribers

RETRY_MAX = timedelta(seconds=300)


class InProcess:
    def __init__(self, database_url: str, smtp: SmtpServer, sources: list[Source],
                 smtp_timeout: float = 1.0, fetch: FetchSettings | None = None,
                 login: tuple[str, str] | None = None) -> None:
        username, password = login or (None, None)
        settings = Settings(
            database_url=database_url,
            sources_file=Path("reliability-sources.yaml"),
            mail=MailSettings(backend="smtp", send_lease_minutes=1, smtp=SmtpSettings(
                host=smtp.host, port=smtp.port, timeout_seconds=smtp_timeout,
                username=username, password=password)),
            service=ServiceSettings(retry_base_seconds=30,
                                    retry_max_seconds=RETRY_MAX.total_seconds()),
            fetch=fetch or FetchSettings(timeout_seconds=1),
            ops_email="ops@radar.test",
        )
        self.rt: Runtime = build_runtime(settings, sources)
        self.now: datetime = NOW

    def subscribe(self, yaml_rows: str) -> None:
        good, bad = read_subscribers("subscribers:\n" + yaml_rows, "subscribers.yaml",
                                     self.rt.gazetteer)
        assert not bad, bad
        with self.rt.engine.begin() as conn:
            subscriber_rows.save_many(conn, good, self.now)

    def cycle(self) -> CycleReport:
        return asyncio.run(run_cycle(self.rt, self.now))

    def retry_until_settled(self, rounds: int = 12) -> int:
        """Move the clock past every backoff and send again until nothing is left to send;
        returns the rounds it took."""
        for n in range(1, rounds + 1):
            self.now += RETRY_MAX + timedelta(minutes=2)  # past the backoff and the lease
            if not asyncio.run(send_pending(self.rt, self.now)).outcomes:
                return n
        raise AssertionError(f"digests still sendable after {rounds} retry rounds")

    def digest_states(self) -> Counter[str]:
        with self.rt.engine.connect() as conn:
            return Counter(conn.scalars(sa.select(digests.c.state)))

    def subscriber(self, email: str) -> tuple[str, int]:
        """(status, hard bounces)."""
        with self.rt.engine.connect() as conn:
            row = conn.execute(sa.select(subscribers.c.status, subscribers.c.hard_bounces)
                               .where(subscribers.c.email == email)).one()
        return str(row.status), int(row.hard_bounces)


def instant(*emails: str, categories: str = "[project]") -> str:
    return "".join(f"  - {{email: {e}, categories: {categories}, frequency: instant}}\n"
                   for e in emails)
