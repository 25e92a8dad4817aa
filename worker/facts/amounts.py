"""Which sums of money are investment, with their kind and qualifier, and the headline one
(pure).

Kind: the investment word nearest before the sum in its clause (总投资, 计划总投资, 协议投资额,
签约额, 引资, 到位资金, 投资, and their English forms); sums named 注册资本, 产值, 营收, 税收,
补贴, 奖励 or a fund's size are not investment. Qualifier: 约/近/左右 about, 超/逾/以上/多/余
over, 不低于/不少于 at least, 最高/不超过/the top of a range a cap (never a floor). Not
amounts at all: thresholds ("投资超10亿元的项目5个", "亿元以上项目"), scales ("百亿级").

Headline rule (documented in README): the largest investment sum of the item — a total is
larger than its parts, and of several unrelated sums investors look at the biggest. What
was done before (去年, 同比) and targets (力争) are never the headline; a cumulative sum
(累计) is, only when the item reports nothing else ("上半年协议投资额累计超过600亿元"). A
sum with no investment word counts in a project item when nothing says it is otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from worker.facts.money import Money, find_money

# the words news uses for each kind; the longest ending nearest the sum names it
_KIND_WORDS: dict[str, tuple[str, ...]] = {
    "计划总投资": ("计划总投资", "计划投资", "planned total investment", "planned investment"),
    "协议投资额": ("协议投资额", "协议投资", "意向投资额", "意向投资",
                 "contracted investment", "agreed investment"),
    "总投资": ("总投资额", "投资总额", "总投资", "项目总投资", "total investment",
            "combined investment"),
    "签约额": ("签约总额", "签约金额", "签约额", "签约资金", "worth"),
    "到位资金": ("到位资金", "到位额", "实际到位"),
    "引资": ("引资", "协议引资", "引进资金", "引进内资", "合同外资", "利用外资", "利用内资",
           "引进外资"),
    # a year's share of a plan is investment, not the plan's total
    "投资": ("投资额", "投资规模", "投资金额", "年度计划投资", "年度投资", "投资",
           "investment of", "invest", "investment"),
}
_KIND_RANK = {kind: rank for rank, kind in enumerate(_KIND_WORDS)}
_KIND_OF = {w: kind for kind, words in _KIND_WORDS.items() for w in words}
NOT_INVESTMENT = ("注册资本", "注册资金", "实缴资本", "产值", "营收", "营业收入", "销售收入",
                  "销售额", "税收", "纳税", "补贴", "补助", "奖励", "资助", "扶持", "基金",
                  "贷款", "融资", "授信", "专项资金", "总规模", "首期规模", "基金规模",
                  "产业规模", "交易额", "成交额", "出口", "进口", "外贸", "消费", "GDP",
                  "增加值", "收入", "利润", "市值", "估值", "票房", "registered capital",
                  "revenue", "output", "subsid", "reward", "fund")
PAST = ("去年", "上年", "同比", "以来", "此前", "历年", "力争", "目标", "争取", "last year")
CUMULATIVE = ("累计", "cumulative")
_CLAUSE_END = re.compile(r"[。；;！!？?\n，,、]|\.\s")
_ABOUT = ("约", "近", "大约", "预计", "左右", "about", "nearly", "around", "approximately",
          "almost", "roughly")
_OVER = ("超过", "超", "逾", "突破", "over", "more than", "exceed", "above")
_OVER_AFTER = ("以上", "余", "多")
_AT_LEAST = ("不低于", "不少于", "至少", "at least", "no less than")
_CAP = ("最高", "不超过", "最多", "上限", "至多", "up to", "capped at", "no more than")
_RANGE_END = re.compile(r"[\d.一二两三四五六七八九十百千]+(?:万|亿)?(?:元|美元)?\s*"
                        r"(?:至|到|~|～|-|—|－|to)\s*$")
Qualifier = str  # about | over | at_least | cap | "" (exact)


@dataclass(frozen=True)
class Amount:
    money: Money
    kind: str  # a key of _KIND_WORDS, or "" when no investment word names it
    qualifier: Qualifier
    investment: bool
    cumulative: bool = False


def amounts(text: str, project: bool, usd_rate: float) -> list[Amount]:
    """Every sum of money in the text with what it is, thresholds and scales left out."""
    out = []
    for money in find_money(text, usd_rate):
        before = _clause_before(text, money.start)
        after = text[money.end:money.end + 12]
        if _is_threshold(before, after):
            continue
        word = _kind_word(before)
        other = _other_word(before, after)
        past = any(w in before[-10:].lower() for w in PAST)
        investment = not past and ((word != "" and not _after(other, word, before))
                                   or (word == "" and project and other == ""))
        cumulative = any(w in before.lower() for w in CUMULATIVE)
        qualifier = _qualifier(_gap(before, word), after, money)
        out.append(Amount(money, _KIND_OF.get(word, ""), qualifier, investment, cumulative))
    return out


def headline(found: Sequence[Amount]) -> Amount | None:
    """The item's headline investment: the largest (see the module's rule)."""
    invested = [a for a in found if a.investment]
    current = [a for a in invested if not a.cumulative] or invested
    # the same sum named twice (title and summary): the more specific word names it
    return max(current, key=lambda a: (a.money.yuan, -_KIND_RANK.get(a.kind, 99)),
               default=None)


def _clause_before(text: str, start: int) -> str:
    # English spells out what Chinese packs into a few characters
    reach = 60 if text[max(0, start - 3):start + 1].isascii() else 30
    head = text[max(0, start - reach):start]
    cut = [m.end() for m in _CLAUSE_END.finditer(head)]
    return head[cut[-1]:] if cut else head


def _is_threshold(before: str, after: str) -> bool:
    """'投资超10亿元的项目', '亿元以上项目', '百亿级产业集群', '10亿元以上的项目5个'."""
    tail = after.lstrip()
    return tail.startswith(("级", "量级")) or bool(
        re.match(r"(以上|及以上|左右)?的?(重点|重大|大|产业)?(项目|企业)", tail)
        and not re.search(r"(总投资|投资总额|签约额)[为达约共计]?$", before))


def _kind_word(before: str) -> str:
    """The investment word ending nearest the sum; of two ending together, the longer
    (总投资 over the 投资 inside it)."""
    lowered = before.lower()
    spans = [(lowered.rfind(w), lowered.rfind(w) + len(w), w) for w in _KIND_OF
             if w in lowered]
    # "total investment of": the part inside a longer word does not name the sum
    whole = [(end, len(w), w) for start, end, w in spans
             if not any(len(v) > len(w) and s < end and start < e for s, e, v in spans)]
    return max(whole)[2] if whole else ""


def _other_word(before: str, after: str) -> str:
    """A word naming the sum as something else: before it, or a fund right after it
    ("百亿元集成电路产业基金")."""
    lowered = before.lower()
    found = [(lowered.rfind(w), w) for w in NOT_INVESTMENT if w in lowered]
    if re.match(r"[^，。；,;]{0,10}基金", after):
        return "基金"
    return max(found)[1] if found else ""


def _after(other: str, word: str, before: str) -> bool:
    """The non-investment word comes after the investment word: it names the sum."""
    lowered = before.lower()
    return bool(other) and (other not in lowered or lowered.rfind(other) > lowered.rfind(word))


def _gap(before: str, word: str) -> str:
    """What stands between the investment word and the sum ("总投资约42亿元" → "约"): the
    qualifier is read there, so 约 inside 签约额 is not "about"."""
    if word:
        return before[before.lower().rfind(word) + len(word):]
    return before[-12:] if before[-1:].isascii() else before[-4:]


def _qualifier(near: str, after: str, money: Money) -> Qualifier:
    near, tail = near.lower(), after[:3]
    if any(w in near for w in _CAP) or tail.startswith("以内") or _RANGE_END.search(near):
        return "cap"
    if any(w in near for w in _AT_LEAST):
        return "at_least"
    if any(w in near for w in _ABOUT) or tail.startswith("左右"):
        return "about"
    if any(w in near for w in _OVER) or tail.startswith(_OVER_AFTER) or money.more:
        return "over"
    return ""
