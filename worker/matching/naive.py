"""The straightforward loop over every subscriber for every item (reference semantics).

Kept as the baseline the index is checked against in tests and benchmarks; not used
by the pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence

from worker.matching.rules import Rule, searchable_text, terms_in
from worker.models import Item, Match


def match_each(rules: Sequence[Rule], items: Sequence[Item]) -> list[Match]:
    out = []
    for item in items:
        assert item.id is not None
        text = searchable_text(item)
        for rule in sorted(rules, key=lambda r: r.subscriber_id):
            districts = tuple(d for d in item.district_names if d in rule.districts)
            if rule.districts and not districts:
                continue
            if rule.categories and item.category not in rule.categories:
                continue
            keywords = terms_in(text, rule.keywords)
            if rule.keywords and not keywords:
                continue
            if terms_in(text, rule.exclude) or not rule.facts_allow(item):
                continue
            out.append(Match(rule.subscriber_id, item.id, rule.named(keywords), districts))
    return out
