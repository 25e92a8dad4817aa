"""The catalogue of real Tianjin sources (`worker/data/catalogue.yaml`), as data: list it,
pick entries, and write them as `sources.yaml` entries (pure).

Each entry says where its facts come from and when that source saw the page; nothing in
it was verified from the machines that wrote it (`verified: null`): `radar sources check`
fetches them and says which still give items.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from worker.errors import ConfigError

CATALOGUE = Path(__file__).resolve().parent / "data" / "catalogue.yaml"
_SOURCE_KEYS = ("id", "name", "kind", "url", "category", "district")


@dataclass(frozen=True)
class Entry:
    id: str
    name: str
    url: str
    kind: str
    category: str
    district: str | None
    html: Mapping[str, Any] | None  # None: the list is detected
    seen: str
    verified: str | None
    note: str

    def as_source(self) -> dict[str, Any]:
        """The entry as a sources.yaml entry (the catalogue's own keys left out)."""
        out: dict[str, Any] = {k: getattr(self, k) for k in _SOURCE_KEYS if getattr(self, k)}
        if self.html:
            out["html"] = dict(self.html)
        if self.category == "policy" and self.kind == "html":
            out["details"] = True  # a policy list has titles only: deadlines are in the text
        return out


@cache
def catalogue(path: Path = CATALOGUE) -> tuple[Entry, ...]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read the catalogue: {e}") from e
    return tuple(_entry(e) for e in raw.get("sources", []))


def _entry(raw: Mapping[str, Any]) -> Entry:
    html = raw.get("html")
    return Entry(str(raw["id"]), str(raw["name"]), str(raw["url"]), str(raw["kind"]),
                 str(raw["category"]), raw.get("district"),
                 html if isinstance(html, Mapping) else None,
                 str(raw.get("seen") or ""), raw.get("verified"), str(raw.get("note") or ""))


def pick(entries: Sequence[Entry], ids: Sequence[str]) -> list[Entry]:
    """The entries with these ids, in that order; ConfigError naming any unknown one."""
    by_id = {e.id: e for e in entries}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise ConfigError(f"not in the catalogue: {', '.join(unknown)} (radar sources "
                          "catalogue lists the ids)")
    return [by_id[i] for i in dict.fromkeys(ids)]  # an id named twice is added once


def appended(text: str, entries: Sequence[Entry]) -> str:
    """A sources file's text with these entries added at its end, in the indentation its
    list uses; its comments are kept. `sources: []` (or no `sources:`) becomes a list."""
    lines = text.removeprefix("\ufeff").rstrip("\n").splitlines()
    key = next((i for i, line in enumerate(lines)
                if re.match(r"""(sources|"sources"|'sources')\s*:""", line)), None)
    if key is None:
        lines.append("sources:")
    elif re.fullmatch(r"sources\s*:\s*\[\s*\](\s*#.*)?", lines[key]):
        lines[key] = "sources:"
    first = next((m.group(1) for line in lines if (m := re.match(r"(\s*)- ", line))), "  ")
    return "\n".join(lines) + "\n" + as_yaml(entries, indent=first)


def as_yaml(entries: Sequence[Entry], indent: str = "  ") -> str:
    """sources.yaml text for these entries, each under a comment saying where it came from."""
    blocks = []
    for entry in entries:
        body = yaml.safe_dump([entry.as_source()], allow_unicode=True, sort_keys=False,
                              width=100)
        seen = f"seen {entry.seen}" if entry.seen else "date unknown"
        checked = f"verified {entry.verified}" if entry.verified else "not verified"
        blocks.append(f"{indent}# from the catalogue ({seen}, {checked}; radar sources check)\n"
                      + "".join(f"{indent}{line}\n" for line in body.splitlines()))
    return "".join(blocks)
