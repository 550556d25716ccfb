"""Real-world models from ../shared/conformance run with the standard's semantics.

The files are third-party test data, read in place (never copied); without
../shared these tests are skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import T0
from conveyor.engine.api import Engine
from conveyor.engine.runtime import Handlers, Instance, ModelLibrary


def _drive(engine: Engine, main: Instance, answers: dict[str, Any] | None = None) -> list[str]:
    """Complete user tasks (with ``answers``), jobs and due timers until nothing moves."""
    now = T0
    for _ in range(500):
        moved = False
        for instance in engine.active():
            for wait in instance.waits:
                if wait.kind == "userTask":
                    instance.complete_user_task(wait.id, (answers or {}).get(wait.node), now=now)
                    moved = True
                    break
                if wait.kind == "job":
                    instance.complete_job(wait.id, None, now=now)
                    moved = True
                    break
            if moved:
                break
        if not moved:
            due = engine.next_timer()
            if due is None:
                break
            now = max(now, due)
            engine.fire_due_timers(now)
        engine.pump(now)
    history = [r.event for r in engine.history if r.instance_id == main.id]
    return [event.node for event in history if event.kind == "node.completed"]


def _engine(*paths: Path) -> Engine:
    return Engine(ModelLibrary.from_files(paths), Handlers(missing="complete"))


def test_camunda_8_document_request_sends_six_daily_reminders_then_calls_the_customer(shared_dir):
    engine = _engine(shared_dir / "conformance" / "bpmn-miwg" / "C.9.1.bpmn")
    main = engine.start(engine.library.process_ids()[0], now=T0)
    path = _drive(engine, main)
    assert path.count("SendTask_SendReminderEmail") == 6
    assert path[-3:] == ["BoundaryEvent_2", "UserTask_CallCustomer", "EndEvent_TalkedToCustomer"]
    assert main.state == "completed"


def test_camunda_7_invoice_approval_pays_an_approved_invoice(shared_dir):
    engine = _engine(shared_dir / "conformance" / "bpmn-miwg" / "C.1.0.bpmn")
    main = engine.start(engine.library.process_ids()[0], now=T0)
    path = _drive(engine, main, {"approveInvoice": {"approved": True}})
    assert path[-4:] == ["invoice_approved", "prepareBankTransfer", "archiveInvoice", "invoiceProcessed"]


SPIFF = ("conformance", "spiffworkflow", "bpmn", "data")


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("ParallelOrder.bpmn", {"Gateway_1ocoth5": 1, "Event_0l2ep9d": 1}),
        ("standard_loop.bpmn", {"any_task": 4}),
        ("event-subprocess.bpmn", {"task": 1}),
        ("uncaught_escalation.bpmn", {"subprocess": 1}),
    ],
)
def test_spiffworkflow_models_take_the_standard_path(shared_dir, model, expected):
    engine = _engine(shared_dir.joinpath(*SPIFF, model))
    main = engine.start(engine.library.process_ids()[0], now=T0)
    path = _drive(engine, main)
    assert main.state == "completed"
    assert {node: path.count(node) for node in expected} == expected
