"""Sums of money as Chinese news prints them → yuan (pure).

    42亿元 · 5,000万元 · 1.2万亿元 · 十二亿五千万元 · 三百五十亿 · 百亿元 · 两千万美元 · 3亿美元

Arabic figures are read here; Chinese numerals by cn2an (一百 written 百 is completed
first). Dollars are converted at the rate given (the printed figure is kept).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
# a number: Arabic (commas, decimals) optionally followed by 万/亿 units, or Chinese numerals
_NUMBER = (r"(?P<num>\d[\d,，]*(?:\.\d+)?\s*(?:万亿|千万|百万|十万|万|亿)?"
           rf"|[{_CN_DIGITS}]+)")
# A bare 亿 is yuan too ("总投资100亿"), unless a count of something else follows.
_CURRENCY = (r"(?P<unit>万亿元|亿元|万元|千万元|元|万亿美元|亿美元|千万美元|万美元|美元"
             r"|亿(?![元美人千颗件吨度次个只平立张册条台辆户家]))")
MONEY = re.compile(_NUMBER + r"\s*" + _CURRENCY)
_UNIT_FACTOR = {"万亿元": 1e12, "亿元": 1e8, "亿": 1e8, "千万元": 1e7, "万元": 1e4, "元": 1.0,
                "万亿美元": 1e12, "亿美元": 1e8, "千万美元": 1e7, "万美元": 1e4, "美元": 1.0}
_INNER_FACTOR = {"万亿": 1e12, "千万": 1e7, "百万": 1e6, "十万": 1e5, "万": 1e4, "亿": 1e8}


@dataclass(frozen=True)
class Money:
    yuan: float  # in yuan, dollars converted
    text: str  # as printed: "42亿元"
    start: int
    end: int
    dollars: bool = False


def find_money(text: str, usd_rate: float) -> list[Money]:
    """Every sum of money in the text, in order."""
    out = []
    for found in MONEY.finditer(text):
        number = _number(found["num"])
        if number is None:
            continue
        unit = found["unit"]
        dollars = "美元" in unit
        yuan = number * _UNIT_FACTOR[unit] * (usd_rate if dollars else 1.0)
        out.append(Money(yuan, found.group(), found.start(), found.end(), dollars))
    return out


def _number(text: str) -> float | None:
    text = text.replace(",", "").replace("，", "").replace(" ", "")
    if text[0].isdigit():
        for suffix, factor in _INNER_FACTOR.items():
            if text.endswith(suffix):
                return float(text[: -len(suffix)]) * factor
        return float(text)
    return _chinese(text)


@cache
def _chinese(text: str) -> float | None:
    import cn2an  # Chinese numerals are rare; the library loads only when one is met

    text = text.replace("两", "二").replace("〇", "零")
    if text[0] in "十百千万亿":
        text = "一" + text  # 百亿 → 一百亿, which cn2an reads
    try:
        return float(cn2an.cn2an(text, "strict"))
    except (ValueError, KeyError):
        return None
