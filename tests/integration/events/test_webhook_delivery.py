"""Webhook delivery to a real HTTP receiver on loopback (SQLite and PostgreSQL).

The receiver verifies each request with the Standard Webhooks reference
library. The dispatcher runs on a hand-moved clock, so retries and the
disabling period never make a test wait.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from webhook_receiver import Receiver, receiver

from conveyor.adapters.db.delivery_tables import webhook_subscriptions
from conveyor.bootstrap import Runtime
from conveyor.errors import InvalidInput
from conveyor.services import outbox, webhooks
from conveyor.services.dispatcher import Dispatcher
from conveyor.services.webhooks import DeliverySettings
from conveyor.services.workers import WorkerPool
from conveyor.services.workflow import Workflow

__all__ = ["receiver"]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


SETTINGS = DeliverySettings(
    webhook_allow_loopback=True,
    webhook_backoff_base_seconds=60,
    webhook_backoff_max_seconds=600,
    webhook_retry_period_seconds=3600,
    webhook_disable_after_days=1,
    webhook_timeout_seconds=5,
)


class Setup:
    def __init__(self, runtime: Runtime, receiver: Receiver, settings: DeliverySettings = SETTINGS) -> None:
        self.runtime = runtime
        self.receiver = receiver
        self.settings = settings
        self.clock = Clock()
        self.workflow = Workflow(runtime.session_factory)
        self.dispatcher = Dispatcher(
            self.workflow, name="test-dispatcher", settings=settings, clock=self.clock
        )

    def subscribe(self, event_types: list[str], url: str | None = None) -> dict[str, Any]:
        view, secret = webhooks.create_subscription(
            self.runtime.unit_of_work(),
            url=url or self.receiver.url,
            event_types=event_types,
            description="test receiver",
            settings=self.settings,
            now=self.clock(),
        )
        self.receiver.secrets.append(secret)
        return view

    def record(self, *events: dict[str, Any]) -> list[int]:
        with self.runtime.unit_of_work() as uow:
            for event in events:
                uow.record(event)
            uow.commit()
        with self.runtime.session_factory() as session:
            return [e["sequence"] for e in outbox.read(session, limit=1000)][-len(events) :]

    def dispatch(self) -> int:
        """Poll until nothing is left to do at the current time."""
        total = 0
        for _ in range(100):
            done = self.dispatcher.run_once()
            total += done
            if done == 0:
                return total
        raise AssertionError("the dispatcher never became idle")

    def dispatch_over(self, hours: float, step_minutes: float = 10) -> None:
        """Let ``hours`` pass in steps, dispatching at each."""
        for _ in range(int(hours * 60 / step_minutes)):
            self.clock.advance(minutes=step_minutes)
            self.dispatch()

    def deliveries(self, subscription_id: int, **query: Any) -> list[dict[str, Any]]:
        return webhooks.list_deliveries(self.runtime.unit_of_work(), subscription_id, **query)

    def attempts(self, subscription_id: int, delivery_id: int) -> list[dict[str, Any]]:
        return webhooks.list_attempts(self.runtime.unit_of_work(), subscription_id, delivery_id)


def order_event(kind: str, order_id: str, **data: Any) -> dict[str, Any]:
    return {"type": kind, "order_id": order_id, **data}


def test_matching_events_reach_the_receiver_signed_and_verified_by_the_reference_library(
    migrated_runtime: Runtime, receiver: Receiver
) -> None:
    setup = Setup(migrated_runtime, receiver)
    subscription = setup.subscribe(["order.*"])
    setup.record(
        order_event("order.created", "ORD-1", total="19.90"),
        order_event("shipment.handed_over", "ORD-1", shipment_id="SHP-1"),
        order_event("order.shipped", "ORD-1"),
    )
    assert setup.dispatch() > 0

    assert [r.event["type"] for r in receiver.received] == ["order.created", "order.shipped"]
    assert all(r.verified and r.status == 200 for r in receiver.received)
    first = receiver.received[0]
    assert first.headers["webhook-id"] == first.event["id"]
    assert first.headers["content-type"].startswith("application/cloudevents+json")
    assert first.event["specversion"] == "1.0" and first.event["subject"] == "ORD-1"
    assert first.event["data"] == {"order_id": "ORD-1", "total": "19.90"}

    deliveries = setup.deliveries(subscription["id"])
    assert [(d["event_type"], d["status"], d["attempts"]) for d in deliveries] == [
        ("order.created", "succeeded", 1),
        ("order.shipped", "succeeded", 1),
    ]
    [attempt] = setup.attempts(subscription["id"], deliveries[0]["id"])
    assert attempt["status_code"] == 200 and attempt["succeeded"] and attempt["error"] is None
    assert setup.dispatch() == 0  # nothing is sent twice


def test_a_receiver_failing_three_times_then_succeeding_gets_four_attempts(
    migrated_runtime: Runtime, receiver: Receiver
) -> None:
    setup = Setup(migrated_runtime, receiver)
    subscription = setup.subscribe(["order.created"])
    receiver.fail_first["ORD-7"] = 3
    setup.record(order_event("order.created", "ORD-7"))
    setup.dispatch()
    [delivery] = setup.deliveries(subscription["id"])
    assert delivery["status"] == "pending" and delivery["attempts"] == 1
    assert delivery["last_status_code"] == 503 and "try later" in delivery["last_response"]
    retry_in = delivery["next_attempt_at"] - setup.clock()
    assert timedelta(0) <= retry_in <= timedelta(seconds=60)  # first backoff ceiling, full jitter

    setup.dispatch_over(hours=1)
    [delivery] = setup.deliveries(subscription["id"])
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 4
    attempts = setup.attempts(subscription["id"], delivery["id"])
    assert [(a["attempt"], a["status_code"], a["succeeded"]) for a in attempts] == [
        (1, 503, False),
        (2, 503, False),
        (3, 503, False),
        (4, 200, True),
    ]
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert len(receiver.received) == 4 and len(ids) == 1  # the same webhook-id each time: receivers dedupe
    with migrated_runtime.session_factory() as session:
        failing = session.execute(select(webhook_subscriptions.c.failing_since)).scalar_one()
    assert failing is None  # a success ends the failing streak


def test_a_failing_delivery_holds_back_later_events_of_its_subject_only(
    migrated_runtime: Runtime, receiver: Receiver
) -> None:
    setup = Setup(migrated_runtime, receiver)
    setup.subscribe(["order.*"])
    receiver.fail_first["A"] = 2
    setup.record(
        order_event("order.created", "A", n=1),
        order_event("order.created", "B", n=1),
        order_event("order.backordered", "A", n=2),
        order_event("order.backordered", "B", n=2),
        order_event("order.shipped", "A", n=3),
    )
    setup.dispatch()
    seen = [(r.event["subject"], r.event["data"]["n"], r.status) for r in receiver.received]
    assert sorted(seen) == [("A", 1, 503), ("B", 1, 200), ("B", 2, 200)]  # A2 and A3 wait for A1

    setup.dispatch_over(hours=1)
    by_a = [(r.event["data"]["n"], r.status) for r in receiver.received if r.event["subject"] == "A"]
    assert by_a == [(1, 503), (1, 503), (1, 200), (2, 200), (3, 200)]


def test_replay_of_one_delivery_and_of_everything_since_a_sequence(
    migrated_runtime: Runtime, receiver: Receiver
) -> None:
    setup = Setup(migrated_runtime, receiver)
    [before] = setup.record(order_event("order.created", "OLD"))  # before the subscription existed
    subscription = setup.subscribe(["order.*"])
    sequences = setup.record(*(order_event("order.created", f"ORD-{n}") for n in range(3)))
    setup.dispatch()
    subjects = lambda: [r.event["subject"] for r in receiver.received]  # noqa: E731
    assert sorted(subjects()) == ["ORD-0", "ORD-1", "ORD-2"]  # different subjects: any order

    second = setup.deliveries(subscription["id"])[1]
    replayed = webhooks.replay_delivery(
        setup.runtime.unit_of_work(), subscription["id"], second["id"], now=setup.clock()
    )
    assert replayed["status"] == "pending"
    setup.dispatch()
    assert subjects()[3:] == ["ORD-1"]
    first_ord_1 = next(r for r in receiver.received if r.event["subject"] == "ORD-1")
    assert receiver.received[3].headers["webhook-id"] == first_ord_1.headers["webhook-id"]
    assert len(setup.attempts(subscription["id"], second["id"])) == 2

    count = webhooks.replay_since(
        setup.runtime.unit_of_work(), subscription["id"], sequences[0], now=setup.clock()
    )
    assert count == 2
    setup.dispatch()
    assert sorted(subjects()[4:]) == ["ORD-1", "ORD-2"]

    assert (
        webhooks.replay_since(setup.runtime.unit_of_work(), subscription["id"], before - 1, now=setup.clock())
        == 4
    )
    setup.dispatch()
    assert sorted(subjects()[6:]) == ["OLD", "ORD-0", "ORD-1", "ORD-2"]
    with migrated_runtime.session_factory() as session:
        replays = outbox.read(session, types=["webhook.replayed"])
    assert len(replays) == 3


def test_a_delivery_that_keeps_failing_is_marked_failed_with_the_last_response(
    migrated_runtime: Runtime, receiver: Receiver
) -> None:
    setup = Setup(migrated_runtime, receiver)
    subscription = setup.subscribe(["order.*"])
    receiver.always = 500
    setup.record(order_event("order.created", "ORD-9"), order_event("order.shipped", "ORD-9"))
    setup.dispatch_over(hours=2)
    created, shipped = setup.deliveries(subscription["id"])
    assert created["status"] == "failed" and created["attempts"] > 3
    assert (
        created["last_status_code"] == 500
        and created["last_response"] == "temporarily unavailable: try later"
    )
    assert created["next_attempt_at"] is None
    # once the first gave up, the next event of the subject is no longer held back
    assert shipped["attempts"] >= 1
    with pytest.raises(Exception, match=r"already (pending|delivering)"):
        webhooks.replay_delivery(setup.runtime.unit_of_work(), subscription["id"], shipped["id"])


def test_a_subscription_failing_for_the_configured_days_is_disabled_and_an_exception_recorded(
    migrated_runtime: Runtime, receiver: Receiver
) -> None:
    setup = Setup(migrated_runtime, receiver)
    subscription = setup.subscribe(["order.*"])
    receiver.always = 503
    setup.record(order_event("order.created", "ORD-1"))
    setup.dispatch()
    view = webhooks.get_subscription(setup.runtime.unit_of_work(), subscription["id"])
    assert view["active"] and view["failing_since"] == setup.clock()

    setup.clock.advance(hours=23)
    setup.record(order_event("order.created", "ORD-2"))
    setup.dispatch()
    assert webhooks.get_subscription(setup.runtime.unit_of_work(), subscription["id"])["active"]

    setup.clock.advance(hours=2)
    setup.record(order_event("order.created", "ORD-3"))
    setup.dispatch()
    view = webhooks.get_subscription(setup.runtime.unit_of_work(), subscription["id"])
    assert not view["active"] and view["disabled_at"] == setup.clock()
    assert "failed for 1 days" in view["disabled_reason"]
    with migrated_runtime.session_factory() as session:
        [disabled] = outbox.read(session, types=["webhook.disabled"])
        recorded = outbox.read(session, types=["exception.recorded"])
    assert disabled["data"]["id"] == subscription["id"]
    [exception] = [e for e in recorded if e["data"]["exception_type"] == "webhook.disabled"]
    assert exception["data"]["category"] == "system"

    sent = len(receiver.received)
    setup.record(order_event("order.created", "ORD-4"))
    setup.dispatch_over(hours=1)
    assert len(receiver.received) == sent  # nothing goes to a disabled subscription

    webhooks.update_subscription(
        setup.runtime.unit_of_work(),
        subscription["id"],
        {"active": True},
        now=setup.clock(),
        settings=SETTINGS,
    )
    receiver.always = None
    setup.dispatch_over(hours=1)
    assert {e["subject"] for e in receiver.accepted()} >= {"ORD-3", "ORD-4"}


def test_loopback_and_private_targets_are_refused_unless_a_setting_allows_them(
    migrated_runtime: Runtime, receiver: Receiver
) -> None:
    strict = DeliverySettings()
    for url in (receiver.url, "http://localhost:9/x", "http://10.0.0.8/x", "http://169.254.169.254/"):
        with pytest.raises(InvalidInput) as refused:
            webhooks.create_subscription(
                migrated_runtime.unit_of_work(), url=url, event_types=["*"], settings=strict
            )
        assert refused.value.errors[0]["loc"] == ["url"]
    with migrated_runtime.session_factory() as session:
        assert session.execute(select(webhook_subscriptions.c.id)).all() == []  # nothing written

    # allowed when subscribing, refused when delivering: the address is checked at every attempt
    setup = Setup(migrated_runtime, receiver)
    subscription = setup.subscribe(["order.*"], url=receiver.url.replace("127.0.0.1", "localhost"))
    setup.dispatcher.settings = strict
    setup.record(order_event("order.created", "ORD-1"))
    setup.dispatch()
    [delivery] = setup.deliveries(subscription["id"])
    assert delivery["status"] == "pending" and "loopback" in delivery["last_error"]
    assert receiver.received == []


def test_two_dispatchers_deliver_each_event_once_and_in_order_per_subject(
    migrated_runtime: Runtime, receiver: Receiver
) -> None:
    setup = Setup(migrated_runtime, receiver)
    setup.subscribe(["order.*"])
    subjects = [f"ORD-{n}" for n in range(4)]
    setup.record(*(order_event("order.created", s, n=step) for step in range(5) for s in subjects))
    others = [
        Dispatcher(setup.workflow, name=f"d{n}", settings=SETTINGS, clock=setup.clock) for n in range(2)
    ]
    errors: list[BaseException] = []

    def run(dispatcher: Dispatcher) -> None:
        try:
            for _ in range(200):
                dispatcher.run_once()
                if len(receiver.received) >= 20:
                    return
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(d,)) for d in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert len(receiver.received) == 20
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 20  # each event exactly once
    for subject in subjects:
        steps = [r.event["data"]["n"] for r in receiver.received if r.event["subject"] == subject]
        assert steps == [0, 1, 2, 3, 4]


def test_the_worker_pool_runs_a_dispatcher_thread_that_delivers(
    migrated_runtime: Runtime, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVEYOR_WEBHOOK_ALLOW_LOOPBACK", "true")
    monkeypatch.setenv("CONVEYOR_DISPATCH_POLL_SECONDS", "0.05")
    setup = Setup(migrated_runtime, receiver)
    setup.subscribe(["order.*"])
    pool = WorkerPool(setup.workflow, 1)
    assert pool.dispatcher is not None
    pool.start()
    try:
        setup.record(order_event("order.created", "ORD-POOL"))
        for _ in range(600):  # a bound, not a timing assertion: the thread polls every 50 ms
            if receiver.accepted():
                break
            threading.Event().wait(0.05)
    finally:
        pool.stop()
    assert [e["subject"] for e in receiver.accepted()] == ["ORD-POOL"]
    assert WorkerPool(setup.workflow, 0).dispatcher is None  # --workers 0: nothing runs


def test_redirects_are_followed_within_the_origin_only_and_large_replies_are_cut(
    migrated_runtime: Runtime, receiver: Receiver
) -> None:
    setup = Setup(migrated_runtime, receiver)
    subscription = setup.subscribe(["order.*"])
    receiver.redirect = receiver.url + "?moved=1"  # same origin: followed
    setup.record(order_event("order.created", "ORD-1"))
    setup.dispatch()
    assert [e["subject"] for e in receiver.accepted()] == ["ORD-1"]

    receiver.redirect = "http://203.0.113.7/elsewhere"  # another origin: not followed, a failed attempt
    setup.record(order_event("order.created", "ORD-2"))
    setup.dispatch()
    second = setup.deliveries(subscription["id"])[1]
    assert second["status"] == "pending" and second["last_status_code"] == 307
    assert "redirect to another origin not followed" in second["last_error"]

    receiver.redirect, receiver.always, receiver.body_size = None, 500, 5_000_000
    setup.record(order_event("order.created", "ORD-3"))
    setup.dispatch()
    third = setup.deliveries(subscription["id"])[2]
    assert third["last_status_code"] == 500
    assert (
        third["last_response"].startswith("temporarily unavailable") and len(third["last_response"]) == 1000
    )
