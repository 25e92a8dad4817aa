"""Feed-server faults and hostile feed content, in-process against real loopback servers.

Each scenario polls one healthy source (three subscribers get an alert from it) next to
one faulty source. The faulty one must be recorded and contained, within bounded time,
and the healthy one's alerts must go out as if nothing happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.feedserver import FEEDS, FeedServer
from tests.reliability.inprocess import InProcess, instant
from tests.reliability.report import Outcome, deliveries, record
from tests.smtpserver import SmtpServer
from worker.models import Source
from worker.pipeline.cycle import CycleReport
from worker.store.tables import items, sources

READERS = ["r0@example.com", "r1@example.com", "r2@example.com"]  # of the healthy source
CYCLE_LIMIT = 10.0  # seconds: the fetch timeout is 1 s, the whole exchange 2 s


@dataclass(frozen=True)
class Fault:
    name: str
    path: str  # on the feed server; "https:" prefix for the TLS case
    expect: str  # what the faulty source's poll must report: an error text, or "items"
    setup: Callable[[FeedServer], None] = lambda server: None


def _serve(path: str, body: bytes, content_type: str | None = None
           ) -> Callable[[FeedServer], None]:
    def setup(server: FeedServer) -> None:
        server.overrides[path] = body
        if content_type:
            server.content_types[path] = content_type
    return setup


GBK = (FEEDS / "baodi-gbk.rss").read_bytes()

def rss(items_xml: str) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>政策</title>{items_xml}</channel></rss>").encode()


def numbered(count: int) -> str:
    return "".join(f"<item><title>武清区第{n}号政策</title><link>https://gov.test/n/{n}"
                   "</link></item>" for n in range(count))


CUT_OFF = rss(numbered(20))[:1000]  # ends in the middle of an item

FAULTS = [
    Fault("HTTP 500", "/status/500", "HTTP 500"),
    Fault("HTTP 503 with Retry-After", "/status/503", "HTTP 503"),
    Fault("HTTP 429", "/status/429", "HTTP 429"),
    Fault("HTTP 404", "/status/404", "HTTP 404"),
    Fault("HTTP 410", "/status/410", "HTTP 410"),
    Fault("no answer (timeout)", "/hang", "timed out"),
    Fault("slow drip", "/drip", "timed out"),
    Fault("50 MB body", "/huge", "cap"),
    Fault("redirect loop", "/loop", "redirect"),
    Fault("TLS failure (https to a plain HTTP port)", "https:/feeds/projects.rss", "SSL"),
    Fault("empty body", "/feeds/empty.rss", "not", _serve("/feeds/empty.rss", b"")),
    Fault("HTML served as a feed", "/feeds/page.rss", "not",
          _serve("/feeds/page.rss", (FEEDS / "not-a-feed.html").read_bytes(), "text/html")),
    Fault("truncated XML", "/feeds/cut.rss", "items", _serve("/feeds/cut.rss", CUT_OFF)),
    Fault("wrong charset (GBK bytes, header says UTF-8)", "/feeds/wrong.rss", "items",
          _serve("/feeds/wrong.rss", GBK.replace(b'encoding="gbk"', b""),
                 "application/rss+xml; charset=utf-8")),
    Fault("missing charset (GBK, declared nowhere)", "/feeds/bare.rss", "items",
          _serve("/feeds/bare.rss", GBK.replace(b'encoding="gbk"', b""))),
]


@pytest.fixture
def make_deployment(postgres_url: str, feed_server: FeedServer, smtp_server: SmtpServer
                    ) -> Iterator[Callable[[str, str], InProcess]]:
    made: list[InProcess] = []

    def make(bad_url: str, kind: str = "rss") -> InProcess:
        radar = InProcess(postgres_url, smtp_server, [
            Source("projects", "项目", "rss", feed_server.url("/feeds/projects.rss"),
                   "project"),
            Source("bad", "出错的源", kind, bad_url, "policy"),
        ])
        radar.subscribe(instant(*READERS))
        made.append(radar)
        return radar

    yield make
    for radar in made:
        radar.rt.engine.dispose()


def timed_cycle(radar: InProcess) -> tuple[CycleReport, float]:
    started = time.monotonic()
    report = radar.cycle()
    return report, time.monotonic() - started


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_a_broken_feed_is_contained(fault: Fault, make_deployment: Callable[[str], InProcess],
                                    feed_server: FeedServer, smtp_server: SmtpServer) -> None:
    fault.setup(feed_server)
    url = feed_server.url(fault.path.removeprefix("https:"))
    if fault.path.startswith("https:"):
        url = url.replace("http://", "https://")
    radar = make_deployment(url)
    report, seconds = timed_cycle(radar)
    bad = next(p for p in report.polls if p.source_id == "bad")
    delivered, duplicated = deliveries(smtp_server.handler.messages, READERS)
    with radar.rt.engine.connect() as conn:
        stored = conn.scalar(sa.select(sa.func.count()).where(items.c.source_id == "bad"))
        gone = conn.scalar(sa.select(sources.c.gone_since).where(sources.c.id == "bad"))
    ops = smtp_server.handler.to("ops@radar.test")
    outcome_text = f"{bad.error}" if bad.error else f"{stored} items stored"
    if gone is not None:
        outcome_text += f"; marked gone, {len(ops)} mail to ops"
    if bad.retry_after:
        outcome_text += f"; retry after {bad.retry_after:g} s"
    outcome = record(Outcome("feed", fault.name, fault.path, len(READERS), delivered,
                             duplicated, others_carried_on=delivered == len(READERS),
                             note=f"{outcome_text} ({seconds:.1f} s)"))
    assert outcome.lost == 0 and outcome.duplicated == 0 and outcome.others_carried_on
    assert seconds < CYCLE_LIMIT
    if fault.expect == "items":
        assert bad.error is None and stored
        with radar.rt.engine.connect() as conn:
            titles = list(conn.scalars(sa.select(items.c.title)
                                       .where(items.c.source_id == "bad")))
        assert all("\ufffd" not in t for t in titles), titles  # decoded, not mojibake
    else:
        assert bad.error is not None and fault.expect.lower() in bad.error.lower(), bad.error
    assert (gone is not None) == fault.name.startswith(("HTTP 404", "HTTP 410"))
    if gone is not None:
        assert len(ops) == 1 and "gone" in str(ops[0]["Subject"])
        radar.cycle()  # still gone: ops are not told twice
        assert len(smtp_server.handler.to("ops@radar.test")) == 1


HOSTILE_ITEMS = "".join([
    "<item><title>&lt;script&gt;alert(1)&lt;/script&gt;武清区发布人才引进新政</title>"
    "<link>https://gov.test/1</link><description>&lt;p style=\"position:fixed;top:0\"&gt;"
    "全屏遮罩&lt;/p&gt;&lt;style&gt;body{display:none}&lt;/style&gt;&lt;img "
    "src=\"https://tracker.test/pixel.gif\" width=\"1\" height=\"1\"&gt;&lt;a "
    "href=\"javascript:alert(2)\"&gt;点这里&lt;/a&gt;</description></item>",
    "<item><title>武清区出台科技企业扶持办法</title><link>javascript:alert(3)</link></item>",
    "<item><title>武清区制造业奖补实施细则</title><link>data:text/html;base64,PHNjcmlwdD4=</link></item>",
    "<item><title>武清区\x07物流园区\u202e优惠政策\u202c</title><link>https://gov.test/4</link>"
    "</item>",
    f"<item><title>武清区数字经济专项资金申报{'长' * 1_000_000}</title><link>https://gov.test/5</link>"
    "</item>",
])
XXE = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       '<rss version="2.0"><channel><item><title>&xxe;</title><link>https://gov.test/x'
       '</link></item></channel></rss>')
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'
                    for n in range(1, 10))
          + ']><rss version="2.0"><channel><item><title>&lol9;</title>'
          '<link>https://gov.test/l</link></item></channel></rss>')


HOSTILE = {
    "script, javascript:/data: links, CSS tricks, tracking pixel, controls, RTL override, "
    "1 MB title": rss(HOSTILE_ITEMS),
    "10,000-item feed": rss(numbered(10_000)),
    "external entity (XXE)": XXE.encode(),
    "billion laughs": LAUGHS.encode(),
}
FORBIDDEN = ["<script", "javascript:", "data:text", "tracker.test", "position:fixed",
             "display:none", "\u202e", "\x07", "/etc/passwd", "root:"]


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_content_is_bounded_and_escaped(
    name: str, make_deployment: Callable[[str], InProcess], feed_server: FeedServer,
    smtp_server: SmtpServer
) -> None:
    feed_server.overrides["/feeds/hostile.rss"] = HOSTILE[name]
    radar = make_deployment(feed_server.url("/feeds/hostile.rss"))
    radar.subscribe(instant("watcher@example.com", categories="[policy]"))
    before = reset_peak_rss()
    report, seconds = timed_cycle(radar)
    grew = peak_rss() - before
    bad = next(p for p in report.polls if p.source_id == "bad")
    delivered, duplicated = deliveries(smtp_server.handler.messages, READERS)
    mails = smtp_server.handler.to("watcher@example.com")
    raw = [m.as_string() for m in mails]
    texts = [part.get_content() for m in mails for part in m.walk()
             if part.get_content_type() in ("text/plain", "text/html")]
    found = sorted({bad_text for bad_text in FORBIDDEN for text in texts if bad_text in text})
    largest = max((len(r) for r in raw), default=0)
    outcome = record(Outcome(
        "content", name, "/feeds/hostile.rss", len(READERS), delivered, duplicated,
        others_carried_on=delivered == len(READERS),
        note=(f"refused: {bad.error}" if bad.error else
              f"{bad.new_items} items, {len(mails)} alert(s) of {largest // 1024} KB")
             + f"; {seconds:.1f} s, peak RSS +{grew:.0f} MB"
             + (f"; UNESCAPED: {found}" if found else "; nothing unsafe in the mail")))
    assert outcome.lost == 0 and outcome.duplicated == 0 and outcome.others_carried_on
    assert not found
    assert seconds < CYCLE_LIMIT and grew < 200
    assert largest < 500_000  # the 1 MB title was cut
    if "entit" in name.lower() or "laughs" in name:
        assert bad.error is not None and "entities" in bad.error


def peak_rss() -> float:
    """This process's peak resident set size since the last reset, in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc/self/status")


def reset_peak_rss() -> float:
    """Start measuring the peak afresh (clear_refs "5"); returns the current RSS in MB."""
    Path("/proc/self/clear_refs").write_text("5")
    return peak_rss()
