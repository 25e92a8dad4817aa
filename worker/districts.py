"""Tianjin's district gazetteer and district tagging of items (pure).

16 districts; 滨海新区 contains functional zones that investors treat as part of it.
A subscriber to a district also gets items tagged with its zones (`expand`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

import ahocorasick_rs

from worker.models import DistrictTag, TagOrigin
from worker.normalize import fold, split_label

# name → short forms safe to read in running text.
DISTRICTS: Mapping[str, tuple[str, ...]] = {
    "和平区": (),
    "河东区": (),
    "河西区": (),
    "南开区": ("南开",),
    "河北区": (),
    "红桥区": (),
    "东丽区": ("东丽",),
    "西青区": ("西青",),
    "津南区": ("津南",),
    "北辰区": ("北辰",),
    "武清区": ("武清",),
    "宝坻区": ("宝坻",),
    "宁河区": ("宁河",),
    "静海区": ("静海",),
    "蓟州区": ("蓟州", "蓟县"),
    "滨海新区": ("滨海", "塘沽", "汉沽", "大港"),
}

# Short forms too ambiguous in running text ("河北" is also the province, "和平" a
# word), accepted in 【…】 labels and in what subscribers type.
LABEL_ONLY: Mapping[str, tuple[str, ...]] = {
    "和平区": ("和平",),
    "河东区": ("河东",),
    "河西区": ("河西",),
    "河北区": ("河北",),
    "红桥区": ("红桥",),
}

# 滨海新区's functional zones: name → other names.
ZONES: Mapping[str, tuple[str, ...]] = {
    "滨海高新区": ("天津滨海高新技术产业开发区", "滨海高新技术产业开发区", "天津滨海高新区"),
    "天津经济技术开发区": ("天津经开区", "天津开发区", "泰达", "TEDA", "经济技术开发区"),
    "天津港保税区": ("天津保税区",),
    "中新天津生态城": ("中新生态城", "生态城"),
    "东疆综合保税区": ("东疆保税港区", "东疆港区", "东疆"),
    "南港工业区": (),
    "临港经济区": (),
}
ZONE_PARENT = "滨海新区"

_ORIGIN_ORDER: tuple[TagOrigin, ...] = ("source", "title", "label", "text")


@dataclass(frozen=True)
class Gazetteer:
    """Resolves names to districts and finds district mentions in text."""

    text_aliases: Mapping[str, str]  # folded alias → district, for running text
    all_aliases: Mapping[str, str]  # also label-only short forms
    zones: Mapping[str, tuple[str, ...]]  # district → its zones

    @classmethod
    def tianjin(cls) -> Gazetteer:
        text: dict[str, str] = {}
        for name, shorts in DISTRICTS.items():
            for alias in (name, *shorts):
                text[fold(alias)] = name
        for zone, others in ZONES.items():
            for alias in (zone, *others):
                text[fold(alias)] = zone
        every = dict(text)
        for name, shorts in LABEL_ONLY.items():
            for alias in shorts:
                every[fold(alias)] = name
        return cls(text, every, {ZONE_PARENT: tuple(ZONES)})

    def __reduce__(self) -> tuple[object, ...]:
        # Sent to feed-parser processes: the tables only; each process builds its automata.
        return type(self), (self.text_aliases, self.all_aliases, self.zones)

    @property
    def names(self) -> tuple[str, ...]:
        """Every district and zone name, districts first."""
        return (*DISTRICTS, *ZONES)

    def resolve(self, name: str) -> str | None:
        """'武清' → '武清区', 'TEDA' → '天津经济技术开发区'; None if not a Tianjin district."""
        return self.all_aliases.get(fold(name))

    def expand(self, districts: Iterable[str]) -> frozenset[str]:
        """A subscription to 滨海新区 covers its zones too."""
        out: set[str] = set()
        for district in districts:
            out.add(district)
            out.update(self.zones.get(district, ()))
        return frozenset(out)

    def parent(self, district: str) -> str:
        """The district a zone belongs to (a district is its own parent)."""
        return ZONE_PARENT if district in ZONES else district

    @cached_property
    def _text_finder(self) -> _Finder:
        return _Finder(self.text_aliases)

    @cached_property
    def _label_finder(self) -> _Finder:
        return _Finder(self.all_aliases)

    def find(self, text: str) -> list[str]:
        """Districts mentioned in running text, in order of first mention."""
        return self._text_finder.find(text)

    def tag(self, title: str, text: str, source_district: str | None = None) -> tuple[
        DistrictTag, ...
    ]:
        """Tags from the source, the title, its 【…】 label and the text, with origins.

        A label is trusted only when the title names no other district:
        "【南开招商】宝坻区深化…" is about 宝坻区, not 南开区.
        """
        label, rest = split_label(title)
        found: dict[str, set[TagOrigin]] = {}

        def add(districts: Iterable[str], origin: TagOrigin) -> None:
            for district in districts:
                found.setdefault(district, set()).add(origin)

        if source_district:
            add([source_district], "source")
        in_title = self.find(rest)
        add(in_title, "title")
        if label:
            covered = self.expand(in_title) | {self.parent(d) for d in in_title}
            add([d for d in self._label_finder.find(label)
                 if not in_title or d in covered], "label")
        add(self.find(text), "text")
        return tuple(
            DistrictTag(district, tuple(o for o in _ORIGIN_ORDER if o in origins))
            for district, origins in sorted(
                found.items(), key=lambda kv: min(_ORIGIN_ORDER.index(o) for o in kv[1])
            )
        )


class _Finder:
    """Leftmost-longest alias search, so 滨海高新区 is not also read as 滨海."""

    def __init__(self, aliases: Mapping[str, str]) -> None:
        self._patterns = list(aliases)
        self._targets = [aliases[p] for p in self._patterns]
        self._automaton = ahocorasick_rs.AhoCorasick(
            self._patterns, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest
        )

    def find(self, text: str) -> list[str]:
        seen: dict[str, None] = {}
        for index, _start, _end in self._automaton.find_matches_as_indexes(fold(text)):
            seen.setdefault(self._targets[index], None)
        return list(seen)
