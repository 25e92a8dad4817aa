"""The industries an item is about, from the terms in `worker/data/industries.yaml` (pure):
one leftmost-longest automaton pass over title and summary; English terms whole words."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import ahocorasick_rs
import yaml

from worker.errors import ConfigError
from worker.normalize import fold, latin_word_at

INDUSTRIES_FILE = Path(__file__).resolve().parent.parent / "data" / "industries.yaml"


@dataclass(frozen=True)
class Industries:
    terms: dict[str, str]  # folded term → industry

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.terms.values()))

    def resolve(self, name: str) -> str | None:
        """An industry's name or one of its terms → the industry ('光伏' → '新能源')."""
        folded = fold(name)
        return next((n for n in self.names if fold(n) == folded), None) or \
            self.terms.get(folded)

    @cached_property
    def _automaton(self) -> tuple[ahocorasick_rs.AhoCorasick, list[str]]:
        keys = list(self.terms)
        automaton = ahocorasick_rs.AhoCorasick(
            keys, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)
        return automaton, [self.terms[k] for k in keys]

    def find(self, text: str) -> tuple[str, ...]:
        """The industries named in the text, in order of first mention."""
        folded = fold(text)
        automaton, targets = self._automaton
        found: dict[str, None] = {}
        for index, start, end in automaton.find_matches_as_indexes(folded):
            term = folded[start:end]
            if term.isascii() and not latin_word_at(folded, start, end):
                continue
            found.setdefault(targets[index], None)
        return tuple(found)


@cache
def tianjin_industries(path: Path = INDUSTRIES_FILE) -> Industries:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read the industries: {e}") from e
    terms: dict[str, str] = {}
    for industry, words in raw["industries"].items():
        for word in (industry, *words):
            terms.setdefault(fold(str(word)), industry)
    return Industries(terms)
