"""``WorkflowRuntime``: the engine made durable. Every operation is one atomic step.

An operation loads the instance row, restores the engine instance from its
saved state, applies the operation, lets the engine run until every token
waits, and writes the result (``persist.StepWriter``) in the same transaction:
either all of it commits or none of it. Concurrent steps on one instance are
serialised by the row lock (PostgreSQL) or the single writer (SQLite) and
double-checked by the ``revision`` column; a step that lost the race is run
again from a fresh read, a bounded number of times.

The operations themselves (start, tasks, messages, signals, jobs, incidents)
are in the sibling modules; this class holds what they share.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from conveyor.adapters.workflow.instances import InstanceRow, StaleInstance
from conveyor.engine.runtime import (
    CallCancelled,
    CallRequested,
    ErrorEscaped,
    Instance,
    InstanceEnded,
    MessageThrown,
    SignalThrown,
    Wait,
)
from conveyor.errors import Conflict, NotFound
from conveyor.logs import get_logger
from conveyor.services.unit_of_work import LeanUnitOfWork, SqlUnitOfWork
from conveyor.services.workflow import messaging
from conveyor.services.workflow.context import StepContext
from conveyor.services.workflow.engine_binding import engine_handlers
from conveyor.services.workflow.handlers import HandlerRegistry, default_registry
from conveyor.services.workflow.models import DeployedModels
from conveyor.services.workflow.persist import ENDED, StepWriter
from conveyor.services.workflow.settings import WorkflowSettings

T = TypeVar("T")
log = get_logger(__name__)

#: PostgreSQL deadlock and serialization failures: the transaction was rolled back whole and
#: can simply run again (two steps locking two instances in opposite orders, e.g. a child
#: completing its parent while the parent cancels it)
RETRYABLE_SQLSTATES = ("40P01", "40001")


def _worth_retrying(err: OperationalError) -> bool:
    if getattr(err.orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(err.orig)  # SQLite: the busy timeout ran out


Operation = Callable[[Instance, StepContext], T]


class WorkflowRuntime:
    """See the module docstring. One per Conveyor process; safe to share between threads."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        settings: WorkflowSettings | None = None,
        registry: HandlerRegistry | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.settings = settings or WorkflowSettings()
        self.registry = registry if registry is not None else default_registry()
        self.models = DeployedModels()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.writer = StepWriter(self.settings, self._retries_of, self._on_effects, self._on_message_wait)

    # --- transactions ---------------------------------------------------------------------------

    def transaction(self, work: Callable[[StepContext], T], *, now: datetime | None = None) -> T:
        """Run ``work`` and its follow-ups in a new transaction, retrying lost races; commit."""
        for _ in range(self.settings.step_retries):
            uow = LeanUnitOfWork(self.session_factory, write=True)
            try:
                with uow:
                    result = self.within(uow, work, now=now)
                    uow.commit()
                    return result
            except StaleInstance:
                continue
            except OperationalError as err:
                if not _worth_retrying(err):
                    raise
                log.info("step_retried", reason=str(err.orig).splitlines()[0] if err.orig else str(err))
                continue
        raise Conflict("The instance kept changing while this step ran; try again")

    def within(
        self, uow: SqlUnitOfWork, work: Callable[[StepContext], T], *, now: datetime | None = None
    ) -> T:
        """Run ``work`` and its follow-ups inside the caller's open unit of work (no commit)."""
        ctx = StepContext(uow=uow, now=now or self.clock())
        result = work(ctx)
        self.drain(ctx)
        return result

    def drain(self, ctx: StepContext) -> None:
        while ctx.follow_ups:
            ctx.follow_ups.popleft()(ctx)

    # --- steps ----------------------------------------------------------------------------------

    def step(
        self,
        ctx: StepContext,
        instance_id: str,
        operation: Operation[T],
        *,
        loaded: InstanceRow | None = None,
    ) -> T:
        """Apply ``operation`` to a stored instance and write the result.

        ``loaded``: the instance row, already read (and locked) by the caller in this
        transaction, as ``InstanceStore.load`` returns it.
        """
        row = loaded if loaded is not None else ctx.instances().load(instance_id)
        if row is None:
            raise NotFound(f"No process instance {instance_id!r}")
        if row.state in ENDED:
            raise Conflict(f"Process instance {instance_id} is {row.state}; it accepts no more operations")
        self.models.process(ctx.session, row.process_key, row.version)
        instance = Instance.from_state(
            self.models.library, json.loads(row.engine_state), engine_handlers(self.registry, ctx)
        )
        before = {w.id: w for w in instance.waits}
        result = operation(instance, ctx)
        self.writer.write(ctx, row, instance, before, new=False)
        return result

    def start_in(
        self,
        ctx: StepContext,
        process: str,
        variables: dict[str, Any] | None = None,
        *,
        version: int | None = None,
        business_key: str | None = None,
        instance_id: str | None = None,
        start_event: str | None = None,
        parent: tuple[str, int] | None = None,
    ) -> InstanceRow:
        compiled = self.models.process(ctx.session, process, version)
        instance = Instance.start(
            self.models.library,
            process,
            variables or {},
            now=ctx.now,
            handlers=engine_handlers(self.registry, ctx),
            business_key=business_key,
            version=compiled.version,
            instance_id=instance_id,
            start_event=start_event,
            parent=parent,
        )
        row = InstanceRow(
            id=instance.id,
            definition_id=self.models.definition_id(process, compiled.version),
            process_key=process,
            version=compiled.version,
            business_key=business_key,
            state="active",
            engine_state="",
            revision=0,
            parent_id=parent[0] if parent else None,
            started_at=ctx.now,
        )
        self.writer.write(ctx, row, instance, {}, new=True)
        ctx.uow.record({"type": "process_instance.started", "id": row.id, "process": process})
        return row

    # --- what steps cause -----------------------------------------------------------------------

    def _retries_of(self, row: InstanceRow, node: str) -> int | None:
        compiled = self.models.library.process(row.process_key, row.version)
        return getattr(compiled.nodes.get(node), "retries", None)

    def _on_message_wait(self, ctx: StepContext, instance_id: str, wait: Wait) -> None:
        messaging.check_buffer(self, ctx, instance_id, wait)

    def _on_effects(self, ctx: StepContext, row: InstanceRow, instance: Instance) -> None:
        for effect in instance.drain_effects():
            if isinstance(effect, CallRequested):
                ctx.later(_start_child(self, row, effect))
            elif isinstance(effect, InstanceEnded) and effect.parent_id and effect.state == "completed":
                ctx.later(_complete_parent(self, effect))
            elif isinstance(effect, ErrorEscaped):
                ctx.later(_fail_parent(self, effect))
            elif isinstance(effect, CallCancelled):
                ctx.later(_cancel_child(self, effect.child_id))
            elif isinstance(effect, MessageThrown):
                ctx.later(messaging.deliver_thrown(self, effect))
            elif isinstance(effect, SignalThrown):
                ctx.later(messaging.broadcast_thrown(self, effect))


