"""Which fetched items are new and which are copies, decided in memory (`plan_new`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from worker.districts import Gazetteer
from worker.models import Item, Source
from worker.neardup import Known, NearDuplicates, signature
from worker.pipeline.fresh import Copy, plan_new
from worker.sources.common import build_item

SOURCE = Source("s", "S", "rss", "http://t.test/", "project")
WHEN = datetime(2025, 7, 25, tzinfo=UTC)


def item(title: str, n: int, source: str = "s") -> Item:
    built = build_item(replace(SOURCE, id=source), title=title, link=f"http://t.test/{n}",
                       base_url="", summary_html="", published=WHEN, guid=None,
                       gazetteer=Gazetteer.tianjin())
    assert built is not None
    return built


STORED = item("【武清区招商】武清区新能源汽车零部件产业园签约12个项目", 1, source="portal")
AGAIN = item("武清新能源汽车零部件产业园签约12个项目", 2)  # the portal's story, relabelled
NEW = item("滨海高新区ＡＩ算力中心项目开工", 3)
NEW_AGAIN = item("滨海高新区 AI 算力中心项目开工", 4)  # alike, but from the same source
OTHER = item("河东区人民政府关于印发河东区2025年政府工作报告的通知", 5)


def recent_index() -> NearDuplicates:
    return NearDuplicates([Known(41, STORED, signature(STORED.title))])


def test_copies_of_other_sources_stories_are_not_new() -> None:
    plan = plan_new([AGAIN, NEW, OTHER], recent_index())
    assert [i.url for i, _ in plan.new] == [NEW.url, OTHER.url]
    assert plan.copies == (Copy(AGAIN, 41, STORED.title),)


def test_one_source_is_never_merged_with_itself() -> None:
    """Distinct titles of one list page are distinct items, however alike; and a source's
    own earlier item is not what a new title of it repeats."""
    plan = plan_new([NEW, NEW_AGAIN], NearDuplicates())
    assert [i for i, _ in plan.new] == [NEW, NEW_AGAIN] and plan.copies == ()
    own = replace(STORED, source_id="s")
    plan = plan_new([AGAIN], NearDuplicates([Known(41, own, signature(own.title))]))
    assert [i for i, _ in plan.new] == [AGAIN]


def test_nothing_recent_and_nothing_alike_means_everything_is_new() -> None:
    plan = plan_new([NEW, OTHER], NearDuplicates())
    assert [i for i, _ in plan.new] == [NEW, OTHER] and plan.copies == ()
