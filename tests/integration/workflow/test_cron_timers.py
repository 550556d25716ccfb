"""Cron timer cycles in the persisted runtime, driven by a fake clock (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from workflow_helpers import Clock, drain
from workflow_models import bpmn, flow, timer_start

from conveyor.engine.errors import ModelError
from conveyor.services.workers import Worker
from conveyor.services.workflow import Workflow


def _starts(sql: Callable[..., list[Any]]) -> list[str]:
    rows = sql("SELECT started_at FROM process_instances WHERE process_key = 'nightly' ORDER BY started_at")
    return [_utc(r[0]).strftime("%a %d %H:%M") for r in rows]


def _utc(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _job_due(sql: Callable[..., list[Any]]) -> str:
    (row,) = sql("SELECT due_at FROM jobs WHERE kind = 'timer_start'")
    return _utc(row[0]).strftime("%a %d %H:%M")


def test_a_cron_timer_start_event_starts_instances_at_its_times(
    workflow: Workflow, worker: Worker, clock: Clock, sql: Callable[..., list[Any]]
) -> None:
    # the clock starts on Monday 2026-03-02 09:00 UTC
    workflow.deploy(timer_start("0 30 9,14 * * MON-FRI"))
    assert _job_due(sql) == "Mon 02 09:30"
    assert drain(worker, clock, hours=0.25) == 0  # 09:15: not yet
    assert drain(worker, clock, hours=0.25) == 1  # 09:30
    assert _starts(sql) == ["Mon 02 09:30"]
    assert _job_due(sql) == "Mon 02 14:30"
    clock.now = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)  # Friday 14:30, due exactly now
    assert drain(worker, clock) == 1
    # the weekend is skipped: next Monday morning
    assert _job_due(sql) == "Mon 09 09:30"
    assert _starts(sql) == ["Mon 02 09:30", "Fri 06 14:30"]


def test_a_cron_start_skips_firings_missed_while_no_worker_ran(
    workflow: Workflow, worker: Worker, clock: Clock, sql: Callable[..., list[Any]]
) -> None:
    workflow.deploy(timer_start("0 0/15 * * * ?"))  # Quartz: every 15 minutes
    assert _job_due(sql) == "Mon 02 09:15"
    assert drain(worker, clock, hours=2) == 1  # one start for the missed ones, not eight
    assert _job_due(sql) == "Mon 02 11:15"


def test_a_cron_boundary_job_moves_to_the_next_time_in_the_database(
    workflow: Workflow, worker: Worker, clock: Clock, sql: Callable[..., list[Any]]
) -> None:
    workflow.deploy(
        bpmn(
            """<bpmn:process id="remind" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:userTask id="approve"/>
  <bpmn:boundaryEvent id="nudge" attachedToRef="approve" cancelActivity="false">
    <bpmn:timerEventDefinition><bpmn:timeCycle>0 0 10 * * *</bpmn:timeCycle></bpmn:timerEventDefinition>
  </bpmn:boundaryEvent>
  <bpmn:endEvent id="end"/><bpmn:endEvent id="nudged"/>
  """
            + flow("start", "approve")
            + flow("approve", "end")
            + flow("nudge", "nudged")
            + "</bpmn:process>"
        )
    )
    started = workflow.start("remind")

    def due() -> str:
        (row,) = sql("SELECT due_at FROM jobs WHERE instance_id = :i AND kind = 'timer'", i=started.id)
        return _utc(row[0]).strftime("%d %H:%M")

    assert due() == "02 10:00"
    assert drain(worker, clock, hours=1.5) == 1
    assert due() == "03 10:00"
    assert drain(worker, clock, hours=24) == 1
    assert due() == "04 10:00"
    fired = sql(
        "SELECT count(*) FROM workflow_history_entries WHERE instance_id = :i AND event = 'node.completed'"
        " AND node_id = 'nudged'",
        i=started.id,
    )
    assert fired[0][0] == 2


@pytest.mark.parametrize("cycle", ["0 0 L * ?", "0 0 12 ? * MON#2", "0 0 30 2 *", "61 * * * *"])
def test_deploying_an_unsupported_or_impossible_cron_is_refused(workflow: Workflow, cycle: str) -> None:
    with pytest.raises(ModelError) as raised:
        workflow.deploy(timer_start(cycle))
    (problem,) = raised.value.errors
    assert (problem.code, problem.element_id) == ("bad_timer", "tick")
