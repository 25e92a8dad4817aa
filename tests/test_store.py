"""Repository functions on both backends (SQLite file, real PostgreSQL)."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine

from worker.dedupe import KnownKeys, Sorted, unseen
from worker.models import DistrictTag, Item, Match, Schedule, Subscriber, Validators
from worker.store import digests, items, reports, sources, subscribers, tables
from worker.store.db import connect, migrate
from worker.store.tables import metadata

T0 = datetime(2025, 7, 28, 1, 0, tzinfo=UTC)
LEASE = timedelta(minutes=15)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = connect(database_url)
    migrate(engine)
    migrate(engine)  # running it again is a no-op
    yield engine
    engine.dispose()


def an_item(n: int, source_id: str = "src", title: str | None = None) -> Item:
    return Item(source_id, f"guid-{n}", f"http://t.test/{n}", title or f"第{n}号项目新闻标题足够长",
                "摘要", T0 - timedelta(hours=n), "project",
                (DistrictTag("武清区", ("title", "label")),), f"fp-{n}")


def seed(engine: Engine, n_items: int = 3) -> tuple[Subscriber, list[Item]]:
    from worker.models import Source
    with engine.begin() as conn:
        sources.sync(conn, [Source("src", "Src", "rss", "http://t.test/f", "project")])
        stored = items.insert(conn, [an_item(i) for i in range(1, n_items + 1)], T0)
        sub, created = subscribers.save(conn, Subscriber(
            "Wang@Example.com", "王", ("武清区",), schedule=Schedule("weekly")), T0)
    assert created
    return sub, stored


def open_one(conn: Connection, subscriber_id: int, period_key: str, now: datetime,
             cutoff: datetime | None = None) -> int | None:
    """One subscriber's digest for the period (None if the period is done)."""
    plan = digests.Plan(subscriber_id, period_key, cutoff or now)
    return digests.open_digests(conn, [plan], now).get((subscriber_id, period_key))


