"""Running one claimed job in its own transaction.

``timer``: fire the timer wait. ``async``: continue past an ``asyncBefore``/
``asyncAfter`` point. ``service``: call the task's async handler and complete
the job with its result (a BPMN error goes to the model's error path; any other
failure is retried with exponential backoff and, when the model's retries are
used up, becomes an incident). ``retry``: run a failed inline handler's node
again. ``timer_start``: start an instance. A job whose wait is gone (a message
won the race against a timer on an event-based gateway) is simply dropped.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from conveyor.adapters.workflow.jobs import Job, JobStore
from conveyor.engine.errors import BpmnError, NotWaiting
from conveyor.engine.runtime import HandlerContext, Instance
from conveyor.errors import Conflict, NotFound
from conveyor.services.workflow import timers
from conveyor.services.workflow.context import HandlerFailure, StepContext

if TYPE_CHECKING:
    from conveyor.services.workflow.runtime import WorkflowRuntime


class HandlerFailed(Exception):
    """An async handler raised; the job is retried or becomes an incident."""

    def __init__(self, failure: HandlerFailure) -> None:
        super().__init__(failure.error)
        self.failure = failure


class JobLost(Exception):
    """The job is no longer this worker's (taken over after its lock expired, or done)."""


def _hold(ctx: StepContext, job: Job, owner: str | None) -> None:
    """Lock the job's row, checking it is still ours (after the instance row: see ``JobStore.get``)."""
    if owner is not None and JobStore(ctx.uow.session).get(job.id, owner=owner) is None:
        raise JobLost(job.id)


def run_job(runtime: WorkflowRuntime, ctx: StepContext, job: Job, owner: str | None = None) -> str:
    """Execute ``job`` inside ``ctx``'s transaction; returns what happened (for logs and tests)."""
    store = JobStore(ctx.uow.session)
    ctx.job_id = job.id
    try:
        if job.kind == "timer_start":
            _hold(ctx, job, owner)
            if not timers.fire_timer_start(runtime, ctx, job):
                store.remove(job.id, owner=job.lock_owner)
            return "started"
        assert job.instance_id is not None and job.wait_id is not None
        wait_id = job.wait_id

        Operation = Callable[[Instance, StepContext], None]

        def held(operation: Operation) -> Operation:
            def run(instance: Instance, c: StepContext) -> None:
                _hold(c, job, owner)  # the instance row is locked by now
                operation(instance, c)

            return run

        if job.kind == "timer":
            runtime.step(ctx, job.instance_id, held(lambda i, c: i.fire_timer(wait_id, now=c.now)))
        elif job.kind == "async":
            runtime.step(ctx, job.instance_id, held(lambda i, c: i.complete_job(wait_id, now=c.now)))
        elif job.kind == "retry":
            runtime.step(ctx, job.instance_id, held(lambda i, c: i.retry_incident(wait_id, now=c.now)))
        elif job.kind == "service":
            runtime.step(ctx, job.instance_id, held(lambda i, c: _call_handler(runtime, i, c, job)))
        if (job.instance_id, wait_id) in ctx.moved_waits:
            return "rescheduled"  # a timer cycle: the same job is due again at its next time
        store.remove(job.id, owner=job.lock_owner)
        return "done"
    except (NotWaiting, NotFound, Conflict):
        # the wait is gone or the instance ended: nothing left to do
        store.remove(job.id, owner=job.lock_owner)
        return "dropped"


def _call_handler(runtime: WorkflowRuntime, instance: Instance, ctx: StepContext, job: Job) -> None:
    wait_id = job.wait_id
    assert wait_id is not None
    wait = next((w for w in instance.waits if w.id == wait_id and w.kind == "job"), None)
    if wait is None:
        raise NotWaiting(f"instance {instance.id} no longer waits for job {wait_id}")
    binding = runtime.registry.get(wait.task_type)
    context = HandlerContext(
        variables=instance.job_variables(wait_id),
        node_id=wait.node,
        task_type=wait.task_type,
        instance_id=instance.id,
        business_key=instance.business_key,
        headers=wait.headers or {},
        retries_left=max(job.retries - job.attempts - 1, 0),
    )
    if binding is None:
        raise HandlerFailed(
            HandlerFailure(
                error=f"no handler is registered for task type {wait.task_type!r}",
                stacktrace="",
            )
        )
    try:
        with ctx.uow.session.begin_nested():
            result = binding.handler(context, ctx.uow)
    except BpmnError as err:
        instance.throw_job_error(wait_id, err.error_code, err.message, err.variables, now=ctx.now)
        return
    except Exception as err:
        raise HandlerFailed(
            HandlerFailure(error=f"{type(err).__name__}: {err}", stacktrace=traceback.format_exc(limit=20))
        ) from err
    instance.complete_job(wait_id, dict(result) if result else None, now=ctx.now)


def handle_failure(runtime: WorkflowRuntime, ctx: StepContext, job: Job, failure: HandlerFailure) -> str:
    """Retry the job later with backoff, or open an incident when its attempts are used up."""
    attempts = job.attempts + 1
    if attempts < job.retries:
        due = ctx.now + timedelta(seconds=runtime.settings.backoff(attempts))
        JobStore(ctx.uow.session).reschedule(job.id, due=due, attempts=attempts, error=failure.error)
        return "retrying"
    assert job.instance_id is not None and job.wait_id is not None and job.node_id is not None
    ctx.job_id = job.id
    ctx.failures[job.node_id] = HandlerFailure(failure.error, failure.stacktrace, retryable=False)
    wait_id = job.wait_id
    runtime.step(ctx, job.instance_id, lambda i, c: i.fail_job(wait_id, failure.error, now=c.now))
    JobStore(ctx.uow.session).remove(job.id, owner=job.lock_owner)
    return "incident"


def describe(job: Job) -> dict[str, Any]:
    return {"id": job.id, "kind": job.kind, "instance_id": job.instance_id, "node": job.node_id}
