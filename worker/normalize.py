"""Text normalization shared by parsing, tagging, dedupe and matching (pure)."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import nh3

_WS = re.compile(r"\s+")
# C0/C1 controls and bidi overrides never belong in a title or summary.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BLOCK_TAG = re.compile(r"<\s*/?\s*(?:p|br|div|li|tr|h[1-6])\b[^>]*>", re.IGNORECASE)
_LABEL = re.compile(r"^\s*【([^】]{1,30})】\s*")
_NOT_WORD = re.compile(r"[\W_]+")
_TRACKING_PARAM = re.compile(r"^(utm_|spm$|from$|share)", re.IGNORECASE)
# Fragments that name a place on the page, not an item: dropped (#top, WeChat's #rd).
_PAGE_PLACES = frozenset({"", "top", "main", "content", "comments", "comment", "respond",
                          "rd", "wechat_redirect", "page", "body"})

# A title this short ("通知") says too little to merge two items on it alone.
MIN_TITLE_KEY_FOR_DEDUPE = 8


# Full-width Latin letters and digits (ＡＩ, ２０２５) read as ASCII; Chinese full-width
# punctuation (，：【】) is left alone for display.
_FULLWIDTH_ALNUM = {
    code: code - 0xFEE0
    for code in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]
}


def clean_text(text: str) -> str:
    """Display form: NFC, ＡＩ → AI, no control characters, whitespace folded."""
    text = unicodedata.normalize("NFC", text).translate(_FULLWIDTH_ALNUM)
    text = _CONTROL.sub("", text)
    return _WS.sub(" ", text).strip()


def fold(text: str) -> str:
    """Comparison form for keywords and dedupe: NFKC (all full-width forms), case-folded.

    The same as NFKC over `clean_text`, in one normalization: NFKC already composes and
    maps full-width letters and digits (half the cost of tagging an item went here)."""
    text = _CONTROL.sub("", unicodedata.normalize("NFKC", text))
    return _WS.sub(" ", text).strip().casefold()


def html_to_text(fragment: str) -> str:
    """Plain text of an untrusted HTML fragment (scripts and styles dropped)."""
    spaced = _BLOCK_TAG.sub(" ", fragment)
    return clean_text(html.unescape(nh3.clean(spaced, tags=set())))


def split_label(title: str) -> tuple[str | None, str]:
    """'【武清区招商】武清区…' → ('武清区招商', '武清区…')."""
    found = _LABEL.match(title)
    if found is None:
        return None, title
    return found.group(1), title[found.end() :]


def title_key(title: str) -> str:
    """A title reduced to what identifies the story: no label, punctuation or case."""
    return _NOT_WORD.sub("", fold(split_label(title)[1]))


def content_fingerprint(title: str, url: str) -> str:
    """Same story, same fingerprint; short generic titles also need the same URL."""
    key = title_key(title)
    if len(key) < MIN_TITLE_KEY_FOR_DEDUPE:
        key = f"{key}|{url}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def latin_word_at(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] stands as a whole word: no ASCII letter or digit touches it
    ("TEDA" in "TEDA's" yes, "AI" in "email" no). Chinese has no word boundaries."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalnum()) and \
        not (after.isascii() and after.isalnum())


def canonical_url(url: str, base: str = "") -> str:
    """http(s) URL without tracking parameters; '' for anything else. A fragment naming an
    item stays: a list whose items differ only in it ("list.html#item3") has different
    items, and the same story under two addresses still merges by its title fingerprint;
    one naming a place on the page (#top) goes."""
    parts = urlsplit(urljoin(base, url.strip()) if base else url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.hostname.lower()
    default_port = {"http": 80, "https": 443}[parts.scheme.lower()]
    netloc = host if parts.port in (None, default_port) else f"{host}:{parts.port}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
         if not _TRACKING_PARAM.match(k)]
    )
    fragment = "" if parts.fragment.lower() in _PAGE_PLACES else parts.fragment
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", query, fragment))
