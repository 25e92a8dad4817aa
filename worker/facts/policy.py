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
_TIME = r"(?:\s*[（(][^）)]{1,6}[）)])?(?:\s*\d{1,2}\s*(?:[:：]\d{2}|时|点))?"
_DEADLINE = re.compile(
    r"(?:申报截止(?:时间|日期)?|截止(?:时间|日期)?(?:到|至)?|截至|即日起至|请于|须于|应于|于"
    r"|请在|须在|应在|在|至)[为是：:\s]*" + _YMD + _TIME + r"(?P<tail>前|止|之前|截止)?")
# a date "before" which something is filed: "8月31日前提交申报材料"
_FILE_BY = re.compile(_YMD + _TIME + r"\s*(?:前|之前)(?=[^。；;]{0,20}(?:提交|申报|报送|报名|"
                      r"申请|完成|上传|填报))")
_RANGE_END = re.compile(_YMD + r"\s*[-—–至到~]\s*" + _YMD.replace("?P<", "?P<e"))
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_ENGLISH = re.compile(r"\b(?:by|before|due|deadline[:\s]*|until)\s+(?P<mon>[A-Za-z]{3})[a-z]*"
                      r"\.?\s+(?P<d>\d{1,2})(?:,?\s*(?P<y>\d{4}))?", re.IGNORECASE)
_SUPPORT = ("奖励", "补贴", "补助", "资助", "支持", "扶持", "奖补", "贴息", "一次性", "给予",
            "最高", "不超过", "上限", "封顶", "subsid", "reward", "grant", "allowance",
            "funding", "up to", "capped at", "bonus")
# a budget's or a list's total is no applicant's support
_AGGREGATE = ("共计", "合计", "总额", "总计", "累计", "in total")
# a per-unit standard names its support after the sum: 按每人每年6000元标准给予补贴
_STANDARD_AFTER = re.compile(r"^[^，。；,;]{0,4}(标准|的标准)")
_RATE = re.compile(r"(?P<pct>\d{1,3}(?:\.\d+)?)\s*(?:[%％]|\s?percent\b)"
                   r"|百分之(?P<cn>[一二三四五六七八九十]+)|(?P<cheng>[一二三四五六七八九])成",
                   re.IGNORECASE)
# what the applicant pays: the subsidy is the rest (租金按市场价的70%收取 → 30 %)
_PAID_AFTER = re.compile(r"^\s*(收取|计收|缴纳|支付)")
_CN = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_NOT_RATE = ("增长", "增速", "同比", "提高", "下降", "占比", "比重", "达到", "以上的企业",
             "降低", "完成率", "growth", "increase", "grew")


def deadline(text: str, published: date) -> date | None:
    """The application deadline the text names, or None."""
    ranged = _RANGE_END.search(text)
    if ranged and re.search(r"申报|受理|征集|报名|提交|申领|申请", text[max(0, ranged.start() - 12):
                                                           ranged.end() + 6]):
        return _day(ranged["ey"] or ranged["y"], ranged["em"], ranged["ed"], published)
    for found in _DEADLINE.finditer(text):
        word = found.group().split(found["m"])[0]
        if word.strip().startswith(("于", "至", "在")) and not found["tail"]:
            continue  # 于…举行, 至…: a date, not a deadline, unless 前 / 止 follows
        if "施行" in text[found.end():found.end() + 4] or "有效" in text[found.end():
                                                                     found.end() + 4]:
            continue
        return _day(found["y"], found["m"], found["d"], published)
    filed = _FILE_BY.search(text)
    if filed:
        return _day(filed["y"], filed["m"], filed["d"], published)
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
    values = []
    for money in find_money(text, usd_rate):
        before = text[max(0, money.start - 12):money.start].lower()
        if any(w in before[-4:] for w in _AGGREGATE) and not any(
                w in before[-4:] for w in ("最高", "不超过", "上限")):
            continue
        if any(w in before for w in _SUPPORT) or (
                "每" in before and _STANDARD_AFTER.match(text[money.end:])):
            values.append(money.yuan)
    return max(values, default=None)


def support_rate(text: str) -> float | None:
    """The largest subsidy rate named (按30%给予补贴, 百分之五十, 三成), not growth rates."""
    rates = []
    for found in _RATE.finditer(text):
        near = text[max(0, found.start() - 10):found.end() + 8].lower()
        # English spells the support word further away ("a 50 percent office rent subsidy")
        context = text[max(0, found.start() - 16):found.end() + 24].lower()
        if any(w in near for w in _NOT_RATE) or not any(
                w in context for w in (*_SUPPORT, "按", "标准")):
            continue
        rate = _rate(found)
        paid = _PAID_AFTER.match(text[found.end():])
        rates.append(round(1 - rate, 4) if paid else rate)
    return max(rates, default=None)


def _rate(found: re.Match[str]) -> float:
    if found["pct"]:
        return float(found["pct"]) / 100
    if found["cn"]:
        return _CN.get(found["cn"], 0) / 100
    return _CN[found["cheng"]] / 10


def policy_kind(title: str, text: str) -> str | None:
    """申报, 解读 or 原文; None when the item is neither (a 公示, a list of winners)."""
    if _ISSUING_EN.search(title):
        return "原文"  # "Notice … on Issuing …": the text itself, translated
    if _EXPLAINS.search(title):
        return "解读"
    if _CALLS.search(title):
        return "申报"
    if re.search(r"公示|名单|结果", title):
        return None
    if re.search(r"印发|办法|措施|方案|细则|规定|意见|条例|政策", title):
        return "原文"
    return "申报" if _CALLS_IN_TEXT.search(text) else None


_ISSUING_EN = re.compile(r"^(notice|circular|opinions?)\b.*\bon (issuing|printing)", re.I)
# news telling what a new policy says is an explanation of it
_EXPLAINS = re.compile(r"解读|答记者问|一图读懂|图解|问答|出台|发布.*(措施|政策|办法)|explainer|"
                       r"explained|q&a|\b(rolls? out|unveils?|introduces?|launches?|issues?|"
                       r"releases?)\b.*\b(measures|policy|policies|plan|guidelines)", re.I)
_CALLS = re.compile(r"申报|征集|报名|申请|申领|遴选|推荐.*工作|兑现|开展.*(补贴|补助|奖补|资助)"
                    r".*(活动|工作)|applications?\b.*\b(open|due|invited)|opens applications|"
                    r"call for applications|\bapply\b", re.I)
_CALLS_IN_TEXT = re.compile(r"申报|提交申请|填报|申领|may apply|can apply|applications are",
                            re.I)
