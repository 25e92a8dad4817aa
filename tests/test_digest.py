"""Digest building, rendering (golden text and HTML) and the MIME message."""

import email
import email.policy
import re
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from tests.golden import check_golden
from worker.config import Settings
from worker.digest.build import Links, build_digest, highlight
from worker.digest.compose import compose
from worker.digest.render import render_digest
from worker.districts import Gazetteer
from worker.mail.message import build_message, message_id
from worker.models import DistrictTag, Entry, Item, Schedule, Subscriber

NOW = datetime(2025, 7, 28, 1, 0, tzinfo=UTC)
LINKS = Links("https://radar.test/unsubscribe/TOKEN", "https://radar.test/preferences/TOKEN")
SUBSCRIBER = Subscriber("wang@example.com", "王先生", ("武清区", "滨海新区"),
                        ("project", "policy"), ("新能源", "AI"), ("招聘",),
                        Schedule("weekly", time(9, 0), 0, "Asia/Shanghai"), id=7)


def entry(n: int, title: str, category: str, districts: tuple[str, ...],
          matched: tuple[str, ...], keywords: tuple[str, ...] = (), summary: str = "摘要",
          url: str | None = None, source: str = "projects", also_in: tuple[str, ...] = (),
          **policy: object) -> Entry:
    item = Item(source, f"g{n}", url or f"https://tj.test/{n}.html", title, summary,
                NOW - timedelta(hours=n), category,  # type: ignore[arg-type]
                tuple(DistrictTag(d, ("title",)) for d in districts), f"f{n}", id=n,
                **policy)  # type: ignore[arg-type]
    return Entry(100 + n, item, keywords, matched, also_in)


ENTRIES = [
    entry(1, "【武清区招商】武清区新能源汽车零部件产业园签约12个项目", "project", ("武清区",),
          ("武清区",), ("新能源",), "围绕新能源汽车零部件开展精准招商，总投资180亿元。",
          also_in=("binhai", "projects")),
    entry(2, "滨海高新区AI算力中心项目开工", "project", ("滨海高新区",), ("滨海高新区",),
          ("AI",), "建设人工智能算力平台。"),
    entry(3, "天津市武清区人民政府办公室关于印发支持新能源产业高质量发展若干措施的通知",
          "policy", ("武清区",), ("武清区",), ("新能源",), "对新能源电池项目给予补助。",
          source="policies", issuer="天津市武清区人民政府办公室",
          doc_number="武清政办发〔2025〕12号", doc_types=("若干措施", "通知")),
    entry(4, "<script>alert('x')</script>北京企业加大天津投资力度 & 合作", "project",
          ("滨海新区", "宝坻区"), ("滨海新区",), (), 'a <b onmouseover="x">b</b> " \' &amp;',
          url="javascript:alert(1)"),
]


def build(entries: list[Entry] = ENTRIES, max_items: int = 50):  # type: ignore[no-untyped-def]
    return build_digest(SUBSCRIBER, entries, now=NOW, gazetteer=Gazetteer.tianjin(),
                        source_names={"projects": "天津招商项目", "policies": "天津优惠政策",
                                      "binhai": "滨海新区投资促进"},
                        links=LINKS, max_items=max_items, summary_chars=120)


def test_grouped_by_district_then_category_in_the_subscribers_order() -> None:
    digest = build()
    assert [(s.district, [(g.label, len(g.items)) for g in s.groups]) for s in digest.sections] == [
        ("武清区", [("招商项目", 1), ("优惠政策", 1)]),
        ("滨海新区", [("招商项目", 2)]),
    ]
    assert digest.subject == "【天津区域投资周报】武清区、滨海新区：招商项目3条，优惠政策1条"
    # a zone item sits under its district, naming the zone
    assert digest.sections[1].groups[0].items[0].other_districts == ("滨海高新区",)


def test_cap_keeps_the_newest_and_counts_the_rest() -> None:
    digest = build(max_items=2)
    assert (digest.total, digest.shown) == (4, 2)
    titles = [i.title[0].text for s in digest.sections for g in s.groups for i in g.items]
    assert len(titles) == 2 and "【武清区招商】" in titles[0]


def test_highlight_is_case_insensitive() -> None:
    parts = highlight("AI与ai及新能源", ["ai", "新能源"])
    assert [(p.text, p.highlight) for p in parts] == [
        ("AI", True), ("与", False), ("ai", True), ("及", False), ("新能源", True)]


def test_rendered_text_and_html_match_golden_files() -> None:
    rendered = render_digest(build())
    check_golden("digest.txt", rendered.text)
    check_golden("digest.html", rendered.html)


