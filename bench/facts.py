"""`python -m bench.facts [--write] [--show-errors]`: investor facts judged on the labelled
set `tests/data/facts_corpus.yaml` (and the hold-out `facts_holdout.yaml`, never tuned
on: `--show-errors` lists the labelled set's misses only): precision and recall per field.

A field's extraction is right when it equals the label (amounts within 0.5 %, industries
as sets). Precision: right / extracted; recall: right / labelled. An item whose label is
null and whose extraction is null counts for neither.

`project_count>1` is the count as digests print it ("12个项目"; one project is not
printed): the two sets label single-project news differently (the labelled set 1, the
hold-out null), and this row compares what readers see under either convention.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from bench.sections import write_section
from worker.facts import read_facts
from worker.models import Facts

ROOT = Path(__file__).resolve().parent.parent
SETS = {"labelled set": ROOT / "tests" / "data" / "facts_corpus.yaml",
        "hold-out set": ROOT / "tests" / "data" / "facts_holdout.yaml"}
FIELDS = ("amount_yuan", "amount_qualifier", "amount_kind", "project_count",
          "project_count>1", "stage", "industries", "deadline", "support_max_yuan",
          "support_rate", "policy_kind")
TUNED_ON = "labelled set"  # the only set whose misses are listed
_QUALIFIER = {"": None, "about": "about", "over": "over", "at_least": "at_least", "cap": "cap"}


def extracted(facts: Facts) -> dict[str, Any]:
    """The facts in the labels' terms."""
    return {
        "amount_yuan": facts.amount, "amount_qualifier": _QUALIFIER[facts.amount_qualifier]
        if facts.amount is not None else None,
        "amount_kind": facts.amount_kind or None if facts.amount is not None else None,
        "project_count": facts.project_count, "project_count>1": _printed(facts.project_count),
        "stage": facts.stage,
        "industries": sorted(facts.industries) or None, "deadline": facts.deadline,
        "support_max_yuan": facts.support_max, "support_rate": facts.support_rate,
        "policy_kind": facts.policy_kind,
    }


def _printed(count: int | None) -> int | None:
    return count if count is not None and count > 1 else None


def same(field: str, got: Any, want: Any) -> bool:
    if field in ("amount_yuan", "support_max_yuan", "support_rate"):
        return got is not None and want is not None and abs(got - want) <= 0.005 * abs(want)
    return bool(got == want)


def evaluate(items: list[Mapping[str, Any]]) -> tuple[Counter[str], Counter[str],
                                                      Counter[str], list[str]]:
    right, got_n, want_n = Counter[str](), Counter[str](), Counter[str]()
    wrong = []
    for item in items:
        published = item["published"]
        if isinstance(published, datetime):
            published = published.date()
        facts = extracted(read_facts(item["title"], item.get("summary") or "",
                                     item["category"], published))
        expect = dict(item["expect"])
        expect["industries"] = sorted(expect.get("industries") or ()) or None
        expect["project_count>1"] = _printed(expect.get("project_count"))
        for field in FIELDS:
            got, want = facts[field], expect.get(field)
            got_n[field] += got is not None
            want_n[field] += want is not None
            if want is not None and same(field, got, want):
                right[field] += 1
            elif got is not None or want is not None:
                wrong.append(f"{item['id']} {field}: got {got!r}, want {want!r} — "
                             f"{item['title']}")
    return right, got_n, want_n, wrong


def table(name: str, items: list[Mapping[str, Any]]) -> tuple[str, list[str]]:
    right, got, want, wrong = evaluate(items)
    rows = [f"{name} ({len(items)} items)", "", "| field | labelled | extracted | right | "
            "precision | recall |", "|---|---|---|---|---|---|"]
    for field in FIELDS:
        precision = right[field] / got[field] if got[field] else 1.0
        recall = right[field] / want[field] if want[field] else 1.0
        rows.append(f"| {field} | {want[field]} | {got[field]} | {right[field]} | "
                    f"{precision:.1%} | {recall:.1%} |")
    return "\n".join(rows), wrong


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.facts")
    parser.add_argument("--write", action="store_true", help="write into BENCHMARKS.md")
    parser.add_argument("--show-errors", action="store_true")
    options = parser.parse_args()
    parts = []
    for name, path in SETS.items():
        if not path.exists():
            continue
        result, wrong = table(name, yaml.safe_load(path.read_text(encoding="utf-8")))
        parts.append(result)
        if options.show_errors and name == TUNED_ON:
            print("\n".join(f"{name}: {w}" for w in wrong))
    output = "\n\n".join(parts)
    print(output)
    if options.write:
        write_section("facts", "Investor facts", "python -m bench.facts --write", output)


if __name__ == "__main__":
    main()


