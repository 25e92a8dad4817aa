"""Feed parsing against golden files: the fixture feed beside the Items it must give."""

import json
from dataclasses import asdict
from datetime import UTC, datetime

import pytest

from tests.feedserver import FEEDS
from tests.golden import check_golden
from worker.districts import Gazetteer
from worker.errors import ParseError
from worker.models import Source
from worker.sources.feed import parse_feed

NOW = datetime(2025, 7, 28, 1, 0, tzinfo=UTC)


def source(kind: str = "rss", district: str | None = None) -> Source:
    return Source("fixture", "Fixture", kind, "http://tianjin.test/feed", "project",  # type: ignore[arg-type]
                  district)


def as_json(items: list) -> str:  # type: ignore[type-arg]
    rows = []
    for item in items:
        row = asdict(item)
        row["published"] = item.published.isoformat()
        rows.append(row)
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


@pytest.mark.parametrize(("name", "content_type"), [
    ("projects.rss", "application/rss+xml"),
    ("policies.atom", "application/atom+xml"),
    ("baodi-gbk.rss", "application/rss+xml"),  # charset only in the XML declaration
    ("republished.rss", "text/xml; charset=utf-8"),
])
def test_fixture_feeds_parse_to_golden_items(name: str, content_type: str,
                                             gazetteer: Gazetteer) -> None:
    body = (FEEDS / name).read_bytes()
    items = parse_feed(source(), body, f"http://tianjin.test/{name}", content_type,
                       gazetteer, NOW)
    check_golden(f"feed-{name}.json", as_json(items))


def test_feed_items_are_clean(gazetteer: Gazetteer) -> None:
    items = parse_feed(source(), (FEEDS / "projects.rss").read_bytes(),
                       "http://tianjin.test/projects.rss", "application/rss+xml", gazetteer, NOW)
    by_guid = {}
    for i in items:
        by_guid.setdefault(i.guid, i)  # p-001 is printed twice; dedupe is not the parser's job
    assert "p-005" not in by_guid  # javascript: link dropped
    first = by_guid["p-001"]
    assert first.url == "http://tianjin.test/projects/wuqing-ev.html"  # resolved, no utm/#
    assert "script" not in first.summary and "alert" not in first.summary
    assert first.summary == "武清区围绕新能源汽车零部件开展招商。"
    assert by_guid["p-003"].title == "滨海高新区AI算力中心项目开工"
    # no zone in the feed's date: read as Shanghai time
    assert by_guid["p-003"].published.isoformat() == "2025-07-24T10:30:00+08:00"
    # no date at all: first seen
    assert by_guid["p-006"].published == NOW
    assert [t.district for t in by_guid["p-002"].districts] == ["宝坻区"]


def test_gbk_feed_is_decoded(gazetteer: Gazetteer) -> None:
    [item] = parse_feed(source(), (FEEDS / "baodi-gbk.rss").read_bytes(),
                        "http://baodi.test/rss", "application/rss+xml", gazetteer, NOW)
    assert item.title == "宝坻中关村“云签约”23个重点项目落地"
    assert item.district_names == ("宝坻区",)


def test_source_district_is_tagged(gazetteer: Gazetteer) -> None:
    items = parse_feed(source(district="静海区"), (FEEDS / "republished.rss").read_bytes(),
                       "http://portal.test/rss", "", gazetteer, NOW)
    assert all(i.districts[0].district == "静海区" for i in items)
    assert items[0].districts[0].origins == ("source",)


@pytest.mark.parametrize("body", [
    (FEEDS / "not-a-feed.html").read_bytes(),
    b"",
    b"<?xml version='1.0'?><rss><channel><item><title>cut off",
    b"\x00\x01\x02 binary",
])
def test_not_a_feed_raises_parse_error_naming_the_source(body: bytes,
                                                        gazetteer: Gazetteer) -> None:
    with pytest.raises(ParseError, match=r"source fixture \(http://tianjin.test/x\)"):
        parse_feed(source(), body, "http://tianjin.test/x", "text/html", gazetteer, NOW)


def test_entity_expansion_is_not_performed(gazetteer: Gazetteer) -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">'
            b'<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<rss version="2.0"><channel><item><title>t &c; &x;</title>'
            b'<link>http://t.test/1</link></item></channel></rss>')
    try:
        items = parse_feed(source(), bomb, "http://t.test/f", "application/rss+xml",
                           gazetteer, NOW)
    except ParseError:
        return
    assert all("root:" not in i.title and len(i.title) < 200 for i in items)


RELATIVE_ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="/zwgk/">
  <title>x</title>
  <entry><title>\xe6\xad\xa6\xe6\xb8\x85\xe9\xa1\xb9\xe7\x9b\xae\xe7\xad\xbe\xe7\xba\xa6</title>
    <link href="2025/a.html"/><id>item-7</id><updated>2025-07-24T10:30:00+08:00</updated>
  </entry>
</feed>"""


def test_relative_links_resolve_against_xml_base_then_the_feed_url(gazetteer: Gazetteer
                                                                   ) -> None:
    [item] = parse_feed(source("atom"), RELATIVE_ATOM, "http://wuqing.test/feeds/all.atom",
                        "application/atom+xml", gazetteer, NOW)
    assert item.url == "http://wuqing.test/zwgk/2025/a.html"



def test_an_entry_that_gives_no_item_is_reported(gazetteer: Gazetteer,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    body = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t"
            "</title><item><title>武清区重点项目签约</title><link>http://t.test/1</link></item>"
            "<item><title></title><link>http://t.test/2</link></item></channel></rss>").encode()
    items = parse_feed(source(), body, "http://t.test/feed", "", gazetteer, NOW)
    assert [i.url for i in items] == ["http://t.test/1"]
    assert "feed entry 2 gave no item (title '', link 'http://t.test/2')" in caplog.text
