"""All subscribers' rules in one index: sets per district and category, one automaton.

Matching an item costs one automaton pass over its text plus set operations, instead of
a loop over every subscriber.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import ahocorasick_rs

from worker.matching.rules import Rule, is_whole_term, searchable_text
from worker.models import Item, Match

_EMPTY: frozenset[int] = frozenset()


class MatchIndex:
    """Built once per cycle from every active subscriber's Rule."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self._rules: dict[int, Rule] = {r.subscriber_id: r for r in rules}
        self._any_district: set[int] = set()
        self._by_district: defaultdict[str, set[int]] = defaultdict(set)
        self._any_category: set[int] = set()
        self._by_category: defaultdict[str, set[int]] = defaultdict(set)
        self._no_keywords: set[int] = set()
        terms: dict[str, int] = {}
        self._wanting: list[set[int]] = []  # term index → subscribers with it as keyword
        self._excluding: list[set[int]] = []  # term index → subscribers excluding it

        def term_index(term: str) -> int:
            if term not in terms:
                terms[term] = len(terms)
                self._wanting.append(set())
                self._excluding.append(set())
            return terms[term]

        for sid, rule in self._rules.items():
            _file(sid, rule.districts, self._any_district, self._by_district)
            _file(sid, rule.categories, self._any_category, self._by_category)
            if not rule.keywords:
                self._no_keywords.add(sid)
            for term in rule.keywords:
                self._wanting[term_index(term)].add(sid)
            for term in rule.exclude:
                self._excluding[term_index(term)].add(sid)
        self._terms = list(terms)
        self._automaton = (
            ahocorasick_rs.AhoCorasick(self._terms, matchkind=ahocorasick_rs.MatchKind.Standard)
            if self._terms else None
        )

    def __len__(self) -> int:
        return len(self._rules)

    def match(self, items: Sequence[Item]) -> list[Match]:
        """Every (subscriber, item) pair the rules select, in item order then subscriber id."""
        out: list[Match] = []
        for item in items:
            out.extend(self._match_one(item))
        return out

    def _match_one(self, item: Item) -> list[Match]:
        if item.id is None:
            raise ValueError("only stored items (with an id) can be matched")
        tagged = set(item.district_names)
        candidates = self._any_district.union(
            *(self._by_district.get(d, _EMPTY) for d in tagged)
        )
        candidates &= self._any_category | self._by_category.get(item.category, set())
        if not candidates:
            return []
        hits = self._hits(searchable_text(item))
        wanting = set().union(*(self._wanting[h] for h in hits))
        candidates &= self._no_keywords | wanting
        candidates -= set().union(*(self._excluding[h] for h in hits))
        hit_terms = {self._terms[h] for h in hits}
        tagged_order = item.district_names
        item_id = item.id
        rules = self._rules
        matches = []
        for sid in sorted(candidates):
            rule = rules[sid]
            # Most matches are of subscribers without keywords: no keyword work for them.
            keywords = rule.named(hit_terms) if sid in wanting else ()
            districts = tuple(d for d in tagged_order if d in rule.districts) \
                if rule.districts else ()
            matches.append(Match(sid, item_id, keywords, districts))
        return matches

    def _hits(self, text: str) -> set[int]:
        if self._automaton is None:
            return set()
        return {
            index
            for index, start, end in self._automaton.find_matches_as_indexes(
                text, overlapping=True
            )
            if is_whole_term(text, start, end)
        }


def _file(sid: int, values: frozenset[str], anyone: set[int],
          by_value: defaultdict[str, set[int]]) -> None:
    if not values:
        anyone.add(sid)
    for value in values:
        by_value[value].add(sid)
