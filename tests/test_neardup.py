"""Near-duplicate pairs: the threshold and guards were tuned on these."""

from datetime import UTC, datetime

import pytest

from worker.districts import Gazetteer
from worker.models import Item, Source
from worker.neardup import Known, NearDuplicates, from_bytes, signature, to_bytes
from worker.sources.common import build_item

SOURCE = Source("s", "S", "rss", "http://t.test/", "project")
WHEN = datetime(2025, 7, 25, tzinfo=UTC)


def item(title: str, n: int = 0) -> Item:
    built = build_item(SOURCE, title=title, link=f"http://t.test/{n}", base_url="",
                       summary_html="", published=WHEN, guid=None,
                       gazetteer=Gazetteer.tianjin())
    assert built is not None
    return built


MERGE = [
    ("【武清区招商】武清区新能源汽车零部件产业园签约12个项目",
     "武清新能源汽车零部件产业园签约12个项目"),
    ("【武清区招商】武清区新能源汽车零部件产业园签约12个项目",
     "武清区新能源汽车零部件产业园集中签约12个项目"),
    ("北京优质项目集群落户天津滨海 赋能京津冀协同发展新格局",
     "北京优质项目集群落户天津滨海新区，赋能京津冀协同发展"),
    ("京津冀科技协同新标杆：京津研究院赋能武清高质量发展",
     "【转载】京津冀科技协同新标杆 京津研究院赋能武清高质量发展"),
    ("滨海高新区ＡＩ算力中心项目开工",
     "滨海高新区 AI 算力中心项目开工"),
]
APART = [
    # the same boilerplate from two district governments
    ("河东区人民政府关于印发河东区2025年政府工作报告的通知",
     "天津市西青区人民政府关于印发政府工作报告的通知"),
    ("天津市西青区人民政府关于印发政府工作报告的通知",
     "天津市北辰区人民政府关于印发政府工作报告的通知"),
    # the same sentence with other numbers is another fact
    ("武清区新能源汽车零部件产业园签约12个项目",
     "武清区新能源汽车零部件产业园签约15个项目"),
    ("武清区公布第一批重点招商项目清单", "武清区公布第四批重点招商项目清单"),
    ("宝坻区集中签约十二个重点项目", "宝坻区集中签约二十个重点项目"),
    ("【武清区招商】武清区以担当作为推动责任传导 打造京津冀协同发展高地",
     "【宝坻区招商】宝坻区多措并举推进京津冀协同发展新格局"),
    ("天津滨海新区深化京津冀协同发展 打造区域合作新高地",
     "北辰区多维发力深度融入京津冀协同发展新格局"),
]


@pytest.mark.parametrize(("first", "second"), MERGE)
def test_republished_stories_merge(first: str, second: str) -> None:
    index = NearDuplicates([Known(1, item(first), signature(first))])
    assert index.match(item(second, 2)) == 1


@pytest.mark.parametrize(("first", "second"), APART)
def test_different_stories_stay_apart(first: str, second: str) -> None:
    index = NearDuplicates([Known(1, item(first), signature(first))])
    assert index.match(item(second, 2)) is None


def test_signatures_round_trip_through_bytes() -> None:
    title = MERGE[0][0]
    restored = from_bytes(to_bytes(signature(title)))
    assert restored.jaccard(signature(title)) == 1.0
    assert len(to_bytes(signature(title))) == 64 * 8
