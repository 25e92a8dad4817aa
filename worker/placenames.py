"""Place names → what they mean in running text and in labels: the tables the gazetteer's
automata are built from, and the leftmost-longest search over them (pure).

A name means an area a subscriber can pick, or nothing (a look-alike: a blocker, a place
elsewhere, a name two Tianjin places share). A town's name is also read without its 镇 /
街道 when three characters or more remain (杨柳青镇 → 杨柳青), unless that is a road or
a common word. Names shared with places elsewhere are `weak`: read when the source is a
Tianjin site or the item names Tianjin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import ahocorasick_rs

from worker.normalize import fold, latin_word_at
from worker.places import CITY, Place, PlaceBook

TOWN_SUFFIXES = ("满族乡", "街道", "地区", "镇", "乡")
SHORT_TOWN_MIN = 3  # a town's name without 镇 / 街道 is read only from 3 characters on
# Streets named after a road or a common noun: without 街道 they are something else.
COMMON_SHORTS = frozenset({"体育中心", "体育馆", "天津铁厂", "越秀路", "太湖路", "向阳路",
                           "富民路", "友谊路", "大王庄", "铁东路", "江都路", "果园新村",
                           "运河西", "二号桥",
                           "天津经济技术开发区东区泰达"})
TOWN_KINDS = ("street", "town", "township", "other")


@dataclass(frozen=True)
class Meaning:
    area: str | None  # the pickable area it tags; None: it tags nothing (look-alike)
    place: str = ""  # the place's own name, for the evidence
    kind: str = ""
    weak: bool = False  # shared with places elsewhere: needs a Tianjin source or context
    latin: bool = False  # English: whole words only
    elsewhere: bool = False  # a province or city elsewhere: refuses a name right after it


@dataclass(frozen=True)
class Hit:
    pattern: Meaning
    start: int


class NameFinder:
    """Leftmost-longest name search: 滨海高新区 is not also read as 滨海, 南开大学 not as
    南开; a name right after a province or city elsewhere is refused."""

    def __init__(self, patterns: Mapping[str, Meaning]) -> None:
        keys = list(patterns)
        self._patterns = [patterns[k] for k in keys]
        self._automaton = ahocorasick_rs.AhoCorasick(
            keys, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)

    def find(self, text: str) -> list[Hit]:
        folded = fold(text)
        hits: list[Hit] = []
        previous: tuple[int, bool] = (-1, False)  # (end, was it a place elsewhere)
        for index, start, end in self._automaton.find_matches_as_indexes(folded):
            pattern = self._patterns[index]
            after_elsewhere = previous[1] and previous[0] == start
            previous = (end, pattern.elsewhere)
            if pattern.area is None or after_elsewhere:
                continue
            if pattern.latin and not latin_word_at(folded, start, end):
                continue
            hits.append(Hit(pattern, start))
        return hits




def name_tables(book: PlaceBook, districts: Mapping[str, tuple[str, ...]],
                label_only: Mapping[str, tuple[str, ...]], pickable: set[str]
                ) -> tuple[dict[str, Meaning], dict[str, Meaning], dict[str, str]]:
    """(running-text names, label names, place → the pickable area it lies in)."""
    areas = {name: _area(name, book.places, pickable) for name in book.places}
    text: dict[str, Meaning] = {}
    for name in [*book.elsewhere, *(b.name for b in book.blockers)]:
        text[fold(name)] = Meaning(None, name, "elsewhere", elsewhere=name in book.elsewhere)
    label = dict(text)
    for place in book.places.values():
        _add_place(place, areas[place.name], text, label)
    for name in book.shared:  # which of the two is meant, nothing says
        text[fold(name)] = label[fold(name)] = Meaning(None, name, "ambiguous")
    for district, shorts in districts.items():
        for short in (district, *shorts):
            text[fold(short)] = label[fold(short)] = Meaning(district, district, "district")
    for district, shorts in label_only.items():
        for short in shorts:
            label[fold(short)] = Meaning(district, district, "district")
    return text, label, areas


def _area(name: str, places: Mapping[str, Place], pickable: set[str]) -> str:
    """The pickable area a place lies in: itself, or the nearest one up its `within`."""
    seen = set()
    while name not in pickable and name in places and name not in seen:
        seen.add(name)
        within = places[name].within
        if within == CITY:
            break
        name = within
    return name


def _add_place(place: Place, area: str, text: dict[str, Meaning],
               label: dict[str, Meaning]) -> None:
    weak = place.kind in TOWN_KINDS and place.shared_elsewhere > 0
    meaning = Meaning(area, place.name, place.kind, weak=weak)
    for name in (place.name, *place.aliases, *_short_names(place)):
        _put(text, name, meaning)
        _put(label, name, meaning)
    for name in place.local_aliases:
        _put(text, name, Meaning(area, place.name, place.kind, weak=True))
        _put(label, name, meaning)
    for name in place.label_only:
        _put(label, name, meaning)
    english = [e for e in place.english
               if not place.english_needs_district or " " in e.strip()]
    for name in english:
        latin = Meaning(area, place.name, place.kind, latin=True)
        _put(text, name, latin)
        _put(label, name, latin)


def _put(table: dict[str, Meaning], name: str, meaning: Meaning) -> None:
    """A name two Tianjin places share (海滨街道 in 宝坻区 and 滨海新区) tags neither;
    a Tianjin place's name overrides a look-alike listed elsewhere."""
    key = fold(name)
    known = table.get(key)
    if known is not None and known.area is not None and known.area != meaning.area:
        table[key] = Meaning(None, name, "ambiguous")
    elif known is None or known.area is not None or known.kind != "ambiguous":
        table[key] = meaning


def _short_names(place: Place) -> list[str]:
    """杨柳青镇 → 杨柳青: news writes well-known towns without 镇; two-character
    remainders (中北, 双港) are too often other words, and names shared elsewhere need
    their full form."""
    if place.kind not in TOWN_KINDS or place.shared_elsewhere:
        return []
    for suffix in TOWN_SUFFIXES:
        if place.name.endswith(suffix):
            short = place.name[: -len(suffix)]
            return [short] if len(short) >= SHORT_TOWN_MIN and \
                short not in COMMON_SHORTS else []
    return []


