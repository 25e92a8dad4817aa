"""Matched keywords in a text, and where a highlight must not look like a split word (pure).

Spam filters read a tag between two "word" characters as a word broken up to dodge them:
SpamAssassin's HTML.pm counts every text chunk that starts with a character other than
whitespace or ASCII punctuation right after one that ends with such a character, and its
HTML_OBFUSCATE_* rules score the share of tags that do (20-30 %: +2.5). Chinese has no
spaces, so `武清区<mark>新能源</mark>汽车` counts twice. A space inside the mark, where the
keyword meets another word character, reads as the highlight's own padding and is no
split (issue 17).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Fragment:
    text: str
    highlight: bool


def highlight(text: str, terms: Sequence[str]) -> tuple[Fragment, ...]:
    """Split text so the first occurrence of each matched term can be marked
    (case-insensitive): it shows why the item matched; marking every repeat of it in a
    summary adds noise, bytes (Gmail clips at ~102 KB) and tags."""
    if not terms or not text:
        return (Fragment(text, False),) if text else ()
    pattern = re.compile(
        "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True)),
        re.IGNORECASE,
    )
    out: list[Fragment] = []
    position = 0
    seen: set[str] = set()
    for found in pattern.finditer(text):
        if found.group().casefold() in seen:
            continue
        seen.add(found.group().casefold())
        if found.start() > position:
            out.append(Fragment(text[position:found.start()], False))
        out.append(Fragment(found.group(), True))
        position = found.end()
    if position < len(text):
        out.append(Fragment(text[position:], False))
    return tuple(out)


def wordlike(char: str) -> bool:
    """A character SpamAssassin takes as part of a word: not whitespace, not ASCII
    punctuation (every Chinese character and full-width mark is one)."""
    return not char.isspace() and not (char.isascii() and not char.isalnum())


def padded(fragments: Sequence[Fragment]) -> tuple[tuple[str, str, str], ...]:
    """(space before, text, space after) of each fragment: a marked one gets a space on
    each side where it meets a word character of its neighbour, so no tag splits a word."""
    out = []
    for i, fragment in enumerate(fragments):
        before = after = ""
        if fragment.highlight and fragment.text:
            left = fragments[i - 1].text if i > 0 else ""
            right = fragments[i + 1].text if i + 1 < len(fragments) else ""
            if left and wordlike(left[-1]) and wordlike(fragment.text[0]):
                before = " "
            if right and wordlike(right[0]) and wordlike(fragment.text[-1]):
                after = " "
        out.append((before, fragment.text, after))
    return tuple(out)
