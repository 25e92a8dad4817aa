"""Tianjin's gazetteer and district tagging of items (pure).

An item is tagged with the areas a subscriber can pick: the 16 districts and 滨海新区's
functional zones (`ZONES`). Every other place name in the data (towns, parks, business
districts, landmarks, English names; `worker/places.py`) tags the area it lies in, and
each tag keeps which names said so and where: `武清区 ← 京滨工业园 (park, title)`.

What is refused rather than guessed:
- a look-alike listed as a blocker (南开大学, 河北工业大学, 东丽株式会社, 上海临港, …)
  and a province, city or district elsewhere (河北省, 沈阳市和平区, 盐城市滨海县): read
  as the longer name, so the Tianjin name inside it is not (leftmost-longest matching);
- a Tianjin name right after the name of a province or city elsewhere (福州滨海新城,
  江苏滨海, 沈阳和平区);
- a town or street name shared with units elsewhere in China (新港街道, 太平镇) unless
  the item also names 天津 or another Tianjin place, or its source is a district's;
- short forms too ambiguous in running text (河北, 和平, 临港, 东疆 …): read only in a
  【…】 label and in what subscribers type; bare pinyin such as "Hebei" (the province):
  only "Hebei District".
A subscriber to 滨海新区 also gets items tagged with its zones (`expand`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property

from worker.models import DistrictTag, Evidence, TagOrigin
from worker.normalize import fold, split_label
from worker.placenames import Hit, Meaning, NameFinder, name_tables
from worker.places import PlaceBook, tianjin_places

# name → short forms safe to read in running text (and former names).
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

ZONE_PARENT = "滨海新区"
# The zones a subscriber can pick (the web form lists them under 滨海新区). 南港工业区
# and 临港经济区 are now parts of TEDA and 天津港保税区 (2018), kept pickable because
# subscribers picked them before.
ZONES: tuple[str, ...] = ("天津经济技术开发区", "滨海高新区", "天津港保税区", "中新天津生态城",
                          "东疆综合保税区", "南港工业区", "临港经济区")

_ORIGIN_ORDER: tuple[TagOrigin, ...] = ("source", "title", "label", "text")
@dataclass(frozen=True)
class Gazetteer:
    """Resolves names to areas and finds the places an item is about."""

    text_patterns: Mapping[str, Meaning]  # folded name → what it means in running text
    label_patterns: Mapping[str, Meaning]  # also label-only short forms
    parents: Mapping[str, str]  # pickable area → the area it belongs to (a zone's)
    zones: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # area → its zones

    @classmethod
    def tianjin(cls) -> Gazetteer:
        return _tianjin()

    def __reduce__(self) -> tuple[object, ...]:
        # Sent to feed-parser processes: each builds it from the data files itself.
        return _tianjin, ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every district and pickable zone, districts first."""
        return (*DISTRICTS, *ZONES)

    def resolve(self, name: str) -> str | None:
        """'武清' → '武清区', 'TEDA' → '天津经济技术开发区', '京滨工业园' → '武清区';
        None if it is not a Tianjin place."""
        pattern = self.label_patterns.get(fold(name))
        return pattern.area if pattern is not None else None

    def place(self, name: str) -> tuple[str, str, str] | None:
        """(area, the place's own name, its kind) for any Tianjin place name: '京滨工业园'
        → ('武清区', '天津京滨工业园', 'park'); None if it is not one."""
        pattern = self.label_patterns.get(fold(name))
        if pattern is None or pattern.area is None:
            return None
        return pattern.area, pattern.place, pattern.kind

    def expand(self, districts: Iterable[str]) -> frozenset[str]:
        """A subscription to 滨海新区 covers its zones too (and TEDA covers 南港)."""
        out: set[str] = set()
        for district in districts:
            out.add(district)
            out.update(self.zones.get(district, ()))
        return frozenset(out)

    def parent(self, district: str) -> str:
        """The district a zone belongs to (a district is its own parent)."""
        while district in self.parents:
            district = self.parents[district]
        return district

    @cached_property
    def _text_finder(self) -> NameFinder:
        return NameFinder(self.text_patterns)

    @cached_property
    def _label_finder(self) -> NameFinder:
        return NameFinder(self.label_patterns)

    def find(self, text: str) -> list[str]:
        """Areas mentioned in running text, in order of first mention."""
        return list(dict.fromkeys(h.pattern.area for h in self._text_finder.find(text)
                                  if h.pattern.area))

    def tag(self, title: str, text: str, source_district: str | None = None,
            local: bool = True) -> tuple[DistrictTag, ...]:
        """Tags from the source, the title, its 【…】 label and the text, with origins and
        the names that gave them. `local`: the source is a Tianjin site, so a town name
        shared with places elsewhere means the Tianjin one.

        A label is trusted only when the title names no other district:
        "【南开招商】宝坻区深化…" is about 宝坻区, not 南开区; and when a district's site
        republishes another district's story under its own label, the site's district
        goes with the label.
        """
        label, rest = split_label(title)
        in_title, in_text = self._text_finder.find(rest), self._text_finder.find(text)
        if not (local or source_district or _names_tianjin(title, text)
                or any(not h.pattern.weak for h in [*in_title, *in_text])):
            in_title = [h for h in in_title if not h.pattern.weak]
            in_text = [h for h in in_text if not h.pattern.weak]
        labelled = [h for h in self._label_finder.find(label) if h.pattern.area] \
            if label else []
        trusted = self._trusted_label(labelled, in_title)
        found = _Found()
        if source_district and not _contradicted(source_district, labelled, trusted):
            found.add(source_district, "source")
        for hit in in_title:
            found.add_hit(hit, "title")
        for hit in trusted:
            found.add_hit(hit, "label")
        for hit in in_text:
            found.add_hit(hit, "text")
        return found.tags()

    def _trusted_label(self, labelled: list[Hit], in_title: list[Hit]) -> list[Hit]:
        named = {h.pattern.area for h in in_title if h.pattern.area}
        if not named:
            return labelled
        covered = self.expand(named) | {a for n in named for a in self._ancestors(n)}
        return [h for h in labelled if h.pattern.area in covered]

    def _ancestors(self, area: str) -> list[str]:
        out = []
        while area in self.parents:
            area = self.parents[area]
            out.append(area)
        return out


