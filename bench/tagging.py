"""`python -m bench.tagging [--write] [--show-errors]`: district tagging judged on the
labelled corpus `tests/data/places_corpus.yaml` — precision and recall per district and
overall, zones, the items it gets wrong — and the speed of tagging. The hold-out set
`tests/data/places_holdout.yaml`, written without sight of the data or the first corpus
and never tuned on, gets its own overall row.

An item counts for a district when any of its tags lies in that district (a zone counts
for 滨海新区). `--write` puts the table into BENCHMARKS.md between the tagging markers.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.sections import write_section
from worker.districts import DISTRICTS, ZONES, Gazetteer

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "places_corpus.yaml"
HOLDOUT = ROOT / "tests" / "data" / "places_holdout.yaml"


@dataclass
class Scores:
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)  # one line per item with an error

    def add(self, item_id: str, title: str, expected: set[str], got: set[str]) -> None:
        for name in expected & got:
            self.tp[name] += 1
        for name in got - expected:
            self.fp[name] += 1
        for name in expected - got:
            self.fn[name] += 1
        if expected != got:
            self.wrong.append(f"{item_id} {title}: expected {sorted(expected)}, "
                              f"got {sorted(got)}")

    def precision(self, names: Iterable[str] | None = None) -> float:
        tp, fp = self._sum(self.tp, names), self._sum(self.fp, names)
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, names: Iterable[str] | None = None) -> float:
        tp, fn = self._sum(self.tp, names), self._sum(self.fn, names)
        return tp / (tp + fn) if tp + fn else 1.0

    @staticmethod
    def _sum(counts: Counter[str], names: Iterable[str] | None) -> int:
        return sum(counts.values()) if names is None else sum(counts[n] for n in names)


def load(path: Path = CORPUS) -> list[Mapping[str, Any]]:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(items, list)
    return items


def evaluate(gazetteer: Gazetteer, items: list[Mapping[str, Any]]) -> tuple[Scores, Scores]:
    """(districts, zones) scores over the corpus."""
    districts, zones = Scores(), Scores()
    for item in items:
        tags = gazetteer.tag(item["title"], item.get("summary") or "",
                             item.get("source_district"))
        got = {gazetteer.parent(t.district) for t in tags}
        districts.add(item["id"], item["title"], set(item.get("districts") or ()), got)
        expected_zones = {_top(gazetteer, gazetteer.resolve(z) or "") for z in item.get("zones")
                          or ()} & set(ZONES)
        got_zones = {_top(gazetteer, t.district) for t in tags if t.district in ZONES}
        zones.add(item["id"], item["title"], {z for z in expected_zones if z}, got_zones)
    return districts, zones


def _top(gazetteer: Gazetteer, zone: str) -> str:
    """A zone's top-level zone (南港工业区 → 天津经济技术开发区): zones are scored there."""
    while zone in gazetteer.parents and gazetteer.parents[zone] in ZONES:
        zone = gazetteer.parents[zone]
    return zone


def speed(gazetteer: Gazetteer, items: list[Mapping[str, Any]], seconds: float = 2.0
          ) -> float:
    """Items tagged per second (title + summary), after one warm-up pass."""
    texts = [(i["title"], i.get("summary") or "") for i in items]
    for title, summary in texts:
        gazetteer.tag(title, summary)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for title, summary in texts:
            gazetteer.tag(title, summary)
        done += len(texts)
    return done / (time.perf_counter() - start)


def table(districts: Scores, zones: Scores, items: int, per_second: float,
          holdout: tuple[Scores, int] | None = None) -> str:
    rows = ["| district | items | precision | recall |", "|---|---|---|---|"]
    for name in DISTRICTS:
        count = districts.tp[name] + districts.fn[name]
        rows.append(f"| {name} | {count} | {districts.precision([name]):.1%} | "
                    f"{districts.recall([name]):.1%} |")
    rows.append(f"| **all districts** | {items} items | **{districts.precision():.1%}** | "
                f"**{districts.recall():.1%}** |")
    rows.append(f"| 滨海新区's zones | | {zones.precision():.1%} | {zones.recall():.1%} |")
    if holdout is not None:
        scores, count = holdout
        rows.append(f"| hold-out set, all districts | {count} items | {scores.precision():.1%} "
                    f"| {scores.recall():.1%} |")
    return "\n".join(rows) + (f"\n\nTagging speed: {per_second:,.0f} items/s (title and "
                              "summary, one core).")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tagging")
    parser.add_argument("--write", action="store_true", help="write into BENCHMARKS.md")
    parser.add_argument("--show-errors", action="store_true", help="list wrong items")
    options = parser.parse_args()
    started = time.perf_counter()
    gazetteer = Gazetteer.tianjin()
    gazetteer.tag("预热", "")
    built = time.perf_counter() - started
    items = load()
    districts, zones = evaluate(gazetteer, items)
    held = load(HOLDOUT) if HOLDOUT.exists() else []
    holdout = (evaluate(gazetteer, held)[0], len(held)) if held else None
    result = table(districts, zones, len(items), speed(gazetteer, items), holdout)
    result += f" Gazetteer built in {built:.2f} s from {len(gazetteer.text_patterns):,} names."
    print(result)
    if options.show_errors:
        print("\n".join(["", *districts.wrong, *(f"zone: {w}" for w in zones.wrong),
                         *(f"hold-out: {w}" for w in (holdout[0].wrong if holdout else []))]))
    if options.write:
        write_section("tagging", "District tagging", "python -m bench.tagging --write",
                      result)


if __name__ == "__main__":
    main()
