"""Sums of money as Chinese and English news prints them → yuan (pure).

    42亿元 · 5,000万元 · 1.2万亿元 · 十二亿五千万元 · 三百五十亿 · 百亿元 · 两千万美元 · 3亿美元
    30多亿元 · 40余亿元 · 2.5 billion yuan · RMB 300 million · $150 million

Arabic figures are read here; Chinese numerals by cn2an (一百 written 百 is completed
first). Dollars are converted at the rate given (the printed figure is kept). A sum in
brackets right after another is its equivalent ("12亿元（约1.67亿美元）"): one is kept, the
yuan figure when the two currencies differ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
# a number: Arabic (commas, decimals) optionally followed by 万/亿 units, or Chinese numerals
# (never starting with a bare unit: "多亿元" is no number)
_NUMBER = (r"(?P<num>\d[\d,，]*(?:\.\d+)?\s*(?:万亿|千万|百万|十万|万|亿)?"
           rf"|[一二两三四五六七八九十百千][{_CN_DIGITS}]*)(?P<more>多|余)?")
# A bare 亿 is yuan too ("总投资100亿"), unless a count of something else follows.
_CURRENCY = (r"(?P<unit>万亿元|亿元|万元|千万元|元|万亿美元|亿美元|千万美元|万美元|美元"
             r"|亿(?![元美人千颗件吨度次个只平立张册条台辆户家多余]))")
MONEY = re.compile(_NUMBER + r"\s*" + _CURRENCY)
_FIGURE = r"(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<scale>trillion|billion|million|thousand)?"
ENGLISH_MONEY = re.compile(
    r"(?:(?P<usd>US\s?\$|\$)|(?:RMB|CNY|¥)\s?)" + _FIGURE.replace("num>", "num>", 1)
    + r"(?:\s*(?P<usd2>(?:US\s)?dollars))?"
    + r"|" + _FIGURE.replace("?P<num>", "?P<num2>").replace("?P<scale>", "?P<scale2>")
    + r"\s*(?P<cur>yuan|renminbi|(?:US\s)?dollars)\b", re.IGNORECASE)
_UNIT_FACTOR = {"万亿元": 1e12, "亿元": 1e8, "亿": 1e8, "千万元": 1e7, "万元": 1e4, "元": 1.0,
                "万亿美元": 1e12, "亿美元": 1e8, "千万美元": 1e7, "万美元": 1e4, "美元": 1.0}
_INNER_FACTOR = {"万亿": 1e12, "千万": 1e7, "百万": 1e6, "十万": 1e5, "万": 1e4, "亿": 1e8}
_SCALE = {"trillion": 1e12, "billion": 1e9, "million": 1e6, "thousand": 1e3, "": 1.0}
_BRACKETED = re.compile(r"\s*[（(](?:约合?|合|折合|约折合|about|around|approx\.?)?"
                        r"(?:人民币)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Money:
    yuan: float  # in yuan, dollars converted
    text: str  # as printed: "42亿元"
    start: int
    end: int
    dollars: bool = False

    @property
    def more(self) -> bool:
        """Printed as 30多亿 / 40余亿: over the figure."""
        return "多" in self.text or "余" in self.text


def find_money(text: str, usd_rate: float) -> list[Money]:
    """Every sum of money in the text, in order; bracketed equivalents left out."""
    found = sorted([*_chinese_sums(text, usd_rate), *_english_sums(text, usd_rate)],
                   key=lambda m: m.start)
    out: list[Money] = []
    for money in found:
        previous = out[-1] if out else None
        if previous and _BRACKETED.fullmatch(text[previous.end:money.start]):
            if previous.dollars and not money.dollars:
                out[-1] = money  # "$150 million (1.08 billion yuan)": the yuan figure
            continue
        out.append(money)
    return out


def _chinese_sums(text: str, usd_rate: float) -> list[Money]:
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


def _english_sums(text: str, usd_rate: float) -> list[Money]:
    out = []
    for found in ENGLISH_MONEY.finditer(text):
        figure, scale = (found["num"], found["scale"]) if found["num"] else \
            (found["num2"], found["scale2"])
        dollars = bool(found["usd"] or found["usd2"] or "dollar" in (found["cur"] or "").lower())
        number = float(figure.replace(",", "")) * _SCALE[(scale or "").lower()]
        yuan = number * (usd_rate if dollars else 1.0)
        out.append(Money(yuan, found.group(), found.start(), found.end(), dollars))
    return out


def _number(text: str) -> float | None:
    text = text.replace(",", "").replace("，", "").replace(" ", "")
    if text[0].isdigit():
        for suffix, factor in _INNER_FACTOR.items():
            if text.endswith(suffix):
                return float(text[: -len(suffix)]) * factor
        return float(text)
    return chinese_number(text)


@cache
def chinese_number(text: str) -> float | None:
    """十二 → 12.0, 三百五十亿 → 3.5e10 (None when it is no number)."""
    import cn2an  # Chinese numerals are rare; the library loads only when one is met

    text = text.replace("两", "二").replace("〇", "零")
    if text[0] in "十百千万亿":
        text = "一" + text  # 百亿 → 一百亿, which cn2an reads
    try:
        return float(cn2an.cn2an(text, "strict"))
    except (ValueError, KeyError):
        return None
