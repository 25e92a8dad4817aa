"""What real government sites do, each wall of issue 15 against a page or feed on the
loopback server: lists found without selectors, links in onclick, script pagers, two-digit
years, dates in attributes, undated and untitled rows, firewalls, no silent merges."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bench.listpages import PAGES, score
from tests.conftest import NOW
from tests.feedserver import FeedServer
from worker.config import FetchSettings, MailSettings, Settings
from worker.districts import Gazetteer
from worker.errors import PermanentFetchError
from worker.models import HtmlSelectors, Source
from worker.pipeline.poll import poll_sources
from worker.runtime import build_runtime
from worker.sources.collect import Collected, try_source
from worker.sources.fetch import Fetcher


def tried(source: Source, sniff: bool = False) -> tuple[Source, Collected]:
    return asyncio.run(try_source(source, FetchSettings(timeout_seconds=2),
                                  Gazetteer.tianjin(), NOW, sniff))


def page_source(feeds: FeedServer, path: str, selectors: HtmlSelectors | None = None
                ) -> Source:
    return Source("tj", "天津市人民政府 新闻发布会", "html", feeds.url(path), "policy",
                  html=selectors)


def test_a_tj_gov_list_without_selectors(feed_server: FeedServer) -> None:
    """Detected list; headline link, not the [发布会] category link; the address in
    jumpToDetail / window.open; dates printed 26-07-24 or kept in an input; an undated row
    marked undated; a title only in title=; a row with no title reported; page 2 from the
    createPageHTML pager."""
    selectors = HtmlSelectors(item=None, max_pages=2)
    _, found = tried(page_source(feed_server, "/pages/tj-jump-list.html", selectors))
    base = feed_server.url("/pages/")
    assert [(i.title, i.url, f"{i.published:%Y-%m-%d}" if i.dated else None)
            for i in found.items] == [
        ("天津市推进制造业高质量发展新闻发布会", f"{base}202607/t20260724_7341298.html",
         "2026-07-24"),
        ("滨海新区优化营商环境若干措施新闻发布会", f"{base}202607/t20260721_7338120.html",
         "2026-07-21"),
        ("《天津市支持民营经济发展若干措施》政策解读", f"{base}202607/t20260718_7335001.html",
         "2026-07-18"),
        ("天津市2026年上半年国民经济运行情况新闻发布会", f"{base}202607/t20260715_7331440.html",
         "2026-07-15"),
        ("关于做好2026年度重点项目申报工作的通知", f"{base}202607/t20260712_7329001.html", None),
        ("武清区京津产业新城建设新闻发布会", f"{base}202606/t20260628_7310001.html",
         "2026-06-28"),
        ("宝坻区京津中关村科技城招商推介新闻发布会", f"{base}202606/t20260620_7301002.html",
         "2026-06-20"),
        ("西青区推动生物医药产业集聚发展新闻发布会", f"{base}202606/t20260612_7290003.html",
         "2026-06-12"),
    ]
    assert found.detected is not None and found.detected.item_selector == \
        "div.list-circle-red > div.list-item-con"
    assert found.skipped == ["page 1, row 6: no title (link ./202607/t20260710_7327002.html)"]
    assert feed_server.hits("/pages/index_1.html")  # the script pager was followed


def test_a_date_held_in_an_attribute_can_be_pinned(feed_server: FeedServer) -> None:
    selectors = HtmlSelectors(item="div.list-item-con", date="input", date_attr="value")
    _, found = tried(page_source(feed_server, "/pages/tj-jump-list.html", selectors))
    dated = [(i.title[:6], f"{i.published:%m-%d}") for i in found.items if i.dated]
    assert dated == [("《天津市支持", "07-18")]  # only that row has an input


def test_the_url_alone_tells_a_feed_from_a_page(feed_server: FeedServer) -> None:
    source = page_source(feed_server, "/feeds/projects.rss")
    sniffed, found = tried(source, sniff=True)
    assert sniffed.kind == "rss" and len(found.items) > 3
    sniffed, found = tried(page_source(feed_server, "/pages/tj-jump-list.html"), sniff=True)
    assert sniffed.kind == "html" and found.detected is not None


@pytest.mark.parametrize("code", [412, 403, 200])
def test_a_firewall_page_is_named_as_such(feed_server: FeedServer, code: int) -> None:
    async def go() -> None:
        async with Fetcher(FetchSettings(timeout_seconds=2)) as fetcher:
            await fetcher.fetch(feed_server.url(f"/waf/{code}"), source_id="tj")

    with pytest.raises(PermanentFetchError, match="blocked by the site's firewall"):
        asyncio.run(go())


def test_nothing_a_feed_gives_vanishes(tmp_path: Path, feed_server: FeedServer,
                                       caplog: pytest.LogCaptureFixture) -> None:
    """16 items of one page differing only in #fragment, and two reports whose titles
    differ by 人民政府办公室: 18 items stored, none merged."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}",
                        mail=MailSettings(backend="folder", outbox=tmp_path / "out"))
    source = Source("hd", "河东区政务公开", "rss", feed_server.url("/feeds/fragments.rss"),
                    "policy", backfill_days=10_000)
    rt = build_runtime(settings, [source])
    caplog.set_level(logging.INFO, logger="radar.pipeline")
    [report], _ = asyncio.run(poll_sources(rt, NOW))
    assert report.new_items == 18, caplog.text
    assert "merged" not in caplog.text and "listed under" not in caplog.text


def test_a_new_source_does_not_flood_subscribers(tmp_path: Path, feed_server: FeedServer,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    """First poll: the two 2020 reports are stored, not sent; the July 2026 items are."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}",
                        mail=MailSettings(backend="folder", outbox=tmp_path / "out"))
    source = Source("hd", "河东区政务公开", "rss", feed_server.url("/feeds/fragments.rss"),
                    "policy")
    rt = build_runtime(settings, [source])
    caplog.set_level(logging.INFO, logger="radar.pipeline")
    [report], news = asyncio.run(poll_sources(rt, datetime(2026, 7, 25, tzinfo=UTC)))
    assert report.new_items == 18 and len(news) == 16
    assert "2 item(s) older than 14 days stored without alerts" in caplog.text


LABELS = yaml.safe_load((PAGES / "labels.yaml").read_text(encoding="utf-8"))
FOUND_WHOLE = ["gs-jyt-wjtz.html", "hzzy-court-gzxx.html", "pboc-gkscyw-jygg-p1.html",
               "pboc-gkscyw-jygg-p183.html", "sh-wsjkw-yqtb.html",
               "fund-rtfund_xxpl.html", "fund-hsqhfunds_announcement.html"]


@pytest.mark.parametrize("file", FOUND_WHOLE)
def test_real_pages_give_their_labelled_items_without_selectors(file: str) -> None:
    [page] = [p for p in LABELS if p["file"] == file]
    result = score(page, Gazetteer.tianjin())
    assert (result.found, result.right, result.dates_right) == (result.expected,) * 3
