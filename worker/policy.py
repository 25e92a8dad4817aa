"""What investors filter policies on: issuing body, document number, document type (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from worker.normalize import split_label

# 津政办发〔2025〕12号, 西青政发[2025]3号, 津发改规〔2024〕5 号
_DOC_NUMBER = re.compile(
    r"[\u4e00-\u9fa5]{1,10}[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d{1,4}\s*号"
)
# "天津市西青区人民政府办公室关于印发…": the issuer is what precedes 关于
_ISSUER = re.compile(
    r"^((?:天津市)?[\u4e00-\u9fa5]{0,12}?"
    r"(?:人民政府办公室|人民政府|委员会|管理委员会|办公室|局|委|厅|中心|政府))(?:关于|印发)"
)
# Longest first, so 实施方案 is found before 方案.
DOC_TYPES = ("实施方案", "实施意见", "实施细则", "实施办法", "管理办法", "暂行办法", "若干措施",
             "指导意见", "行动计划", "工作方案", "解读", "通知", "通告", "公告", "决定", "意见",
             "办法", "措施", "规划", "方案", "细则", "规定", "批复", "报告")


@dataclass(frozen=True)
class PolicyMeta:
    issuer: str
    doc_number: str
    doc_types: tuple[str, ...]


def policy_meta(title: str, text: str = "") -> PolicyMeta:
    """Metadata from a policy's title (and body text, for the document number)."""
    title = split_label(title)[1]
    issuer = _ISSUER.match(title)
    number = _DOC_NUMBER.search(title) or _DOC_NUMBER.search(text)
    return PolicyMeta(
        issuer=issuer.group(1) if issuer else "",
        doc_number=re.sub(r"\s+", "", number.group(0)) if number else "",
        doc_types=_types(title),
    )


def _types(title: str) -> tuple[str, ...]:
    found: list[str] = []
    remaining = title
    for word in DOC_TYPES:
        if word in remaining:
            found.append(word)
            remaining = remaining.replace(word, "　")  # 方案 inside 实施方案 counts once
    return tuple(sorted(found, key=title.find))
