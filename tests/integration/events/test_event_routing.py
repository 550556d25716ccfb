"""Events to processes: only committed events, buffering for a later wait, exactly once, and an
event that cannot be routed does not block the others forever (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import text
from webhook_receiver import Receiver, receiver

from conveyor.bootstrap import Runtime, initialize
from conveyor.services import dispatcher as dispatching
from conveyor.services import webhooks
from conveyor.services.dispatcher import Dispatcher
from conveyor.services.webhooks import DeliverySettings
from conveyor.services.workflow import Workflow

__all__ = ["receiver"]

MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:conveyor="http://conveyor.dev/schema/bpmn" id="d" targetNamespace="t">
  <bpmn:message id="scanned" name="parcel.scanned" conveyor:correlationKey="${parcel}"/>
  <bpmn:message id="opened" name="parcel.opened"/>
  <bpmn:process id="parcel-watch" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="scanned"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="e"/>
    <bpmn:endEvent id="e"/>
  </bpmn:process>
  <bpmn:process id="parcel-opened" isExecutable="true">
    <bpmn:startEvent id="os"><bpmn:messageEventDefinition messageRef="opened"/></bpmn:startEvent>
    <bpmn:sequenceFlow id="of" sourceRef="os" targetRef="oe"/>
    <bpmn:endEvent id="oe"/>
  </bpmn:process>
</bpmn:definitions>
"""

SETTINGS = DeliverySettings(webhook_allow_loopback=True, dispatch_max_failures=3)


def _setup(runtime: Runtime) -> tuple[Workflow, Dispatcher]:
    workflow = Workflow(runtime.session_factory)
    workflow.deploy(MODEL, file_name="parcel.bpmn")
    return workflow, Dispatcher(workflow, name="t", settings=SETTINGS)


def _drain(dispatcher: Dispatcher) -> None:
    for _ in range(50):
        if dispatcher.run_once() == 0:
            return


def _record(runtime: Runtime, *events: dict[str, Any], commit: bool = True) -> None:
    with runtime.unit_of_work() as uow:
        for event in events:
            uow.record(event)
        if commit:
            uow.commit()


def _rows(runtime: Runtime, query: str) -> list[Any]:
    with runtime.engine.connect() as connection:
        return list(connection.execute(text(query)).all())


def test_only_committed_events_reach_processes_and_webhooks(
    migrated_runtime: Runtime, receiver: Receiver
) -> None:
    _, dispatcher = _setup(migrated_runtime)
    _view, secret = webhooks.create_subscription(
        migrated_runtime.unit_of_work(), url=receiver.url, event_types=["parcel.*"], settings=SETTINGS
    )
    receiver.secrets.append(secret)
    _record(migrated_runtime, {"type": "parcel.opened", "id": "P-1"}, commit=False)
    with pytest.raises(RuntimeError), migrated_runtime.unit_of_work() as uow:
        uow.record({"type": "parcel.opened", "id": "P-2"})
        raise RuntimeError("the use case failed")
    _drain(dispatcher)
    assert receiver.received == []
    assert _rows(migrated_runtime, "SELECT count(*) FROM process_instances") == [(0,)]

    _record(migrated_runtime, {"type": "parcel.opened", "id": "P-3"})
    _drain(dispatcher)
    assert [r.event["subject"] for r in receiver.received] == ["P-3"]
    assert _rows(migrated_runtime, "SELECT process_key, business_key FROM process_instances") == [
        ("parcel-opened", "P-3")
    ]


def test_an_event_nobody_waits_for_yet_is_buffered_for_the_instance_that_waits_later(
    migrated_runtime: Runtime,
) -> None:
    workflow, dispatcher = _setup(migrated_runtime)
    early = workflow.start("parcel-watch", {"parcel": "P-1"})
    _record(
        migrated_runtime,
        {"type": "parcel.scanned", "id": "P-1", "where": "hub"},
        {"type": "parcel.scanned", "id": "P-2", "where": "depot"},
    )
    _drain(dispatcher)
    assert _rows(migrated_runtime, f"SELECT state FROM process_instances WHERE id = '{early.id}'") == [
        ("completed",)
    ]
    outcomes = _rows(migrated_runtime, "SELECT event_type, outcome FROM processed_events ORDER BY sequence")
    assert outcomes == [("parcel.scanned", "routed"), ("parcel.scanned", "buffered")]

    late = workflow.start("parcel-watch", {"parcel": "P-2"})  # takes the buffered message at once
    assert _rows(migrated_runtime, f"SELECT state FROM process_instances WHERE id = '{late.id}'") == [
        ("completed",)
    ]
    [(variables,)] = _rows(
        migrated_runtime, f"SELECT variables FROM process_instances WHERE id = '{late.id}'"
    )
    assert "depot" in str(variables)


