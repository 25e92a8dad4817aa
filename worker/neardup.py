"""Near-duplicate stories across sources: MinHash/LSH over character n-grams of titles.

The same story republished by several districts or portals differs by a 【…】 label,
punctuation, whitespace, full-width forms or a word or two. Two guards keep look-alike
boilerplate apart ("…关于印发政府工作报告的通知" from two districts): the numbers in the
titles must be the same, and titles naming districts must name the same ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash, MinHashLSH

from worker.models import Item
from worker.normalize import title_key

NUM_PERM = 64
SHINGLE = 2  # character bigrams: Chinese words are mostly two characters
THRESHOLD = 0.6  # estimated Jaccard similarity; tuned on tests/test_neardup.py's pairs
SCHEME = "affine32"  # named, so signatures stored in the database stay comparable
# Digits, and Chinese numerals where they count or rank (第四批, 十二个项目): "一" alone
# is too common (统一, 进一步) to tell stories apart.
_CN = "零一二三四五六七八九十百千两"
_NUMBERS = re.compile(rf"\d+|第[{_CN}]+|[{_CN}]+(?=[个项家批期届号条])")


def shingles(title: str) -> set[str]:
    key = title_key(title)
    if len(key) <= SHINGLE:
        return {key}
    return {key[i:i + SHINGLE] for i in range(len(key) - SHINGLE + 1)}


# Drawing the permutations is most of a MinHash's construction cost: draw them once.
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME).permutations


def _minhash(hashvalues: np.ndarray | None = None) -> MinHash:
    return MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME, permutations=_PERMUTATIONS,
                   hashvalues=hashvalues)


def signature(title: str) -> MinHash:
    minhash = _minhash()
    minhash.update_batch([s.encode() for s in shingles(title)])
    return minhash


def to_bytes(minhash: MinHash) -> bytes:
    return bytes(minhash.hashvalues.astype(np.uint64).tobytes())


def from_bytes(data: bytes) -> MinHash:
    return _minhash(np.frombuffer(data, dtype=np.uint64).copy())


def compatible(a: Item, b: Item) -> bool:
    """The guards: same numbers; titles naming districts name the same districts."""
    if set(_NUMBERS.findall(title_key(a.title))) != set(_NUMBERS.findall(title_key(b.title))):
        return False
    named_a = {t.district for t in a.districts if "title" in t.origins}
    named_b = {t.district for t in b.districts if "title" in t.origins}
    return not (named_a and named_b and named_a != named_b)


@dataclass(frozen=True)
class Known:
    id: int
    item: Item
    minhash: MinHash


# The bands and rows for THRESHOLD; MinHashLSH optimises them numerically on every
# construction otherwise (8 ms, once per poll and source).
_TEMPLATE_LSH = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
_LSH_PARAMS = (_TEMPLATE_LSH.b, _TEMPLATE_LSH.r)


class NearDuplicates:
    """An LSH index of recent items; `match(item)` finds one it duplicates."""

    def __init__(self, recent: Iterable[Known] = ()) -> None:
        self._lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, params=_LSH_PARAMS)
        self._known: dict[int, Known] = {}
        for known in recent:
            self.add(known)

    def get(self, item_id: int) -> Known:
        return self._known[item_id]

    def add(self, known: Known) -> None:
        if known.id not in self._known:
            self._known[known.id] = known
            self._lsh.insert(known.id, known.minhash)

    def match(self, item: Item, minhash: MinHash | None = None,
              other_sources_only: bool = False) -> int | None:
        """The id of the most similar known item that is the same story, if any (with
        `other_sources_only`, among items of other sources)."""
        minhash = minhash or signature(item.title)
        best: tuple[float, int] | None = None
        for candidate in self._lsh.query(minhash):
            known = self._known[candidate]
            if other_sources_only and known.item.source_id == item.source_id:
                continue
            score = float(known.minhash.jaccard(minhash))
            if score >= THRESHOLD and compatible(known.item, item) and (
                best is None or score > best[0]
            ):
                best = (score, candidate)
        return best[1] if best else None
