"""How many projects an item reports (pure).

A stated count: "签约项目32个", "23个重点项目", "新落地项目超过200个", "两个产业项目",
"与5家企业签约", "18 projects", "nine projects". A sub-count (其中亿元以上项目9个, 投资超10亿元
的项目5个) is not the count unless it is the only one given. With no count stated there is
none: news about one deal says nothing about a count (digests print counts above one).
"""

from __future__ import annotations

import re

from worker.facts.money import chinese_number

_N = r"(\d+|[一二两三四五六七八九十百]+)"
_COUNT = re.compile(
    r"项目(?:数)?(?:共|共计|合计|达|达到|超过|超|逾|近|约|为)?" + _N + r"(?:余|多)?个"
    rf"|{_N}(?:余|多)?个(?:重点|重大|产业|招商|新|优质|高质量|签约|开工|[^，。；、\d]{{0,4}})?项目"
    rf"|{_N}(?:个)?(?:重点|重大)?项目(?:集中)?(?:签约|开工|落地|竣工|投产)"
    rf"|与{_N}家(?:企业|公司|单位)(?:集中|分别)?(?:签约|签订|签署)")
_ENGLISH_NUMBERS = {w: i for i, w in enumerate((
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty"))}
_ENGLISH_COUNT = re.compile(r"\b(\d[\d,]*|" + "|".join(_ENGLISH_NUMBERS) + r")\s+"
                            r"(?:[a-z-]+\s+){0,3}projects\b", re.IGNORECASE)
_SUB_COUNT = re.compile(r"(其中|以上|超过?\d|逾\d)[^，。；]*$")


def project_count(text: str) -> int | None:
    """The count the text states, or None."""
    counts: list[int] = []
    sub_counts: list[int] = []
    for found in _COUNT.finditer(text):
        number = _number(next(g for g in found.groups() if g))
        clause = text[max(0, found.start() - 16):found.start() + 2]
        (sub_counts if _SUB_COUNT.search(clause) else counts).append(number)
    counts += [_number(m[1]) for m in _ENGLISH_COUNT.finditer(text)]
    stated = [c for c in counts or sub_counts if c]
    return max(stated) if stated else None


def _number(text: str) -> int:
    text = text.replace(",", "")
    if text.isdigit():
        return int(text)
    if text.lower() in _ENGLISH_NUMBERS:
        return _ENGLISH_NUMBERS[text.lower()]
    return int(chinese_number(text) or 0)