def test_untrusted_text_is_escaped_and_only_http_links_kept() -> None:
    html = render_digest(build()).html
    assert "<script" not in html and "<b onmouseover" not in html
    assert "&lt;script&gt;" in html and "&lt;b onmouseover" in html  # shown as text
    assert "javascript:" not in html
    assert re.findall(r'href="([^"]+)"', html) == [
        "https://tj.test/1.html", "https://tj.test/3.html", "https://tj.test/2.html",
        LINKS.manage, LINKS.unsubscribe]
    assert "<style" not in html and 'style="' in html  # CSS inlined for mail clients
    assert "<mark" in html and ">新能源</mark>" in html


def mime_skeleton(raw: bytes) -> str:
    """Headers and part structure, with the random boundaries blanked."""
    text = raw.decode("ascii")
    head = text.split("\r\n\r\n", 1)[0].replace("\r\n", "\n")
    head = re.sub(r'boundary="[^"]+"', 'boundary="BOUNDARY"', head)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    parts = [f"{p.get_content_type()}; charset={p.get_content_charset()}; "
             f"cte={p['Content-Transfer-Encoding']}" for p in parsed.walk()]
    decoded = [f"{k}: {v}" for k, v in parsed.items()
               if k in ("Subject", "To", "List-Id")]
    return "\n".join([head, "", *decoded, "", *parts, ""])


def test_mime_message_matches_golden_structure() -> None:
    settings = Settings(secret_key="test-secret", mail={"from": "天津区域投资 <radar@radar.test>",
                                                        "unsubscribe_mailto": "leave@radar.test"},
                        web={"base_url": "https://radar.test"})
    rendered, envelope = compose(SUBSCRIBER, "w:2025-07-28", ENTRIES, settings,
                                 Gazetteer.tianjin(), {}, NOW)
    raw = build_message(rendered, envelope, NOW).data
    check_golden("digest.mime.txt", mime_skeleton(raw))
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert b"List-Unsubscribe: <https://radar.test/unsubscribe/" in header_block
    assert b"=?utf-8?" not in header_block.split(b"List-Unsubscribe:")[1].split(b"\r\nList")[0]
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == rendered.subject
    body = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert body.replace("\r\n", "\n") == rendered.text  # CRLF on the wire
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]


def test_message_id_is_derived_from_the_digest_key() -> None:
    first = message_id("7:w:2025-07-28", "Radar <r@radar.test>")
    assert first == message_id("7:w:2025-07-28", "r@radar.test")
    assert first != message_id("7:w:2025-08-04", "r@radar.test")
    assert first.endswith("@radar.test>")


@pytest.mark.parametrize("name", ["", "王先生", "O'Brien, Jr."])
def test_recipient_names_are_encoded_safely(name: str) -> None:
    settings = Settings(secret_key="k")
    subscriber = Subscriber("a@example.com", name, id=1)
    rendered, envelope = compose(subscriber, "i:1", ENTRIES[:1], settings, Gazetteer.tianjin(),
                                 {}, NOW)
    parsed = email.message_from_bytes(build_message(rendered, envelope, NOW).data,
                                      policy=email.policy.default)
    assert parsed["To"].addresses[0].display_name == name
    assert parsed["To"].addresses[0].addr_spec == "a@example.com"


def test_both_bodies_survive_the_wire_and_headers_cannot_be_injected() -> None:
    settings = Settings(secret_key="k")
    rendered, envelope = compose(SUBSCRIBER, "i:1", ENTRIES, settings, Gazetteer.tianjin(),
                                 {}, NOW)
    mail = build_message(rendered, envelope, NOW)
    parsed = email.message_from_bytes(mail.data, policy=email.policy.default)
    html = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert html.replace("\r\n", "\n") == rendered.html == mail.html
    assert max(len(line) for line in mail.data.split(b"\r\n")) <= 998
    assert b"\n" not in mail.data.replace(b"\r\n", b"")  # CRLF only
    assert (mail.sender, mail.recipient) == ("radar@localhost", SUBSCRIBER.email)
    for hostile in ("Evil\r\nBcc: victim@example.com", "Evil\n Bcc: x@example.com"):
        with pytest.raises(ValueError, match="line break"):
            build_message(rendered, replace(envelope, recipient_name=hostile), NOW)


def test_other_districts_name_the_place_that_tagged_them() -> None:
    """A story in 武清区's section that is also about a park in 宝坻区 says which park."""
    gazetteer = Gazetteer.tianjin()
    item = Item("projects", "g9", "https://tj.test/9.html", "武清区与京津中关村科技城合作共建",
                "", NOW, "project",
                gazetteer.tag("武清区与京津中关村科技城合作共建", ""), "f9", id=9)
    digest = build([Entry(109, item, (), ("武清区",))])
    [view] = digest.sections[0].groups[0].items
    assert view.other_districts == ("宝坻区（京津中关村科技城）",)


def test_an_undated_item_says_so_instead_of_a_made_up_date() -> None:
    undated = entry(5, "关于做好重点项目申报工作的通知", "policy", ("武清区",), ("武清区",))
    undated = replace(undated, item=replace(undated.item, dated=False))
    [view] = build([undated]).sections[0].groups[0].items
    assert view.published == "日期未注明"
