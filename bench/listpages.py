"""`python -m bench.listpages [--write] [--show-errors] [--holdout]`: list detection without
selectors, judged on the real pages in `tests/fixtures/listpages/` against their hand labels
(`--holdout`: on `tests/fixtures/listpages_holdout/`, pages labelled before the detector ever
saw them and never tuned on).

Per page: the items a reader sees in the page's main list (`labels.yaml`) against the
items `parse_list_page` gives with no selectors (`kind: html` and no `html:`). An item is
right when its title (whitespace folded) and its link (when the page has one) match;
dates are scored on the right items.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bench.sections import write_section
from worker.districts import Gazetteer
from worker.models import Source
from worker.normalize import canonical_url
from worker.sources.encoding import decode_html
from worker.sources.html import parse_list_page

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "fixtures" / "listpages"
HOLDOUT = ROOT / "tests" / "fixtures" / "listpages_holdout"
NOW = datetime(2026, 11, 25, tzinfo=UTC)


@dataclass(frozen=True)
class PageScore:
    file: str
    expected: int
    found: int
    right: int
    dates_right: int
    selector: str
    government: bool = True
    errors: tuple[str, ...] = ()  # items given that are not labelled, labelled ones missed

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else (1.0 if not self.expected else 0.0)

    @property
    def recall(self) -> float:
        return self.right / self.expected if self.expected else 1.0


def _fold(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def score(page: dict[str, Any], gazetteer: Gazetteer, pages: Path = PAGES) -> PageScore:
    url = page.get("url") or "http://unknown.invalid/"
    body = (pages / page["file"]).read_bytes()
    source = Source("page", page["file"], "html", url, "policy")
    found = parse_list_page(source, decode_html(body, ""), url, gazetteer, NOW)
    expected = {(_fold(i["title"]), canonical_url(i["url"]) if i.get("url") else None):
                i.get("date") for i in page.get("items") or ()}
    right = dates = 0
    errors: list[str] = []
    hits: set[tuple[str, str | None]] = set()
    for item in found.items:
        key = (_fold(item.title), item.url)
        loose = (_fold(item.title), None)  # the page has no GET link for it
        hit = key if key in expected else loose if loose in expected else None
        if hit is None:
            errors.append(f"not labelled: {key[0]} <{key[1]}>")
            continue
        right, hits = right + 1, hits | {hit}
        day = f"{item.published:%Y-%m-%d}" if item.dated else None
        dates += day == expected[hit]
    errors += [f"missed: {title} <{url}>" for title, url in expected if (title, url) not in hits]
    selector = found.detected.item_selector if found.detected else "(none)"
    government = page.get("sector", "government") == "government" and \
        not page["file"].startswith("fund-")
    return PageScore(page["file"], len(expected), len(found.items), right, dates, selector,
                     government, tuple(errors))


def run(pages: Path = PAGES) -> list[PageScore]:
    labels = yaml.safe_load((pages / "labels.yaml").read_text(encoding="utf-8"))
    gazetteer = Gazetteer.tianjin()
    return [score(page, gazetteer, pages) for page in labels]


def table(scores: list[PageScore]) -> str:
    rows = ["| page | labelled | found | right | dates right | precision | recall |",
            "|---|---|---|---|---|---|---|"]
    for s in scores:
        rows.append(f"| {s.file} | {s.expected} | {s.found} | {s.right} | {s.dates_right} | "
                    f"{s.precision:.0%} | {s.recall:.0%} |")
    rows.append(_total(f"{len(scores)} pages", scores))
    government = [s for s in scores if s.government]
    rows.append(_total(f"{len(government)} government pages", government))
    return "\n".join(rows)


def _total(name: str, scores: list[PageScore]) -> str:
    expected = sum(s.expected for s in scores)
    found = sum(s.found for s in scores)
    right = sum(s.right for s in scores)
    dates = sum(s.dates_right for s in scores)
    return (f"| **{name}** | {expected} | {found} | {right} | {dates} | "
            f"**{right / max(found, 1):.1%}** | **{right / max(expected, 1):.1%}** |")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.listpages")
    parser.add_argument("--write", action="store_true",
                        help="write both sets' tables into BENCHMARKS.md")
    parser.add_argument("--show-errors", action="store_true",
                        help="list the items given wrongly and the labelled ones missed")
    parser.add_argument("--holdout", action="store_true",
                        help="score the hold-out pages (tests/fixtures/listpages_holdout/)")
    options = parser.parse_args()
    scores = run(HOLDOUT if options.holdout else PAGES)
    print(table(scores))
    for s in scores:
        print(f"{s.file}: {s.selector}")
        for error in s.errors if options.show_errors else ():
            print(f"    {error}")
    if options.write:
        in_sample, holdout = (run(PAGES), scores) if options.holdout else (scores, run(HOLDOUT))
        both = f"{table(in_sample)}\n\nHold-out pages:\n\n{table(holdout)}"
        write_section("listpages", "List detection without selectors",
                      "python -m bench.listpages --write", both)


if __name__ == "__main__":
    main()
