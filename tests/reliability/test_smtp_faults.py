"""SMTP faults, against a real aiosmtpd server on loopback and the PostgreSQL store.

Six subscribers each get one instant alert. A fault is injected for some of them (or for
whoever comes first); the clock then moves past every backoff until nothing is left to send.
Temporary faults must end in delivery, permanent ones in a recorded failure, and nobody
else may notice anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from tests.feedserver import FeedServer
from tests.reliability.inprocess import InProcess, instant
from tests.reliability.report import Outcome, deliveries, record
from tests.smtpserver import DROP, SmtpServer
from worker.models import Source

EVERYONE = [f"s{i}@example.com" for i in range(6)]
TARGET = EVERYONE[2]


@pytest.fixture
def deployment(postgres_url: str, feed_server: FeedServer,
               smtp_server: SmtpServer) -> Iterator[InProcess]:
    source = Source("projects", "项目", "rss", feed_server.url("/feeds/projects.rss"), "project")
    radar = InProcess(postgres_url, smtp_server, [source])
    radar.subscribe(instant(*EVERYONE))
    yield radar
    radar.rt.engine.dispose()


@dataclass(frozen=True)
class Temporary:
    name: str
    stage: str  # "mail" (whoever comes next), "rcpt" or "data" (TARGET only)
    answers: tuple[Any, ...]
    then_data: tuple[Any, ...] = ()  # and these at TARGET's next DATA


TEMPORARY = [
    Temporary("421 service closing at MAIL FROM", "mail", ("421 4.3.2 shutting down",) * 2),
    Temporary("451 at RCPT", "rcpt", ("451 4.3.0 try again later",) * 3),
    Temporary("452 at RCPT and at DATA", "rcpt", ("452 4.2.2 mailbox full",),
              ("452 4.3.1 insufficient system storage",)),
    Temporary("452 at DATA", "data", ("452 4.3.1 insufficient system storage",) * 2),
    Temporary("connection dropped after DATA", "data", (DROP,)),
    Temporary("server slower than the 1 s timeout (RCPT after 2 s)", "rcpt", (("slow", 2.0),)),
]


def describe(answer: Any) -> str:
    if isinstance(answer, tuple):
        return f"a {answer[1]:g} s pause"
    return "connection closed" if answer == DROP else str(answer)


@pytest.mark.parametrize("fault", TEMPORARY, ids=lambda f: f.name)
def test_temporary_smtp_failures_are_delivered_later(
    fault: Temporary, deployment: InProcess, smtp_server: SmtpServer
) -> None:
    faults = smtp_server.handler.faults
    if fault.stage == "mail":
        faults.mail.extend(fault.answers)
    else:
        faults.script(fault.stage, TARGET, *fault.answers)
    faults.script("data", TARGET, *fault.then_data)

    first = deployment.cycle()
    deferred_first = first.sent.count("deferred")
    delivered_first, _ = deliveries(smtp_server.handler.messages)
    rounds = deployment.retry_until_settled()
    delivered, duplicated = deliveries(smtp_server.handler.messages)
    outcome = record(Outcome(
        "SMTP", fault.name, f"{len(fault.answers)} × {describe(fault.answers[0])} at "
        f"{fault.stage.upper()}", len(EVERYONE),
        delivered, duplicated,
        others_carried_on=delivered_first == len(EVERYONE) - deferred_first >= 4,
        note=f"{deferred_first} deferred, delivered after {rounds} retry round(s)"))
    assert deferred_first >= 1, "the fault was not injected"
    assert outcome.lost == 0 and outcome.duplicated == 0
    assert outcome.others_carried_on
    assert deployment.digest_states() == {"sent": len(EVERYONE)}


@pytest.mark.parametrize("code", ["550 5.1.1 mailbox unavailable", "553 5.1.3 bad address"])
def test_permanent_rejection_is_recorded_and_the_subscriber_flagged(
    code: str, deployment: InProcess, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.faults.script("rcpt", TARGET, *[code] * 5)
    deployment.cycle()
    deployment.retry_until_settled()
    others = [e for e in EVERYONE if e != TARGET]
    delivered, duplicated = deliveries(smtp_server.handler.messages, others)
    status, bounces = deployment.subscriber(TARGET)
    states = deployment.digest_states()
    outcome = record(Outcome(
        "SMTP", f"{code[:3]} for one recipient", f"{code} at every RCPT to it",
        len(others), delivered, duplicated, others_carried_on=delivered == len(others),
        note=f"its digest: failed, not retried; subscriber {status} with {bounces} "
             "hard bounce (suspended at 3)"))
    assert states == {"sent": len(others), "failed": 1}
    assert bounces == 1 and len(smtp_server.handler.refusals) == 1  # tried once, no retry
    assert outcome.lost == 0 and outcome.duplicated == 0 and outcome.others_carried_on


def one_story_feed(n: int) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>项目</title><link>https://invest.test/</link><item><title>武清区第{n}批重点项目集中签约</title>
<link>https://invest.test/story/{n}</link><pubDate>Mon, 28 Jul 2025 0{n}:00:00 +0800</pubDate>
</item></channel></rss>""".encode()


