"""District tagging on the labelled corpus stays at its targets (issue 14): precision
≥ 99 %, recall ≥ 98 % over all districts. `python -m bench.tagging --show-errors` lists
the items it gets wrong."""

from __future__ import annotations

from bench.tagging import evaluate, load
from worker.districts import Gazetteer


def test_precision_and_recall_on_the_labelled_corpus(gazetteer: Gazetteer) -> None:
    items = load()
    assert len(items) >= 300
    districts, _ = evaluate(gazetteer, items)
    assert districts.precision() >= 0.99 and districts.recall() >= 0.98, \
        "\n".join(districts.wrong)
