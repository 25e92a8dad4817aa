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


def merged(candidates: Iterable[Item], known: KnownKeys) -> list[Item]:
    """Items new to their source by guid and URL but not stored, because an item with the
    same story title is (the same title twice on one list, or a story stored before): these
    are merges to report, not items seen again."""
    candidates = list(candidates)
    fresh = {id(i) for i in unseen(candidates, known)}
    elsewhere = {id(i) for i in republished(candidates, known)}
    return [i for i in candidates
            if id(i) not in fresh and id(i) not in elsewhere
            and (i.source_id, i.guid) not in known.guids and i.url not in known.urls]