def test_migrations_match_the_table_definitions(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_items_round_trip_with_aware_times_and_tags(engine: Engine) -> None:
    _, stored = seed(engine)
    with engine.connect() as conn:
        loaded = {known.id: known.item for known in items.recent(conn, T0)}
    assert [loaded[i.id] for i in stored if i.id] == stored
    assert stored[0].published.tzinfo is not None


def test_known_keys_and_conflicting_inserts_are_skipped(engine: Engine) -> None:
    seed(engine)
    again = an_item(1)
    republished = replace(an_item(9), fingerprint="fp-2")  # another URL, same story
    new = an_item(10)
    batch = [again, republished, new, new]
    with engine.begin() as conn:
        fresh = unseen(batch, items.known(conn, KnownKeys.wanted_for(batch)))
        assert fresh == [new]
        # Even if another worker stored them meanwhile, inserting is safe:
        assert [i.guid for i in items.insert(conn, [again, republished, new], T0)] == [
            "guid-10"]


def test_source_error_state(engine: Engine) -> None:
    seed(engine)
    with engine.begin() as conn:
        assert sources.record_failure(conn, "src", "HTTP 500", T0) == 1
        assert sources.record_failure(conn, "src", "timed out", T0) == 2
    with engine.begin() as conn:
        [status] = sources.statuses(conn)
        assert (status.failure_streak, status.last_error, status.items_stored) == (
            2, "timed out", 3)
        sources.record_success(conn, "src", Validators('"e1"', "yesterday"), T0)
        assert sources.poll_state(conn, "src").validators == Validators('"e1"', "yesterday")
        assert sources.statuses(conn)[0].failure_streak == 0


def test_digest_lifecycle(engine: Engine) -> None:
    sub, stored = seed(engine)
    assert sub.id is not None
    sid = sub.id
    with engine.begin() as conn:
        digests.add_matches(conn, [Match(sid, i.id or 0, ("新能源",), ("武清区",))
                                   for i in stored[:2]], T0)
        assert len(digests.undelivered(conn, sid)) == 2  # waiting, in no digest yet
        digests.add_matches(conn, [Match(sid, stored[0].id or 0)], T0)  # again: ignored
        [waiting] = list(digests.waiting(conn))
        assert waiting.subscriber.email == "wang@example.com" and waiting.first_delivery_id > 0
        assert waiting.oldest == T0
        digest_id = open_one(conn, sid, "w:2025-07-28", T0)
        assert digest_id is not None
        assert list(digests.waiting(conn)) == []
    with engine.begin() as conn:
        assert digests.sendable(conn, T0, LEASE) == [digest_id]
        assert digests.claim(conn, [digest_id], T0, LEASE) == [digest_id]
        assert digests.claim(conn, [digest_id], T0, LEASE) == []  # another worker: no
        [contents] = digests.contents(conn, [digest_id])
        assert [e.item.id for e in contents.entries] == [stored[0].id, stored[1].id]
        assert contents.entries[0].keywords == ("新能源",)
    # An item matched while the digest is being sent waits for the next one.
    with engine.begin() as conn:
        digests.add_matches(conn, [Match(sid, stored[2].id or 0)], T0)
        assert open_one(conn, sid, "w:2025-07-28", T0) is None
        reports.mark_sent(conn, digest_id, [e.delivery_id for e in contents.entries], T0)
    with engine.begin() as conn:
        assert digests.sendable(conn, T0, LEASE) == []
        assert [e.item.id for e in digests.undelivered(conn, sid)] == [stored[2].id]
        assert open_one(conn, sid, "w:2025-07-28", T0) is None  # period done
        # a digest with a cutoff before the delivery was made carries nothing of it
        early = open_one(conn, sid, "w:2025-08-04", T0, T0 - timedelta(hours=1))
        assert early is not None and digests.contents(conn, [early])[0].entries == ()
        assert open_one(conn, sid, "w:2025-08-04", T0) == early
        assert len(digests.contents(conn, [early])[0].entries) == 1
        assert digests.state_counts(conn, T0) == {"sent": 1, "pending": 1}



def one_digest(engine: Engine) -> tuple[int, int]:
    """A subscriber with one item in one open instant digest: (subscriber id, digest id)."""
    sub, stored = seed(engine, 1)
    assert sub.id is not None
    with engine.begin() as conn:
        digests.add_matches(conn, [Match(sub.id, stored[0].id or 0)], T0)
        digest_id = open_one(conn, sub.id, "i:1", T0)
    assert digest_id is not None
    return sub.id, digest_id


def test_sent_times_are_utc_whatever_the_servers_zone(engine: Engine) -> None:
    """Marking sent is one hand-written statement on PostgreSQL: its times must be stored
    as naive UTC like every other, also on a server set to Tianjin's time."""
    sub, stored = seed(engine, 2)
    assert sub.id is not None
    sent_at = T0 + timedelta(minutes=5)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SET LOCAL TimeZone = 'Asia/Shanghai'"))
        digests.add_matches(conn, [Match(sub.id, i.id or 0) for i in stored], T0)
        digest_id = open_one(conn, sub.id, "w:2025-07-28", T0)
        assert digest_id is not None and digests.claim(conn, [digest_id], T0, LEASE)
        [contents] = digests.contents(conn, [digest_id])
        reports.mark_sent(conn, digest_id, [contents.entries[0].delivery_id], sent_at)
    with engine.connect() as conn:
        row = conn.execute(sa.select(tables.digests.c.state, tables.digests.c.sent_at)).one()
        delivered = conn.execute(sa.select(tables.deliveries.c.delivered_at,
                                           tables.deliveries.c.digest_id)
                                 .order_by(tables.deliveries.c.id)).all()
    assert tuple(row) == ("sent", sent_at)
    # the one carried is delivered; the other waits, in no digest, for the next
    assert [tuple(d) for d in delivered] == [(sent_at, digest_id), (None, None)]


def test_a_dead_senders_lease_runs_out(engine: Engine) -> None:
    _, digest_id = one_digest(engine)
    with engine.begin() as conn:
        assert digests.claim(conn, [digest_id], T0, LEASE) == [digest_id]
    later = T0 + LEASE + timedelta(seconds=1)
    with engine.begin() as conn:
        assert digests.sendable(conn, T0 + timedelta(minutes=5), LEASE) == []
        assert digests.sendable(conn, later, LEASE) == [digest_id]
        assert digests.claim(conn, [digest_id], later, LEASE) == [digest_id]


def test_a_sender_whose_lease_ran_out_reports_into_nothing(engine: Engine) -> None:
    """Worker A overran its lease and B claimed the digest again: A's late release, hand
    back or failure must not touch B's claim (B would be sending a digest that is
    pending again, and a third worker would send it too)."""
    _, digest_id = one_digest(engine)
    later = T0 + LEASE + timedelta(seconds=1)
    with engine.begin() as conn:
        digests.claim(conn, [digest_id], T0, LEASE)  # A
        assert digests.claim(conn, [digest_id], later, LEASE) == [digest_id]  # B
        reports.release(conn, digest_id, "421 A's late failure", later, claimed_at=T0)
        reports.hand_back(conn, [digest_id], claimed_at=T0)
        assert not reports.mark_failed(conn, digest_id, "550 A's late failure", claimed_at=T0)
        row = conn.execute(sa.select(tables.digests.c.state, tables.digests.c.claimed_at,
                                     tables.digests.c.attempts)
                           .where(tables.digests.c.id == digest_id)).one()
        assert (row.state, row.claimed_at, row.attempts) == ("sending", later, 2)
        reports.release(conn, digest_id, "451 B's failure", later, claimed_at=later)
        assert digests.sendable(conn, later, LEASE) == [digest_id]


def test_failed_digest_is_not_retried_and_bounces_suspend(engine: Engine) -> None:
    subscriber_id, digest_id = one_digest(engine)
    with engine.begin() as conn:
        reports.mark_failed(conn, digest_id, "550 no such user")
        assert digests.sendable(conn, T0, LEASE) == []
        assert digests.undelivered(conn, subscriber_id) == []
        assert [subscribers.record_hard_bounce(conn, subscriber_id, 2) for _ in range(2)] == [
            False, True]
        assert list(subscribers.each_active(conn)) == []


def test_subscriber_upsert_keeps_status_and_remove_cascades(engine: Engine) -> None:
    sub, stored = seed(engine, 1)
    assert sub.id is not None
    with engine.begin() as conn:
        digests.add_matches(conn, [Match(sub.id, stored[0].id or 0)], T0)
        subscribers.record_hard_bounce(conn, sub.id, 1)
        updated, created = subscribers.save(
            conn, replace(sub, keywords=("氢能",), id=None), T0 + timedelta(days=1))
        assert not created and updated.id == sub.id and updated.keywords == ("氢能",)
        assert updated.status == "suspended"  # an import does not re-activate
        assert updated.created_at == T0
        assert subscribers.remove(conn, "WANG@example.com")
        assert not subscribers.remove(conn, "wang@example.com")
        assert list(digests.waiting(conn)) == []


def test_bulk_save_creates_updates_and_keeps_status(engine: Engine) -> None:
    sub, _ = seed(engine, 1)
    assert sub.id is not None
    batch = [Subscriber(f"u{i}@example.com", districts=("武清区",)) for i in range(5)]
    batch.append(replace(sub, keywords=("氢能",), id=None))
    with engine.begin() as conn:
        subscribers.set_status(conn, sub.id, "unsubscribed", T0)
        assert subscribers.save_many(conn, batch, T0) == (5, 1)
        assert subscribers.save_many(conn, batch[:2], T0) == (0, 2)
        again = subscribers.by_email(conn, sub.email)
        assert again is not None and again.keywords == ("氢能",)
        assert again.status == "unsubscribed"  # an import never re-subscribes anyone
        assert len(subscribers.listing(conn)) == 6


def test_unseen_leaves_the_known_keys_alone() -> None:
    known = KnownKeys({"http://t.test/1"}, set(), set())
    batch = [an_item(1), an_item(2), an_item(2)]
    assert unseen(batch, known) == [an_item(2)]
    assert known == KnownKeys({"http://t.test/1"}, set(), set())


def test_tags_keep_their_evidence_and_old_rows_still_load(engine: Engine) -> None:
    from worker.models import Evidence
    from worker.store.tables import items as item_table

    tag = DistrictTag("武清区", ("title",), (Evidence("天津京滨工业园", "park", "title"),))
    seed(engine, 0)
    with engine.begin() as conn:
        [stored] = items.insert(conn, [replace(an_item(1), districts=(tag,))], T0)
        assert [r.item for r in items.recent(conn, T0)] == [stored]
        # rows stored before tags kept their evidence: [district, origins]
        conn.execute(item_table.update().values(districts=[["武清区", ["title"]]]))
        [old] = items.recent(conn, T0)
    assert old.item.districts == (DistrictTag("武清区", ("title",)),)


def test_fetched_items_are_sorted_once() -> None:
    from worker.dedupe import sort_fetched

    known = KnownKeys({"http://t.test/1"}, {"fp-1"}, {("src", "guid-1")})
    seen_again = an_item(1)  # the same guid and URL: not news, not a merge
    stored_story = replace(an_item(2), fingerprint="fp-1")  # another URL, a stored story
    twice = replace(an_item(4), fingerprint="fp-3")  # the batch lists item 3's story again
    found = sort_fetched([seen_again, stored_story, an_item(3), twice], known)
    assert found == Sorted([an_item(3)], [stored_story], [twice])


def test_facts_of_items_stored_before_facts_were_read(engine: Engine) -> None:
    from worker.facts import read_facts
    from worker.store.tables import items as item_table

    seed(engine, 0)
    with engine.begin() as conn:
        items.insert(conn, [replace(an_item(n), title=f"第{n}批项目集中签约 总投资{n}0亿元")
                            for n in (1, 2, 3)], T0)
        # rows from before migration 0007 have an SQL NULL there
        conn.execute(item_table.update().where(item_table.c.id > 1).values(facts=sa.null()))
        refreshed = items.refresh_facts(
            conn, lambda i: read_facts(i.title, i.summary, i.category, i.published.date()))
        loaded = sorted(items.recent(conn, T0), key=lambda r: r.id)
    assert refreshed == 2  # only the two stored without facts
    assert [r.item.facts.amount for r in loaded] == [None, 2e9, 3e9]


def test_an_import_never_turns_reminders_back_on(engine: Engine) -> None:
    sub, _ = seed(engine, 1)
    assert sub.id is not None
    with engine.begin() as conn:
        subscribers.update_rules(conn, sub.id, replace(sub, reminders=False), T0)  # the web
        subscribers.save_many(conn, [replace(sub, id=None, keywords=("氢能",))], T0)
        again = subscribers.by_id(conn, sub.id)
        assert again is not None and again.keywords == ("氢能",) and not again.reminders
        other = Subscriber("li@example.com")
        subscribers.save_many(conn, [other], T0)
        subscribers.save_many(conn, [replace(other, reminders=False)], T0)  # a file says off
        stored = subscribers.by_email(conn, "li@example.com")
        assert stored is not None and not stored.reminders
