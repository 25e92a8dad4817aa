"""The line of facts a digest prints under a title (pure): what an investor scans for.

    总投资约42亿元 · 12个项目 · 签约 · 高端装备、新能源
    申报截止 8月31日 · 最高500万元 · 补贴30% · 申报
"""

from __future__ import annotations

from worker.models import Facts

_QUALIFIER = {"about": "约", "over": "超", "at_least": "不低于", "cap": "最高", "": ""}


def fact_line(facts: Facts, policy: bool, deadline: bool = True) -> str:
    """`deadline=False`: without the deadline (a reminder says it on a line of its own)."""
    parts = _policy_parts(facts, deadline) if policy else _project_parts(facts)
    if facts.industries:
        parts.append("、".join(facts.industries[:3]))
    return " · ".join(parts)


def _project_parts(facts: Facts) -> list[str]:
    parts = []
    if facts.amount is not None:
        kind = facts.amount_kind or "投资"
        parts.append(f"{kind}{_QUALIFIER.get(facts.amount_qualifier, '')}{facts.amount_text}")
    if facts.project_count and facts.project_count > 1:
        parts.append(f"{facts.project_count}个项目")
    if facts.stage:
        parts.append(facts.stage)
    return parts


def _policy_parts(facts: Facts, deadline: bool) -> list[str]:
    parts = []
    if deadline and facts.deadline is not None:
        parts.append(f"申报截止 {facts.deadline.month}月{facts.deadline.day}日")
    if facts.support_max is not None:
        parts.append(f"最高{yuan(facts.support_max)}")
    if facts.support_rate is not None:
        parts.append(f"补贴{facts.support_rate:.0%}")
    if facts.policy_kind:
        parts.append(facts.policy_kind)
    return parts


def yuan(amount: float) -> str:
    """4.2e9 → '42亿元', 5e6 → '500万元', 1.2e12 → '1.2万亿元'."""
    if amount >= 1e12:
        return f"{amount / 1e12:.4g}万亿元"
    if amount >= 1e8:
        return f"{amount / 1e8:.4g}亿元"
    if amount >= 1e4:
        return f"{amount / 1e4:.4g}万元"
    return f"{amount:.0f}元"
