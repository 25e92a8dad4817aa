from datetime import UTC, datetime, timedelta, timezone

import pytest

from worker.dates import parse_date
from worker.normalize import (
    canonical_url,
    clean_text,
    content_fingerprint,
    fold,
    html_to_text,
    split_label,
    title_key,
)

NOW = datetime(2025, 7, 28, 1, 0, tzinfo=UTC)
CST = timezone(timedelta(hours=8))


@pytest.mark.parametrize(("raw", "display", "folded"), [
    ("ＡＩ大模型", "AI大模型", "ai大模型"),
    ("新能源，智能制造：２０２５", "新能源，智能制造：2025", "新能源,智能制造:2025"),
    ("  多个\t空白\n\n合并 ", "多个 空白 合并", "多个 空白 合并"),
    ("控制\x00字符\u202e反转", "控制字符反转", "控制字符反转"),
    ("　全角空格　", "全角空格", "全角空格"),
])
def test_display_keeps_chinese_punctuation_and_fold_normalizes_everything(
    raw: str, display: str, folded: str
) -> None:
    assert clean_text(raw) == display
    assert fold(raw) == folded


@pytest.mark.parametrize(("fragment", "text"), [
    ("<p>武清<b>新能源</b></p><p>项目</p>", "武清新能源 项目"),
    ("a<script>alert(1)</script>b", "ab"),
    ("<style>p{}</style>正文&amp;说明", "正文&说明"),
    ('<img src="http://t.test/p.gif">图', "图"),
])
def test_html_to_text(fragment: str, text: str) -> None:
    assert html_to_text(fragment) == text


@pytest.mark.parametrize(("url", "base", "canonical"), [
    # the fragment stays: items of one page that differ only in it are different items
    ("HTTP://Example.ORG:80/a?utm_source=x&id=3#frag", "", "http://example.org/a?id=3#frag"),
    ("http://example.org/a#", "", "http://example.org/a"),
    ("/news/1.html", "http://tj.test/list/", "http://tj.test/news/1.html"),
    ("https://tj.test:8443", "", "https://tj.test:8443/"),
    ("javascript:alert(1)", "http://tj.test/", ""),
    ("data:text/html,hi", "", ""),
    ("mailto:a@b.c", "", ""),
])
def test_canonical_url(url: str, base: str, canonical: str) -> None:
    assert canonical_url(url, base) == canonical


def test_label_split_and_title_key() -> None:
    assert split_label("【武清区招商】武清区打造高地") == ("武清区招商", "武清区打造高地")
    assert split_label("无标签标题") == (None, "无标签标题")
    # Same story, label and punctuation changed: same key.
    assert title_key("【滨海新区招商】北京优质项目集群落户天津滨海 赋能京津冀") == title_key(
        "北京优质项目集群落户天津滨海，赋能京津冀"
    )


def test_short_generic_titles_need_the_same_url_to_merge() -> None:
    assert content_fingerprint("通知", "http://a.test/1") != content_fingerprint(
        "通知", "http://b.test/2"
    )
    long_title = "天津市西青区人民政府关于印发政府工作报告的通知"
    assert content_fingerprint(long_title, "http://a.test/1") == content_fingerprint(
        f"【西青】{long_title}", "http://b.test/2"
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("Fri, 25 Jul 2025 10:20:00 +0800", datetime(2025, 7, 25, 10, 20, tzinfo=CST)),
    ("Fri, 25 Jul 2025 02:20:00 GMT", datetime(2025, 7, 25, 2, 20, tzinfo=UTC)),
    ("2025-07-25T10:20:00+08:00", datetime(2025, 7, 25, 10, 20, tzinfo=CST)),
    ("2025-07-25T02:20:00Z", datetime(2025, 7, 25, 2, 20, tzinfo=UTC)),
    ("2025-07-25", datetime(2025, 7, 25, tzinfo=CST)),
    ("2025-07-25 10:30", datetime(2025, 7, 25, 10, 30, tzinfo=CST)),
    ("2025/07/25", datetime(2025, 7, 25, tzinfo=CST)),
    ("2025年07月25日", datetime(2025, 7, 25, tzinfo=CST)),
    ("发布日期:2025年7月5日", datetime(2025, 7, 5, tzinfo=CST)),
    ("07-25", datetime(2025, 7, 25, tzinfo=CST)),
    ("12-31", datetime(2024, 12, 31, tzinfo=CST)),  # would be in the future: last year
    ("3小时前", datetime(2025, 7, 28, 6, 0, tzinfo=CST)),
    ("", None),
    ("不是日期", None),
    ("2025-13-45", None),
])
def test_parse_date(text: str, expected: datetime | None) -> None:
    assert parse_date(text, NOW) == expected
