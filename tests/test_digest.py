"""Digest building, rendering (golden text and HTML) and the MIME message."""

import email
import email.policy
import re
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from tests.golden import check_golden
from worker.config import Settings
from worker.digest.build import Links, Operator, build_digest
from worker.digest.compose import compose
from worker.digest.marks import highlight, wordlike
from worker.digest.render import render_digest
from worker.districts import Gazetteer
from worker.mail.message import build_message, message_id
from worker.models import DistrictTag, Entry, Item, Schedule, Subscriber

NOW = datetime(2025, 7, 28, 1, 0, tzinfo=UTC)
OPERATOR = Operator()
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


def build(entries: list[Entry] = ENTRIES, max_items: int = 50,  # type: ignore[no-untyped-def]
          period_key: str | None = "w:2025-07-28", subscriber: Subscriber = SUBSCRIBER,
          operator: Operator = OPERATOR):
    return build_digest(subscriber, entries, now=NOW, gazetteer=Gazetteer.tianjin(),
                        source_names={"projects": "天津招商项目", "policies": "天津优惠政策",
                                      "binhai": "滨海新区投资促进"},
                        links=LINKS, max_items=max_items, summary_chars=120,
                        period_key=period_key, operator=operator)


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


def test_highlight_marks_the_first_occurrence_of_each_term_case_insensitively() -> None:
    parts = highlight("AI与ai及新能源", ["ai", "新能源"])
    assert [(p.text, p.highlight) for p in parts] == [
        ("AI", True), ("与ai及", False), ("新能源", True)]


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
    # CSS inlined for mail clients; only @media rules (dark mode, phones) stay in <style>
    outside_mso = re.sub(r"<!--\[if mso\]>.*?<!\[endif\]-->", "", html, flags=re.S)
    [kept] = re.findall(r"<style>(.*?)</style>", outside_mso, flags=re.S)
    assert re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*\s*\}", "", kept).strip() == ""
    assert 'style="' in html
    assert "<mark" in html and "> 新能源 </mark>" in html


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


@pytest.mark.parametrize(("frequency", "key", "label"), [
    ("weekly", "w:2025-07-28", "2025年7月21日–7月28日"),
    ("daily", "d:2025-07-28", "2025年7月27日–7月28日"),
    ("weekly", "w:2026-01-05", "2025年12月29日–2026年1月5日"),  # the year changes
    ("instant", "i:1234", "截至 2025年07月28日 09:00"),  # no calendar period
    ("weekly", "w:0", "截至 2025年07月28日 09:00"),  # not a date: no period is made up
])
def test_a_digest_says_which_period_it_covers(frequency: str, key: str, label: str) -> None:
    reader = replace(SUBSCRIBER, schedule=replace(SUBSCRIBER.schedule, frequency=frequency))
    digest = build(period_key=key, subscriber=reader)
    assert digest.period == label
    assert digest.period in render_digest(digest).text.splitlines()[1]


@pytest.mark.parametrize(("age_days", "older"), [(1, False), (9, False), (11, True)])
def test_items_dated_well_before_the_period_are_marked_older(age_days: int,
                                                             older: bool) -> None:
    """The week starts 7月21日 09:00; three days' grace for sites that list late."""
    item = replace(ENTRIES[0], item=replace(ENTRIES[0].item,
                                            published=NOW - timedelta(days=age_days)))
    [view] = build([item]).sections[0].groups[0].items
    assert view.older is older
    rendered = render_digest(build([item]))
    assert ("较早发布" in rendered.text) is older and ("较早发布" in rendered.html) is older


def test_no_highlight_leaves_a_tag_between_two_word_characters() -> None:
    """SpamAssassin counts those as split words (issue 17); spaces inside the mark pad it."""
    html = render_digest(build()).html
    marks = re.findall(r"(.)<mark[^>]*>([^<]*)</mark>(.)", html)
    assert marks and all(
        (not wordlike(before) or text.startswith(" ")) and (not wordlike(after) or
                                                             text.endswith(" "))
        for before, text, after in marks), marks
    assert ("区", " 新能源 ", "汽") in marks  # 武清区新能源汽车: padded on both sides


