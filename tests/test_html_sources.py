"""HTML list-page sources end to end on a real loopback server: encodings, pagination,
detail pages, policy metadata, unchanged pages, redesigned pages, near-duplicates."""

from __future__ import annotations

import asyncio
import email
import email.policy
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import NOW
from tests.feedserver import FeedServer
from tests.processes import environment_without_settings, run_radar
from worker.config import FetchSettings, MailSettings, Settings
from worker.districts import Gazetteer
from worker.models import HtmlSelectors, Source
from worker.pipeline.cycle import run_cycle
from worker.pipeline.poll import poll_sources
from worker.runtime import Runtime, build_runtime
from worker.sources.collect import try_source
from worker.store import items as item_rows
from worker.store import sources as source_rows
from worker.store import subscribers as subscriber_rows
from worker.store import tables
from worker.subscribers_io import read_subscribers

POLICY_LIST = HtmlSelectors(item="div.list li", title="a", link="a", date="span.date",
                            next_page="a.next", max_pages=3)
DETAIL_LIST = HtmlSelectors(item="xpath://table[@class='news']//tr", title="td.t a",
                            link="td.t a", date="td.d", detail_body="div.article")


def html_source(feeds: FeedServer, path: str, selectors: HtmlSelectors,
                category: str = "policy", district: str | None = None) -> Source:
    return Source(path.rsplit("/", 1)[-1].split(".")[0], "西青区政策文件", "html",
                  feeds.url(path), category, district, html=selectors)  # type: ignore[arg-type]


def items_of(source: Source) -> list:  # type: ignore[type-arg]
    _, found = asyncio.run(try_source(source, FetchSettings(timeout_seconds=2),
                                      Gazetteer.tianjin(), NOW))
    return found.items


@pytest.mark.parametrize("prefix", ["/pages/", "/lying/"])  # /lying/ claims UTF-8 for GBK
def test_gbk_list_with_pagination_dates_and_policy_metadata(
    feed_server: FeedServer, prefix: str
) -> None:
    items = items_of(html_source(feed_server, f"{prefix}xiqing-policies-gbk.html",
                                 POLICY_LIST, district="西青区"))
    assert [i.title for i in items] == [
        "天津市西青区人民政府关于印发政府工作报告的通知",
        "关于西青区政府工作报告的解读",
        "西青区关于支持新能源汽车产业发展的若干措施",
        "天津市西青区人民政府办公室关于印发西青区促进人工智能产业发展实施方案的通知",
    ]  # the last one is on page 2, found through the "next page" link
    assert [i.published.strftime("%Y-%m-%d") for i in items] == [
        "2025-01-13", "2025-01-13", "2025-03-01", "2025-02-10"]
    assert items[2].url == feed_server.url(f"{prefix}t20250301_3.html")  # relative link
    assert items[0].url.endswith("/zwgk/zcwj/202501/t20250113_1.html")
    assert (items[0].issuer, items[0].doc_types) == ("天津市西青区人民政府", ("报告", "通知"))
    assert items[1].doc_types == ("报告", "解读")
    assert items[3].issuer == "天津市西青区人民政府办公室"
    assert items[3].doc_types == ("实施方案", "通知")
    assert all(i.districts[0].district == "西青区" for i in items)


def test_detail_pages_give_the_text_and_document_number(feed_server: FeedServer) -> None:
    items = items_of(html_source(feed_server, "/pages/detail-list.html", DETAIL_LIST))
    first, second, missing = items
    assert first.title == "宝坻区人民政府关于印发宝坻区招商引资优惠政策若干措施的通知"  # title attr
    assert first.doc_number == "宝政发〔2025〕7号"
    assert "三年租金补贴" in first.summary and "版权所有" not in first.summary
    assert [t.district for t in second.districts] == ["宝坻区", "武清区"]  # from the body
    assert missing.summary == ""  # a 404 detail page leaves the list item as it was


def test_sources_test_command_prints_items_and_writes_nothing(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    env = environment_without_settings()
    result = run_radar(
        "sources", "test", "--url", feed_server.url("/pages/xiqing-policies-gbk.html"),
        "--kind", "html", "--category", "policy", "--district", "西青", "--item",
        "div.list li", "--date", "span.date", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "* 天津市西青区人民政府关于印发政府工作报告的通知" in result.stdout
    assert "西青区 (source+title)" in result.stdout and "优惠政策" in result.stdout
    assert "天津市西青区人民政府 · 报告、通知" in result.stdout
    assert "3 item(s)" in result.stderr  # max_pages 1 from the command line
    assert list(tmp_path.iterdir()) == []  # no database, no outbox

    bad = run_radar("sources", "test", "--url", feed_server.url("/pages/redesigned.html"),
                    "--item", "div.list li", cwd=tmp_path, env=env)
    assert bad.returncode == 1 and "no items: check the selectors" in bad.stderr
    selector = run_radar("sources", "test", "--url", feed_server.url("/pages/redesigned.html"),
                         "--item", "div[[", cwd=tmp_path, env=env)
    assert selector.returncode == 1 and "bad selector 'div[['" in selector.stderr
    assert "Traceback" not in selector.stderr


def runtime(tmp_path: Path, sources: list[Source], **settings: object) -> Runtime:
    config = Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}",
                      mail=MailSettings(backend="folder", outbox=tmp_path / "out"),
                      **settings)  # type: ignore[arg-type]
    return build_runtime(config, sources)


