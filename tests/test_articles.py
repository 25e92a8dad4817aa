"""The article text of an item's own page, found without selectors (trafilatura), on real
government pages (tests/fixtures/detailpages, labelled before any extractor ran), and read
through the real path: a list page whose items link to them, `details: true`."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import NOW
from tests.feedserver import FeedServer
from worker.config import FetchSettings
from worker.districts import Gazetteer
from worker.models import HtmlSelectors, Source
from worker.sources.article import article_text
from worker.sources.collect import try_source
from worker.sources.encoding import decode_html

PAGES = Path(__file__).parent / "fixtures" / "detailpages"
LABELS: list[dict[str, Any]] = yaml.safe_load((PAGES / "labels.yaml").read_text("utf-8"))
# The body of this page is a table followed by its attachments' names: links, which the
# article text leaves out (the table itself is read).
ATTACHMENTS_LAST = {"gs-samr-bjsp-beian.html"}


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def extracted(page: dict[str, Any]) -> str:
    html = decode_html((PAGES / page["file"]).read_bytes(), None)
    return squeezed(article_text(html, page["url"] or "http://www.example.gov.cn/a.html"))


@pytest.mark.parametrize("page", LABELS, ids=[p["file"] for p in LABELS])
def test_the_article_and_nothing_around_it(page: dict[str, Any]) -> None:
    text = extracted(page)
    assert squeezed(page["first"]) in text
    for phrase in page["must_contain"]:
        assert squeezed(phrase) in text
    for phrase in page["must_not_contain"]:  # navigation, footers, related links
        assert squeezed(phrase) not in text
    if page["file"] not in ATTACHMENTS_LAST:
        assert squeezed(page["last"]) in text


def test_a_page_without_an_article_gives_nothing() -> None:
    assert article_text("<html><body><a href='/'>首页</a> | <a href='/x'>网站地图</a>"
                        "</body></html>", "http://www.example.gov.cn/") == ""


ROWS = [("/pages/hubei.html", "湖北省市场监督管理局办公室关于转发开展杭州亚运会和亚残运会知识产权"
                               "保护专项行动的通知", "2023-08-25"),
        ("/pages/xiqing.html", "西青区关于组织申报2025年度智能制造专项资金的通知", "2025-07-25"),
        ("/pages/gone.html", "已撤下的通知", "2025-07-20")]
LIST = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>通知公告</title></head><body>'
        '<ul class="list">'
        + "".join(f'<li><a href="{href}">{title}</a><span>{day}</span></li>'
                  for href, title, day in ROWS)
        + "</ul></body></html>")

# In the style of a district notice: the facts are only on the item's own page.
XIQING = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>西青区人民政府</title></head>
<body><div class="top"><a href="/">首页</a> | <a href="/map">网站地图</a></div>
<div class="crumb">当前位置：首页 &gt; 通知公告</div>
<div class="con"><h1>西青区关于组织申报2025年度智能制造专项资金的通知</h1>
<p>西青工信〔2025〕12号</p>
<p>各有关企业：为推动我区制造业数字化转型，现组织申报2025年度智能制造专项资金项目。</p>
<p>对经认定的智能工厂给予最高300万元奖励，对数字化车间给予最高100万元奖励。</p>
<p>请于2025年8月20日前将申报材料报送至区工业和信息化局，逾期不予受理。</p>
<p>天津市西青区工业和信息化局</p><p>2025年7月25日</p></div>
<div class="foot">主办单位：天津市西青区人民政府办公室 版权所有</div></body></html>"""


def test_detail_pages_read_without_selectors(feed_server: FeedServer) -> None:
    feed_server.overrides["/pages/details-list.html"] = LIST.encode()
    feed_server.overrides["/pages/hubei.html"] = (PAGES / "hb-samr-yayun-zscq.html").read_bytes()
    feed_server.overrides["/pages/xiqing.html"] = XIQING.encode()
    source = Source("notices", "通知公告", "html", feed_server.url("/pages/details-list.html"),
                    "policy", html=HtmlSelectors(item=None), details=True)
    _, found = asyncio.run(try_source(source, FetchSettings(timeout_seconds=2),
                                      Gazetteer.tianjin(), NOW))
    hubei, xiqing, gone = found.items
    assert hubei.doc_number == "国知发保字〔2023〕37号"  # read from the page, not the title
    assert "杭州亚运会" in hubei.summary and "网站地图" not in hubei.summary
    assert xiqing.doc_number == "西青工信〔2025〕12号"
    assert xiqing.facts.deadline is not None and xiqing.facts.deadline.isoformat() == "2025-08-20"
    assert xiqing.facts.support_max == 3_000_000
    assert [t.district for t in xiqing.districts] == ["西青区"]
    assert "主办单位" not in xiqing.summary and "网站地图" not in xiqing.summary
    assert gone.summary == ""  # a 404 detail page leaves the list's item as it was