def test_the_inbox_preview_shows_the_top_titles_not_the_subject() -> None:
    digest = build()
    assert digest.preheader.startswith("【武清区招商】武清区新能源汽车零部件产业园签约12个项目；")
    hidden = re.search(r'<div style="display: none;[^>]*>([^<]*)</div>',
                       render_digest(digest).html)
    assert hidden and hidden.group(1) == digest.preheader


def test_small_things_readers_notice() -> None:
    operator = Operator("天津某投资咨询公司", "联系我们：ops@radar.test · 022-1234 5678")
    rendered = render_digest(build(operator=operator))
    lines = rendered.text.splitlines()
    assert "-- " in lines and "--" not in lines  # the signature separator has its space
    assert "\n\n\n" not in rendered.text  # never two blank lines
    title = re.search(r"<title>(.*?)</title>", rendered.html)
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", rendered.html)
    assert title and heading and title.group(1) == heading.group(1) == "天津区域投资动态周报"
    for body in (rendered.text, rendered.html):
        assert "本邮件由 天津某投资咨询公司 根据您的订阅自动发送" in body
        assert "联系我们：ops@radar.test · 022-1234 5678" in body
    assert '<meta name="color-scheme" content="light dark">' in rendered.html
    assert "@media (prefers-color-scheme: dark)" in rendered.html
    # meta pieces stay whole on phones, and no line starts with the separator
    assert '<span class="nw" style="white-space:nowrap">命中：新能源</span>' in rendered.html
    # (the no-break space as a character: inlined once when loaded, the template's output
    # no longer goes through an HTML serializer that wrote it as &nbsp;)
    assert '<span class="nw" style="white-space:nowrap">天津招商项目\u00a0·</span>' in \
        rendered.html


def test_bulk_mail_headers_and_encoded_words_within_75_characters() -> None:
    settings = Settings(secret_key="k", mail={"reply_to": "运维 <ops@radar.test>",
                                              "feedback_id": "radar-cn"})
    reader = replace(SUBSCRIBER, districts=("武清区", "滨海新区", "西青区", "东丽区"))
    entries = [replace(e, districts=(d,)) for e, d in zip(ENTRIES, reader.districts, strict=True)]
    rendered, envelope = compose(reader, "w:2025-07-28", entries, settings,
                                 Gazetteer.tianjin(), {}, NOW)
    raw = build_message(rendered, envelope, NOW).data
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Precedence"] == "bulk"
    assert parsed["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    assert parsed["Feedback-ID"] == "weekly:digest:radar-cn"
    assert parsed["Reply-To"].addresses[0].display_name == "运维"
    assert parsed["Reply-To"].addresses[0].addr_spec == "ops@radar.test"
    words = re.findall(r"=\?utf-8\?b\?[^?]*\?=", head)
    assert len(words) > 3 and max(len(w) for w in words) <= 75  # RFC 2047 §2
    assert max(len(line) for line in head.split("\r\n") if "=?utf-8?" in line) <= 78


def test_reply_to_and_feedback_id_are_optional_and_checked() -> None:
    rendered, envelope = compose(SUBSCRIBER, "i:1", ENTRIES, Settings(
        secret_key="k", mail={"feedback_id": None}), Gazetteer.tianjin(), {}, NOW)
    head = build_message(rendered, envelope, NOW).data.split(b"\r\n\r\n", 1)[0]
    assert b"Reply-To:" not in head and b"Feedback-ID:" not in head
    for wrong in ({"reply_to": "ops"}, {"feedback_id": "a:b"},
                  {"operator_name": "two\nlines"}, {"operator_contact": "x\ry"}):
        with pytest.raises(ValueError, match=next(iter(wrong))):
            Settings(mail=wrong)
