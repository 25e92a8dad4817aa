import pytest

from worker.districts import DISTRICTS, ZONES, Gazetteer


def tags(gazetteer: Gazetteer, title: str, text: str = "", source: str | None = None
         ) -> dict[str, tuple[str, ...]]:
    return {t.district: t.origins for t in gazetteer.tag(title, text, source)}


def test_gazetteer_has_all_16_districts_and_binhai_zones() -> None:
    assert len(DISTRICTS) == 16
    assert {"滨海高新区", "天津经济技术开发区", "天津港保税区", "中新天津生态城",
            "东疆综合保税区"} <= set(ZONES)


@pytest.mark.parametrize(("title", "text", "source", "expected"), [
    # label and title agree
    ("【武清区招商】武清区打造京津冀协同发展高地", "", None,
     {"武清区": ("title", "label")}),
    # mislabeled: the title names another district, the label is not trusted
    ("【南开招商】宝坻区深化京津冀人防协同", "", None, {"宝坻区": ("title",)}),
    ("【滨海招商】天津武清多维发力金融支撑助企", "", None, {"武清区": ("title",)}),
    # a label is trusted when the title names no district
    ("【红桥招商】京津冀协同发展新格局", "", None, {"红桥区": ("label",)}),
    # label naming a district whose zone the title names: consistent, kept
    ("【滨海新区招商】滨海高新区签约项目", "", None,
     {"滨海高新区": ("title",), "滨海新区": ("label",)}),
    # "天津" is the city, not a district
    ("【天津招商】北京企业加大天津投资力度", "", None, {}),
    # short forms and former names
    ("宝坻中关村云签约", "", None, {"宝坻区": ("title",)}),
    ("塘沽老城区改造", "", None, {"滨海新区": ("title",)}),
    ("蓟县旅游项目", "", None, {"蓟州区": ("title",)}),
    # zones, longest name wins: 滨海高新区 is not also read as 滨海
    ("ＴＥＤＡ新项目落户", "", None, {"天津经济技术开发区": ("title",)}),
    ("滨海高新区算力中心", "", None, {"滨海高新区": ("title",)}),
    # 河北 alone is the province; only 河北区 is the district
    ("河北省廊坊市企业来津", "", None, {}),
    ("河北区意式风情区招商", "", None, {"河北区": ("title",)}),
    # several districts, in order; text mentions count too; source district first
    ("重点项目推进", "走访河西区、红桥区及滨海高新区", "津南区",
     {"津南区": ("source",), "河西区": ("text",), "红桥区": ("text",),
      "滨海高新区": ("text",)}),
])
def test_tagging(gazetteer: Gazetteer, title: str, text: str, source: str | None,
                 expected: dict[str, tuple[str, ...]]) -> None:
    assert tags(gazetteer, title, text, source) == expected


def test_tag_order_is_strongest_origin_first(gazetteer: Gazetteer) -> None:
    found = gazetteer.tag("武清区项目", "宝坻区也有", "静海区")
    assert [t.district for t in found] == ["静海区", "武清区", "宝坻区"]


@pytest.mark.parametrize(("name", "resolved"), [
    ("武清", "武清区"), ("武清区", "武清区"), ("河北", "河北区"), ("和平", "和平区"),
    ("TEDA", "天津经济技术开发区"), ("泰达", "天津经济技术开发区"), ("滨海", "滨海新区"),
    ("东疆", "东疆综合保税区"), ("上海", None), ("", None),
])
def test_resolve(gazetteer: Gazetteer, name: str, resolved: str | None) -> None:
    assert gazetteer.resolve(name) == resolved


def test_binhai_subscription_covers_its_zones(gazetteer: Gazetteer) -> None:
    assert gazetteer.expand(["滨海新区"]) == {"滨海新区", *ZONES}
    assert gazetteer.expand(["武清区"]) == {"武清区"}
    assert gazetteer.parent("东疆综合保税区") == "滨海新区"
