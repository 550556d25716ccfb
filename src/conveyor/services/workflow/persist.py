"""Writing one step: the instance row, its wait rows, tasks, jobs, incidents and history.

The engine hands back the whole new state; what changed in the tables is the
difference between the waits before and after the step, so a step touches
only the rows of waits that appeared, disappeared or moved. History is
appended, never read, and effects become follow-ups (see ``context``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from conveyor import jsontext
from conveyor.adapters.workflow.instances import InstanceRow, InstanceStore
from conveyor.adapters.workflow.jobs import JobStore
from conveyor.engine.runtime import Instance, Wait
from conveyor.engine.runtime.values import encode
from conveyor.services import exceptions as exception_register
from conveyor.services.workflow.context import StepContext
from conveyor.services.workflow.settings import WorkflowSettings

ENDED = ("completed", "terminated", "cancelled")
#: wait kinds that have a job row (a due time a worker acts on)
JOB_WAITS = ("timer", "job", "incident")

EffectSink = Callable[[StepContext, InstanceRow, Instance], None]
BufferCheck = Callable[[StepContext, str, Wait], None]


def _form(wait: Wait) -> dict[str, Any] | None:
    task = wait.task
    if task is None or (not task.form_fields and not task.form_key):
        return None
    return {
        "key": task.form_key,
        "fields": [
            {
                "id": f.id,
                "label": f.label,
                "type": f.type,
                "required": f.required,
                "required_when": f.required_when.source if f.required_when is not None else None,
                "values": [list(v) for v in f.values],
                "default": encode(f.default),
            }
            for f in task.form_fields
        ],
    }


def task_row(instance_id: str, wait: Wait, now: datetime) -> dict[str, Any]:
    """The user_tasks row for a user-task wait that just opened."""
    task = wait.task
    assert task is not None
    return {
        "instance_id": instance_id,
        "wait_id": wait.id,
        "node_id": wait.node,
        "name": task.name,
        "assignee": task.assignee,
        "candidate_groups": list(task.candidate_groups),
        "candidate_users": list(task.candidate_users),
        "candidate_groups_text": "," + ",".join(task.candidate_groups) + ",",
        "due_at": task.due_date,
        "priority": task.priority,
        "form": _form(wait),
        "state": "created",
        "created_at": now,
    }


_dumps = jsontext.dumps


def _history_data(data: Any) -> Any:
    try:
        return encode(data)
    except Exception:  # a value that cannot be saved is shown as text in history
        return repr(data)


class StepWriter:
    """Writes steps for one workflow runtime (its settings, its retry policy)."""

    def __init__(
        self,
        settings: WorkflowSettings,
        retries_of: Callable[[InstanceRow, str], int | None],
        on_effects: EffectSink,
        on_message_wait: BufferCheck,
    ) -> None:
        self.settings = settings
        self._retries_of = retries_of
        self._on_effects = on_effects
        self._on_message_wait = on_message_wait

    def retry_limit(self, row: InstanceRow, node: str) -> int:
        """How many attempts a handler at ``node`` gets (the model's retries, else the default)."""
        retries = self._retries_of(row, node)
        return max(retries if retries is not None else self.settings.default_retries, 1)

    def will_retry(self, ctx: StepContext, row: InstanceRow, wait: Wait) -> bool:
        """A new incident from a handler failure with attempts left becomes a retry job instead.

        The engine counts a token's attempts over its whole life; an operator's retry of an
        incident starts a fresh round of retries, so attempts count from the last incident
        an operator resolved at that node.
        """
        failure = ctx.failures.get(wait.node)
        if failure is None or not failure.retryable:
            return False
        key = (row.id, wait.node)
        if key not in ctx.attempt_base:
            ctx.attempt_base[key] = InstanceStore(ctx.uow.session).resolved_attempts(row.id, wait.node)
        return wait.attempts - ctx.attempt_base[key] < self.retry_limit(row, wait.node)

    def write(
        self, ctx: StepContext, row: InstanceRow, instance: Instance, before: Mapping[int, Wait], *, new: bool
    ) -> None:
        store = ctx.instances()
        job_store = ctx.jobs()
        now = ctx.now
        saved = instance.to_state()
        root = saved["root"]
        variables: dict[str, Any] = next((s[5] for s in saved["s"] if s[0] == root), {})
        row.engine_state = _dumps(saved)
        after = {w.id: w for w in instance.waits}
        state = instance.state
        ended = state in ENDED

        removed = [w for wid, w in before.items() if wid not in after]
        added = [w for wid, w in after.items() if wid not in before]
        if removed:
            store.remove_waits(row.id, [w.id for w in removed])
            job_store.remove_for_waits(row.id, [w.id for w in removed if w.kind in JOB_WAITS])
            cancelled = [
                w.id for w in removed if w.kind == "userTask" and (row.id, w.id) not in ctx.completed_waits
            ]
            store.cancel_tasks(row.id, cancelled)
            store.resolve_incidents(row.id, [w.id for w in removed if w.kind == "incident"], now)
            if any(w.kind == "incident" for w in removed):
                exception_register.resolve_incident_records(ctx.uow, row.id, now)
        opened = self._write_added(ctx, row, added, store, job_store)
        if state == "failed":
            # "failed" means an incident waits for an operator; a handler being retried is not one
            still_open = row.state == "failed" and store.has_open_incidents(row.id)
            state = "failed" if opened or still_open else "active"
        for wid, wait in after.items():
            old = before.get(wid)
            if old is not None and old.due != wait.due:
                store.move_wait_due(row.id, wid, wait.due)
                if wait.due is not None:
                    job_store.move_due(row.id, wid, wait.due)
                    ctx.moved_waits.add((row.id, wid))
        row.state = state
        ctx.states[row.id] = state
        if new:
            store.insert(row, variables=variables, now=now, ended=ended)
        else:
            store.save(row, variables=variables, now=now, ended=ended)
        store.add_waits(
            [
                {
                    "instance_id": row.id,
                    "wait_id": w.id,
                    "node_id": w.node,
                    "kind": w.kind,
                    "message_name": w.message_name,
                    "correlation_key": w.correlation_key,
                    "signal_name": w.signal_name,
                    "due_at": w.due,
                }
                for w in added
            ]
        )
        self._write_added_after(ctx, row, added, store)
        store.append_history_fast(
            row.id,
            [
                (h.at, h.kind, h.node, None if h.data is None else _history_data(h.data))
                for h in instance.drain_history()
            ],
        )
        if ended:
            ctx.uow.record({"type": f"process_instance.{state}", "id": row.id, "process": row.process_key})
        self._on_effects(ctx, row, instance)
        for wait in added:
            if wait.kind in ("message", "receiveTask") and wait.message_name:
                self._on_message_wait(ctx, row.id, wait)

    def _write_added(
        self, ctx: StepContext, row: InstanceRow, added: list[Wait], store: InstanceStore, job_store: JobStore
    ) -> bool:
        """Jobs for new timer/job waits; retries or incidents for new incident waits. True if one opened."""
        jobs: list[dict[str, Any]] = []
        opened = False
        base = {"instance_id": row.id, "process_key": row.process_key, "created_at": ctx.now, "attempts": 0}
        for wait in added:
            if wait.kind == "timer" and wait.due is not None:
                jobs.append({**base, "kind": "timer", "wait_id": wait.id, "node_id": wait.node,
                             "due_at": wait.due, "retries": 1})  # fmt: skip
            elif wait.kind == "job":
                retries = wait.retries if wait.retries is not None else self.settings.default_retries
                payload = {"type": wait.task_type} if wait.task_type else None
                jobs.append({**base, "kind": "service" if wait.task_type else "async", "wait_id": wait.id,
                             "node_id": wait.node, "due_at": ctx.now, "retries": max(retries, 1),
                             "payload": payload})  # fmt: skip
            elif wait.kind == "incident":
                if self.will_retry(ctx, row, wait):
                    due = ctx.now + timedelta(seconds=self.settings.backoff(wait.attempts))
                    jobs.append({**base, "kind": "retry", "wait_id": wait.id, "node_id": wait.node,
                                 "due_at": due, "attempts": wait.attempts,
                                 "retries": self.retry_limit(row, wait.node),
                                 "last_error": wait.error})  # fmt: skip
                else:
                    opened = True
        job_store.add(jobs)
        return opened

    def _write_added_after(
        self, ctx: StepContext, row: InstanceRow, added: list[Wait], store: InstanceStore
    ) -> None:
        """Rows that refer to the instance row (it must exist first): user tasks, incidents."""
        tasks = []
        for wait in added:
            if wait.kind == "userTask" and wait.task is not None:
                tasks.append(task_row(row.id, wait, ctx.now))
                ctx.uow.record({"type": "task.created", "instance_id": row.id, "node": wait.node})
            elif wait.kind == "incident":
                if self.will_retry(ctx, row, wait):
                    continue
                failure = ctx.failures.get(wait.node)
                incident_id = store.open_incident(
                    {
                        "instance_id": row.id,
                        "wait_id": wait.id,
                        "node_id": wait.node,
                        "job_id": ctx.job_id,
                        "error": wait.error or "unknown error",
                        "stacktrace": failure.stacktrace if failure else None,
                        "attempts": wait.attempts,
                        "state": "open",
                        "created_at": ctx.now,
                    }
                )
                ctx.uow.record({"type": "incident.created", "instance_id": row.id, "node": wait.node})
                exception_register.record_incident(
                    ctx.uow, incident_id=incident_id, instance_id=row.id, process_key=row.process_key,
                    business_key=row.business_key, node=wait.node, error=wait.error or "", now=ctx.now,
                )  # fmt: skip
        if tasks:
            ctx.opened_tasks.setdefault(row.id, []).extend(store.add_tasks(tasks))
