"""Messages and signals: correlate to exactly one waiting instance or a message start event,
buffer what arrives too early, broadcast signals.

A message with a correlation key goes to the one instance whose wait for that
message name has that key (or no key). No instance waiting: a process with a
message start event of that name starts; otherwise the message is buffered for
its time to live, and an instance that starts waiting for it later takes it
(a carrier's "delivered" may arrive before the model reaches its wait). Two or
more instances waiting: the sender must be more specific (``Conflict``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from conveyor.adapters.workflow.messages import MessageStore
from conveyor.engine.errors import NotWaiting
from conveyor.engine.runtime import MessageThrown, SignalThrown, Wait
from conveyor.errors import Conflict, NotFound
from conveyor.services.workflow.context import StepContext

if TYPE_CHECKING:
    from conveyor.services.workflow.runtime import WorkflowRuntime


@dataclass(frozen=True, slots=True)
class Correlation:
    """Where a message went: an instance (``started`` if by a message start event), or the buffer."""

    instance_id: str | None
    started: bool = False
    buffered: bool = False


def key_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def correlate(
    runtime: WorkflowRuntime,
    ctx: StepContext,
    name: str,
    key: Any = None,
    variables: dict[str, Any] | None = None,
    *,
    ttl_seconds: float | None = None,
    buffer: bool = True,
    strict: bool = True,
) -> Correlation:
    """Deliver one message (see the module docstring)."""
    text_key = key_text(key)
    store = MessageStore(ctx.uow.session)
    instances = sorted({instance for instance, _ in store.subscribers(name, text_key)})
    if len(instances) > 1 and strict:
        raise Conflict(
            f"{len(instances)} instances wait for message {name!r} with key {text_key!r}: "
            f"{', '.join(instances[:10])}; send a correlation key that names one",
            instances=instances[:50],
        )
    if instances:
        instance_id = instances[0]

        def deliver(instance: Any, c: StepContext) -> None:
            if not instance.deliver_message(name, text_key, variables or {}, now=c.now):
                raise NotWaiting(f"instance {instance_id} no longer waits for message {name!r}")

        runtime.step(ctx, instance_id, deliver)
        return Correlation(instance_id)
    runtime.models.refresh(ctx.uow.session)
    for info in runtime.models.library.start_events("message"):
        if info.message_name == name:
            row = runtime.start_in(
                ctx, info.process_id, dict(variables or {}), version=info.version, start_event=info.node,
                business_key=text_key,
            )
            return Correlation(row.id, started=True)
    ttl = runtime.settings.message_ttl_seconds if ttl_seconds is None else ttl_seconds
    if not buffer or ttl <= 0:
        raise NotFound(
            f"No instance waits for message {name!r} with key {text_key!r} and no process starts with it",
            message=name,
            correlation_key=text_key,
        )
    store.buffer(name, text_key, dict(variables or {}), now=ctx.now, expires=ctx.now + timedelta(seconds=ttl))
    return Correlation(None, buffered=True)


def broadcast(
    runtime: WorkflowRuntime, ctx: StepContext, name: str, variables: dict[str, Any] | None = None
) -> int:
    """Trigger every wait for signal ``name`` and start every process with that signal start event."""
    reached = 0
    for instance_id in MessageStore(ctx.uow.session).signal_subscribers(name):
        reached += runtime.step(
            ctx, instance_id, lambda i, c: i.broadcast_signal(name, variables or {}, now=c.now)
        )
    runtime.models.refresh(ctx.uow.session)
    for info in runtime.models.library.start_events("signal"):
        if info.signal_name == name:
            runtime.start_in(
                ctx, info.process_id, dict(variables or {}), version=info.version, start_event=info.node
            )
            reached += 1
    return reached


def check_buffer(runtime: WorkflowRuntime, ctx: StepContext, instance_id: str, wait: Wait) -> None:
    """An instance started waiting for a message: deliver the oldest buffered match, if any."""
    assert wait.message_name is not None
    found = MessageStore(ctx.uow.session).take_buffered(wait.message_name, wait.correlation_key, now=ctx.now)
    if found is None:
        return
    name = wait.message_name

    def deliver(c: StepContext) -> None:
        runtime.step(
            c,
            instance_id,
            lambda i,
            cc: i.deliver_message(name, found["key"], found["variables"], now=cc.now),
        )

    ctx.later(deliver)


def deliver_thrown(runtime: WorkflowRuntime, effect: MessageThrown) -> Callable[[StepContext], None]:
    """A model threw a message: correlate it like an API message, never refusing the thrower."""

    def deliver(ctx: StepContext) -> None:
        with contextlib.suppress(NotFound):
            correlate(runtime, ctx, effect.name, effect.correlation_key, dict(effect.variables), strict=False)

    return deliver


def broadcast_thrown(runtime: WorkflowRuntime, effect: SignalThrown) -> Callable[[StepContext], None]:
    def send(ctx: StepContext) -> None:
        broadcast(runtime, ctx, effect.name, dict(effect.variables))

    return send
