import random
from datetime import UTC, datetime

import pytest

from worker.districts import DISTRICTS, ZONES, Gazetteer
from worker.matching import MatchIndex, compile_rule
from worker.matching.naive import match_each
from worker.models import Category, DistrictTag, Item, Subscriber

WHEN = datetime(2025, 7, 25, tzinfo=UTC)


def item(id: int, title: str, summary: str = "", category: Category = "project",
         districts: tuple[str, ...] = ()) -> Item:
    return Item("s", f"g{id}", f"http://t.test/{id}", title, summary, WHEN, category,
                tuple(DistrictTag(d, ("title",)) for d in districts), f"f{id}", id=id)


def sub(id: int, **rules: tuple[str, ...]) -> Subscriber:
    return Subscriber(email=f"s{id}@t.test", id=id, **rules)  # type: ignore[arg-type]


CASES = [
    # (subscriber rules, item, expected keywords or None for no match)
    ({}, item(1, "任意"), ()),
    ({"districts": ("武清区",)}, item(1, "x", districts=("武清区",)), ()),
    ({"districts": ("武清区",)}, item(1, "x", districts=("宝坻区",)), None),
    ({"districts": ("滨海新区",)}, item(1, "x", districts=("滨海高新区",)), ()),  # zone
    ({"districts": ("滨海高新区",)}, item(1, "x", districts=("滨海新区",)), None),
    ({"districts": ("武清区",)}, item(1, "x", districts=("宝坻区", "武清区")), ()),
    ({"categories": ("policy",)}, item(1, "x", category="project"), None),
    ({"categories": ("policy",)}, item(1, "x", category="policy"), ()),
    ({"keywords": ("新能源",)}, item(1, "新能源汽车"), ("新能源",)),
    ({"keywords": ("新能源",)}, item(1, "标题", "摘要里有新能源"), ("新能源",)),
    ({"keywords": ("新能源", "氢能")}, item(1, "氢能与新能源"), ("新能源", "氢能")),
    ({"keywords": ("新能源",)}, item(1, "光伏"), None),
    ({"keywords": ("AI",)}, item(1, "ＡＩ算力中心"), ("AI",)),  # full-width, case
    ({"keywords": ("ai",)}, item(1, "AI大模型"), ("ai",)),  # reported as they wrote it
    ({"keywords": ("AI",)}, item(1, "email marketing"), None),  # not inside a word
    ({"keywords": ("能源",)}, item(1, "新能源"), ("能源",)),  # Chinese: substring
    ({"exclude": ("招聘",)}, item(1, "电商园招聘"), None),
    ({"keywords": ("新能源",), "exclude": ("招聘",)}, item(1, "新能源企业招聘"), None),
    ({"exclude": ("招聘",)}, item(1, "招商"), ()),
]


@pytest.mark.parametrize(("rules", "the_item", "expected"), CASES)
def test_rule_semantics(gazetteer: Gazetteer, rules: dict[str, tuple[str, ...]],
                        the_item: Item, expected: tuple[str, ...] | None) -> None:
    rule = compile_rule(sub(7, **rules), gazetteer)
    for matches in (list(MatchIndex([rule]).match([the_item])),
                    match_each([rule], [the_item])):
        if expected is None:
            assert matches == []
        else:
            assert [(m.subscriber_id, m.item_id, m.keywords) for m in matches] == [
                (7, 1, expected)
            ]


def test_matched_districts_are_reported(gazetteer: Gazetteer) -> None:
    rule = compile_rule(sub(1, districts=("滨海新区",)), gazetteer)
    [match] = MatchIndex([rule]).match([item(5, "x", districts=("武清区", "东疆综合保税区"))])
    assert match.districts == ("东疆综合保税区",)


def test_index_agrees_with_the_straightforward_loop(gazetteer: Gazetteer) -> None:
    """Random realistic rules and items: the index gives exactly the loop's output."""
    rng = random.Random(20251124)
    places = [*DISTRICTS, *ZONES]
    vocabulary = ["新能源", "能源", "智能制造", "人工智能", "AI", "集成电路", "生物医药",
                  "招聘", "融资租赁", "物流", "跨境电商", "氢能", "储能", "数据中心"]
    subscribers = [
        sub(i,
            districts=tuple(rng.sample(["武清", "滨海新区", "宝坻", "滨海高新区", "西青"],
                                       rng.randint(0, 2))),
            categories=tuple(rng.sample(["project", "policy"], rng.randint(0, 1))),
            keywords=tuple(rng.sample(vocabulary, rng.randint(0, 3))),
            exclude=tuple(rng.sample(vocabulary, rng.randint(0, 1))))
        for i in range(1, 301)
    ]
    subscribers = [
        Subscriber(email=s.email, id=s.id, categories=s.categories, keywords=s.keywords,
                   exclude=s.exclude,
                   districts=tuple(gazetteer.resolve(d) or d for d in s.districts))
        for s in subscribers
    ]
    items = [
        item(i, "".join(rng.sample(vocabulary, 2)) + "项目",
             "".join(rng.choices([*vocabulary, "，", "的", "email"], k=12)),
             rng.choice(["project", "policy"]),
             tuple(rng.sample(places, rng.randint(0, 2))))
        for i in range(1, 201)
    ]
    rules = [compile_rule(s, gazetteer) for s in subscribers]
    expected = match_each(rules, items)
    assert len(expected) > 500  # the data exercises real matches, not an empty comparison
    found = MatchIndex(rules).match(items)
    assert list(found) == expected and len(found) == len(expected)


def test_an_index_without_subscribers_matches_nothing() -> None:
    found = MatchIndex([]).match([item(1, "新能源")])
    assert list(found) == [] and len(found) == 0 and not found
