"""Day-one mistakes of the operator, against real aiosmtpd servers: a relay that demands
AUTH when no credentials are set, a wrong password, a relay that refuses the From domain
(at MAIL FROM, or at RCPT as Postfix does by default), relaying denied. None of them is a
recipient's fault: sending stops for the round, every digest waits, no subscriber's bounce
count moves, `radar status` names the reason; once the mistake is fixed, everything goes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from tests.feedserver import FeedServer
from tests.reliability.inprocess import InProcess, instant
from tests.reliability.report import Outcome, deliveries, record
from tests.smtpserver import SmtpServer, serve_smtp
from worker.models import Source
from worker.status import Health, problems
from worker.store import conditions

# The AUTH relay speaks plain text on loopback; aiosmtpd warns about that, rightly elsewhere.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Requiring AUTH while not requiring TLS:UserWarning")
EVERYONE = [f"s{i}@example.com" for i in range(6)]
LOGIN = ("radar", "s3cret")


@dataclass(frozen=True)
class Mistake:
    name: str
    injected: str
    login: tuple[str, str] | None  # what the operator configured
    fixed_login: tuple[str, str] | None  # what they configure once they see the reason
    break_server: Callable[[SmtpServer], None] = lambda _: None
    fix_server: Callable[[SmtpServer], None] = lambda _: None
    relay_wants_auth: bool = False


def refuse_at_mail(answer: str) -> Callable[[SmtpServer], None]:
    return lambda server: server.handler.faults.mail.extend([answer] * 20)


def refuse_at_rcpt(answer: str) -> Callable[[SmtpServer], None]:
    def script(server: SmtpServer) -> None:
        for address in EVERYONE:
            server.handler.faults.script("rcpt", address, *[answer] * 20)
    return script


def clear_faults(server: SmtpServer) -> None:
    server.handler.faults.mail.clear()
    server.handler.faults.rcpt.clear()


MISTAKES = [
    Mistake("relay demands AUTH, no credentials set", "530 5.7.0 at MAIL FROM (aiosmtpd "
            "auth_required)", None, LOGIN, relay_wants_auth=True),
    Mistake("wrong SMTP password", "535 5.7.8 at AUTH (aiosmtpd authenticator)",
            ("radar", "wrong"), LOGIN, relay_wants_auth=True),
    Mistake("SMTP username set, the relay offers no AUTH", "EHLO without AUTH (aiosmtpd "
            "without an authenticator)", LOGIN, None),
    Mistake("relay refuses the From domain at MAIL FROM", "553 5.7.1 Sender address "
            "rejected: not owned by user", None, None,
            refuse_at_mail("553 5.7.1 <radar@localhost>: Sender address rejected: not "
                           "owned by user"), clear_faults),
    Mistake("relay refuses the sender at RCPT (Postfix smtpd_delay_reject)",
            "554 5.7.1 Sender address rejected at every RCPT", None, None,
            refuse_at_rcpt("554 5.7.1 <radar@localhost>: Sender address rejected: Access "
                           "denied"), clear_faults),
    Mistake("relaying denied", "554 5.7.1 Relay access denied at every RCPT", None, None,
            refuse_at_rcpt("554 5.7.1 Relay access denied"), clear_faults),
]


@pytest.fixture
def source(feed_server: FeedServer) -> Source:
    return Source("projects", "项目", "rss", feed_server.url("/feeds/projects.rss"), "project")


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.name)
def test_an_operator_mistake_costs_no_digest(mistake: Mistake, postgres_url: str,
                                             source: Source) -> None:
    with serve_smtp(LOGIN if mistake.relay_wants_auth else None) as server:
        mistake.break_server(server)
        radar = InProcess(postgres_url, server, [source], login=mistake.login)
        radar.subscribe(instant(*EVERYONE))
        first = radar.cycle()
        held = radar.digest_states()
        bounces = [radar.subscriber(e)[1] for e in EVERYONE]
        reasons = problems(Health([], {}, 0, 0, 30, None, _conditions(radar)),
                           radar.rt.settings.service)
        radar.rt.engine.dispose()

        mistake.fix_server(server)
        fixed = InProcess(postgres_url, server, [source], login=mistake.fixed_login)
        fixed.now = radar.now
        again = fixed.retry_until_settled()
        delivered, duplicated = deliveries(server.handler.messages)
        cleared = _conditions(fixed) == []
        fixed.rt.engine.dispose()
    outcome = record(Outcome(
        "SMTP", mistake.name, mistake.injected, len(EVERYONE), delivered, duplicated,
        others_carried_on=first.new_items > 0 and first.matches >= len(EVERYONE),
        note=f"first round: {dict(Counter(first.sent.outcomes.values()))}, "
             f"digests {dict(held)}, bounces {sum(bounces)}; radar status: "
             f"{'unhealthy, names the reason' if reasons else 'OK'}; after the fix all sent "
             f"in {again} round(s), condition cleared: {cleared}"))
    assert "failed" not in held and set(held) == {"pending"}
    assert set(first.sent.outcomes.values()) == {"refused"}
    assert bounces == [0] * len(EVERYONE)
    assert any("refuses to send for us" in r for r in reasons)
    assert outcome.lost == 0 and outcome.duplicated == 0 and cleared


def _conditions(radar: InProcess) -> list[conditions.Condition]:
    with radar.rt.engine.connect() as conn:
        return conditions.active(conn)


@pytest.fixture
def smtp_with_auth() -> Iterator[SmtpServer]:
    with serve_smtp(LOGIN) as server:
        yield server


def test_the_right_credentials_send_at_once(postgres_url: str, source: Source,
                                            smtp_with_auth: SmtpServer) -> None:
    """The AUTH server itself works: with the right login everything goes in one cycle."""
    radar = InProcess(postgres_url, smtp_with_auth, [source], login=LOGIN)
    radar.subscribe(instant(*EVERYONE))
    report = radar.cycle()
    radar.rt.engine.dispose()
    assert report.sent.count("sent") == len(EVERYONE)
    assert deliveries(smtp_with_auth.handler.messages) == (len(EVERYONE), 0)
