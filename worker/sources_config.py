"""The sources file (`sources.yaml`) → Source objects, validated once; errors name the
file, the entry and the key. `radar sources test --url` goes through the same checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from worker.config import Frozen, describe
from worker.districts import Gazetteer
from worker.errors import ConfigError
from worker.models import HtmlSelectors, Source
from worker.selectors import check_selectors
from worker.settings_file import read_yaml


class _HtmlEntry(Frozen):
    item: str | None = Field(None, min_length=1)  # none: the list is detected
    title: str = "a"
    link: str = "a"
    link_attr: str = "href"
    date: str | None = None
    date_attr: str | None = None
    summary: str | None = None
    detail_body: str | None = None
    next_page: str | None = None
    page_url: str | None = Field(None, pattern=r"\{(page|index)\}")
    max_pages: int = Field(1, ge=1, le=50)


class _SourceEntry(Frozen):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    name: str = Field(min_length=1)
    kind: Literal["rss", "atom", "html"]
    url: str = Field(pattern=r"^https?://\S+$")
    category: Literal["project", "policy"]
    district: str | None = None
    interval: float = Field(15, gt=0, description="minutes between polls")
    html: _HtmlEntry | None = None
    empty_alert_after: int = Field(3, ge=1)
    scope: Literal["tianjin", "national"] = "tianjin"
    backfill_days: int = Field(14, ge=0)  # on the first poll, older items are not sent
    details: bool = False  # read each new item's own page for its text


class _SourcesFile(Frozen):
    sources: list[_SourceEntry]


def load_sources(path: Path, gazetteer: Gazetteer, usd_rate: float | None = None
                 ) -> tuple[Source, ...]:
    """The sources file as Source objects; ConfigError naming the entry if wrong.
    `usd_rate` (the facts.usd_rate setting) is how their items' dollars are read."""
    raw = read_yaml(path)
    try:
        parsed = _SourcesFile.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(describe(e, path, {})) from e
    seen: set[str] = set()
    out = []
    for i, entry in enumerate(parsed.sources):
        where = f"{path}: sources[{i}]"
        if entry.id in seen:
            raise ConfigError(f"{where}.id: duplicate source id {entry.id!r}")
        seen.add(entry.id)
        out.append(replace(_source(entry, where, gazetteer), usd_rate=usd_rate))
    return tuple(out)


def trial_source(url: str, kind: str, category: str, district: str | None,
                 html: Mapping[str, Any] | None, gazetteer: Gazetteer,
                 details: bool = False) -> Source:
    """A source given on the command line (`radar sources test --url`), checked exactly as
    an entry of the sources file; ConfigError naming the option if wrong."""
    given = None if html is None else {k: v for k, v in html.items() if v is not None}
    raw = {"id": "try", "name": url, "kind": kind, "url": url, "category": category,
           "district": district, "html": given, "details": details}
    return source_from_mapping(raw, "command line", gazetteer)


def source_from_mapping(raw: Mapping[str, Any], where: str, gazetteer: Gazetteer) -> Source:
    """One sources.yaml entry given as a mapping (a catalogue entry, the command line)."""
    try:
        entry = _SourceEntry.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(describe(e, Path(where), {})) from e
    return _source(entry, where, gazetteer)


def _source(entry: _SourceEntry, where: str, gazetteer: Gazetteer) -> Source:
    district = None
    if entry.district:
        district = gazetteer.resolve(entry.district)
        if district is None:
            raise ConfigError(
                f"{where}.district: {entry.district!r} is not a Tianjin district or zone"
            )
    return Source(entry.id, entry.name, entry.kind, entry.url, entry.category, district,
                  entry.interval, _html_selectors(entry, where), entry.empty_alert_after,
                  entry.scope, entry.backfill_days, entry.details)


def _html_selectors(entry: _SourceEntry, where: str) -> HtmlSelectors | None:
    if entry.kind != "html":
        if entry.html is not None:
            raise ConfigError(f"{where}.html: selectors are for kind: html only")
        return None
    if entry.html is None:
        return HtmlSelectors(item=None)  # the page's main list is detected
    selectors = HtmlSelectors(**entry.html.model_dump())
    problem = check_selectors(selectors)
    if problem:
        raise ConfigError(f"{where}.html: {problem}")
    return selectors
