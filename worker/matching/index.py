"""All subscribers' rules in one columnar index: boolean masks per district and category,
subscriber arrays per term, one Aho-Corasick automaton over every term.

Matching an item costs one automaton pass over its text plus a few vectorised mask
operations over all subscribers, instead of a loop over every subscriber. The result is
columnar too (an array of subscriber ids per item): most matches are of subscribers
without keywords, and building one Python object per pair would cost more than the
search itself. `Match` objects are made only when someone iterates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import ahocorasick_rs
import numpy as np
import numpy.typing as npt

from worker.matching.rules import Rule, is_whole_term, searchable_text, spelled
from worker.models import Item, Match

Mask = npt.NDArray[np.bool_]
Indexes = npt.NDArray[np.int64]
_NO_INDEXES: Indexes = np.zeros(0, dtype=np.int64)
MAX_ITEM_DISTRICTS = 64  # one bit each; Tianjin has 16 districts and a dozen zones


@dataclass(frozen=True)
class ItemMatches:
    """The subscribers one item matches, in subscriber-id order (columnar)."""

    item_id: int
    subscriber_ids: Indexes
    # which of the item's districts each subscriber follows: bit k = item.district_names[k]
    district_bits: npt.NDArray[np.uint64]
    district_names: tuple[str, ...]
    # (subscriber, term) pairs of keyword hits, for the subscribers with keywords only
    hit_subscribers: Indexes = field(default_factory=lambda: _NO_INDEXES)
    hit_terms: Indexes = field(default_factory=lambda: _NO_INDEXES)
    index: MatchIndex | None = None  # names the terms as each subscriber wrote them

    def __len__(self) -> int:
        return len(self.subscriber_ids)

    def keywords(self) -> dict[int, tuple[str, ...]]:
        """subscriber id → the keywords that hit, in the subscriber's spelling and order."""
        if self.index is None or not len(self.hit_subscribers):
            return {}
        folded: defaultdict[int, set[str]] = defaultdict(set)
        terms = self.index.terms
        for sid, term in zip(self.hit_subscribers.tolist(), self.hit_terms.tolist(),
                             strict=True):
            folded[sid].add(terms[term])
        names = self.index.keyword_names
        return {sid: spelled([terms[t] for t in names[sid][0]], names[sid][1], hit)
                for sid, hit in folded.items()}

    def __iter__(self) -> Iterator[Match]:
        names, combos = self.district_names, dict[int, tuple[str, ...]]()
        keywords = self.keywords()
        for sid, bits in zip(self.subscriber_ids.tolist(), self.district_bits.tolist(),
                             strict=True):
            if bits not in combos:
                combos[bits] = tuple(d for k, d in enumerate(names) if bits >> k & 1)
            yield Match(sid, self.item_id, keywords.get(sid, ()), combos[bits])


@dataclass(frozen=True)
class Matches:
    """Every (subscriber, item) pair of one matching run, item by item."""

    per_item: tuple[ItemMatches, ...]

    def __len__(self) -> int:
        return sum(len(m) for m in self.per_item)

    def __iter__(self) -> Iterator[Match]:
        for block in self.per_item:
            yield from block

    def __bool__(self) -> bool:
        return any(len(m) for m in self.per_item)


