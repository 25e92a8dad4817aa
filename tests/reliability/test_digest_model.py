"""A model of the digest state machine: hypothesis drives the store's digest functions
(store/digests.py, store/reminders.py) on SQLite and PostgreSQL in random orders and
compares the database with a plain Python model after every step.

    match ─► waiting ─► open (a period key, a cutoff) ─► pending ─► claim ─► sending
    sending ─► cancel (not active) | discard (empty) | sent | release ─► pending
           ├─► failed | hand_back ─► pending (attempt not counted)
           └─► its worker dies: taken again once the lease ran out
    sent (carrying a policy with a deadline) ─► reminders planned ─► a reminder mail "r:<id>"

Two workers claim overlapping lists at the same moment (two threads, two connections).
A worker that outlived its lease may still report a failure after another worker took
the digest and finished it. The subscribers pause, unsubscribe and come back.

CI runs a fixed budget per store; DIGEST_MODEL_EXAMPLES=2000 DIGEST_MODEL_STEPS=60
(and DIGEST_MODEL_RANDOM=1 for new examples each run) runs longer.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Verbosity, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy.engine import Connection, Engine

from tests.reliability.report import Outcome, record
from worker.models import DistrictTag, Facts, Item, Match, Schedule, Source, Subscriber
from worker.pipeline.deliver import with_reminders
from worker.pipeline.outcomes import triage
from worker.reminders import is_reminder, plan, plan_for
from worker.store import digests as digest_rows
from worker.store import items as item_rows
from worker.store import reminders as reminder_rows
from worker.store import reports as report_rows
from worker.store import sources as source_rows
from worker.store import subscribers as subscriber_rows
from worker.store.db import connect, migrate
from worker.store.digests import DigestContents
from worker.store.tables import deliveries, digests, reminders, subscribers

EXAMPLES = int(os.environ.get("DIGEST_MODEL_EXAMPLES", "100"))
STEPS = int(os.environ.get("DIGEST_MODEL_STEPS", "40"))
VERBOSITY = Verbosity.verbose if os.environ.get("DIGEST_MODEL_VERBOSE") else Verbosity.normal
RANDOM = os.environ.get("DIGEST_MODEL_RANDOM", "") not in ("", "0")
LEASE = timedelta(minutes=15)
T0 = datetime(2025, 7, 28, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
SEND_AT, TZ = time(9, 0), "Asia/Shanghai"
DEADLINES = {3: date(2025, 8, 6), 4: date(2025, 7, 30)}  # item index → 申报截止
N_ITEMS, N_SUBSCRIBERS = 5, 2
KEYS = ("d:1", "d:2", "d:3")  # period keys; reusing one exercises "period already done"
JUMPS = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=16),  # 16 > lease
         timedelta(minutes=16), timedelta(hours=6)]
# what the holder of a claimed digest reports (sent more often: it is the common case)
OUTCOMES = ["sent", "sent", "sent", "deferred", "deferred 0", "deferred 10", "failed",
            "handed back", "died"]


@dataclass
class Store:
    engine: Engine
    item_ids: list[int]
    subscriber_ids: list[int]
    deadline_of: dict[int, date]  # item id → deadline


@dataclass
class MDigest:
    subscriber: int
    key: str
    state: str = "pending"
    attempts: int = 0
    claimed_at: datetime | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None


@dataclass
class MDelivery:
    subscriber: int
    item: int
    created_at: datetime
    digest: int | None = None
    delivered_at: datetime | None = None


@dataclass
class MReminder:
    subscriber: int
    item: int
    days: int
    due_at: datetime
    lapse_at: datetime
    deadline: date
    digest: int | None = None
    sent_at: datetime | None = None


@dataclass
class Held:
    """A digest a worker claimed and has not reported on yet."""

    worker: str
    contents: DigestContents
    attempts_before: int  # before this claim: hand_back must restore it


@dataclass
class Totals:
    examples: int = 0
    steps: int = 0
    opened: int = 0
    claims: int = 0
    races: int = 0
    reclaimed: int = 0  # taken again after the lease ran out
    sent: int = 0  # mark_sent by the model
    sent_in_db: int = 0  # found sent (with their sent_at) at the end of each example
    cancelled: int = 0
    discarded: int = 0
    handed_back: int = 0
    stale_reports: int = 0
    reminders_planned: int = 0
    reminder_mails_opened: int = 0
    reminder_mails_sent: int = 0
    duplicates: int = 0


TOTALS: dict[str, Totals] = {}


def seed(engine: Engine) -> Store:
    def item(n: int) -> Item:
        deadline = DEADLINES.get(n)
        return Item("src", f"g-{n}", f"http://t.test/{n}", f"第{n}号模型测试标题足够长", "摘要",
                    T0 - timedelta(hours=n), "policy" if deadline else "project",
                    (DistrictTag("武清区", ("title",)),), f"fp-{n}",
                    facts=Facts(deadline=deadline))

    with engine.begin() as conn:
        source_rows.sync(conn, [Source("src", "Src", "rss", "http://t.test/f", "project")])
        stored = item_rows.insert(conn, [item(n) for n in range(N_ITEMS)], T0)
        people = [subscriber_rows.save(conn, Subscriber(
            f"m{n}@example.com", schedule=Schedule("daily", SEND_AT, timezone=TZ)), T0)[0]
            for n in range(N_SUBSCRIBERS)]
    ids = [i.id for i in stored]
    assert all(i is not None for i in ids) and all(p.id is not None for p in people)
    return Store(engine, [i for i in ids if i is not None],
                 [p.id for p in people if p.id is not None],
                 {i.id: i.facts.deadline for i in stored
                  if i.id is not None and i.facts.deadline is not None})


def reset(engine: Engine) -> None:
    """Between examples: the schema and the seed stay, what the model made goes."""
    with engine.begin() as conn:
        for table in (reminders, deliveries, digests):
            conn.execute(table.delete())
        conn.execute(subscribers.update().values(status="active", hard_bounces=0))


class DigestModel(RuleBasedStateMachine):
    def __init__(self, store: Store, totals: Totals) -> None:
        super().__init__()
        self.store, self.engine, self.totals = store, store.engine, totals
        reset(self.engine)
        totals.examples += 1
        self.now = T0
        self.status = dict.fromkeys(store.subscriber_ids, "active")
        self.digests: dict[int, MDigest] = {}
        self.deliveries: dict[int, MDelivery] = {}
        self.reminders: dict[int, MReminder] = {}
        self.held: dict[int, Held] = {}  # digest id → its live holder
        self.stale: list[Held] = []  # holders that outlived their lease and lost the digest
        self.sent_at_of: dict[int, datetime] = {}  # every digest ever sent
        self.carried_by: dict[int, int] = {}  # delivery → the sent digest that carried it
        self.delivered_pairs: Counter[tuple[int, int]] = Counter()  # (subscriber, item)
        self.reminded: Counter[tuple[int, int, int]] = Counter()  # (subscriber, item, days)

    # ---- helpers ------------------------------------------------------------------

    def begin(self) -> Any:
        return self.engine.begin()

    def claimable(self, now: datetime) -> set[int]:
        return {d for d, m in self.digests.items()
                if (m.state == "pending" and (m.next_attempt_at is None
                                              or m.next_attempt_at <= now))
                or (m.state == "sending" and m.claimed_at is not None
                    and m.claimed_at < now - LEASE)}

    def digest_id(self, conn: Connection, subscriber: int, key: str) -> int:
        return int(conn.scalar(sa.select(digests.c.id).where(
            digests.c.subscriber_id == subscriber, digests.c.period_key == key)))

    def take(self, conn: Connection, worker: str, ids: set[int]) -> tuple[list[int], list[Held]]:
        """What deliver._claim does, in the caller's transaction: claim, load, triage."""
        claimed = digest_rows.claim(conn, ids, self.now, LEASE)
        loaded = with_reminders(conn, digest_rows.contents(conn, claimed), self.now)
        out = []
        for c in loaded:
            verdict = triage(c)
            if verdict == "cancel":
                report_rows.cancel(conn, c.id, f"subscriber is {c.subscriber.status}")
            elif verdict == "discard":
                report_rows.discard(conn, c.id)
            out.append(Held(worker, c, -1))
        return claimed, out

    def apply_claims(self, claimed: list[int], loaded: list[Held]) -> None:
        """The model's side of `take`, with the contents checked against the model."""
        self.totals.claims += len(claimed)
        for d in claimed:
            m = self.digests[d]
            if m.state == "sending":  # its holder is presumed dead
                self.totals.reclaimed += 1
                if d in self.held:
                    self.stale.append(self.held.pop(d))
            held = next(h for h in loaded if h.contents.id == d)
            held.attempts_before = m.attempts
            m.state, m.claimed_at, m.attempts = "sending", self.now, m.attempts + 1
            c = held.contents
            assert c.attempts == m.attempts and c.subscriber.id == m.subscriber
            assert c.subscriber.status == self.status[m.subscriber]
            if is_reminder(m.key):
                expected = sorted(
                    (r for r, mr in self.reminders.items() if mr.digest == d
                     and mr.sent_at is None and mr.lapse_at > self.now),
                    key=lambda r: (self.reminders[r].deadline, r))
            else:
                expected = sorted(i for i, md in self.deliveries.items()
                                  if md.digest == d and md.delivered_at is None)
            assert [e.delivery_id for e in c.entries] == expected, (m, c.entries)
            if self.status[m.subscriber] != "active":
                m.state = "cancelled"
                self.totals.cancelled += 1
            elif not expected:
                self.forget(d)
                self.totals.discarded += 1
            else:
                self.held[d] = held

    def forget(self, d: int) -> None:
        """The digest row was deleted: what pointed at it points nowhere (SET NULL)."""
        del self.digests[d]
        self.stale = [h for h in self.stale if h.contents.id != d]  # SQLite reuses ids
        for md in self.deliveries.values():
            if md.digest == d:
                md.digest = None
        for mr in self.reminders.values():
            if mr.digest == d:
                mr.digest = None

    def pick_held(self, data: st.DataObject) -> Held:
        d = data.draw(st.sampled_from(sorted(self.held)), label="held digest")
        return self.held.pop(d)

    # ---- rules --------------------------------------------------------------------

    @initialize(start=st.sampled_from(["fresh", "policy sent", "reminder due"]))
    def begin_at(self, start: str) -> None:
        """Runs start empty, or after a digest carrying a policy with a deadline was sent
        (its reminders planned), or a day later with the first reminder mail opened."""
        if start == "fresh":
            return
        self.match_then_open(0, {3, 4}, KEYS[0])
        with self.begin() as conn:
            claimed, loaded = self.take(conn, "A", set(self.digests))
        self.apply_claims(claimed, loaded)
        self.sent(self.held.pop(claimed[0]))
        assert self.reminders, "no reminder planned"
        if start == "reminder due":
            self.next_day(1)
            self.open_reminder_mails()
            assert any(is_reminder(m.key) for m in self.digests.values())

    @rule(who=st.integers(0, N_SUBSCRIBERS - 1),
          which=st.sets(st.integers(0, N_ITEMS - 1), min_size=1))
    def match(self, who: int, which: set[int]) -> None:
        sid = self.store.subscriber_ids[who]
        item_ids = [self.store.item_ids[n] for n in sorted(which)]
        with self.begin() as conn:
            digest_rows.add_matches(conn, [Match(sid, i, ("kw",), ("武清区",))
                                           for i in item_ids], self.now)
            rows = list(conn.execute(sa.select(deliveries.c.id, deliveries.c.item_id).where(
                deliveries.c.subscriber_id == sid, deliveries.c.item_id.in_(item_ids))))
        for r in rows:  # a pair already recorded is left alone
            self.deliveries.setdefault(r.id, MDelivery(sid, r.item_id, self.now))

    @rule(who=st.sets(st.integers(0, N_SUBSCRIBERS - 1), min_size=1),
          key=st.sampled_from(KEYS), back=st.sampled_from([0, 0, 30]))
    def open_digests(self, who: set[int], key: str, back: int) -> None:
        """As opening.open_due_digests: the waiting subscribers, a plan each."""
        cutoff = self.now - timedelta(minutes=back)
        chosen = {self.store.subscriber_ids[n] for n in who}
        with self.begin() as conn:
            waiting = list(digest_rows.waiting(conn))
            expected_waiting = {}
            for i, md in sorted(self.deliveries.items()):
                if md.digest is None and md.delivered_at is None \
                        and self.status[md.subscriber] == "active":
                    first, oldest = expected_waiting.get(md.subscriber, (i, md.created_at))
                    expected_waiting[md.subscriber] = (first, min(oldest, md.created_at))
            assert {w.subscriber.id: (w.first_delivery_id, w.oldest)
                    for w in waiting} == expected_waiting
            plans = [digest_rows.Plan(w.subscriber.id, key, cutoff) for w in waiting
                     if w.subscriber.id in chosen]
            opened = digest_rows.open_digests(conn, plans, self.now)
            new = {p.subscriber_id: self.digest_id(conn, p.subscriber_id, key) for p in plans
                   if not any(m.subscriber == p.subscriber_id and m.key == key
                              for m in self.digests.values())}
        expected = {}
        for p in plans:
            sid = p.subscriber_id
            if sid in new:
                self.digests[new[sid]] = MDigest(sid, key)
            d = next(d for d, m in self.digests.items() if m.subscriber == sid and m.key == key)
            if self.digests[d].state != "pending":
                continue  # claimed or done: what waits goes in the next one
            expected[(sid, key)] = d
            for md in self.deliveries.values():
                if md.subscriber == sid and md.digest is None and md.delivered_at is None \
                        and md.created_at <= cutoff:
                    md.digest = d
        assert opened == expected
        self.totals.opened += len(new)

    @rule(who=st.integers(0, N_SUBSCRIBERS - 1),
          which=st.sets(st.integers(0, N_ITEMS - 1), min_size=1), key=st.sampled_from(KEYS))
    def match_then_open(self, who: int, which: set[int], key: str) -> None:
        """A cycle, as opening.open_due_digests: new matches, the reminder mails that are
        due, then the digests (denser runs than the single steps)."""
        self.match(who, which)
        self.open_reminder_mails()
        self.open_digests({who}, key, 0)

    @rule()
    def open_reminder_mails(self) -> None:
        with self.begin() as conn:
            opened = reminder_rows.open_due(conn, self.now)
            groups: dict[int, list[int]] = {}
            for r, mr in sorted(self.reminders.items()):
                if mr.digest is None and mr.sent_at is None and mr.due_at <= self.now \
                        < mr.lapse_at and self.status[mr.subscriber] == "active":
                    groups.setdefault(mr.subscriber, []).append(r)
            ids = {sid: self.digest_id(conn, sid, f"r:{rs[0]}") for sid, rs in groups.items()}
        assert opened == len(groups)
        self.totals.reminder_mails_opened += len(groups)
        for sid, rs in groups.items():
            key, d = f"r:{rs[0]}", ids[sid]
            m = self.digests.setdefault(d, MDigest(sid, key))
            assert (m.subscriber, m.key) == (sid, key)
            if m.state == "pending":
                for r in rs:
                    self.reminders[r].digest = d

    def some_ids(self, data: st.DataObject, label: str) -> set[int]:
        """A claimable digest and any others (claimed, done: the claim skips them)."""
        first = data.draw(st.sampled_from(sorted(self.claimable(self.now))), label=label)
        return {first} | data.draw(st.sets(st.sampled_from(sorted(self.digests))),
                                   label=f"{label}, also")

    @precondition(lambda self: self.claimable(self.now))
    @rule(data=st.data(), worker=st.sampled_from(["A", "B"]))
    def claim(self, data: st.DataObject, worker: str) -> None:
        ids = self.some_ids(data, "claim")
        expected = self.claimable(self.now) & ids
        with self.begin() as conn:
            claimed, loaded = self.take(conn, worker, ids)
        assert set(claimed) == expected
        self.apply_claims(claimed, loaded)

    @precondition(lambda self: self.claimable(self.now))
    @rule(data=st.data())
    def two_workers_claim_at_once(self, data: st.DataObject) -> None:
        a, b = self.some_ids(data, "worker A"), self.some_ids(data, "worker B")
        expected = self.claimable(self.now) & (a | b)
        barrier = threading.Barrier(2)
        results: dict[str, tuple[list[int], list[Held]]] = {}
        errors: list[BaseException] = []

        def work(worker: str, ids: set[int]) -> None:
            try:
                with self.begin() as conn:
                    barrier.wait(timeout=10)
                    results[worker] = self.take(conn, worker, ids)
            except BaseException as e:  # reported below, in the test's thread
                errors.append(e)

        threads = [threading.Thread(target=work, args=(w, ids)) for w, ids in
                   (("A", a), ("B", b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors, errors
        got_a, got_b = results["A"][0], results["B"][0]
        assert not set(got_a) & set(got_b), "two workers claimed the same digest"
        assert set(got_a) <= a and set(got_b) <= b
        assert set(got_a) | set(got_b) == expected
        self.totals.races += 1
        for worker in ("A", "B"):
            self.apply_claims(*results[worker])

    @precondition(lambda self: self.held)
    @rule(data=st.data(), outcome=st.sampled_from(OUTCOMES))
    def worker_reports(self, data: st.DataObject, outcome: str) -> None:
        """The holder of a claimed digest says what became of it."""
        held = self.pick_held(data)
        if outcome == "sent":
            self.sent(held)
        elif outcome.startswith("deferred"):
            retry = {"deferred": None, "deferred 0": timedelta(0),
                     "deferred 10": timedelta(minutes=10)}[outcome]
            self.transient_failure(held, retry)
        elif outcome == "failed":
            self.permanent_failure(held)
        elif outcome == "handed back":
            self.handed_back(held)
        # "died": the digest stays in `sending` until its lease runs out

    def sent(self, held: Held) -> None:
        """As deliver._mark_sent: the digest with what it carried; deadlines planned."""
        c, d = held.contents, held.contents.id
        carried = [e.delivery_id for e in c.entries]
        with self.begin() as conn:
            if is_reminder(c.period_key):
                report_rows.mark_sent(conn, d, [], self.now)
                reminder_rows.mark_sent(conn, carried, self.now)
            else:
                report_rows.mark_sent(conn, d, carried, self.now)
                assert c.subscriber.id is not None
                reminder_rows.schedule(conn, c.subscriber.id,
                                       plan_for(c.subscriber, c.entries, self.now), self.now)
        m = self.digests[d]
        m.state, m.sent_at = "sent", self.now
        self.sent_at_of[d] = self.now
        self.totals.sent += 1
        if is_reminder(c.period_key):
            self.totals.reminder_mails_sent += 1
            for r in carried:
                mr = self.reminders[r]
                mr.sent_at = self.now
                self.reminded[(mr.subscriber, mr.item, mr.days)] += 1
            return
        planned = []
        for i, md in self.deliveries.items():
            if md.digest != d or md.delivered_at is not None:
                continue
            if i in carried:
                md.delivered_at = self.now
                self.carried_by[i] = d
                self.delivered_pairs[(md.subscriber, md.item)] += 1
                deadline = self.store.deadline_of.get(md.item)
                if deadline is not None:
                    planned += plan(md.item, deadline, SEND_AT, TZ, self.now)
            else:
                md.digest = None  # waits for the next one
        known = {(mr.subscriber, mr.item, mr.days) for mr in self.reminders.values()}
        fresh = [p for p in planned if (m.subscriber, p.item_id, p.days_before) not in known]
        if fresh:
            with self.begin() as conn:
                rows = {(r.item_id, r.days_before): r.id for r in conn.execute(
                    sa.select(reminders.c.id, reminders.c.item_id, reminders.c.days_before)
                    .where(reminders.c.subscriber_id == m.subscriber))}
            for p in fresh:
                self.reminders[rows[(p.item_id, p.days_before)]] = MReminder(
                    m.subscriber, p.item_id, p.days_before, p.due_at, p.lapse_at, p.deadline)
            self.totals.reminders_planned += len(fresh)

    def transient_failure(self, held: Held, retry: timedelta | None) -> None:
        retry_at = None if retry is None else self.now + retry
        with self.begin() as conn:
            report_rows.release(conn, held.contents.id, "451 try later", retry_at)
        m = self.digests[held.contents.id]
        m.state, m.claimed_at, m.next_attempt_at = "pending", None, retry_at

    def permanent_failure(self, held: Held) -> None:
        with self.begin() as conn:
            report_rows.mark_failed(conn, held.contents.id, "550 no such user")
        self.digests[held.contents.id].state = "failed"

    def handed_back(self, held: Held) -> None:
        d = held.contents.id
        with self.begin() as conn:
            report_rows.hand_back(conn, [d])
            attempts = conn.scalar(sa.select(digests.c.attempts).where(digests.c.id == d))
        assert attempts == held.attempts_before, "hand_back did not restore the attempts"
        m = self.digests[d]
        m.state, m.claimed_at, m.attempts = "pending", None, held.attempts_before
        self.totals.handed_back += 1

    def finished_under_another(self) -> list[Held]:
        return [h for h in self.stale if h.contents.id in self.digests
                and self.digests[h.contents.id].state in ("sent", "failed", "cancelled")]

    @precondition(lambda self: self.finished_under_another())
    @rule(data=st.data(), permanent=st.booleans())
    def late_failure_after_the_lease(self, data: st.DataObject, permanent: bool) -> None:
        """A worker that outlived its lease reports a failure after the worker that took
        the digest over finished it: what is finished stays so."""
        late = self.finished_under_another()
        held = data.draw(st.sampled_from(late), label="stale holder")
        self.stale.remove(held)
        with self.begin() as conn:
            if permanent:
                report_rows.mark_failed(conn, held.contents.id, "550 no such user")
            else:
                report_rows.release(conn, held.contents.id, "451 try later", self.now)
        self.totals.stale_reports += 1

    @rule(who=st.integers(0, N_SUBSCRIBERS - 1),
          status=st.sampled_from(["active", "active", "paused", "unsubscribed"]))
    def subscriber_status(self, who: int, status: str) -> None:
        sid = self.store.subscriber_ids[who]
        with self.begin() as conn:
            subscriber_rows.set_status(conn, sid, status, self.now)
        self.status[sid] = status

    @rule(jump=st.sampled_from(JUMPS))
    def clock(self, jump: timedelta) -> None:
        self.now += jump

    @rule(days=st.integers(1, 3))
    def next_day(self, days: int) -> None:
        """Reminders fall due and lapse over days."""
        self.now += timedelta(days=days)

    # ---- invariants ---------------------------------------------------------------

    @invariant()
    def count_step(self) -> None:
        self.totals.steps += 1

    @invariant()
    def digests_are_as_modelled(self) -> None:
        with self.engine.connect() as conn:
            rows = {r.id: MDigest(r.subscriber_id, r.period_key, r.state, r.attempts,
                                  r.claimed_at, r.next_attempt_at, r.sent_at)
                    for r in conn.execute(sa.select(digests))}
        assert rows == self.digests

    @invariant()
    def sent_digests_never_change(self) -> None:
        with self.engine.connect() as conn:
            rows = {r.id: (r.state, r.sent_at) for r in conn.execute(
                sa.select(digests.c.id, digests.c.state, digests.c.sent_at)
                .where(digests.c.id.in_(list(self.sent_at_of))))}
        assert rows == {d: ("sent", at) for d, at in self.sent_at_of.items()}

    @invariant()
    def deliveries_are_as_modelled(self) -> None:
        with self.engine.connect() as conn:
            rows = {r.id: MDelivery(r.subscriber_id, r.item_id, r.created_at, r.digest_id,
                                    r.delivered_at)
                    for r in conn.execute(sa.select(deliveries))}
        assert rows == self.deliveries

    @invariant()
    def delivered_once_and_only_with_the_digest_that_carried_it(self) -> None:
        with self.engine.connect() as conn:
            sent = {r.id: r.sent_at for r in conn.execute(
                sa.select(digests.c.id, digests.c.sent_at).where(digests.c.state == "sent"))}
            delivered = list(conn.execute(sa.select(deliveries.c.id, deliveries.c.digest_id,
                                                    deliveries.c.delivered_at)
                                          .where(deliveries.c.delivered_at.is_not(None))))
        for r in delivered:
            carrier = self.carried_by.get(r.id)
            assert carrier is not None and r.digest_id == carrier, r
            assert sent.get(carrier) == r.delivered_at, (r, sent.get(carrier))

    @invariant()
    def no_item_twice_to_one_subscriber(self) -> None:
        twice = [p for p, n in self.delivered_pairs.items() if n > 1] + \
            [r for r, n in self.reminded.items() if n > 1]
        self.totals.duplicates = max(self.totals.duplicates, len(twice))
        assert not twice
        with self.engine.connect() as conn:
            pairs = conn.execute(sa.select(deliveries.c.subscriber_id, deliveries.c.item_id,
                                           sa.func.count())
                                 .where(deliveries.c.delivered_at.is_not(None))
                                 .group_by(deliveries.c.subscriber_id, deliveries.c.item_id)
                                 .having(sa.func.count() > 1)).all()
        assert not pairs

    @invariant()
    def no_delivery_lost(self) -> None:
        """Delivered, in a pending/sending digest, in a failed/cancelled one, or waiting."""
        with self.engine.connect() as conn:
            state = {r.id: r.state for r in conn.execute(sa.select(digests.c.id, digests.c.state))}
            rows = list(conn.execute(sa.select(deliveries.c.id, deliveries.c.digest_id,
                                               deliveries.c.delivered_at)))
        for r in rows:
            if r.delivered_at is not None or r.digest_id is None:
                continue  # delivered, or waiting
            assert state.get(r.digest_id) in ("pending", "sending", "failed", "cancelled"), \
                (r, state.get(r.digest_id))

    @invariant()
    def sendable_is_pending_or_past_its_lease(self) -> None:
        """A digest in `sending` is claimable again only once its lease ran out."""
        with self.engine.connect() as conn:
            for at in (self.now, self.now + LEASE, self.now + LEASE + timedelta(seconds=1)):
                assert set(digest_rows.sendable(conn, at, LEASE)) == self.claimable(at)

    @invariant()
    def one_holder_per_digest(self) -> None:
        assert all(self.digests[d].state == "sending" for d in self.held)

    @invariant()
    def reminders_are_as_modelled(self) -> None:
        with self.engine.connect() as conn:
            rows = {r.id: MReminder(r.subscriber_id, r.item_id, r.days_before, r.due_at,
                                    r.lapse_at, r.deadline, r.digest_id, r.sent_at)
                    for r in conn.execute(sa.select(reminders))}
        assert rows == self.reminders
        for mr in rows.values():  # sent only with its mail
            if mr.sent_at is not None:
                assert mr.digest is not None and self.sent_at_of.get(mr.digest) == mr.sent_at

    def teardown(self) -> None:
        with self.engine.connect() as conn:
            self.totals.sent_in_db += sum(
                1 for r in conn.execute(sa.select(digests.c.id, digests.c.sent_at)
                                        .where(digests.c.state == "sent"))
                if self.sent_at_of.get(r.id) == r.sent_at)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    engine = connect(database_url)
    migrate(engine)
    try:
        yield seed(engine)
    finally:
        engine.dispose()


def test_digest_state_machine_model(store: Store) -> None:
    backend = store.engine.dialect.name
    totals = TOTALS[backend] = Totals()
    budget = settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
                      derandomize=not RANDOM, verbosity=VERBOSITY,
                      suppress_health_check=[HealthCheck.too_slow,
                                             HealthCheck.filter_too_much])

    def factory() -> DigestModel:
        return DigestModel(store, totals)

    try:
        run_state_machine_as_test(factory, settings=budget)
    finally:
        record(Outcome(
            "model", f"digest state machine on {backend} (hypothesis stateful)",
            f"{totals.examples} runs, {totals.steps} steps: claims, two workers at once "
            f"({totals.races}), lease expiry ({totals.reclaimed} taken again), "
            "release / fail / hand back, late reports after the lease "
            f"({totals.stale_reports}), pause / unsubscribe", totals.sent,
            totals.sent_in_db, totals.duplicates, others_carried_on=True,
            note=f"{totals.cancelled} cancelled, {totals.discarded} empty discarded, "
                 f"{totals.handed_back} handed back; {totals.reminders_planned} reminders "
                 f"planned, {totals.reminder_mails_sent} reminder mails sent; the database "
                 "agreed with the model after every step"))


@pytest.mark.parametrize("late", ["release", "mark_failed"])
def test_a_late_failure_report_does_not_undo_what_the_next_worker_finished(
        store: Store, late: str) -> None:
    """Found by the model: worker A's lease ran out while it was still trying; worker B
    took the digest and sent it (or cancelled it); then A reported its failure. `release`
    made the sent digest pending again (its next claim found it empty and deleted it,
    reopening the period) and `mark_failed` turned it into failed."""
    sid, item = store.subscriber_ids[0], store.item_ids[0]
    later = T0 + LEASE + timedelta(minutes=1)
    with store.engine.begin() as conn:
        digest_rows.add_matches(conn, [Match(sid, item)], T0)
        [d] = digest_rows.open_digests(conn, [digest_rows.Plan(sid, "d:1", T0)], T0).values()
        assert digest_rows.claim(conn, [d], T0, LEASE) == [d]  # worker A
        assert digest_rows.claim(conn, [d], later, LEASE) == [d]  # B, after A's lease
        [contents] = digest_rows.contents(conn, [d])
        report_rows.mark_sent(conn, d, [e.delivery_id for e in contents.entries], later)
    with store.engine.begin() as conn:  # A, late
        if late == "release":
            report_rows.release(conn, d, "451 try later", later)
        else:
            report_rows.mark_failed(conn, d, "550 no such user")
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(digests).where(digests.c.id == d)).one()
        assert (row.state, row.sent_at, row.last_error) == ("sent", later, None)
        assert digest_rows.sendable(conn, later + LEASE * 2, LEASE) == []
    # the same for a digest B cancelled because the subscriber left meanwhile
    with store.engine.begin() as conn:
        digest_rows.add_matches(conn, [Match(sid, store.item_ids[1])], later)
        [d2] = digest_rows.open_digests(conn, [digest_rows.Plan(sid, "d:2", later)],
                                        later).values()
        assert digest_rows.claim(conn, [d2], later, LEASE) == [d2]
        again = later + LEASE * 2
        assert digest_rows.claim(conn, [d2], again, LEASE) == [d2]
        report_rows.cancel(conn, d2, "subscriber is unsubscribed")
    with store.engine.begin() as conn:
        getattr(report_rows, late)(conn, d2, "late")
    with store.engine.connect() as conn:
        assert conn.scalar(sa.select(digests.c.state).where(digests.c.id == d2)) == \
            "cancelled"
