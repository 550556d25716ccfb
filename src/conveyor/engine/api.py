"""The engine's public API: load models, start and drive instances, route what they throw.

Two levels:

- ``Instance`` (from ``conveyor.engine.runtime``): one instance, pure; every
  operation takes ``now`` and leaves effects (messages and signals thrown,
  called processes to start, jobs) and history for the caller to drain.
  This is what a persisted runtime drives, one instance row at a time.
- ``Engine``: an in-memory driver over many instances that routes those effects
  itself (starts called processes and completes their call activities, delivers
  thrown messages and signals, fires due timers). ``conveyor bpmn run`` and tests
  use it; it is also the reference for what a persisted driver must do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from conveyor.engine.errors import NotWaiting
from conveyor.engine.runtime import (
    CallCancelled,
    CallRequested,
    Effect,
    ErrorEscaped,
    EscalationUncaught,
    Handlers,
    HistoryEvent,
    Instance,
    InstanceEnded,
    MessageThrown,
    ModelLibrary,
    SignalThrown,
    UnknownProcess,
)

#: called processes nested deeper than this are refused (a process that calls itself forever)
MAX_CALL_DEPTH = 32
_TOO_DEEP = "call activities nested more than {} deep (does {!r} call itself?)"


def start(
    library: ModelLibrary,
    process_id: str,
    variables: Mapping[str, Any] | None = None,
    *,
    now: datetime,
    business_key: str | None = None,
    version: int | None = None,
    handlers: Handlers | None = None,
    instance_id: str | None = None,
) -> Instance:
    """Start one instance of ``process_id`` and run it until every token waits."""
    return Instance.start(
        library,
        process_id,
        variables,
        now=now,
        business_key=business_key,
        version=version,
        handlers=handlers,
        instance_id=instance_id,
    )


@dataclass(frozen=True, slots=True)
class Recorded:
    """One history event of one instance, as the in-memory engine keeps it."""

    instance_id: str
    event: HistoryEvent


class Engine:
    """An in-memory engine: instances by id, effects routed between them (see module docs)."""

    def __init__(self, library: ModelLibrary, handlers: Handlers | None = None) -> None:
        self.library = library
        self.handlers = handlers or Handlers()
        self.instances: dict[str, Instance] = {}
        self.history: list[Recorded] = []
        #: effects that left the engine: messages nobody took, uncaught escalations, jobs...
        self.outbox: list[tuple[str, Effect]] = []
        self._counter = 0

    def _next_id(self) -> str:
        self._counter += 1
        while str(self._counter) in self.instances:  # never an id a caller chose already
            self._counter += 1
        return str(self._counter)

    def start(
        self,
        process_id: str,
        variables: Mapping[str, Any] | None = None,
        *,
        now: datetime,
        business_key: str | None = None,
        version: int | None = None,
        instance_id: str | None = None,
        start_event: str | None = None,
    ) -> Instance:
        instance = Instance.start(
            self.library,
            process_id,
            variables,
            now=now,
            business_key=business_key,
            version=version,
            handlers=self.handlers,
            instance_id=instance_id or self._next_id(),
            start_event=start_event,
        )
        self._adopt(instance, now)
        return instance

    def start_by_message(
        self, message_name: str, variables: Mapping[str, Any] | None = None, *, now: datetime
    ) -> Instance:
        instance = Instance.start_by_message(
            self.library,
            message_name,
            variables,
            now=now,
            handlers=self.handlers,
            instance_id=self._next_id(),
        )
        self._adopt(instance, now)
        return instance

    def _adopt(self, instance: Instance, now: datetime) -> None:
        self.instances[instance.id] = instance
        self.pump(now)

    def active(self) -> list[Instance]:
        """Instances that have not ended (an open incident does not stop their other branches)."""
        return [i for i in self.instances.values() if i.running]

    # --- routing --------------------------------------------------------------------------------

    def deliver_message(
        self,
        name: str,
        correlation_key: Any = None,
        variables: Mapping[str, Any] | None = None,
        *,
        now: datetime,
    ) -> bool:
        """Deliver to the first instance waiting for it, else start a process by it; False if neither."""
        for instance in self.active():
            if not instance.running:
                continue
            if instance.deliver_message(name, correlation_key, variables, now=now):
                self.pump(now)
                return True
        try:
            self.start_by_message(name, variables, now=now)
        except NotWaiting:
            return False
        return True

    def broadcast_signal(
        self, name: str, variables: Mapping[str, Any] | None = None, *, now: datetime
    ) -> int:
        fired = 0
        for instance in self.active():
            if instance.running:
                fired += instance.broadcast_signal(name, variables, now=now)
        for info in self.library.start_events("signal"):
            if info.signal_name == name:
                instance = Instance.start(
                    self.library,
                    info.process_id,
                    variables,
                    now=now,
                    version=info.version,
                    start_event=info.node,
                    handlers=self.handlers,
                    instance_id=self._next_id(),
                )
                self.instances[instance.id] = instance
                fired += 1
        self.pump(now)
        return fired

    def fire_due_timers(self, now: datetime) -> int:
        fired = 0
        for instance in self.active():
            for wait in instance.due_timers(now):
                if instance.running and any(w.id == wait.id for w in instance.waits):
                    instance.fire_timer(wait.id, now=now)
                    fired += 1
        self.pump(now)
        return fired

    def next_timer(self) -> datetime | None:
        dues = [w.due for i in self.active() for w in i.waits if w.kind == "timer" and w.due]
        return min(dues) if dues else None

    def pump(self, now: datetime) -> None:
        """Route every pending effect until none is left."""
        moved = True
        while moved:
            moved = False
            for instance in list(self.instances.values()):
                for event in instance.drain_history():
                    self.history.append(Recorded(instance.id, event))
                effects = instance.drain_effects()
                for effect in effects:
                    moved = True
                    self._route(instance, effect, now)

    def _route(self, source: Instance, effect: Effect, now: datetime) -> None:
        if isinstance(effect, CallRequested):
            if effect.child_id.count("/") > MAX_CALL_DEPTH:
                self._refuse_too_deep(source, effect, now)
                return
            try:
                child = Instance.start(
                    self.library,
                    effect.process_id,
                    effect.variables,
                    now=now,
                    version=effect.version,
                    business_key=effect.business_key,
                    handlers=self.handlers,
                    instance_id=effect.child_id,
                    parent=(source.id, effect.wait_id),
                )
            except UnknownProcess as err:  # an incident: deploy the process, then retry the call
                source.fail_job(effect.wait_id, f"cannot call: {err}", now=now)
                return
            self.instances[child.id] = child
        elif isinstance(effect, InstanceEnded):
            parent = self.instances.get(effect.parent_id or "")
            if parent is not None and effect.state == "completed" and effect.parent_wait_id is not None:
                parent.complete_call(effect.parent_wait_id, effect.variables, now=now)
        elif isinstance(effect, ErrorEscaped):
            parent = self.instances.get(effect.parent_id)
            if parent is not None:
                wait_id, code = effect.parent_wait_id, effect.code
                parent.fail_call(wait_id, code, effect.message, effect.variables, now=now)
        elif isinstance(effect, CallCancelled):
            called = self.instances.get(effect.child_id)
            if called is not None and called.running:
                called.cancel(now=now)
        elif isinstance(effect, SignalThrown):
            for instance in self.active():
                if instance.running:  # the thrower ignores the echo of its own signal
                    instance.broadcast_signal(effect.name, effect.variables, now=now)
        elif isinstance(effect, EscalationUncaught) and source.parent is not None:
            parent = self.instances.get(source.parent[0])
            if parent is not None and parent.running:
                parent.escalate_call(source.parent[1], effect.code, now=now)
        elif isinstance(effect, MessageThrown):
            if not self._deliver_thrown(effect, now):
                self.outbox.append((source.id, effect))
        else:
            self.outbox.append((source.id, effect))

    def _refuse_too_deep(self, source: Instance, effect: CallRequested, now: datetime) -> None:
        """The incident goes on the outermost call activity of the runaway chain -- the one the
        user started and can see, fix and retry -- and the called instances below it are cancelled."""
        caller, wait_id, called = source, effect.wait_id, None
        while (link := caller.parent) is not None and link[0] in self.instances:
            called = caller
            caller, wait_id = self.instances[link[0]], link[1]
        if called is not None:
            called.cancel(now=now)
        caller.fail_job(wait_id, _TOO_DEEP.format(MAX_CALL_DEPTH, effect.process_id), now=now)

    def _deliver_thrown(self, effect: MessageThrown, now: datetime) -> bool:
        for instance in self.active():
            if instance.running and instance.deliver_message(
                effect.name, effect.correlation_key, effect.variables, now=now
            ):
                return True
        try:  # nobody waits: a process may start by it (as Engine.deliver_message does)
            started = Instance.start_by_message(
                self.library, effect.name, effect.variables, now=now, handlers=self.handlers,
                instance_id=self._next_id(),
            )
        except NotWaiting:
            return False
        self.instances[started.id] = started
        return True