def test_three_rejections_suspend_the_subscriber(
    deployment: InProcess, smtp_server: SmtpServer, feed_server: FeedServer
) -> None:
    smtp_server.handler.faults.script("rcpt", TARGET, *["550 5.1.1 no such user"] * 5)
    for n in range(1, 5):  # a new story each time: one alert per subscriber per cycle
        feed_server.overrides["/feeds/projects.rss"] = one_story_feed(n)
        deployment.now += timedelta(minutes=10)
        deployment.cycle()
    others = [e for e in EVERYONE if e != TARGET]
    delivered, duplicated = deliveries(smtp_server.handler.messages, others)
    status, bounces = deployment.subscriber(TARGET)
    outcome = record(Outcome(
        "SMTP", "550 for the same recipient in 3 cycles", "550 at every RCPT to it",
        4 * len(others), delivered, duplicated, others_carried_on=delivered == 4 * len(others),
        note=f"subscriber {status} after {bounces} hard bounces; 4th alert not attempted"))
    assert (status, bounces) == ("suspended", 3)
    assert len(smtp_server.handler.refusals) == 3
    assert outcome.lost == 0 and outcome.duplicated == 0 and outcome.others_carried_on


def test_server_down_then_back(deployment: InProcess, smtp_server: SmtpServer) -> None:
    smtp_server.stop()
    first = deployment.cycle()
    smtp_server.start()
    rounds = deployment.retry_until_settled()
    delivered, duplicated = deliveries(smtp_server.handler.messages)
    outcome = record(Outcome(
        "SMTP", "server down during a cycle (simulated clock)", "connection refused",
        len(EVERYONE), delivered, duplicated,
        others_carried_on=first.new_items > 0 and first.matches >= len(EVERYONE),
        note="one connection attempt per session, then the batch waited; polling and "
             "matching went on; "
             f"sent after {rounds} retry round(s)"))
    assert set(first.sent.outcomes.values()) == {"unreachable"}
    assert len(first.sent.outcomes) <= deployment.rt.settings.mail.connections
    assert outcome.lost == 0 and outcome.duplicated == 0 and outcome.others_carried_on


def test_accept_then_timeout_is_the_one_duplicate_window(deployment: InProcess,
                                                         smtp_server: SmtpServer) -> None:
    # The server takes the message, then its "250" comes after our timeout: we cannot know
    # it was accepted, so we send again. At-least-once delivery: one duplicate, none lost.
    smtp_server.handler.faults.script("data", TARGET, ("slow", 2.0))
    deployment.cycle()
    deployment.retry_until_settled()
    delivered, duplicated = deliveries(smtp_server.handler.messages)
    outcome = record(Outcome(
        "SMTP", "250 after DATA later than the timeout", "2 s delay before the 250, 1 s "
        "timeout", len(EVERYONE), delivered, duplicated, others_carried_on=True,
        note="the accept-then-crash window: the copy has the same Message-ID"))
    assert outcome.lost == 0 and outcome.duplicated == 1
