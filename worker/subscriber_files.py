"""The rows of a subscriber file, CSV or YAML, each with where it is (pure): a row is a
mapping, or the reason it cannot be read ("line 7: CSV syntax error: …")."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from worker.errors import SubscriberError


def csv_rows(text: str, filename: str) -> Iterator[tuple[str, Mapping[str, Any] | str]]:
    # newline="": the csv module itself handles \r, \n and line breaks inside quotes
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))  # Excel's BOM
    try:
        header = reader.fieldnames
    except csv.Error as e:
        raise SubscriberError(f"{filename}: line 1", f"CSV syntax error: {e}") from None
    if not header or "email" not in header:
        raise SubscriberError(f"{filename}: line 1", "header must name at least an email column")
    while True:
        line = reader.line_num
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:  # one malformed row (an oversized field, say); go on after it
            if reader.line_num == line:  # the reader cannot move past it
                yield (f"{filename}: line {line + 1}",
                       f"CSV syntax error: {e}; the rows after it were not read")
                return
            yield f"{filename}: line {reader.line_num}", f"CSV syntax error: {e}"
            continue
        where = f"{filename}: line {reader.line_num}"
        if None in row:
            yield where, f"more values than the {len(header)} header columns"
        else:
            yield where, {k: v for k, v in row.items() if v not in (None, "")}


class _LineLoader(yaml.SafeLoader):
    """Keeps the line each mapping starts on, so errors can point at it."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def yaml_rows(text: str, filename: str) -> Iterator[tuple[str, Mapping[str, Any] | str]]:
    try:
        data = yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"line {mark.line + 1}" if mark else "?"
        raise SubscriberError(f"{filename}: {line}",
                              f"YAML syntax error: {getattr(e, 'problem', e)}") from None
    rows = data.get("subscribers") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise SubscriberError(filename, "expected a list under 'subscribers:'")
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            yield f"{filename}: subscribers[{i}]", f"expected a mapping with email: …, got {row!r}"
            continue
        line = row.pop("__line__", "?")
        yield f"{filename}: line {line} (subscribers[{i}])", {
            k: v for k, v in row.items() if isinstance(k, str)
        }
