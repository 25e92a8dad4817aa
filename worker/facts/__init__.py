"""Investor facts of an item, read the way an analyst reads it (pure):

    amounts.py     investment sums, their kind and qualifier, the headline one
    money.py       sums of money as printed → yuan
    stages.py      the stage a project reports (签约, 开工, 投产 …)
    projects.py    how many projects it reports
    industries.py  the industries it is about (worker/data/industries.yaml)
    policy.py      deadline, support, subsidy rate, kind of a policy item

`read_facts` wires them; `python -m bench.facts` measures them on the labelled set.
"""

from __future__ import annotations

from datetime import date

from worker.facts.amounts import amounts, headline
from worker.facts.industries import tianjin_industries
from worker.facts.policy import deadline, policy_kind, support_max, support_rate
from worker.facts.projects import project_count
from worker.facts.stages import stage
from worker.models import Facts

USD_RATE = 7.2  # yuan per dollar unless the facts.usd_rate setting says otherwise


def read_facts(title: str, summary: str, category: str, published: date,
               usd_rate: float = USD_RATE) -> Facts:
    """The facts of one item (title and summary)."""
    text = f"{title}。{summary}"
    if category == "policy":
        return Facts(industries=tianjin_industries().find(title, summary),
                     deadline=deadline(text, published),
                     support_max=support_max(text, usd_rate),
                     support_rate=support_rate(text),
                     policy_kind=policy_kind(title, summary))
    found = amounts(text, project=True, usd_rate=usd_rate)
    top = headline(found)
    invested = [a for a in found if a.investment]
    ordered = ([top] if top else []) + [a for a in invested if a is not top]
    reached = stage(title, summary)
    return Facts(
        amount=top.money.yuan if top else None,
        amount_text=top.money.text if top else "",
        amount_kind=top.kind if top else "",
        amount_qualifier=top.qualifier if top else "",
        amounts=tuple(dict.fromkeys(a.money.text for a in ordered)),
        project_count=project_count(text),
        stage=reached,
        industries=tianjin_industries().find(title, summary),
    )

