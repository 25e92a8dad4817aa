"""One subscriber's rules in the form matching compares them (pure).

Semantics, shared by the index and the reference loop:
- districts: empty = all; else the item is tagged with one of them or one of their zones;
- categories: empty = all; else the item's category is one of them;
- keywords: empty = all; else at least one appears in the title or summary;
- exclude: none appears in the title or summary;
- min_amount: none = all; else the item announces at least that much (an item stating no
  amount does not pass a minimum);
- stages: empty = all; else the item reports one of them;
- industries: empty = all; else the item is about one of them.
Text and terms are NFKC-normalized and case-folded; Chinese terms match as substrings,
Latin terms ("AI") only as whole words, so "AI" does not match "email".
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from worker.districts import Gazetteer
from worker.models import Item, Subscriber
from worker.normalize import fold


@dataclass(frozen=True)
class Rule:
    subscriber_id: int
    districts: frozenset[str]  # expanded with zones
    categories: frozenset[str]
    keywords: tuple[str, ...]  # folded
    exclude: tuple[str, ...]  # folded
    keyword_names: tuple[str, ...] = ()  # as the subscriber wrote them, parallel to keywords
    min_amount: float = 0.0  # yuan; 0: no minimum
    stages: frozenset[str] = frozenset()
    industries: frozenset[str] = frozenset()

    def facts_allow(self, item: Item) -> bool:
        """The fact rules alone (the reference semantics the index reproduces)."""
        facts = item.facts
        if self.min_amount and (facts.amount is None or facts.amount < self.min_amount):
            return False
        if self.stages and facts.stage not in self.stages:
            return False
        return not self.industries or bool(self.industries & set(facts.industries))

    def named(self, folded: set[str] | tuple[str, ...]) -> tuple[str, ...]:
        return spelled(self.keywords, self.keyword_names, folded)


def spelled(keywords: Sequence[str], names: Sequence[str], hit: Collection[str]
            ) -> tuple[str, ...]:
    """The subscriber's own spelling (`names`, parallel to the folded `keywords`) of the
    keywords that hit, in their order."""
    return tuple(name for term, name in zip(keywords, names, strict=True) if term in hit)


def compile_rule(subscriber: Subscriber, gazetteer: Gazetteer) -> Rule:
    if subscriber.id is None:
        raise ValueError("only stored subscribers (with an id) can be matched")
    keywords = _terms(subscriber.keywords)
    return Rule(
        subscriber_id=subscriber.id,
        districts=gazetteer.expand(subscriber.districts),
        categories=frozenset(subscriber.categories),
        keywords=tuple(keywords),
        exclude=tuple(_terms(subscriber.exclude)),
        keyword_names=tuple(keywords.values()),
        min_amount=subscriber.min_amount or 0.0,
        stages=frozenset(subscriber.stages),
        industries=frozenset(subscriber.industries),
    )


def _terms(terms: tuple[str, ...]) -> dict[str, str]:
    """folded term → the first spelling of it the subscriber used."""
    out: dict[str, str] = {}
    for term in terms:
        folded = fold(term)
        if folded:
            out.setdefault(folded, term)
    return out


def searchable_text(item: Item) -> str:
    """What keywords and exclusions are looked for in."""
    return f"{fold(item.title)}\n{fold(item.summary)}"


def is_whole_term(text: str, start: int, end: int) -> bool:
    """A Latin/digit term must not sit inside a longer Latin word; CJK always counts."""
    term = text[start:end]
    if not term.isascii():
        return True
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (
        (term[0].isalnum() and before.isascii() and before.isalnum())
        or (term[-1].isalnum() and after.isascii() and after.isalnum())
    )


def terms_in(text: str, terms: tuple[str, ...]) -> tuple[str, ...]:
    """The terms that occur in text (straightforward search, for the reference path)."""
    found = []
    for term in terms:
        start = text.find(term)
        while start != -1:
            if is_whole_term(text, start, start + len(term)):
                found.append(term)
                break
            start = text.find(term, start + 1)
    return tuple(found)
