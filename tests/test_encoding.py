from pathlib import Path

import pytest

from worker.sources.encoding import decode_html, normalize_charset

PAGES = Path(__file__).parent / "fixtures" / "pages"


@pytest.mark.parametrize(("page", "content_type", "expected"), [
    ("xiqing-policies-gbk.html", "text/html", "天津市西青区人民政府关于印发政府工作报告的通知"),
    ("xiqing-policies-gbk.html", "text/html; charset=gb2312", "关于西青区政府工作报告的解读"),
    # the header is wrong (says UTF-8), the meta right: UTF-8 fails, the meta wins
    ("xiqing-policies-gbk.html", "text/html; charset=utf-8", "新能源汽车产业发展的若干措施"),
    ("gb18030.html", "text/html", "武清区䶮字号企业签约落户"),
    ("gb18030.html", "text/html; charset=GBK", "武清区䶮字号企业签约落户"),  # GBK read as GB18030
    ("utf8-claims-gbk.html", "text/html; charset=gbk", "滨海高新区人工智能产业园开园"),
    ("gbk-undeclared.html", "text/html", "宝坻区新能源电池项目签约仪式"),
])
def test_pages_decode(page: str, content_type: str, expected: str) -> None:
    text = decode_html((PAGES / page).read_bytes(), content_type)
    assert expected in text
    assert "\ufffd" not in text


@pytest.mark.parametrize(("declared", "codec"), [
    ("gb2312", "gb18030"), ("GBK", "gb18030"), ("\"utf-8\"", "utf-8"), ("UTF8", "utf-8"),
    ("big5", "big5"), ("nonsense", None),
])
def test_normalize_charset(declared: str, codec: str | None) -> None:
    assert normalize_charset(declared) == codec


def test_bom_and_garbage() -> None:
    assert decode_html(b"\xef\xbb\xbf<p>\xe6\xb5\x8b</p>") == "<p>测</p>"
    assert isinstance(decode_html(bytes(range(256)) * 4), str)  # never raises
