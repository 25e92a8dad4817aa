"""The stage a project item reports (pure).

    推介 → 洽谈 → 签约 → 落地 → 开工 → 封顶 → 竣工 → 投产

The first stage named in the title wins; else the first in the summary. A stage that is
only planned (计划开工, 力争年内签约, 将于…投产) or a word in another sense (开工率, 签约
主播, 家庭医生签约) does not count. Policies have no stage: their stage words are
conditions ("对新开工项目给予…").
"""

from __future__ import annotations

import re

STAGES = ("推介", "洽谈", "签约", "落地", "开工", "封顶", "竣工", "投产")
# the words news uses for each stage, longest first within a stage
_WORDS: dict[str, tuple[str, ...]] = {
    "推介": ("推介会", "推介"),
    "洽谈": ("洽谈会", "洽谈"),
    "签约": ("集中签约", "签约", "签署", "签订"),
    "落地": ("落地", "落户", "入驻"),
    "开工": ("开工建设", "开工", "动工", "开建", "奠基"),
    "封顶": ("封顶",),
    "竣工": ("竣工", "完工", "建成"),
    "投产": ("正式投产", "投产", "达产", "试生产", "开业", "投运", "投入运营"),
}
_PLANNED = re.compile(r"(计划|拟|将|将于|力争|预计|确保|争取|即将|准备|有望|推动|加快|"
                      r"年内|待|前|后)\s*$")
_OTHER_SENSE = ("开工率", "签约主播", "家庭医生签约", "签约医生", "签约仪式前", "建成区",
                "入驻率", "投产后", "签约后", "开业率", "落地生根")
_PATTERN = re.compile("|".join(sorted((w for ws in _WORDS.values() for w in ws),
                                      key=len, reverse=True)))
_STAGE_OF = {w: stage for stage, ws in _WORDS.items() for w in ws}


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
        if _PLANNED.search(text[max(0, match.start() - 6):match.start()]):
            continue
        return _STAGE_OF[match.group()]
    return None
