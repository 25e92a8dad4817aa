"""Templates inlined once when loaded give the same mail as inlining every rendered mail."""

from dataclasses import replace
from typing import Any

import lxml.html
import pytest

from tests.test_digest import ENTRIES, LINKS, SUBSCRIBER, build, entry
from worker.digest.build import Digest, Operator
from worker.digest.inlining import InliningError, preinline
from worker.digest.reminder import Reminder, ReminderItem
from worker.digest.render import INLINER, jinja_environment, render_digest
from worker.resources import templates_dir

STYLE = "<style>.a{color:red} .a p{margin:0}</style>"


def tree(html: str) -> list[tuple[str, list[tuple[str, str]], str, str]]:
    """Each element and comment: its tag, attributes, text and tail (outer spaces aside;
    where a template's line breaks fall is not what a reader sees)."""
    root = lxml.html.document_fromstring(html)
    return [(el.tag if isinstance(el.tag, str) else "<!-->", sorted(el.attrib.items()),
             (el.text or "").strip(), (el.tail or "").strip()) for el in root.iter()]


def inlined_per_mail(template: str, **context: Any) -> str:
    """The way every mail was made before: the template as written, inlined once rendered."""
    env = jinja_environment(templates_dir(), inlined=False)
    return INLINER.inline(env.get_template(template).render(**context))


DIGESTS = {
    "golden": build(),
    "operator and older items": build(
        [replace(e, item=replace(e.item, published=e.item.published.replace(year=2024)))
         for e in ENTRIES], operator=Operator("某咨询公司", "联系：ops@radar.test")),
    "one item, no url, long meta": build(
        [entry(9, "AI" * 30, "project", ("武清区", "西青区", "东丽区"), ("武清区",), ("AI",),
               "<mark>不是标记</mark> AI", url="", also_in=("binhai",))]),
    "nothing shown": build([], subscriber=replace(SUBSCRIBER, keywords=())),
}


@pytest.mark.parametrize("name", DIGESTS)
def test_a_digest_is_the_same_document_either_way(name: str) -> None:
    digest: Digest = DIGESTS[name]
    html = render_digest(digest).html
    assert tree(html) == tree(inlined_per_mail("digest.html", digest=digest))
    assert ('style="' in html and "<mark style=" in html) or not digest.total


def test_a_reminder_is_the_same_document_either_way() -> None:
    item = ReminderItem("关于申报2025年新能源专项资金的通知<b>", "https://tj.test/9.html",
                        "8月31日", "周日", "7天后截止", "最高500万元 · 补贴30%", "武清区发改委",
                        "武清发改〔2025〕3号", "天津优惠政策")
    reminder = Reminder("申报截止提醒", "王先生，您好：", (item, replace(item, url="")), LINKS)
    env = jinja_environment(templates_dir())
    html = env.get_template("reminder.html").render(reminder=reminder)
    assert tree(html) == tree(inlined_per_mail("reminder.html", reminder=reminder))
    assert "&lt;b&gt;" in html


def test_tags_keep_their_place_and_rules_reach_their_elements() -> None:
    source = (f"<html><head><title>{{{{ t }}}}</title>{STYLE}</head><body><table class=a>"
              "<tr><td>x</td></tr>{% for r in rows %}<tr><td class=a title=\"{{ r }}\">"
              "<p>{{ r }}</p></td></tr>{% endfor %}</table></body></html>")
    out = preinline(source, INLINER)
    assert '{% for r in rows %}<tr><td class="a" title="{{ r }}" style="color:red">' in out
    assert '<p style="margin:0">{{ r }}</p></td></tr>{% endfor %}' in out
    assert "<title>{{ t }}</title>" in out


@pytest.mark.parametrize(("head", "body", "kept"), [
    ("", "<table><tbody><tr>{{ cells }}</tr></tbody></table>",  # text would leave a table
     "<tr>{{ cells }}</tr>"),
    ("{{ extra_meta }}", "", "<head>{{ extra_meta }}"),  # or the <head>
    ("", "<!--[if mso]>{% if x %}<table><tr><td><![endif]-->",  # inside Outlook's comment
     "<!--[if mso]>{% if x %}<table><tr><td><![endif]-->"),
    ("<title>{% if a %}{{ a }}{% endif %}</title>", "", "<title>{% if a %}{{ a }}{% endif %}"),
])
def test_tags_stay_where_a_parser_would_move_text(head: str, body: str, kept: str) -> None:
    page = f"<!DOCTYPE html><html><head>{head}{STYLE}</head><body>{body}</body></html>"
    assert kept in preinline(page, INLINER)


@pytest.mark.parametrize(("body", "why"), [
    ("<div class=a {{ attributes }}>x</div>", "move or break a Jinja tag"),  # attribute name
    ("<div class=a {% if x %}hidden{% endif %}>x</div>", "move or break a Jinja tag"),
    ("<table>{% for r in rows %}<tr><td>{{ r }}</td></tr>{% endfor %}</table>",
     "write its <tbody> out"),  # the parser's <tbody> would open once per row
    ('<p class="a {{ tone }}">x</p>', "class written by Jinja"),
    ("{% include 'item.html' %}", "one whole document"),
])
def test_what_would_change_the_mail_is_refused(body: str, why: str) -> None:
    page = f"<!DOCTYPE html><html><head>{STYLE}</head><body>{body}</body></html>"
    with pytest.raises(InliningError, match=f"^page\\.html: .*{why}"):
        preinline(page, INLINER, "page.html")


@pytest.mark.parametrize("rule", ["tr:nth-child(even)", "p + p", "h2 ~ p", "li:last-child"])
def test_rules_that_depend_on_siblings_are_refused(rule: str) -> None:
    page = f"<!DOCTYPE html><html><head><style>{rule} {{ color: red }}</style></head></html>"
    with pytest.raises(InliningError, match="depends on siblings or position"):
        preinline(page, INLINER)
