"""The chaos soak: `radar beat` and several `radar worker` processes on a private
PostgreSQL and Redis, while a driver keeps adding items and subscribers and, at random
moments, SIGKILLs a worker, restarts Redis or PostgreSQL, makes the SMTP server answer
421 / 451 / drop the connection, and jumps every process's clock across send times and
the March DST change. Then an invariant checker reads the database and the mailboxes.

SOAK_SECONDS (default 90: the CI version; `make soak` runs 20 minutes with 4 workers),
SOAK_WORKERS (default 2) and SOAK_SEED set the run.
"""

from __future__ import annotations

import os
import random
import re
import signal
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import sqlalchemy as sa

from tests.deployment import Service, deployed
from tests.feedserver import FeedServer
from tests.processes import (
    RADAR,
    PostgresServer,
    Process,
    private_postgres,
    supervised,
    wait_until,
)
from tests.reliability.report import Outcome, record
from tests.smtpserver import DROP, Received, SmtpServer

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "90"))
WORKERS = int(os.environ.get("SOAK_WORKERS", "2"))
SEED = int(os.environ.get("SOAK_SEED", "20261125"))
WARM = 20  # seconds: a worker's memory is measured from then (imports, pools, caches)
DISTRICTS = ("武清区", "宝坻区", "西青区", "津南区", "北辰区", "东丽区", "滨海新区", "静海区")
# Every process's clock: a Friday in Berlin's winter time, then just past the daily send
# time on Saturday (CET) and on Sunday (CEST, the day the clocks went forward), then Monday.
CLOCKS = ("2026-03-27T12:00:00+00:00", "2026-03-28T08:01:00+00:00",
          "2026-03-29T07:01:00+00:00", "2026-03-30T07:01:00+00:00")


FEED_WINDOW = 100  # items a feed shows, newest first, as real feeds do


def soak_feed(titles: list[str]) -> bytes:
    latest = list(enumerate(titles))[-FEED_WINDOW:][::-1]
    items = "".join(
        f"<item><title>{t}</title><link>/soak/{i}.html</link><guid>soak-{i}</guid>"
        f"<description>{t}。总投资{i + 1}亿元。</description></item>"
        for i, t in latest)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>soak</title><link>http://soak.test/</link>{items}</channel></rss>"
            ).encode()


@dataclass
class Driver:
    """What the soak did, for the report and the checker."""

    service: Service
    feeds: FeedServer
    smtp: SmtpServer
    pg: PostgresServer
    rng: random.Random
    workers: list[list[Process]] = field(default_factory=list)
    beat: list[Process] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    added_at: dict[str, float] = field(default_factory=dict)  # title → when it was published
    instant: dict[str, float] = field(default_factory=dict)  # address → when subscribed
    daily: list[str] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)
    clock: int = 0
    # worker pid → (monotonic time, RSS in kB) samples
    memory: dict[int, list[tuple[float, int]]] = field(default_factory=dict)

    def add_items(self, n: int = 3) -> None:
        for _ in range(n):
            title = (f"{self.rng.choice(DISTRICTS)}第{len(self.titles) + 1}号招商项目"
                     f"签约（浸泡测试{self.rng.randrange(10**6)}）")
            self.titles.append(title)
            self.added_at[title] = time.time()
        self.feeds.overrides["/feeds/soak.rss"] = soak_feed(self.titles)
        self.events["items added"] += n

    def add_subscribers(self) -> None:
        n = len(self.instant) + len(self.daily)
        district = self.rng.choice(DISTRICTS)
        rows = [f"  - {{email: i{n:03d}@example.com, categories: [project], frequency: instant}}",
                f"  - {{email: d{n + 1:03d}@example.com, districts: [{district}], "
                "frequency: daily, send_at: '09:00', timezone: Europe/Berlin}"]
        path = self.service.tmp / "more.yaml"
        path.write_text("subscribers:\n" + "\n".join(rows) + "\n", encoding="utf-8")
        if self.service.radar("subscribers", "import", str(path)).returncode != 0:
            self.events["subscriber imports refused (database down)"] += 1
            return
        self.instant[f"i{n:03d}@example.com"] = time.time()
        self.daily.append(f"d{n + 1:03d}@example.com")
        self.events["subscribers added"] += 2

    def kill_worker(self) -> None:
        running = [w[0] for w in self.workers if w]
        if running:
            self.rng.choice(running).stop(signal.SIGKILL)  # its supervisor restarts it
            self.events["worker SIGKILLed"] += 1

    def restart_redis(self) -> None:
        self.service.redis.stop()
        time.sleep(1)
        self.service.redis.start()
        self.events["Redis restarted"] += 1

    def restart_postgres(self) -> None:
        self.pg.stop()
        time.sleep(2)
        self.pg.start()
        self.events["PostgreSQL restarted"] += 1

    def smtp_faults(self) -> None:
        answers = self.rng.choice([["421 4.3.2 service shutting down"], [DROP],
                                   ["451 4.3.0 try again later"] * 3])
        self.smtp.handler.faults.mail.extend(answers)
        self.events["SMTP faults (421/451/drop)"] += len(answers)

    def jump_clock(self) -> None:
        """Every process restarts on the next clock (the supervisors read the env)."""
        self.clock += 1
        self.service.env["RADAR_NOW"] = CLOCKS[self.clock]
        for process in [*(w[0] for w in self.workers if w), *self.beat[:1]]:
            process.stop(signal.SIGTERM)
        self.events["clock jumps (send times, DST)"] += 1

    def sample_memory(self) -> None:
        for worker in self.workers:
            if worker and worker[0].popen.poll() is None:
                pid = worker[0].popen.pid
                self.memory.setdefault(pid, []).append((time.monotonic(), group_rss_kb(pid)))

    def growth_mb(self) -> list[float]:
        """Each worker's RSS growth from WARM seconds after its start to its last sample."""
        out = []
        for samples in self.memory.values():
            warm = [rss for t, rss in samples if t >= samples[0][0] + WARM]
            if len(warm) >= 2:
                out.append((warm[-1] - warm[0]) / 1024)
        return out


