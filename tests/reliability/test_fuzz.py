"""Fuzzing the parsers that read untrusted bytes: feeds, HTML list pages, subscriber files.

The property is the same for each: the result is usable items (clean titles, http(s)
links) or rows, or our own error naming the source or file; never another exception.
CI runs a fixed budget; FUZZ_EXAMPLES=5000 make chaos runs longer.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.report import Outcome, record
from worker.districts import Gazetteer
from worker.errors import ParseError
from worker.models import HtmlSelectors, Item, Source
from worker.sources.encoding import decode_html
from worker.sources.feed import parse_feed
from worker.sources.html import parse_list_page
from worker.subscribers_io import read_subscribers

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
NOW = datetime(2025, 7, 28, 1, 0, tzinfo=UTC)
GAZETTEER = Gazetteer.tianjin()
FEED = Source("fuzz", "fuzz", "rss", "http://fuzz.test/feed", "project")
PAGE = Source("page", "page", "html", "http://fuzz.test/list", "policy",
              html=HtmlSelectors(item="li", title="a", link="a", date="span",
                                 next_page="a.next"))
BUDGET = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow])
RUNS: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def report_the_fuzz_run() -> Iterator[None]:
    """One report row for the properties this run exercised (however many were selected)."""
    yield
    if RUNS:
        record(Outcome("fuzz", "feed, HTML list and importer parsers (hypothesis)",
                       f"{EXAMPLES} examples × {len(RUNS)} properties", 0, 0, 0,
                       others_carried_on=True,
                       note=f"{sum(RUNS.values())} inputs, no exception other than "
                            "ParseError / SubscriberError: "
                            + ", ".join(f"{k} {v}" for k, v in RUNS.items())))

# Text that exercises the interesting parts: Chinese, markup, entities, controls, bidi.
_PIECES = [*"武清区宝坻滨海新区招商项目政策通知第一批12 <>&;\"'/=#:", "&amp;", "&#0;",
           "&#x202e;", "\x00", "\x07", "\u202e", "\r\n", "javascript:", "<script>", "]]>",
           "<![CDATA[", "&lol;", "\ufeff", "\U0001f600", "http://a.test/", "2025-07-28"]
nasty_text = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)


def check_items(items: list[Item]) -> None:
    for item in items:
        assert item.title and len(item.title) <= 500
        assert not any(c in item.title for c in "\x00\x07\u202e\r\n")
        assert item.url.startswith(("http://", "https://"))


def parse_or_refuse(call: object, *args: object) -> list[Item]:
    try:
        return call(*args)  # type: ignore[operator, no-any-return]
    except ParseError as e:
        assert e.source_id in ("fuzz", "page")
        return []


@given(st.binary(max_size=2000))
@BUDGET
def test_feed_parser_on_arbitrary_bytes(body: bytes) -> None:
    RUNS["feed bytes"] = RUNS.get("feed bytes", 0) + 1
    check_items(parse_or_refuse(parse_feed, FEED, body, FEED.url, "application/rss+xml",
                                GAZETTEER, NOW))


@given(st.lists(st.tuples(nasty_text, nasty_text, nasty_text, nasty_text), max_size=5),
       st.sampled_from(["rss", "atom"]))
@BUDGET
def test_feed_parser_on_feed_shaped_input(entries: list[tuple[str, str, str, str]],
                                          kind: str) -> None:
    RUNS["feed shaped"] = RUNS.get("feed shaped", 0) + 1
    if kind == "rss":
        body = "<rss version='2.0'><channel>" + "".join(
            f"<item><title>{t}</title><link>{link}</link><description>{d}</description>"
            f"<pubDate>{date}</pubDate></item>" for t, link, d, date in entries
        ) + "</channel></rss>"
    else:
        body = "<feed xmlns='http://www.w3.org/2005/Atom'>" + "".join(
            f"<entry><title type='html'>{t}</title><link href='{link}'/>"
            f"<summary>{d}</summary><updated>{date}</updated></entry>"
            for t, link, d, date in entries) + "</feed>"
    check_items(parse_or_refuse(parse_feed, FEED, body.encode("utf-8", "surrogatepass"),
                                FEED.url, "", GAZETTEER, NOW))


@given(st.lists(st.tuples(nasty_text, nasty_text, nasty_text), max_size=5), st.binary(
    max_size=200))
@BUDGET
def test_html_list_parser(rows: list[tuple[str, str, str]], noise: bytes) -> None:
    RUNS["HTML list"] = RUNS.get("HTML list", 0) + 1
    html = "<html><body><ul>" + "".join(
        f"<li><a href='{href}'>{title}</a><span>{date}</span></li>"
        for title, href, date in rows) + "</ul><a class='next' href='?p=2'>下一页</a>"
    text = decode_html(html.encode("utf-8", "surrogatepass") + noise, "text/html")

    def parse(*args: object) -> list[Item]:
        return parse_list_page(PAGE, text, PAGE.url, GAZETTEER, NOW).items
    check_items(parse_or_refuse(parse))


@given(st.text(max_size=400), st.sampled_from(["s.yaml", "s.csv"]))
@BUDGET
def test_subscriber_importer(text: str, filename: str) -> None:
    RUNS["importer"] = RUNS.get("importer", 0) + 1
    good, bad = read_subscribers(text, filename, GAZETTEER)
    for subscriber in good:
        assert "\n" not in subscriber.name and "\r" not in subscriber.name
        assert "@" in subscriber.email
    for error in bad:
        assert filename in str(error)


@given(st.lists(st.fixed_dictionaries({
    "email": st.one_of(st.emails(), nasty_text),
    "name": nasty_text,
    "districts": st.lists(st.sampled_from(["武清", "滨海新区", "上海", "", "<b>"]), max_size=3),
    "keywords": nasty_text,
    "frequency": st.sampled_from(["instant", "daily", "weekly", "hourly", ""]),
}), max_size=5))
@BUDGET
def test_subscriber_importer_on_row_shaped_yaml(rows: list[dict[str, object]]) -> None:
    import yaml
    RUNS["importer rows"] = RUNS.get("importer rows", 0) + 1
    text = yaml.safe_dump({"subscribers": rows}, allow_unicode=True)
    good, bad = read_subscribers(text, "s.yaml", GAZETTEER)
    assert len(good) + len(bad) == len(rows)
