"""``Workflow``: what callers (API routes, the CLI, handlers, workers) do with workflows.

Each method runs in its own transaction and commits, unless the caller passes
its open unit of work (``uow=``), in which case the step joins the caller's
transaction and the caller commits (how a use case starts a process together
with its own domain writes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select, update

from conveyor.adapters.db.workflow_tables import incidents, user_tasks
from conveyor.adapters.workflow.instances import InstanceStore
from conveyor.engine.runtime import FormError, Instance
from conveyor.errors import Conflict, InvalidInput, NotFound
from conveyor.services.unit_of_work import SqlUnitOfWork
from conveyor.services.workflow import messaging, timers
from conveyor.services.workflow.context import StepContext
from conveyor.services.workflow.deploy import DeployedDefinition, store_deployment
from conveyor.services.workflow.migrate import MigrationReport, migrate
from conveyor.services.workflow.runtime import WorkflowRuntime

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Started:
    """An instance after its first step: its state and the user tasks it waits on."""

    id: str
    process: str
    version: int
    state: str
    tasks: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Stepped:
    """An instance after a step: its state and the user tasks the step opened."""

    id: str
    state: str
    tasks: tuple[int, ...] = ()


class Workflow(WorkflowRuntime):
    """See the module docstring."""

    def _run(self, uow: SqlUnitOfWork | None, work: Callable[[StepContext], T]) -> T:
        return self.transaction(work) if uow is None else self.within(uow, work)

    # --- deployments ----------------------------------------------------------------------------

    def deploy(
        self, source: bytes | str, *, file_name: str | None = None, deployed_by: str | None = None
    ) -> list[DeployedDefinition]:
        """Validate and store a BPMN/DMN file; (re)schedule the timer start events it brings."""

        def work(ctx: StepContext) -> list[DeployedDefinition]:
            deployed = store_deployment(ctx.uow, source, file_name=file_name, deployed_by=deployed_by)
            created = [d.definition for d in deployed if d.created and d.definition.kind == "bpmn"]
            if any(d.created for d in deployed):
                self.models.refresh(ctx.uow.session)
                for definition in created:
                    timers.schedule_timer_starts(self, ctx, definition.key)
            return deployed

        return self.transaction(work)

    # --- instances ------------------------------------------------------------------------------

    def start(
        self,
        process: str,
        variables: dict[str, Any] | None = None,
        *,
        version: int | None = None,
        business_key: str | None = None,
        uow: SqlUnitOfWork | None = None,
    ) -> Started:
        def work(ctx: StepContext) -> tuple[StepContext, Started]:
            row = self.start_in(ctx, process, variables, version=version, business_key=business_key)
            return ctx, Started(row.id, row.process_key, row.version, row.state)

        ctx, started = self._run(uow, work)
        # follow-ups (a called process, a buffered message) may have moved it on since
        tasks = tuple(ctx.opened_tasks.get(started.id, ()))
        return Started(
            started.id, started.process, started.version, ctx.states.get(started.id, started.state), tasks
        )

    def cancel(self, instance_id: str, *, uow: SqlUnitOfWork | None = None) -> None:
        self._run(uow, lambda ctx: self.step(ctx, instance_id, lambda i, c: i.cancel(now=c.now)))

    def set_variables(
        self, instance_id: str, variables: dict[str, Any], *, uow: SqlUnitOfWork | None = None
    ) -> None:
        self._run(
            uow, lambda ctx: self.step(ctx, instance_id, lambda i, c: i.set_variables(variables, now=c.now))
        )

    # --- user tasks -----------------------------------------------------------------------------

    def complete_task(
        self,
        task_id: int,
        data: dict[str, Any] | None = None,
        *,
        completed_by: str | None = None,
        uow: SqlUnitOfWork | None = None,
    ) -> Stepped:
        """Complete a user task with form data (validated against its form)."""

        def work(ctx: StepContext) -> Stepped:
            store = ctx.instances()
            # the task and its instance (locked) in one statement
            found = store.task_with_instance(task_id)
            if found is None:
                raise NotFound(f"No user task {task_id}")
            wait_id, _node, state, row = found
            instance_id = row.id
            if state not in ("created", "claimed"):
                raise Conflict(f"User task {task_id} is {state}; only open tasks can be completed")

            def complete(instance: Instance, c: StepContext) -> None:
                try:
                    instance.complete_user_task(wait_id, data or {}, now=c.now)
                except FormError as err:
                    raise InvalidInput(
                        f"The data does not fit the task's form: {err}",
                        errors=[
                            {"loc": ["variables", name], "msg": msg} for name, msg in err.field_errors.items()
                        ],
                    ) from err
                store.complete_task(task_id, at=c.now, by=completed_by, data=dict(data or {}))
                c.completed_waits.add((instance_id, wait_id))
                c.uow.record({"type": "task.completed", "id": task_id, "instance_id": instance_id})

            self.step(ctx, instance_id, complete, loaded=row)
            self.drain(ctx)
            return Stepped(instance_id, ctx.states[instance_id], tuple(ctx.opened_tasks.get(instance_id, ())))

        return self._run(uow, work)

    # --- messages and signals -------------------------------------------------------------------

    def correlate(
        self,
        name: str,
        correlation_key: Any = None,
        variables: dict[str, Any] | None = None,
        *,
        ttl_seconds: float | None = None,
        buffer: bool = True,
        uow: SqlUnitOfWork | None = None,
    ) -> messaging.Correlation:
        return self._run(
            uow,
            lambda ctx: messaging.correlate(
                self, ctx, name, correlation_key, variables, ttl_seconds=ttl_seconds, buffer=buffer
            ),
        )

    def signal(
        self, name: str, variables: dict[str, Any] | None = None, *, uow: SqlUnitOfWork | None = None
    ) -> int:
        return self._run(uow, lambda ctx: messaging.broadcast(self, ctx, name, variables))

    # --- incidents ------------------------------------------------------------------------------

    def retry_incident(self, incident_id: int, *, uow: SqlUnitOfWork | None = None) -> str:
        """Run an incident's node again (its retries start over); returns the instance id."""

        def work(ctx: StepContext) -> str:
            found = ctx.uow.session.execute(
                select(incidents.c.instance_id, incidents.c.wait_id, incidents.c.state).where(
                    incidents.c.id == incident_id
                )
            ).first()
            if found is None:
                raise NotFound(f"No incident {incident_id}; `conveyor incidents list` shows the open ones")
            instance_id, wait_id, state = found
            if state != "open":
                raise Conflict(f"Incident {incident_id} is already {state}")
            self.step(ctx, instance_id, lambda i, c: i.retry_incident(wait_id, now=c.now))
            return str(instance_id)

        return self._run(uow, work)

    # --- versions -------------------------------------------------------------------------------

    def migrate(
        self, process: str, from_version: int, to_version: int, *, dry_run: bool = False
    ) -> MigrationReport:
        """Move waiting instances of ``process`` from one version to another (see ``migrate``)."""
        return self.transaction(
            lambda ctx: migrate(self, ctx, process, from_version, to_version, dry_run=dry_run)
        )

    def claim_task(self, task_id: int, assignee: str, *, uow: SqlUnitOfWork | None = None) -> None:
        """Assign an open user task to ``assignee`` (a claimed task can be claimed again: reassigned)."""

        def work(ctx: StepContext) -> None:
            session = ctx.uow.session
            found = session.execute(
                select(user_tasks.c.instance_id, user_tasks.c.node_id, user_tasks.c.state).where(
                    user_tasks.c.id == task_id
                )
            ).first()
            if found is None:
                raise NotFound(f"No user task {task_id}")
            instance_id, node_id, state = found
            if state not in ("created", "claimed"):
                raise Conflict(f"User task {task_id} is {state}; only open tasks can be claimed")
            session.execute(
                update(user_tasks)
                .where(user_tasks.c.id == task_id)
                .values(assignee=assignee, state="claimed", claimed_at=ctx.now)
            )
            assigned = {"task": task_id, "assignee": assignee}
            InstanceStore(session).append_history(
                [{"instance_id": instance_id, "at": ctx.now, "event": "task.assigned", "node_id": node_id,
                  "data": assigned}]
            )  # fmt: skip
            ctx.uow.record({"type": "task.assigned", "id": task_id, "assignee": assignee})

        self._run(uow, work)