class MatchIndex:
    """Built from every active subscriber's Rule; reusable until a subscriber changes."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        # A list is put in id order here; a stream (the runtime's, straight from the store)
        # is read one rule at a time and must come in that order: sorting it held all
        # 100,000 Rules at once, ~150 MB at the peak.
        if isinstance(rules, Sequence):
            rules = sorted(rules, key=lambda r: r.subscriber_id)
        rows = _Positions.of(rules)
        n = len(rows.ids)
        self._ids: Indexes = np.asarray(rows.ids, dtype=np.int64)
        if n > 1 and not (self._ids[1:] > self._ids[:-1]).all():
            raise ValueError("a stream of rules must come in subscriber id order")
        self._any_district: Mask = _mask(n, rows.any_district)
        self._no_keywords: Mask = _mask(n, rows.no_keywords)
        # subscriber id → (term indexes, the same terms as the subscriber wrote them): not
        # the Rules, which held ~120 MB at 100,000 subscribers for this alone
        self.keyword_names = rows.keyword_names
        self._by_district = {d: _mask(n, positions) for d, positions in rows.districts.items()}
        self._category_ok = {c: _mask(n, [*rows.any_category, *positions])
                             for c, positions in rows.categories.items()}
        self._any_category = _mask(n, rows.any_category)
        self._min_amount = np.asarray(rows.amounts, dtype=np.float64)
        self._stage_ok = {s: _mask(n, [*rows.any_stage, *p]) for s, p in rows.stages.items()}
        self._any_stage = _mask(n, rows.any_stage)
        self._industry = {i: _mask(n, p) for i, p in rows.industries.items()}
        self._any_industry = _mask(n, rows.any_industry)
        self._wanting = [np.asarray(p, dtype=np.int64) for p in rows.wanting]
        self._excluding = [np.asarray(p, dtype=np.int64) for p in rows.excluding]
        self.terms = list(rows.terms)  # term index → folded term
        self._automaton = (
            ahocorasick_rs.AhoCorasick(self.terms, matchkind=ahocorasick_rs.MatchKind.Standard)
            if self.terms else None
        )

    def __len__(self) -> int:
        return len(self._ids)

    def match(self, items: Sequence[Item]) -> Matches:
        """Every (subscriber, item) pair the rules select, in item order then subscriber id."""
        return Matches(tuple(self._match_one(item) for item in items))

    def _match_one(self, item: Item) -> ItemMatches:
        if item.id is None:
            raise ValueError("only stored items (with an id) can be matched")
        names = item.district_names
        if len(names) > MAX_ITEM_DISTRICTS:
            raise ValueError(f"item {item.id} names {len(names)} districts, at most "
                             f"{MAX_ITEM_DISTRICTS}")
        selected = self._any_district.copy()
        for district in names:
            if district in self._by_district:
                selected |= self._by_district[district]
        selected &= self._category_ok.get(item.category, self._any_category)
        selected &= self._facts_ok(item)
        hits = self._hits(searchable_text(item)) if selected.any() else []
        # (subscriber position, term) for every keyword of every subscriber the item hits
        wanted_by = [self._wanting[h] for h in hits if len(self._wanting[h])]
        if wanted_by:
            hit_positions = np.concatenate(wanted_by)
            hit_terms = np.repeat([h for h in hits if len(self._wanting[h])],
                                  [len(w) for w in wanted_by])
            keyword_ok = self._no_keywords.copy()
            keyword_ok[hit_positions] = True
            selected &= keyword_ok
        else:
            hit_positions = hit_terms = _NO_INDEXES
            selected &= self._no_keywords
        for h in hits:
            selected[self._excluding[h]] = False
        positions = np.flatnonzero(selected)
        bits = np.zeros(len(positions), dtype=np.uint64)
        for k, district in enumerate(names):
            if district in self._by_district:
                followers = self._by_district[district][positions]
                bits |= followers.astype(np.uint64) << np.uint64(k)
        kept = selected[hit_positions]  # keyword hits of subscribers the item matches
        return ItemMatches(item.id, self._ids[positions], bits, names,
                           self._ids[hit_positions[kept]], hit_terms[kept], self)

    def _facts_ok(self, item: Item) -> Mask:
        """Subscribers whose fact rules (minimum amount, stages, industries) the item meets."""
        facts = item.facts
        amount = facts.amount if facts.amount is not None else -1.0
        ok: Mask = (self._min_amount == 0) | (self._min_amount <= amount)
        ok &= self._stage_ok.get(facts.stage or "", self._any_stage)
        industry = self._any_industry.copy()
        for name in facts.industries:
            if name in self._industry:
                industry |= self._industry[name]
        return ok & industry

    def _hits(self, text: str) -> list[int]:
        if self._automaton is None:
            return []
        return sorted({
            index
            for index, start, end in self._automaton.find_matches_as_indexes(
                text, overlapping=True
            )
            if is_whole_term(text, start, end)
        })


@dataclass
class _Positions:
    """Which subscriber positions (in id order) each rule part selects."""

    any_district: list[int] = field(default_factory=list)
    no_keywords: list[int] = field(default_factory=list)
    any_category: list[int] = field(default_factory=list)
    districts: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    categories: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    terms: dict[str, int] = field(default_factory=dict)  # folded term → term index
    wanting: list[list[int]] = field(default_factory=list)  # term index → who wants it
    excluding: list[list[int]] = field(default_factory=list)  # term index → who excludes it
    keyword_names: dict[int, tuple[tuple[int, ...], tuple[str, ...]]] = \
        field(default_factory=dict)
    any_stage: list[int] = field(default_factory=list)
    stages: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    any_industry: list[int] = field(default_factory=list)
    industries: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    ids: list[int] = field(default_factory=list)  # position → subscriber id
    amounts: list[float] = field(default_factory=list)  # position → minimum amount

    @classmethod
    def of(cls, rules: Iterable[Rule]) -> _Positions:
        rows = cls()
        for position, rule in enumerate(rules):
            rows.ids.append(rule.subscriber_id)
            rows.amounts.append(rule.min_amount)
            _place(position, rule.districts, rows.districts, rows.any_district)
            _place(position, rule.categories, rows.categories, rows.any_category)
            _place(position, rule.stages, rows.stages, rows.any_stage)
            _place(position, rule.industries, rows.industries, rows.any_industry)
            if rule.keywords:
                terms = tuple(rows.term(term) for term in rule.keywords)
                rows.keyword_names[rule.subscriber_id] = (terms, rule.keyword_names)
            else:
                rows.no_keywords.append(position)
            for term in rule.keywords:
                rows.wanting[rows.term(term)].append(position)
            for term in rule.exclude:
                rows.excluding[rows.term(term)].append(position)
        return rows

    def term(self, term: str) -> int:
        if term not in self.terms:
            self.terms[term] = len(self.terms)
            self.wanting.append([])
            self.excluding.append([])
        return self.terms[term]


def _mask(n: int, positions: list[int]) -> Mask:
    mask = np.zeros(n, dtype=np.bool_)
    mask[positions] = True
    return mask


def _place(position: int, values: Iterable[str], by_value: defaultdict[str, list[int]],
           without: list[int]) -> None:
    """A rule's row under each value it names, or among the rules naming none."""
    named = False
    for value in values:
        by_value[value].append(position)
        named = True
    if not named:
        without.append(position)
