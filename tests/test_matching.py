import random
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from worker.districts import DISTRICTS, ZONES, Gazetteer
from worker.matching import MatchIndex, compile_rule
from worker.matching.naive import match_each
from worker.models import Category, DistrictTag, Item, Source, Subscriber
from worker.runtime import SubscriberIndex
from worker.store import digests as digest_rows
from worker.store import items as item_rows
from worker.store import sources as source_rows
from worker.store import subscribers as subscriber_rows
from worker.store.db import connect, migrate
from worker.store.deliveries import store_matches
from worker.store.tables import deliveries

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
    shuffled = rng.sample(rules, len(rules))  # positions renumbered into id order
    assert shuffled != rules and list(MatchIndex(shuffled).match(items)) == expected


def test_an_index_without_subscribers_matches_nothing() -> None:
    found = MatchIndex([]).match([item(1, "新能源")])
    assert list(found) == [] and len(found) == 0 and not found


# -- deliveries stored set-based (issue 18) --------------------------------------------


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = connect(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def _seed(engine: Engine, gazetteer: Gazetteer) -> tuple[list[Item], list[Subscriber]]:
    """Stored items and subscribers (deliveries refer to both) with realistic rules."""
    rng = random.Random(18)
    words = ["新能源", "智能制造", "AI", "氢能", "物流", "招聘"]
    places = ["武清区", "滨海新区", "宝坻区", "滨海高新区", "西青区"]
    with engine.begin() as conn:
        source_rows.sync(conn, [Source("s", "S", "rss", "http://t.test/f", "project")])
        stored = item_rows.insert(conn, [
            item(i, f"第{i}号{''.join(rng.sample(words, 2))}项目", "摘要",
                 rng.choice(["project", "policy"]), tuple(rng.sample(places, rng.randint(0, 3))))
            for i in range(1, 41)], WHEN)
        subscriber_rows.save_many(conn, [
            Subscriber(f"s{i}@t.test", districts=tuple(rng.sample(places, rng.randint(0, 2))),
                       keywords=tuple(rng.sample(words, rng.randint(0, 2))))
            for i in range(1, 121)], WHEN)
        people = list(subscriber_rows.each_active(conn))
    return stored, people


def _deliveries(conn: Connection) -> list[tuple[object, ...]]:
    rows = conn.execute(sa.select(deliveries).order_by(deliveries.c.id))
    return [(r.subscriber_id, r.item_id, r.keywords, r.districts, r.created_at, r.digest_id)
            for r in rows]


def test_deliveries_stored_set_based_are_those_of_the_per_pair_path(
        engine: Engine, gazetteer: Gazetteer) -> None:
    """COPY (PostgreSQL) / executemany (SQLite) from the columnar result writes exactly the
    rows one Match object per pair wrote; a pair already there stays as it was."""
    stored, people = _seed(engine, gazetteer)
    matches = MatchIndex(compile_rule(s, gazetteer) for s in people).match(stored)
    assert len(matches) > 300 and any(m.keywords for m in matches)
    with engine.connect() as conn, conn.begin() as transaction:
        digest_rows.add_matches(conn, matches, WHEN)
        expected = _deliveries(conn)
        transaction.rollback()
    first = next(iter(matches))
    with engine.begin() as conn:  # one pair is already there, recorded differently
        digest_rows.add_matches(conn, [replace(first, keywords=("earlier",))], WHEN)
        assert store_matches(conn, matches, WHEN) == len(matches)
        assert store_matches(conn, matches, WHEN) == len(matches)  # again: nothing twice
        found = _deliveries(conn)
    assert len(found) == len(expected) == len(matches)
    assert found[0][:3] == (first.subscriber_id, first.item_id, ["earlier"])
    assert sorted(found[1:]) == sorted(r for r in expected if r[:2] != found[0][:2])


# -- the index kept between polls while no subscriber changed (issue 18) ----------------


def _matched(index: SubscriberIndex, engine: Engine, gazetteer: Gazetteer,
             news: list[Item]) -> set[int]:
    with engine.connect() as conn:
        return {m.subscriber_id for m in index.index(conn, gazetteer).match(news)}


def test_the_index_is_kept_until_a_subscriber_changes(engine: Engine,
                                                      gazetteer: Gazetteer) -> None:
    """Every kind of write to subscribers is seen by the next match; nothing else rebuilds."""
    with engine.begin() as conn:
        source_rows.sync(conn, [Source("s", "S", "rss", "http://t.test/f", "project")])
        news = item_rows.insert(conn, [item(1, "武清新能源项目", districts=("武清区",))], WHEN)
        wang, _ = subscriber_rows.save(conn, Subscriber("wang@t.test", keywords=("新能源",)),
                                       WHEN)
        li, _ = subscriber_rows.save(conn, Subscriber("li@t.test", districts=("宝坻区",)),
                                     WHEN)
    assert wang.id is not None and li.id is not None
    index = SubscriberIndex()
    assert _matched(index, engine, gazetteer, news) == {wang.id}
    assert _matched(index, engine, gazetteer, news) == {wang.id} and index.builds == 1
    writes: list[tuple[Callable[[Connection], object], set[int]]] = [
        # the web form: li follows 武清区 now
        (lambda c: subscriber_rows.update_rules(c, li.id or 0, Subscriber(
            "li@t.test", districts=("武清区",)), WHEN), {wang.id, li.id}),
        (lambda c: subscriber_rows.set_status(c, li.id or 0, "unsubscribed", WHEN), {wang.id}),
        (lambda c: subscriber_rows.set_status(c, li.id or 0, "active", WHEN), {wang.id, li.id}),
        (lambda c: subscriber_rows.record_hard_bounce(c, wang.id or 0, 1), {li.id}),  # suspended
        (lambda c: subscriber_rows.remove(c, "li@t.test"), set()),
        (lambda c: subscriber_rows.save_many(c, [Subscriber("new@t.test")], WHEN), None),  # import
    ]
    for n, (write, expected) in enumerate(writes, start=2):
        with engine.begin() as conn:
            write(conn)
        found = _matched(index, engine, gazetteer, news)
        assert index.builds == n
        if expected is not None:
            assert found == expected
    assert len(found) == 1 and found != {wang.id}  # the imported subscriber matches all
    assert _matched(index, engine, gazetteer, news) == found and index.builds == n
