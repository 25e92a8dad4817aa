"""Places below the district level, English names, and the look-alikes that are refused
(each row a name class, written for this table; the labelled corpus is measured by
`python -m bench.tagging`)."""

from __future__ import annotations

import pytest

from worker.districts import Gazetteer
from worker.models import Evidence
from worker.places import tianjin_places
from worker.subscribers_io import read_subscribers


def areas(gazetteer: Gazetteer, title: str, text: str = "", local: bool = True) -> set[str]:
    return {t.district for t in gazetteer.tag(title, text, None, local)}


@pytest.mark.parametrize(("title", "expected"), [
    # parks, zones, towns, landmarks and hubs name their district
    ("京滨工业园再添新能源项目", {"武清区"}),
    ("杨柳青镇引进文旅综合体项目", {"西青区"}),
    ("王庆坨自行车产业园扩能", {"武清区"}),  # a town without 镇
    ("东丽湖畔新建康养社区", {"东丽区"}),
    ("于家堡金融区新入驻基金管理人5家", {"天津经济技术开发区"}),
    ("国家会展中心（天津）二期开工", {"津南区"}),
    ("天津南站枢纽片区开发招商", {"西青区"}),  # contains 津南, is in 西青
    ("天津滨海国际机场三期改扩建", {"东丽区"}),  # contains 滨海, is in 东丽
    ("南港工业区乙烯项目投产", {"南港工业区"}),
    # English pages
    ("Wuqing District signs 12 projects", {"武清区"}),
    ("TEDA attracts a biotech headquarters", {"天津经济技术开发区"}),
    ("Sino-Singapore Tianjin Eco-City opens a data center", {"中新天津生态城"}),
    ("Hebei District renovates an old factory", {"河北区"}),
    # refused: elsewhere, institutions, words
    ("Hebei province firms invest in Beijing", set()),
    ("北京经济技术开发区新签约项目", set()),
    ("廊坊经济技术开发区引进企业", set()),
    ("沈阳市和平区金融街签约", set()),
    ("江苏盐城市滨海县化工园区整治", set()),
    ("福州滨海新城数字产业园开园", set()),
    ("上海临港新片区集成电路项目", set()),
    ("南开大学举办校庆活动", set()),
    ("河北工业大学校园开放日", set()),
    ("东丽株式会社发布财报", set()),
    ("坚持和平发展道路", set()),
    ("河北省秦皇岛市昌黎县七里海潟湖湿地修复", set()),  # 七里海 after 昌黎县
])
def test_places_tag_their_district_and_look_alikes_tag_nothing(
    gazetteer: Gazetteer, title: str, expected: set[str]
) -> None:
    assert areas(gazetteer, title) == expected


def test_a_town_name_shared_elsewhere_needs_a_tianjin_source_or_context(
    gazetteer: Gazetteer,
) -> None:
    assert tianjin_places().places["太平镇"].shared_elsewhere > 10
    title = "太平镇引进设施农业项目"
    assert areas(gazetteer, title) == {"滨海新区"}  # a Tianjin site: the Tianjin one
    assert areas(gazetteer, title, local=False) == set()  # a national portal: which one?
    assert areas(gazetteer, title, "天津市滨海新区消息", local=False) == {"滨海新区"}


def test_a_name_two_tianjin_districts_share_tags_neither(gazetteer: Gazetteer) -> None:
    book = tianjin_places()
    assert book.places["海滨街道"].within in ("宝坻区", "滨海新区")
    assert areas(gazetteer, "海滨街道社区商业项目签约") == set()


def test_each_tag_says_which_names_gave_it(gazetteer: Gazetteer) -> None:
    [tag] = gazetteer.tag("京滨工业园再添新能源项目", "武清区招商局介绍，项目总投资5亿元。")
    assert tag.district == "武清区" and tag.origins == ("title", "text")
    assert tag.evidence[0] == Evidence("天津京滨工业园", "park", "title")
    assert Evidence("武清区", "district", "text") in tag.evidence
    assert tag.explained().startswith("武清区 (title+text) ← 天津京滨工业园 (park, title)")


def test_a_district_site_republishing_another_districts_story(gazetteer: Gazetteer) -> None:
    """The site's own label and district go together: contradicted by the title, both go."""
    tags = gazetteer.tag("【宁河区招商】东丽湖温泉度假区引进文旅项目", "", "宁河区")
    assert [t.district for t in tags] == ["东丽区"]
    tags = gazetteer.tag("重点项目推进会召开", "", "宁河区")  # names nothing: the site's
    assert [t.district for t in tags] == ["宁河区"]


@pytest.mark.parametrize(("name", "resolved"), [
    ("京滨工业园", "武清区"), ("杨柳青镇", "西青区"), ("于家堡", "天津经济技术开发区"),
    ("Wuqing District", "武清区"), ("生态城", "中新天津生态城"), ("沈阳市和平区", None),
    ("南开大学", None),
])
def test_resolve_any_place_to_its_area(gazetteer: Gazetteer, name: str,
                                       resolved: str | None) -> None:
    assert gazetteer.resolve(name) == resolved


def test_subscriber_files_accept_any_place_and_say_what_it_became(
    gazetteer: Gazetteer,
) -> None:
    notes: list[str] = []
    good, bad = read_subscribers(
        "subscribers:\n  - {email: a@example.com, districts: [京滨工业园, 宝坻, 于家堡]}\n",
        "s.yaml", gazetteer, notes)
    assert not bad and good[0].districts == ("武清区", "宝坻区", "天津经济技术开发区")
    assert len(notes) == 2 and "京滨工业园 is a park in 武清区: subscribed to 武清区" in notes[0]
