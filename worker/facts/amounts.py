"""Which sums of money are investment, with their kind and qualifier, and the headline one
(pure).

Kind: the investment word nearest before the sum in its clause (总投资, 计划总投资, 协议投资额,
签约额, 引资, 到位资金, 投资); sums named 注册资本, 产值, 营收, 税收, 补贴, 奖励 or a fund's
size are not investment. Qualifier: 约/近/左右 about, 超/逾/以上/多 over, 不低于/不少于 at
least, 最高/不超过 a cap (never a floor). Not amounts at all: thresholds ("投资超10亿元的项目
5个", "亿元以上项目"), scales ("百亿级"), and what was done before (累计, 去年, 同比).

Headline rule (documented in README): the largest investment sum of the item — a total is
larger than its parts, and of several unrelated sums investors look at the biggest. A sum
with no investment word counts in a project item when nothing says it is something else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from worker.facts.money import Money, find_money

KINDS = ("计划总投资", "协议投资额", "总投资额", "投资总额", "总投资", "签约额", "签约金额",
         "到位资金", "引资", "引进资金", "投资额", "投资")
_CANONICAL = {"总投资额": "总投资", "投资总额": "总投资", "签约金额": "签约额",
              "引进资金": "引资", "投资额": "投资"}
NOT_INVESTMENT = ("注册资本", "注册资金", "产值", "营收", "营业收入", "销售收入", "销售额",
                  "税收", "纳税", "补贴", "补助", "奖励", "资助", "扶持", "基金", "贷款",
                  "融资", "授信", "专项资金", "规模", "交易额", "成交额", "出口", "进口",
                  "外贸", "消费", "GDP", "增加值", "收入", "利润", "市值", "估值", "票房")
PAST = ("累计", "去年", "上年", "同比", "以来", "此前", "历年")
_CLAUSE_END = re.compile(r"[。；;！!？?\n，,、]")
_ABOUT = ("约", "近", "大约", "预计", "左右")
_OVER = ("超过", "超", "逾", "以上", "余", "多", "突破")
_AT_LEAST = ("不低于", "不少于", "至少")
_CAP = ("最高", "不超过", "最多", "上限", "至多")
Qualifier = str  # about | over | at_least | cap | "" (exact)


@dataclass(frozen=True)
class Amount:
    money: Money
    kind: str  # one of KINDS (canonical), or "" when no investment word names it
    qualifier: Qualifier
    investment: bool


def amounts(text: str, project: bool, usd_rate: float) -> list[Amount]:
    """Every sum of money in the text with what it is, thresholds and scales left out."""
    out = []
    for money in find_money(text, usd_rate):
        before = _clause_before(text, money.start)
        after = text[money.end:money.end + 6]
        if _is_threshold(before, after):
            continue
        kind = _kind(before)
        other = _other_word(before)
        past = any(word in before[-8:] for word in PAST)
        investment = not past and ((kind != "" and not _after(other, kind, before))
                                   or (kind == "" and project and other == ""))
        out.append(Amount(money, kind, _qualifier(_gap(before, kind), after), investment))
    return out


def headline(found: Sequence[Amount]) -> Amount | None:
    """The item's headline investment: the largest (see the module's rule)."""
    return max((a for a in found if a.investment), key=lambda a: a.money.yuan, default=None)


def _clause_before(text: str, start: int) -> str:
    head = text[max(0, start - 30):start]
    cut = [m.end() for m in _CLAUSE_END.finditer(head)]
    return head[cut[-1]:] if cut else head


def _is_threshold(before: str, after: str) -> bool:
    """'投资超10亿元的项目', '亿元以上项目', '百亿级产业集群', '10亿元以上的项目5个'."""
    tail = after.lstrip()
    return tail.startswith(("级", "量级")) or bool(
        re.match(r"(以上|及以上|左右)?的?(重点|重大|大|产业)?项目", tail)
        and not re.search(r"(总投资|投资总额|签约额)[为达约共计]?$", before))


def _kind(before: str) -> str:
    """The investment word ending nearest the sum; of two ending together, the longer
    (总投资 over the 投资 inside it)."""
    found = [(before.rfind(w) + len(w), len(w), w) for w in KINDS if w in before]
    if not found:
        return ""
    word = max(found)[2]
    return _CANONICAL.get(word, word)


def _other_word(before: str) -> str:
    found = [(before.rfind(w), w) for w in NOT_INVESTMENT if w in before]
    return max(found)[1] if found else ""


def _after(other: str, kind: str, before: str) -> bool:
    """The non-investment word comes after the investment word: it names the sum."""
    return bool(other) and before.rfind(other) > before.rfind(kind)


def _gap(before: str, kind: str) -> str:
    """What stands between the investment word and the sum ("总投资约42亿元" → "约"): the
    qualifier is read there, so 约 inside 签约额 is not "about"."""
    found = [before.rfind(w) + len(w) for w in KINDS if w in before]
    return before[max(found):] if kind and found else before[-4:]


def _qualifier(near: str, after: str) -> Qualifier:
    tail = after[:3]
    if any(w in near for w in _CAP) or tail.startswith("以内"):
        return "cap"
    if any(w in near for w in _AT_LEAST):
        return "at_least"
    if any(w in near for w in _ABOUT) or tail.startswith("左右"):
        return "about"
    if any(w in near for w in _OVER[:3]) or tail.startswith(_OVER[3:]) or \
            any(w in near for w in ("突破",)):
        return "over"
    return ""
