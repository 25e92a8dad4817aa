"""What a policy item says an applicant needs to know (pure): the deadline (申报截止), the
largest money support and subsidy rate it names, and whether it is a call for
applications (申报), an explanation (解读) or the policy text itself (原文).

A deadline without a year takes the item's year, or the next one when that date would
fall before the item was published (a December notice "截止1月15日").
"""

from __future__ import annotations

import re
from datetime import date

from worker.facts.money import find_money

_YMD = r"(?:(?P<y>\d{4})\s*[年./\-]\s*)?(?P<m>\d{1,2})\s*[月./\-]\s*(?P<d>\d{1,2})\s*日?"
_DEADLINE = re.compile(
    r"(?:申报截止(?:时间|日期)?|截止(?:时间|日期)?|截至|即日起至|请于|须于|应于|于|至)"
    r"[为是：:\s]*" + _YMD + r"(?:\s*\d{1,2}[:：]\d{2})?(?P<tail>前|止|之前|截止)?")
_RANGE_END = re.compile(_YMD + r"\s*[-—–至到~]\s*" + _YMD.replace("?P<", "?P<e"))
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_ENGLISH = re.compile(r"\b(?:by|before|due|deadline[:\s]*|until)\s+(?P<mon>[A-Za-z]{3})[a-z]*"
                      r"\.?\s+(?P<d>\d{1,2})(?:,?\s*(?P<y>\d{4}))?", re.IGNORECASE)
_SUPPORT = ("奖励", "补贴", "补助", "资助", "支持", "扶持", "奖补", "贴息", "一次性", "给予")
_RATE = re.compile(r"(?P<pct>\d{1,3}(?:\.\d+)?)\s*[%％]|百分之(?P<cn>[一二三四五六七八九十]+)"
                   r"|(?P<cheng>[一二三四五六七八九])成")
_CN = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_NOT_RATE = ("增长", "增速", "同比", "提高", "下降", "占比", "比重", "达到", "以上的企业",
             "降低", "完成率")


def deadline(text: str, published: date) -> date | None:
    """The application deadline the text names, or None."""
    ranged = _RANGE_END.search(text)
    if ranged and re.search(r"申报|受理|征集|报名|提交", text[max(0, ranged.start() - 12):
                                                           ranged.end() + 6]):
        return _day(ranged["ey"] or ranged["y"], ranged["em"], ranged["ed"], published)
    for found in _DEADLINE.finditer(text):
        word = found.group().split(found["m"])[0]
        if word.strip().startswith(("于", "至")) and not found["tail"]:
            continue  # 于…举行, 至…: a date, not a deadline, unless 前 / 止 follows
        if "施行" in text[found.end():found.end() + 4] or "有效" in text[found.end():
                                                                     found.end() + 4]:
            continue
        return _day(found["y"], found["m"], found["d"], published)
    english = _ENGLISH.search(text)
    if english and english["mon"].lower()[:3] in _MONTHS:
        return _day(english["y"], str(_MONTHS[english["mon"].lower()[:3]]), english["d"],
                    published)
    return None


def _day(year: str | None, month: str, day: str, published: date) -> date | None:
    try:
        found = date(int(year) if year else published.year, int(month), int(day))
    except ValueError:
        return None
    if not year and found < published:
        found = found.replace(year=found.year + 1)
    return found


def support_max(text: str, usd_rate: float) -> float | None:
    """The largest money support named (最高奖励500万元, 不超过200万元, 一次性奖励10万元)."""
    values = [m.yuan for m in find_money(text, usd_rate)
              if any(w in text[max(0, m.start - 12):m.start] for w in _SUPPORT)]
    return max(values, default=None)


def support_rate(text: str) -> float | None:
    """The largest subsidy rate named (按30%给予补贴, 百分之五十, 三成), not growth rates."""
    rates = []
    for found in _RATE.finditer(text):
        context = text[max(0, found.start() - 10):found.end() + 8]
        if any(w in context for w in _NOT_RATE) or not any(
                w in context for w in (*_SUPPORT, "按", "标准")):
            continue
        if found["pct"]:
            rates.append(float(found["pct"]) / 100)
        elif found["cn"]:
            rates.append(_CN.get(found["cn"], 0) / 100)
        else:
            rates.append(_CN[found["cheng"]] / 10)
    return max(rates, default=None)


def policy_kind(title: str, text: str) -> str | None:
    """申报, 解读 or 原文; None when the item is neither (a 公示, a list of winners)."""
    if re.search(r"解读|答记者问|一图读懂|图解|问答|出台|发布.*(措施|政策|办法)", title):
        return "解读"
    if re.search(r"申报|征集|报名|申请|遴选|推荐.*工作|兑现", title):
        return "申报"
    if re.search(r"公示|名单|结果", title):
        return None
    if re.search(r"印发|办法|措施|方案|细则|规定|意见|条例|政策", title):
        return "原文"
    return "申报" if re.search(r"申报|提交申请", text) else None
