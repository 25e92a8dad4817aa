"""The stage a project item reports (pure).

    推介 → 洽谈 → 签约 → 落地 → 开工 → 封顶 → 竣工 → 投产

The first stage named in the title wins; else the first in the summary. A stage that is
only planned (计划开工, 力争年内签约, 预计2027年投产, 签约前, 投产后, "is expected to start
production") or a word in another sense (开工率, 签约主播, 家庭医生签约, a product's 推介会,
a business model's or a policy's 落地) does not count. Policies have no stage: their stage
words are conditions ("对新开工项目给予…").
"""

from __future__ import annotations

import re

STAGES = ("推介", "洽谈", "签约", "落地", "开工", "封顶", "竣工", "投产")
# the words news uses for each stage, Chinese and English
_WORDS: dict[str, tuple[str, ...]] = {
    "推介": ("推介会", "推介", "路演", "promotes investment", "promotion conference",
           "investment promotion", "promotion event"),
    "洽谈": ("洽谈会", "洽谈", "商洽", "talks with", "held talks"),
    "签约": ("集中签约", "签约", "签署", "签订", "签下", "signs", "signed", "inks", "inked",
           "sign agreements"),
    "落地": ("落地", "落户", "入驻", "揭牌", "lands", "landed", "settled in", "settles in"),
    "开工": ("开工建设", "集中开工", "开工", "动工", "开建", "奠基", "breaks ground",
           "broke ground", "began construction", "starts construction",
           "started construction"),
    "封顶": ("主体结构封顶", "封顶", "tops out", "topped out"),
    "竣工": ("竣工", "完工", "建成", "completed", "completes"),
    "投产": ("正式投产", "投产", "达产", "试生产", "开业", "投运", "投入运营", "并网发电",
           "put into operation", "went into operation", "goes into operation",
           "began operation", "started production", "starts production",
           "began production", "commenced operation"),
}
# planned, not reached: a plan word shortly before in the same clause
_PLANNED = re.compile(r"(计划|拟|将|力争|预计|确保|争取|即将|准备|有望|推动|加快|待|"
                      r"will|expected to|plans? to|set to|aims? to|to be)"
                      r"[^，。；,;!！?？]{0,8}$|(年内|(?<!日)前|后)\s*$", re.IGNORECASE)
_FUTURE_AFTER = re.compile(r"^(前|后|之前|之后)")
# "completes the delivery of its 2,500th aircraft": something done, not a building
_NOT_BUILT_AFTER = re.compile(r"^\s+(the |its |a )?(delivery|deliveries|transaction|deal|"
                              r"registration|acquisition|first)", re.IGNORECASE)
_OTHER_SENSE = ("开工率", "签约主播", "家庭医生签约", "签约医生", "签约服务", "签约居民",
                "建成区", "入驻率", "开业率", "落地生根", "落地见效")
# the word before that gives 推介 / 落地 another sense: a product launch, a business
# model or a policy taking effect
_OTHER_BEFORE = re.compile(r"(新品|产品|新药|品牌|业务|模式|政策|举措|措施|服务|首单|首次|"
                           r"场景)$")
_PATTERN = re.compile("|".join(
    rf"\b{re.escape(w)}\b" if w.isascii() else re.escape(w)  # "inks", not "links"
    for w in sorted((w for ws in _WORDS.values() for w in ws), key=len, reverse=True)),
    re.IGNORECASE)
_STAGE_OF = {w.lower(): stage for stage, ws in _WORDS.items() for w in ws}


def stage(title: str, summary: str) -> str | None:
    """The reported stage of a project item, or None."""
    for text in (title, summary):
        found = first_stage(text)
        if found is not None:
            return found
    return None


def first_stage(text: str) -> str | None:
    for match in _PATTERN.finditer(text):
        window = text[max(0, match.start() - 4):match.end() + 3]
        if any(other in window for other in _OTHER_SENSE):
            continue
        before = text[max(0, match.start() - 14):match.start()]
        rest = text[match.end():]
        if _PLANNED.search(before) or _FUTURE_AFTER.match(rest):
            continue
        name = _STAGE_OF[match.group().lower()]
        if name == "竣工" and _NOT_BUILT_AFTER.match(rest):
            continue
        if name in ("推介", "落地") and _OTHER_BEFORE.search(before[-4:]):
            continue
        return name
    return None