def _start_child(
    runtime: WorkflowRuntime, row: InstanceRow, effect: CallRequested
) -> Callable[[StepContext], None]:
    def start(ctx: StepContext) -> None:
        runtime.start_in(
            ctx,
            effect.process_id,
            dict(effect.variables),
            version=effect.version,
            business_key=effect.business_key,
            instance_id=effect.child_id,
            parent=(row.id, effect.wait_id),
        )

    return start


def _complete_parent(runtime: WorkflowRuntime, effect: InstanceEnded) -> Callable[[StepContext], None]:
    assert effect.parent_id is not None and effect.parent_wait_id is not None
    parent_id, wait_id = effect.parent_id, effect.parent_wait_id

    def complete(ctx: StepContext) -> None:
        runtime.step(ctx, parent_id, lambda i, c: i.complete_call(wait_id, effect.variables, now=c.now))

    return complete


def _fail_parent(runtime: WorkflowRuntime, effect: ErrorEscaped) -> Callable[[StepContext], None]:
    def fail(ctx: StepContext) -> None:
        runtime.step(
            ctx,
            effect.parent_id,
            lambda i, c: i.fail_call(
                effect.parent_wait_id, effect.code, effect.message, effect.variables, now=c.now
            ),
        )

    return fail


def _cancel_child(runtime: WorkflowRuntime, child_id: str) -> Callable[[StepContext], None]:
    def cancel(ctx: StepContext) -> None:
        with contextlib.suppress(NotFound, Conflict):  # the child already ended (or never started)
            runtime.step(ctx, child_id, lambda i, c: i.cancel(now=c.now))

    return cancel
