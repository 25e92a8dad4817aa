"""Mails read from where bounces are kept: one file, a Maildir, an mbox, a folder of files.

A file is an mbox when it starts with a `From ` line and is not named `*.eml`: a saved
mail may start with one too, and may hold an unescaped `From ` line further down (one of
the real DSNs in tests/fixtures/dsn does), which would cut it in two.

Each mail comes with a name ops can find it by (`path`, `path#3` for the third mail of an
mbox); a file that cannot be read is reported by name and the others are still read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_FROM_LINE = re.compile(rb"(?:^|\r?\n)From [^\r\n]*(?:\r?\n|$)")
_QUOTED_FROM = re.compile(rb"(?m)^>(>*From )")  # mboxrd quoting of From lines in bodies
MAILDIR_FOLDERS = ("new", "cur")  # tmp/ holds mails still being written


@dataclass(frozen=True)
class Mail:
    name: str
    data: bytes


@dataclass(frozen=True)
class Unreadable:
    name: str
    reason: str


def read(path: Path) -> Iterator[Mail | Unreadable]:
    """Every mail under `path`, in a stable order."""
    if path.is_dir():
        if all((path / sub).is_dir() for sub in MAILDIR_FOLDERS):
            yield from _maildir(path)
        else:
            for child in sorted(path.iterdir()):
                if child.is_file() and not child.name.startswith("."):
                    yield from _file(child)
        return
    yield from _file(path)


def _maildir(path: Path) -> Iterator[Mail | Unreadable]:
    for sub in MAILDIR_FOLDERS:
        for child in sorted((path / sub).iterdir()):
            if child.is_file() and not child.name.startswith("."):
                yield from _file(child, mbox=False)


def _file(path: Path, mbox: bool = True) -> Iterator[Mail | Unreadable]:
    try:
        with path.open("rb") as f:
            start = f.read(5)
    except OSError as e:
        yield Unreadable(str(path), e.strerror or str(e))
        return
    if mbox and start == b"From " and path.suffix.lower() != ".eml":
        yield from _mbox(path)
        return
    try:
        yield Mail(str(path), path.read_bytes())
    except OSError as e:
        yield Unreadable(str(path), e.strerror or str(e))


def _mbox(path: Path) -> Iterator[Mail | Unreadable]:
    """Split at `From ` lines (read-only: the mailbox module opens an mbox for writing)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        yield Unreadable(str(path), e.strerror or str(e))
        return
    for number, part in enumerate(_FROM_LINE.split(data)[1:], 1):
        yield Mail(f"{path}#{number}", _QUOTED_FROM.sub(rb"\1", part))
