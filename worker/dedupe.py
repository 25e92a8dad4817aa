"""Exact duplicate detection: same canonical URL, same guid in a source, or same story title.

Pure: the store answers which keys it already holds; this decides what is new.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from worker.models import Item


@dataclass
class KnownKeys:
    """Keys already stored (or already seen earlier in the batch)."""

    urls: set[str] = field(default_factory=set)
    fingerprints: set[str] = field(default_factory=set)
    guids: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def wanted_for(cls, items: Sequence[Item]) -> KnownKeys:
        """The keys of a batch: what to ask the store whether it already has."""
        return cls(
            {i.url for i in items},
            {i.fingerprint for i in items},
            {(i.source_id, i.guid) for i in items},
        )


def unseen(candidates: Iterable[Item], known: KnownKeys) -> list[Item]:
    """Candidates whose URL, (source, guid) and fingerprint are all new; the first one wins.
    `known` is not changed."""
    urls, fingerprints, guids = set(known.urls), set(known.fingerprints), set(known.guids)
    out = []
    for item in candidates:
        guid = (item.source_id, item.guid)
        if item.url in urls or item.fingerprint in fingerprints or guid in guids:
            continue
        urls.add(item.url)
        fingerprints.add(item.fingerprint)
        guids.add(guid)
        out.append(item)
    return out


def republished(candidates: Iterable[Item], known: KnownKeys) -> list[Item]:
    """Items new to their source but already stored from another (same URL or story)."""
    return [
        item for item in candidates
        if (item.source_id, item.guid) not in known.guids
        and (item.url in known.urls or item.fingerprint in known.fingerprints)
    ]


@dataclass(frozen=True)
class Sorted:
    """A source's fetched items, sorted once."""

    new: list[Item]  # new to the store
    elsewhere: list[Item]  # new to this source by guid, its URL or story title stored
    merged: list[Item]  # new by guid and URL, but with the story title of an item listed
    #                     before it or stored: merges to report, not items seen again


def sort_fetched(candidates: Sequence[Item], known: KnownKeys) -> Sorted:
    new, elsewhere = unseen(candidates, known), republished(candidates, known)
    taken = {id(i) for i in (*new, *elsewhere)}
    merged = [i for i in candidates if id(i) not in taken
              and (i.source_id, i.guid) not in known.guids and i.url not in known.urls]
    return Sorted(new, elsewhere, merged)