def test_unchanged_page_is_not_parsed_again(feed_server: FeedServer, tmp_path: Path) -> None:
    rt = runtime(tmp_path, [html_source(feed_server, "/pages/xiqing-policies-gbk.html",
                                        replace(POLICY_LIST, max_pages=1))])
    first, _ = asyncio.run(poll_sources(rt, NOW))
    assert (first[0].new_items, first[0].not_modified) == (3, False)
    second, _ = asyncio.run(poll_sources(rt, NOW + timedelta(minutes=15)))
    assert second[0].not_modified  # same bytes, no validators: recognised by its hash
    assert len(feed_server.hits("/pages/xiqing-policies-gbk.html")) == 2


def test_a_redesigned_page_alerts_ops_once_after_n_empty_polls(
    feed_server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = replace(html_source(feed_server, "/pages/list.html", POLICY_LIST),
                     empty_alert_after=3)
    feed_server.overrides["/pages/list.html"] = (Path(__file__).parent / "fixtures" / "pages"
                                                 / "xiqing-policies-gbk.html").read_bytes()
    rt = runtime(tmp_path, [source], ops_email="ops@radar.test")
    asyncio.run(poll_sources(rt, NOW))  # the old layout: items
    feed_server.overrides["/pages/list.html"] = (Path(__file__).parent / "fixtures" / "pages"
                                                 / "redesigned.html").read_bytes()
    alerts = tmp_path / "out"
    for n in range(1, 6):
        asyncio.run(poll_sources(rt, NOW + timedelta(minutes=15 * n)))
        with rt.engine.connect() as conn:
            assert source_rows.statuses(conn)[0].empty_streak == n
        assert len(list(alerts.glob("ops@radar.test-*.eml")) if alerts.exists() else []) == (
            1 if n >= 3 else 0)
    [alert] = alerts.glob("ops@radar.test-*.eml")
    message = email.message_from_bytes(alert.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "[district-radar] source list gives no items (3 polls)"
    assert "radar sources test list" in message.get_content()
    assert "no items in 3 polls in a row" in caplog.text


def test_near_duplicates_from_another_source_are_delivered_once(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    sources = [Source("projects", "天津招商项目", "rss", feed_server.url("/feeds/projects.rss"),
                      "project"),
               Source("county", "区县新闻汇总", "rss", feed_server.url("/feeds/near.rss"),
                      "project"),
               Source("portal", "转载门户", "rss", feed_server.url("/feeds/republished.rss"),
                      "project")]
    rt = runtime(tmp_path, sources)
    good, _ = read_subscribers("subscribers:\n  - {email: w@example.com, districts: [武清], "
                               "frequency: instant}\n", "s.yaml", rt.gazetteer)
    with rt.engine.begin() as conn:
        subscriber_rows.save(conn, good[0], NOW)
    report = asyncio.run(run_cycle(rt, NOW))
    assert report.sent.count("sent") == 1
    [eml] = (tmp_path / "out").glob("w@example.com-*.eml")
    text = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    body = text.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    titles = sorted(line[2:] for line in body.splitlines() if line.startswith("* "))
    # Sources are polled concurrently: whichever version is stored first is the original.
    story = [t for t in titles if "签约12个项目" in t]
    assert len(story) == 1  # the same story from three sources, delivered once
    assert sorted(set(titles) - set(story)) == [
        "【武清区招商】武清电商产业园招聘运营人才",
        "武清区新能源汽车零部件产业园签约15个项目",  # another number: another story
    ]
    with rt.engine.connect() as conn:
        original, source = conn.execute(
            sa.select(tables.items.c.id, tables.items.c.source_id)
            .where(tables.items.c.title == story[0])).one()
        others = sorted(item_rows.also_in(conn, [original])[original])
    assert others == sorted({"projects", "county", "portal"} - {source})
    [also] = [line.strip() for line in body.splitlines() if line.strip().startswith("另见：")]
    names = {"projects": "天津招商项目", "county": "区县新闻汇总", "portal": "转载门户"}
    assert sorted(also.removeprefix("另见：").split("、")) == sorted(names[s] for s in others)


@pytest.mark.parametrize(("pattern", "second_page"), [
    ("list_{page}.html", "list_2.html"), ("index_{index}.html", "index_1.html")])
def test_numbered_pages(feed_server: FeedServer, pattern: str, second_page: str) -> None:
    selectors = replace(POLICY_LIST, next_page=None, page_url=pattern, max_pages=2)
    items_of(html_source(feed_server, "/pages/xiqing-policies-gbk.html", selectors))
    assert feed_server.hits(f"/pages/{second_page}")