def test_an_event_that_cannot_be_routed_is_retried_then_skipped_and_logged(
    migrated_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, dispatcher = _setup(migrated_runtime)
    real = dispatching.route_event

    def flaky(runtime: Any, ctx: Any, event: dict[str, Any], names: Any, *, direct: frozenset[str]) -> Any:
        if event["subject"] == "BAD":
            raise ValueError("cannot route this one")
        return real(runtime, ctx, event, names, direct=direct)

    monkeypatch.setattr(dispatching, "route_event", flaky)
    _record(
        migrated_runtime,
        {"type": "parcel.opened", "id": "BAD"},
        {"type": "parcel.opened", "id": "GOOD"},
    )
    dispatcher.run_once()
    assert _rows(migrated_runtime, "SELECT failures FROM dispatch_cursors WHERE consumer = 'processes'") == [
        (1,)
    ]
    assert _rows(migrated_runtime, "SELECT count(*) FROM process_instances") == [(0,)]  # GOOD waits its turn
    for _ in range(SETTINGS.dispatch_max_failures):  # each poll tries again; the last gives up on it
        dispatcher.run_once()
    assert _rows(migrated_runtime, "SELECT business_key FROM process_instances") == [("GOOD",)]
    [(_outcome, detail)] = _rows(
        migrated_runtime, "SELECT outcome, detail FROM processed_events WHERE outcome = 'failed'"
    )
    assert "cannot route this one" in detail


def test_conveyor_init_deploys_the_bundled_event_processes(runtime: Runtime) -> None:
    report = initialize(runtime)
    for process in ("customer-notifications", "carrier-manifest", "demand-signals"):
        assert f"deployed {process} version 1" in report.steps
    workflow = Workflow(runtime.session_factory)
    with runtime.session_factory() as session:
        names = dispatching.message_names(workflow, session)
    assert {info.process_id for info in names.starts["order.created"]} >= {
        "customer-notifications",
        "demand-signals",
    }
    assert {info.process_id for info in names.starts["shipment.handed_over"]} >= {
        "customer-notifications",
        "carrier-manifest",
    }


def test_two_dispatchers_route_each_event_to_processes_exactly_once(migrated_runtime: Runtime) -> None:
    workflow, _ = _setup(migrated_runtime)
    _record(migrated_runtime, *({"type": "parcel.opened", "id": f"P-{n}"} for n in range(40)))
    dispatchers = [Dispatcher(workflow, name=f"d{n}", settings=SETTINGS) for n in range(2)]
    errors: list[BaseException] = []

    def run(dispatcher: Dispatcher) -> None:
        try:
            for _ in range(100):
                if dispatcher.run_once() == 0 and _rows(
                    migrated_runtime, "SELECT count(*) FROM processed_events"
                ) == [(40,)]:
                    return
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(d,)) for d in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    keys = [key for (key,) in _rows(migrated_runtime, "SELECT business_key FROM process_instances")]
    assert sorted(keys) == sorted(f"P-{n}" for n in range(40))  # one instance per event, none twice


def test_conveyor_init_on_a_database_with_history_starts_processes_only_for_new_events(
    migrated_runtime: Runtime,
) -> None:
    _, dispatcher = _setup(migrated_runtime)
    _record(migrated_runtime, {"type": "parcel.opened", "id": "OLD"})  # before the upgrade
    report = initialize(migrated_runtime)
    assert "processes are started by events committed from now on" in report.steps
    _record(migrated_runtime, {"type": "parcel.opened", "id": "NEW"})
    _drain(dispatcher)
    keys = _rows(
        migrated_runtime, "SELECT business_key FROM process_instances WHERE process_key = 'parcel-opened'"
    )
    assert keys == [("NEW",)]
    assert "processes are started by events committed from now on" not in initialize(migrated_runtime).steps
