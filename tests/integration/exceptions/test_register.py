"""The exception register's core: record, classify, update, resolve; history and events in one transaction."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from conveyor.adapters.db.exception_tables import exception_history, exception_records
from conveyor.bootstrap import Runtime
from conveyor.services import outbox
from conveyor.services.exceptions import (
    ExceptionChanged,
    ExceptionFilter,
    ExceptionNotFound,
    ExceptionStatusConflict,
    InvalidException,
    get_exception,
    list_exceptions,
    record_exception,
    resolve_exception,
    summarize,
    update_exception,
)

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _record(runtime: Runtime, **kwargs: Any) -> int:
    with runtime.unit_of_work() as uow:
        exception_id = record_exception(uow, **kwargs)
        uow.commit()
    return exception_id


def _events(runtime: Runtime) -> list[dict[str, Any]]:
    with runtime.session_factory() as session:
        return outbox.read(session)


def _count(runtime: Runtime, table: Any) -> int:
    with runtime.session_factory() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_record_takes_category_severity_owner_and_sla_from_its_type(migrated_runtime: Runtime) -> None:
    exception_id = _record(
        migrated_runtime, type="pick.short", summary="2 x MUG-STONE short", order_id="ORD-1",
        sku="MUG-STONE", warehouse_code="BER-1", process_instance_id="inst-1", now=AT,
    )  # fmt: skip
    with migrated_runtime.session_factory() as session:
        record = get_exception(session, exception_id, now=AT)
    assert record["category"] == "stock_accuracy"
    assert record["category_source"] == "type"
    assert record["severity"] == "medium"
    assert record["owner_group"] == "warehouse"
    assert record["status"] == "open"
    assert record["due_at"] == AT + timedelta(hours=48)  # medium severity SLA
    assert (record["order_id"], record["sku"], record["warehouse_code"]) == ("ORD-1", "MUG-STONE", "BER-1")
    assert record["process_instance_id"] == "inst-1"
    assert [h["action"] for h in record["history"]] == ["recorded"]
    (event,) = _events(migrated_runtime)
    assert event["type"] == "exception.recorded"
    assert event["subject"] == "ORD-1"
    assert event["data"]["id"] == exception_id
    assert event["data"]["category"] == "stock_accuracy"


def test_a_type_with_its_own_sla_and_an_explicit_severity(migrated_runtime: Runtime) -> None:
    incident = _record(
        migrated_runtime, type="incident.created", summary="handler failed", incident_id=7, now=AT
    )
    critical = _record(migrated_runtime, type="delivery.late", summary="late", severity="critical", now=AT)
    with migrated_runtime.session_factory() as session:
        first, second = get_exception(session, incident), get_exception(session, critical)
    assert (first["category"], first["due_at"]) == ("system", AT + timedelta(hours=4))
    assert (second["category"], second["severity"], second["due_at"]) == (
        "carrier",
        "critical",
        AT + timedelta(hours=4),
    )


def test_a_reason_code_decides_the_category_before_the_type(migrated_runtime: Runtime) -> None:
    exception_id = _record(
        migrated_runtime, type="return.requested", summary="RMA 5", reason_code="damaged", order_id="ORD-2"
    )
    with migrated_runtime.session_factory() as session:
        record = get_exception(session, exception_id)
    assert (record["category"], record["category_source"]) == ("product_quality", "reason_code")


def test_free_text_is_classified_and_the_confidence_stored(migrated_runtime: Runtime) -> None:
    exception_id = _record(
        migrated_runtime, type="return.requested", summary="RMA 6",
        reason_text="The parcel arrived two weeks late and the box was crushed",
    )  # fmt: skip
    unknown = _record(migrated_runtime, type="return.requested", summary="RMA 7", reason_text="xyzzy plugh")
    with migrated_runtime.session_factory() as session:
        record, other = get_exception(session, exception_id), get_exception(session, unknown)
    assert (record["category"], record["category_source"]) == ("carrier", "classifier")
    assert record["classification"]["method"] == "rules"
    assert record["classifier_confidence"] == pytest.approx(1.0)
    assert (other["category"], other["category_source"], other["classification"]) == (
        "customer_change",
        "type",
        None,
    )


def test_an_unknown_type_falls_back_to_the_default_category(migrated_runtime: Runtime) -> None:
    exception_id = _record(migrated_runtime, type="something.odd", summary="?")
    with migrated_runtime.session_factory() as session:
        record = get_exception(session, exception_id)
    assert (record["category"], record["category_source"], record["owner_group"]) == (
        "system",
        "default",
        "support",
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"type": "", "summary": "x"}, "type"),
        ({"type": "pick.short", "summary": "  "}, "summary"),
        ({"type": "pick.short", "summary": "x", "category": "weather"}, "category"),
        ({"type": "pick.short", "summary": "x", "severity": "urgent"}, "severity"),
        ({"type": "Pick Short", "summary": "x"}, "type"),
        ({"type": "pick.short", "summary": "x", "sku": "S" * 65}, "sku"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    migrated_runtime: Runtime, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidException) as caught, migrated_runtime.unit_of_work() as uow:
        record_exception(uow, **kwargs)
    assert [e["path"] for e in caught.value.errors] == [field]
    assert _count(migrated_runtime, exception_records) == 0
    assert _events(migrated_runtime) == []


def test_a_rolled_back_flow_leaves_no_record(migrated_runtime: Runtime) -> None:
    with migrated_runtime.unit_of_work() as uow:
        record_exception(uow, type="pick.short", summary="x")
    assert _count(migrated_runtime, exception_records) == 0
    assert _count(migrated_runtime, exception_history) == 0


def test_update_and_resolve_write_history_and_events(migrated_runtime: Runtime) -> None:
    exception_id = _record(
        migrated_runtime, type="carrier.exception", summary="lost", carrier_code="dhl", now=AT
    )
    with migrated_runtime.unit_of_work() as uow:
        update_exception(uow, exception_id, actor="sam", status="in_progress", now=AT + timedelta(hours=1))
        uow.commit()
    with migrated_runtime.unit_of_work() as uow:
        resolve_exception(uow, exception_id, resolution="reshipped", root_cause="carrier lost parcel",
                          now=AT + timedelta(hours=5))  # fmt: skip
        uow.commit()
    with migrated_runtime.session_factory() as session:
        record = get_exception(session, exception_id)
    assert record["status"] == "resolved"
    assert record["assignee"] == "sam"
    assert (record["resolution"], record["root_cause"]) == ("reshipped", "carrier lost parcel")
    assert record["resolved_at"] == AT + timedelta(hours=5)
    assert [h["action"] for h in record["history"]] == ["recorded", "updated", "resolved"]
    assert record["history"][1]["changes"]["status"] == ["open", "in_progress"]
    assert [e["type"] for e in _events(migrated_runtime)] == [
        "exception.recorded", "exception.updated", "exception.resolved",
    ]  # fmt: skip
    with pytest.raises(ExceptionStatusConflict), migrated_runtime.unit_of_work() as uow:
        resolve_exception(uow, exception_id, resolution="again")
    with pytest.raises(ExceptionNotFound), migrated_runtime.unit_of_work() as uow:
        resolve_exception(uow, 999, resolution="x")


def test_resolving_needs_a_resolution_and_a_closed_record_is_frozen(migrated_runtime: Runtime) -> None:
    exception_id = _record(migrated_runtime, type="pick.short", summary="x")
    with pytest.raises(InvalidException) as caught, migrated_runtime.unit_of_work() as uow:
        update_exception(uow, exception_id, status="resolved")
    assert caught.value.errors[0]["path"] == "resolution"
    with migrated_runtime.unit_of_work() as uow:
        update_exception(uow, exception_id, status="closed")
        uow.commit()
    with pytest.raises(ExceptionStatusConflict), migrated_runtime.unit_of_work() as uow:
        update_exception(uow, exception_id, assignee="kim")
    assert _count(migrated_runtime, exception_history) == 2


def test_a_stale_revision_is_a_conflict(migrated_runtime: Runtime) -> None:
    exception_id = _record(migrated_runtime, type="pick.short", summary="x")
    with migrated_runtime.unit_of_work() as uow:
        update_exception(uow, exception_id, assignee="kim", expected_revision=1)
        uow.commit()
    with pytest.raises(ExceptionChanged), migrated_runtime.unit_of_work() as uow:
        update_exception(uow, exception_id, assignee="lee", expected_revision=1)


def test_two_people_resolving_at_once_one_wins(migrated_runtime: Runtime) -> None:
    exception_id = _record(migrated_runtime, type="pick.short", summary="x")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def resolve(who: str) -> None:
        try:
            barrier.wait(timeout=10)
            with migrated_runtime.unit_of_work() as uow:
                resolve_exception(uow, exception_id, resolution=f"fixed by {who}", actor=who)
                uow.commit()
            outcomes.append("won")
        except (ExceptionChanged, ExceptionStatusConflict):
            outcomes.append("conflict")

    threads = [threading.Thread(target=resolve, args=(who,)) for who in ("kim", "lee")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "won"], outcomes
    with migrated_runtime.session_factory() as session:
        record = get_exception(session, exception_id)
    assert [h["action"] for h in record["history"]] == ["recorded", "resolved"]
    assert [e["type"] for e in _events(migrated_runtime)].count("exception.resolved") == 1


def test_list_filters_and_cursor_pagination(migrated_runtime: Runtime) -> None:
    ids = [
        _record(
            migrated_runtime,
            type="pick.short",
            summary=f"short {i}",
            sku="MUG-STONE" if i % 2 else "TEE-BLK-M",
            now=AT + timedelta(days=i),
        )
        for i in range(5)
    ]
    _record(migrated_runtime, type="delivery.late", summary="late", carrier_code="dhl", now=AT)
    with migrated_runtime.session_factory() as session:
        page, cursor = list_exceptions(session, ExceptionFilter(category="stock_accuracy"), limit=2)
        assert [r["id"] for r in page] == [ids[4], ids[3]]
        page2, cursor2 = list_exceptions(
            session, ExceptionFilter(category="stock_accuracy"), limit=2, cursor=cursor
        )
        page3, cursor3 = list_exceptions(
            session, ExceptionFilter(category="stock_accuracy"), limit=2, cursor=cursor2
        )
        assert [r["id"] for r in page2 + page3] == [ids[2], ids[1], ids[0]]
        assert cursor3 is None
        by_sku, _ = list_exceptions(session, ExceptionFilter(sku="MUG-STONE"))
        assert sorted(r["id"] for r in by_sku) == [ids[1], ids[3]]
        carrier, _ = list_exceptions(session, ExceptionFilter(carrier_code="dhl"))
        assert [r["type"] for r in carrier] == ["delivery.late"]
        late, _ = list_exceptions(session, ExceptionFilter(overdue=True), now=AT + timedelta(days=3, hours=1))
        assert sorted(r["id"] for r in late) == sorted([ids[0], ids[1], carrier[0]["id"]])
        assert all(r["overdue"] for r in late)
        window, _ = list_exceptions(session, ExceptionFilter(created_from=AT + timedelta(days=1),
                                                             created_to=AT + timedelta(days=3)))  # fmt: skip
        assert sorted(r["id"] for r in window) == [ids[1], ids[2]]
        with pytest.raises(InvalidException) as caught:
            list_exceptions(session, ExceptionFilter(status=("opened",)))
        assert caught.value.errors[0]["path"] == "status"
        with pytest.raises(InvalidException):
            list_exceptions(session, ExceptionFilter(), cursor="garbage!")


def test_summary_by_category_product_carrier_and_week(migrated_runtime: Runtime) -> None:
    first = _record(migrated_runtime, type="pick.short", summary="a", sku="MUG-STONE", now=AT)
    _record(migrated_runtime, type="pick.short", summary="b", sku="MUG-STONE", now=AT + timedelta(days=7))
    _record(migrated_runtime, type="delivery.late", summary="c", carrier_code="dhl", now=AT)
    with migrated_runtime.unit_of_work() as uow:
        resolve_exception(uow, first, resolution="counted again", now=AT + timedelta(hours=6))
        uow.commit()
    now = AT + timedelta(days=30)
    with migrated_runtime.session_factory() as session:
        by_category = {g["key"]: g for g in summarize(session, "category", now=now)}
        by_product = {g["key"]: g for g in summarize(session, "product", now=now)}
        by_carrier = {g["key"]: g for g in summarize(session, "carrier", now=now)}
        by_week = {g["key"]: g["count"] for g in summarize(session, "week", now=now)}
        with pytest.raises(InvalidException):
            summarize(session, "colour")
    stock = by_category["stock_accuracy"]
    assert (stock["count"], stock["open"], stock["overdue"], stock["resolved"]) == (2, 1, 1, 1)
    assert stock["mean_hours_to_resolve"] == 6.0
    assert by_product["MUG-STONE"]["count"] == 2
    assert by_carrier["dhl"]["count"] == 1
    assert by_week == {"2026-W45": 2, "2026-W46": 1}


def test_a_new_severity_moves_the_sla_unless_the_type_sets_its_own(migrated_runtime: Runtime) -> None:
    short = _record(migrated_runtime, type="pick.short", summary="x", now=AT)
    incident = _record(migrated_runtime, type="incident.created", summary="y", now=AT)
    with migrated_runtime.unit_of_work() as uow:
        update_exception(uow, short, severity="critical", actor="kim")
        update_exception(uow, incident, severity="low", actor="kim")
        uow.commit()
    with migrated_runtime.session_factory() as session:
        first, second = get_exception(session, short), get_exception(session, incident)
    assert (first["severity"], first["due_at"]) == ("critical", AT + timedelta(hours=4))
    assert first["history"][-1]["changes"]["due_at"][1].startswith("2026-11-02 13:00")
    assert (second["severity"], second["due_at"]) == ("low", AT + timedelta(hours=4))  # its type's own 4 h