class _Found:
    """Tags being gathered: area → origins and evidence, in order of first finding."""

    def __init__(self) -> None:
        self._origins: dict[str, set[TagOrigin]] = {}
        self._evidence: dict[str, dict[Evidence, None]] = {}

    def add(self, area: str, origin: TagOrigin, evidence: Evidence | None = None) -> None:
        self._origins.setdefault(area, set()).add(origin)
        bucket = self._evidence.setdefault(area, {})
        if evidence is not None:
            bucket.setdefault(evidence, None)

    def add_hit(self, hit: Hit, origin: TagOrigin) -> None:
        pattern = hit.pattern
        if pattern.area:
            self.add(pattern.area, origin, Evidence(pattern.place, pattern.kind, origin))

    def tags(self) -> tuple[DistrictTag, ...]:
        ordered = sorted(self._origins.items(),
                         key=lambda kv: min(_ORIGIN_ORDER.index(o) for o in kv[1]))
        return tuple(
            DistrictTag(area, tuple(o for o in _ORIGIN_ORDER if o in origins),
                        tuple(self._evidence[area]))
            for area, origins in ordered
        )


def _contradicted(source_district: str, labelled: list[Hit], trusted: list[Hit]) -> bool:
    """The item's label names the source's own district and the title says otherwise."""
    return any(h.pattern.area == source_district for h in labelled) and \
        not any(h.pattern.area == source_district for h in trusted)


def _names_tianjin(*texts: str) -> bool:
    folded = fold(" ".join(texts))
    return "天津" in folded or "tianjin" in folded


@cache
def _tianjin() -> Gazetteer:
    return build(tianjin_places())


def build(book: PlaceBook) -> Gazetteer:
    """The gazetteer of a place book: every name → the pickable area it tags."""
    text, label, areas = name_tables(book, DISTRICTS, LABEL_ONLY, {*DISTRICTS, *ZONES})
    parents = {z: areas[book.places[z].within] for z in ZONES if z in book.places}
    return Gazetteer(text, label, parents, _zones_of(parents))


def _zones_of(parents: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """area → every pickable zone below it."""
    below: dict[str, list[str]] = {}
    for zone in parents:
        area = zone
        while area in parents:
            area = parents[area]
            below.setdefault(area, []).append(zone)
    return {area: tuple(zones) for area, zones in below.items()}
