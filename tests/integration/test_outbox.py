"""The outbox: recorded events exist as CloudEvents exactly when their transaction committed."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from conveyor.bootstrap import Runtime
from conveyor.services import outbox
from conveyor.services.events import InvalidEvent
from conveyor.services.outbox import OUTBOX_LOCK


def _feed(runtime: Runtime, **query: Any) -> list[dict[str, Any]]:
    with runtime.session_factory() as session:
        return outbox.read(session, **query)


def _types(runtime: Runtime, **query: Any) -> list[str]:
    return [event["type"] for event in _feed(runtime, **query)]


def test_each_committed_event_becomes_one_cloud_event_in_recording_order(migrated_runtime: Runtime) -> None:
    at = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    with migrated_runtime.unit_of_work() as uow:
        total = Decimal("9.90")
        uow.record({"type": "order.created", "order_id": "ORD-1", "at": at.isoformat(), "total": total})
        uow.record({"type": "task.created", "instance_id": "inst-7", "node": "approve"})
        uow.record({"type": "process.deployed", "key": "order", "version": 2})
        uow.commit()

    created, task, deployed = _feed(migrated_runtime)
    assert created["specversion"] == "1.0"
    assert created["type"] == "order.created"
    assert created["source"] == "/conveyor/order"
    assert created["subject"] == "ORD-1"
    assert created["time"] == "2026-11-26T09:30:00Z"
    assert created["datacontenttype"] == "application/json"
    assert created["data"] == {"order_id": "ORD-1", "at": at.isoformat(), "total": "9.90"}
    assert len(created["id"]) == 36
    assert (task["source"], task["subject"]) == ("/conveyor/workflow", "inst-7")
    assert deployed["subject"] == "order"
    assert created["sequence"] < task["sequence"] < deployed["sequence"]
    assert len({created["id"], task["id"], deployed["id"]}) == 3


def test_nothing_is_published_when_the_unit_of_work_ends_without_commit(migrated_runtime: Runtime) -> None:
    with migrated_runtime.unit_of_work() as uow:
        uow.record({"type": "order.created", "order_id": "ORD-1"})
    assert _feed(migrated_runtime) == []


def test_nothing_is_published_when_the_use_case_raises(migrated_runtime: Runtime) -> None:
    with pytest.raises(RuntimeError, match="payment provider down"), migrated_runtime.unit_of_work() as uow:
        uow.record({"type": "order.created", "order_id": "ORD-1"})
        raise RuntimeError("payment provider down")
    assert _feed(migrated_runtime) == []


def test_an_explicit_rollback_drops_the_events_recorded_before_it(migrated_runtime: Runtime) -> None:
    with migrated_runtime.unit_of_work() as uow:
        uow.record({"type": "order.created", "order_id": "ORD-1"})
        uow.rollback()
        uow.record({"type": "order.created", "order_id": "ORD-2"})
        uow.commit()
    assert [event["subject"] for event in _feed(migrated_runtime)] == ["ORD-2"]


def test_events_recorded_in_a_rolled_back_savepoint_are_dropped_with_it(migrated_runtime: Runtime) -> None:
    with migrated_runtime.unit_of_work() as uow:
        uow.record({"type": "order.created", "order_id": "ORD-1"})
        with pytest.raises(ValueError, match="handler failed"), uow.session.begin_nested():
            uow.record({"type": "payment.authorized", "order_id": "ORD-1"})
            raise ValueError("handler failed")
        with uow.session.begin_nested():
            uow.record({"type": "payment.declined", "order_id": "ORD-1"})
        uow.commit()
    assert _types(migrated_runtime) == ["order.created", "payment.declined"]


def test_events_after_a_commit_are_published_only_by_the_next_commit(migrated_runtime: Runtime) -> None:
    with migrated_runtime.unit_of_work() as uow:
        uow.record({"type": "order.created", "order_id": "ORD-1"})
        uow.commit()
        uow.record({"type": "order.cancelled", "order_id": "ORD-1"})
    assert _types(migrated_runtime) == ["order.created"]
    assert uow.events == [{"type": "order.created", "order_id": "ORD-1"}]


def test_an_event_without_a_type_is_refused_when_recorded(migrated_runtime: Runtime) -> None:
    with migrated_runtime.unit_of_work() as uow:
        with pytest.raises(InvalidEvent, match="has no 'type'"):
            uow.record({"order_id": "ORD-1"})
        with pytest.raises(InvalidEvent, match="dotted"):
            uow.record({"type": "OrderCreated"})
        with pytest.raises(InvalidEvent, match="not str"):
            uow.record("order.created")
        assert uow.events == []


def test_the_feed_filters_by_type_prefix_and_subject_and_pages_by_sequence(migrated_runtime: Runtime) -> None:
    with migrated_runtime.unit_of_work() as uow:
        for order_id in ("ORD-1", "ORD-2"):
            uow.record({"type": "order.created", "order_id": order_id})
            uow.record({"type": "shipment.handed_over", "order_id": order_id, "shipment_id": "S-1"})
        uow.record({"type": "order_line.changed", "order_id": "ORD-1"})
        uow.commit()

    assert _types(migrated_runtime, types=["order.*"]) == ["order.created", "order.created"]
    assert _types(migrated_runtime, types=["shipment.handed_over", "order_line.*"]) == [
        "shipment.handed_over",
        "shipment.handed_over",
        "order_line.changed",
    ]
    assert _types(migrated_runtime, subject="ORD-2") == ["order.created", "shipment.handed_over"]
    first = _feed(migrated_runtime, limit=2)
    rest = _feed(migrated_runtime, after=first[-1]["sequence"])
    assert [e["sequence"] for e in first + rest] == [e["sequence"] for e in _feed(migrated_runtime)]
    assert len(rest) == 3


def test_a_reader_never_skips_an_event_that_commits_after_a_later_writer_started(
    migrated_runtime: Runtime, database_kind: str
) -> None:
    """Two writers on PostgreSQL: the second waits for the first, so numbers follow commit order."""
    if database_kind != "postgresql":
        pytest.skip("SQLite has a single writer; the race needs two concurrent transactions")
    first = migrated_runtime.unit_of_work()
    with first:
        first.record({"type": "order.created", "order_id": "FIRST"})
        outbox.write(first.session, first.events)  # numbered, not yet committed

        def second_writer() -> None:
            with migrated_runtime.unit_of_work() as second:
                second.record({"type": "order.created", "order_id": "SECOND"})
                second.commit()

        thread = threading.Thread(target=second_writer)
        thread.start()
        _wait_until_someone_waits_for_the_outbox_lock(migrated_runtime)
        assert _feed(migrated_runtime) == []  # a reader now sees neither and keeps after=0
        first.session.commit()
    thread.join()

    feed = _feed(migrated_runtime, after=0)
    assert [event["subject"] for event in feed] == ["FIRST", "SECOND"]
    assert feed[0]["sequence"] < feed[1]["sequence"]


def _wait_until_someone_waits_for_the_outbox_lock(runtime: Runtime) -> None:
    query = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = :key"
    )
    event = threading.Event()
    for _ in range(1000):
        with runtime.engine.connect() as connection:
            if connection.execute(query, {"key": OUTBOX_LOCK}).scalar_one():
                return
        event.wait(0.01)
    raise AssertionError("the second writer never waited for the outbox lock")


def test_a_filtered_page_scans_a_bounded_window_and_paging_on_still_finds_every_match(
    migrated_runtime: Runtime,
) -> None:
    """No type index: a rare type is found by paging forward, each page looking at ``window`` numbers."""
    with migrated_runtime.unit_of_work() as uow:
        for n in range(12):
            uow.record({"type": "order.created", "order_id": f"ORD-{n}"})
            if n in (3, 10):
                uow.record({"type": "order.cancelled", "order_id": f"ORD-{n}"})
        uow.commit()
    with migrated_runtime.session_factory() as session:
        everything = outbox.read(session, limit=1000)
        first = everything[0]["sequence"] - 1
        newest = everything[-1]["sequence"]
        found: list[str] = []
        after, pages = first, 0
        while True:
            items, next_after = outbox.page(
                session, after=after, types=["order.cancelled"], limit=10, window=5
            )
            pages += 1
            assert after <= next_after <= newest
            assert all(after < item["sequence"] <= after + 5 for item in items)
            found += [item["subject"] for item in items]
            if next_after == after:
                break
            after = next_after
        assert found == ["ORD-3", "ORD-10"]
        assert after == newest  # the last page stops at the newest event, not past it
        assert pages == 1 + -(-len(everything) // 5)
        # a full page moves the cursor to its last event; no filter needs no window
        items, next_after = outbox.page(session, after=first, types=["order.*"], limit=2, window=5)
        assert [i["subject"] for i in items] == ["ORD-0", "ORD-1"] and next_after == items[-1]["sequence"]
        items, next_after = outbox.page(session, after=first, limit=1000, window=5)
        assert len(items) == len(everything) and next_after == newest