def group_rss_kb(pgid: int) -> int:
    """Resident memory of a worker and its pool (its process group), in kB."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                status = (stat.parent / "status").read_text()
                total += int(status.split("VmRSS:")[1].split()[0])
    return total


def start_supervised(driver: Driver, stack: ExitStack) -> None:
    service = driver.service
    for i in range(WORKERS):
        driver.workers.append(stack.enter_context(supervised(
            [*RADAR, "worker", "--concurrency", "1", "-n", f"soak{i}@%h"],
            service.tmp / f"worker-{i}.log", service.env, service.tmp)))
    driver.beat = stack.enter_context(supervised([*RADAR, "beat"], service.tmp / "beat.log",
                                                 service.env, service.tmp))


def drive(driver: Driver, seconds: float) -> None:
    """Random events until the time is up; the clock jumps at even intervals."""
    actions: list[tuple[float, Callable[[], None]]] = [
        (6, driver.add_items), (1.5, driver.add_subscribers), (1, driver.kill_worker),
        (0.4, driver.restart_redis), (0.3, driver.restart_postgres), (1, driver.smtp_faults)]
    started = time.monotonic()
    jumps_at = [seconds * k / (len(CLOCKS) - 1) for k in range(1, len(CLOCKS) - 1)]
    while (elapsed := time.monotonic() - started) < seconds:
        if jumps_at and elapsed >= jumps_at[0]:
            jumps_at.pop(0)
            driver.jump_clock()
        weights = [w for w, _ in actions]
        driver.rng.choices([a for _, a in actions], weights)[0]()
        driver.sample_memory()
        time.sleep(driver.rng.uniform(0.5, 2.5))


@dataclass(frozen=True)
class Findings:
    expected: int  # (subscriber, item) deliveries the database recorded
    not_stored: int  # items the driver published that the database never stored
    undelivered: int  # still not delivered after the settle time
    received: int  # distinct (recipient, title) pairs that reached the SMTP server
    capped: int  # counted in a mail but not listed: over digest.max_items (by design)
    missing: int  # recorded, never listed, and not explained by a cap
    resent: int  # the same digest (Message-ID) accepted twice: the accept-then-crash window
    doubled: int  # one item in two different mails to one subscriber: never allowed
    stuck: int  # digests in `sending` past their lease, or pending, at the end
    failed: int  # digests failed for good
    max_delay: float  # seconds from an item's publication to its instant alert


_TOTAL = re.compile(r"有 (\d+) 条符合您订阅条件的新内容")


def titles_in(message: EmailMessage) -> tuple[list[str], int]:
    """The titles a mail lists, and how many more it counts without listing them (a mail
    lists the newest `digest.max_items` and says how many there are)."""
    body = message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    titles = [line[2:].strip() for line in text.splitlines() if line.startswith("* ")]
    total = _TOTAL.search(text)
    return titles, max(0, int(total[1]) - len(titles)) if total else 0


def check(driver: Driver, database_url: str) -> Findings:
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        recorded = {(r.email, r.title) for r in conn.execute(sa.text(
            "SELECT s.email, i.title FROM deliveries d JOIN subscribers s ON s.id = "
            "d.subscriber_id JOIN items i ON i.id = d.item_id"))}
        undelivered = conn.scalar(sa.text(
            "SELECT count(*) FROM deliveries WHERE delivered_at IS NULL")) or 0
        stored = set(conn.scalars(sa.text("SELECT title FROM items")))
        states: dict[str, int] = dict(conn.execute(sa.text(
            "SELECT state, count(*) FROM digests GROUP BY state")).all())
    engine.dispose()
    seen: dict[tuple[str, str], set[str]] = {}  # (recipient, title) → Message-IDs
    copies: Counter[tuple[str, str]] = Counter()
    first: dict[tuple[str, str], Received] = {}
    capped: Counter[str] = Counter()  # recipient → items counted but not listed
    counted_mails: set[str] = set()
    for received in driver.smtp.handler.messages:
        titles, unlisted = titles_in(received.message)
        for recipient in received.recipients:
            if (mail := f"{recipient} {received.message['Message-ID']}") not in counted_mails:
                counted_mails.add(mail)  # a mail accepted twice counts its cap once
                capped[recipient] += unlisted
            for title in titles:
                key = (recipient, title)
                seen.setdefault(key, set()).add(str(received.message["Message-ID"]))
                copies[key] += 1
                first.setdefault(key, received)
    delays = [first[(r, t)].at - driver.added_at[t] for (r, t) in first
              if r in driver.instant and t in driver.added_at
              and driver.instant[r] < driver.added_at[t]]
    not_listed = Counter(r for r, _ in recorded - set(seen))
    return Findings(
        expected=len(recorded), not_stored=len(set(driver.titles) - stored),
        undelivered=int(undelivered), received=len(seen),
        capped=sum(min(n, capped[r]) for r, n in not_listed.items()),
        missing=sum(max(0, n - capped[r]) for r, n in not_listed.items()),
        resent=sum(n - 1 for k, n in copies.items() if len(seen[k]) == 1),
        doubled=sum(1 for ids in seen.values() if len(ids) > 1),
        stuck=states.get("sending", 0) + states.get("pending", 0),
        failed=states.get("failed", 0), max_delay=max(delays, default=0.0))


def settle(driver: Driver, database_url: str, timeout: float) -> None:
    """No more faults; the clock jumps past the next send time; wait until all is out."""
    driver.jump_clock()

    def done() -> bool:
        try:
            found = check(driver, database_url)
        except sa.exc.OperationalError:
            return False
        return found.undelivered == 0 and found.stuck == 0

    wait_until(done, timeout, "every recorded delivery delivered")
    time.sleep(3)  # a few more dispatch rounds: a duplicate would show up now


def summary(driver: Driver, found: Findings, growth: list[float]) -> str:
    memory = (f"worker memory grew at most {max(growth):.0f} MB after warming up "
              f"({len(growth)} workers measured)" if growth else "no worker lived long enough "
              "to measure its memory")
    return (f"{len(driver.titles)} items, {len(driver.instant) + len(driver.daily)} "
            f"subscribers; {found.capped} items counted but not listed in mails over "
            f"digest.max_items; {found.resent} mails resent in the accept-then-crash window, "
            f"{found.doubled} items in two mails, {found.stuck} digests stuck, "
            f"{found.failed} failed; slowest instant alert {found.max_delay:.0f} s after "
            f"publication; {memory}")


def test_chaos_soak(tmp_path: Path, feed_server: FeedServer, smtp_server: SmtpServer) -> None:
    with private_postgres() as pg, deployed(tmp_path, pg.url, feed_server,
                                            smtp_server) as service, ExitStack() as stack:
        (service.tmp / "sources.yaml").write_text(
            "sources:\n  - {id: soak, name: 浸泡, kind: rss, "
            f"url: '{feed_server.url('/feeds/soak.rss')}', category: project, "
            "interval: 0.05, backfill_days: 100000}\n", encoding="utf-8")
        service.env["RADAR_NOW"] = CLOCKS[0]
        driver = Driver(service, feed_server, smtp_server, pg, random.Random(SEED))
        driver.add_items()
        for _ in range(3):
            driver.add_subscribers()
        start_supervised(driver, stack)
        drive(driver, SOAK_SECONDS)
        driver.sample_memory()
        settle(driver, pg.url, timeout=180)
        found = check(driver, pg.url)
    growth = driver.growth_mb()
    injected = ", ".join(f"{n} {what}" for what, n in sorted(driver.events.items()))
    record(Outcome(
        "service", f"chaos soak: {SOAK_SECONDS:g} s, {WORKERS} workers, beat", injected,
        found.expected, found.expected - found.missing, found.resent + found.doubled,
        others_carried_on=found.missing == 0 and found.stuck == 0,
        note=summary(driver, found, growth)))
    assert found.not_stored == 0  # every item the source gave was stored
    assert found.undelivered == 0 and found.missing == 0 and found.stuck == 0
    assert found.doubled == 0  # only a resend of one whole mail can repeat an item
    assert found.failed == 0
    assert found.expected > 0 and driver.events["worker SIGKILLed"] + driver.events[
        "clock jumps (send times, DST)"] > 0
    assert max(growth, default=0) < 150  # MB: flat, give or take the imports it warms up
