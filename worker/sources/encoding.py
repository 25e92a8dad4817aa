"""Bytes of an HTML page → text, the way Chinese government sites need it (pure).

Order: bytes that are valid UTF-8 stay UTF-8 (whatever the page claims); then the
HTTP charset; then <meta charset> / http-equiv; then detection. GB2312 and GBK are read
as GB18030, their superset, because sites labelled GB2312 routinely use GBK characters.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE
)
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
              "ascii": "utf-8", "us-ascii": "utf-8", "iso-8859-1": "cp1252"}


def decode_html(body: bytes, content_type: str = "") -> str:
    """The page's text; never raises (undecodable bytes become U+FFFD as a last resort)."""
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8):]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for declared in (_from_header(content_type), _from_meta(body)):
        if declared:
            try:
                return body.decode(declared)
            except (UnicodeDecodeError, LookupError):
                continue
    best = charset_normalizer.from_bytes(body).best()
    if best is not None:
        return str(best)
    return body.decode("gb18030", errors="replace")


def normalize_charset(name: str) -> str | None:
    """A Python codec name for a declared charset, with GB2312/GBK widened to GB18030."""
    name = name.strip().strip("\"'").lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _from_header(content_type: str) -> str | None:
    found = _HEADER_CHARSET.search(content_type)
    return normalize_charset(found.group(1)) if found else None


def _from_meta(body: bytes) -> str | None:
    found = _META_CHARSET.search(body[:4096])
    return normalize_charset(found.group(1).decode("ascii", "ignore")) if found else None
