"""Tianjin's place names as data: `worker/data/places/*.yaml`, read once into plain records.

    divisions.yaml   the 16 districts and every 街道 / 镇 / 乡 (NBS 统计用区划代码 2023)
    zones.yaml       滨海新区's functional zones and their sub-areas, each district's
                     development zones and parks, business districts, landmarks, hubs,
                     venues, English names; `blockers`: look-alikes that must not tag
    elsewhere.yaml   provinces, cities and look-alike districts outside Tianjin

Each file says where its facts come from (`provenance`, and `from` on every entry).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from worker.errors import ConfigError

DATA = Path(__file__).resolve().parent / "data" / "places"
CITY = "天津市"


@dataclass(frozen=True)
class Place:
    name: str
    kind: str  # district, zone, subzone, devzone, park, area, landmark, hub, venue,
    #            street, town, township, other
    within: str  # the district or zone it belongs to; 天津市 for a district
    aliases: tuple[str, ...] = ()  # read in running text
    # read in running text of Tianjin sources (or when the item names 天津): 生态城, 空港
    local_aliases: tuple[str, ...] = ()
    label_only: tuple[str, ...] = ()  # read in 【…】 labels and in what subscribers type
    english: tuple[str, ...] = ()
    english_needs_district: bool = False  # bare pinyin is ambiguous: "X District" only
    shared_elsewhere: int = 0  # township-level units elsewhere in China with this name


@dataclass(frozen=True)
class Blocker:
    name: str  # a look-alike containing a Tianjin name: read, and it tags nothing
    why: str


@dataclass(frozen=True)
class PlaceBook:
    places: Mapping[str, Place]  # by name
    blockers: tuple[Blocker, ...]
    elsewhere: tuple[str, ...]  # provinces and cities elsewhere, full and short names
    shared: frozenset[str] = frozenset()  # names two Tianjin places bear (海滨街道)


@cache
def tianjin_places(folder: Path = DATA) -> PlaceBook:
    """The bundled data, read once per process; ConfigError naming the file if broken."""
    divisions, zones, elsewhere = (_read(folder / f"{n}.yaml")
                                   for n in ("divisions", "zones", "elsewhere"))
    places: dict[str, Place] = {}
    shared: set[str] = set()
    for entry in [*divisions.get("places", []), *zones.get("places", [])]:
        place = _place(entry)
        known = places.get(place.name)
        if known is not None and known.within != place.within and place.kind != "district":
            shared.add(place.name)
        places[place.name] = _merged(known, place)
    blockers = tuple(Blocker(b["name"], b.get("why", "")) for b in zones.get("blockers", []))
    outside = tuple(_elsewhere_names(elsewhere))
    return PlaceBook(places, blockers, outside, frozenset(shared))


def _read(path: Path) -> Mapping[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read the place data: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with `places`")
    return data


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is 10× faster


def _place(entry: Mapping[str, Any]) -> Place:
    return Place(
        name=str(entry["name"]), kind=str(entry["kind"]), within=str(entry["within"]),
        aliases=tuple(entry.get("aliases") or ()),
        local_aliases=tuple(entry.get("local_aliases") or ()),
        label_only=tuple(entry.get("label_only") or ()),
        english=tuple(entry.get("english") or ()),
        english_needs_district=bool(entry.get("english_needs_district")),
        shared_elsewhere=int(entry.get("shared_elsewhere") or 0),
    )


def _merged(old: Place | None, new: Place) -> Place:
    """The districts appear in two files (names and codes; English names): one record."""
    if old is None:
        return new
    return Place(old.name, old.kind, old.within,
                 tuple(dict.fromkeys([*old.aliases, *new.aliases])),
                 tuple(dict.fromkeys([*old.local_aliases, *new.local_aliases])),
                 tuple(dict.fromkeys([*old.label_only, *new.label_only])),
                 tuple(dict.fromkeys([*old.english, *new.english])),
                 old.english_needs_district or new.english_needs_district,
                 max(old.shared_elsewhere, new.shared_elsewhere))


def _elsewhere_names(data: Mapping[str, Any]) -> Iterable[str]:
    """Provinces and cities (full and short names), look-alike districts, counties."""
    for name, short in (data.get("provinces") or {}).items():
        yield from (str(name), str(short))
    for cities in (data.get("cities") or {}).values():
        for name, short in cities.items():
            yield from (str(name), *([str(short)] if short else []))
    for lookalike in data.get("lookalikes") or ():
        yield str(lookalike["name"])
    for counties in (data.get("counties") or {}).values():
        yield from map(str, counties)
