"""Several `radar worker` processes on one PostgreSQL database: they share the sending
without a digest going out twice, and four send a round faster than one."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.deployment import deployed, instant_subscribers
from tests.feedserver import FeedServer
from tests.processes import wait_until
from tests.reliability.report import Outcome, deliveries, record
from tests.services import fresh_postgres_database
from tests.smtpserver import serve_smtp

DIGESTS = 120
SMTP_DELAY = 0.05  # seconds per recipient: a relay across a network, not loopback


def send_round(tmp: Path, feeds: FeedServer, workers: int) -> tuple[float, int, int]:
    """(seconds from the first accepted digest to the last, delivered, duplicated)."""
    tmp.mkdir()
    with fresh_postgres_database() as url, serve_smtp() as smtp, \
            deployed(tmp, url, feeds, smtp) as service:
        smtp.handler.rcpt_delay = SMTP_DELAY
        service.subscribe(instant_subscribers(DIGESTS))
        for i in range(workers):
            service.start("worker", f"worker-{i}", "--concurrency", "1", "-n", f"w{i}@%h")
        service.start("beat", "beat")
        wait_until(lambda: len(set(smtp.handler.recipients())) >= DIGESTS, 180,
                   f"{DIGESTS} digests")
        time.sleep(3)  # more dispatch rounds: a second copy would show up now
        times = [m.at for m in smtp.handler.messages]
        delivered, duplicated = deliveries(smtp.handler.messages)
    return max(times) - min(times), delivered, duplicated


def test_four_workers_share_the_sending(tmp_path: Path, feed_server: FeedServer) -> None:
    one, one_delivered, one_duplicated = send_round(tmp_path / "one", feed_server, 1)
    four, delivered, duplicated = send_round(tmp_path / "four", feed_server, 4)
    record(Outcome(
        "service", "four workers on one database", f"{DIGESTS} digests due at once, a relay "
        f"taking {SMTP_DELAY * 1000:.0f} ms per recipient", DIGESTS, delivered, duplicated,
        others_carried_on=one_delivered == DIGESTS and one_duplicated == 0,
        note=f"1 worker sent them in {one:.1f} s, 4 workers in {four:.1f} s "
             f"({one / four:.1f}× on this machine's {os.cpu_count()} cores); no digest "
             "claimed twice"))
    assert one_delivered == delivered == DIGESTS
    assert one_duplicated == duplicated == 0
    assert four < one  # the batches went out side by side
