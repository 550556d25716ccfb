"""``Instance``: one running process instance and everything a caller can do with it.

Each operation takes ``now`` (the runtime has no clock), changes what it
addresses, advances every token until it waits again, and leaves its effects
and history in buffers the caller drains. ``to_state``/``from_state`` save and
restore it between any two operations.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from conveyor.engine.errors import InstanceError, NotWaiting
from conveyor.engine.runtime import activities, events, flow, nodes, state, tasks, throwing
from conveyor.engine.runtime.core import Core, Stuck
from conveyor.engine.runtime.effects import Effect, HistoryEvent
from conveyor.engine.runtime.forms import validate_form
from conveyor.engine.runtime.handlers import Handlers
from conveyor.engine.runtime.library import ModelLibrary
from conveyor.engine.runtime.records import PROCESS, Token, WaitRec
from conveyor.engine.runtime.views import Incident, Wait, wait_view

ACTIVE = "active"


class Instance:
    """See the module docstring. Build one with ``Instance.start`` or ``Instance.from_state``."""

    def __init__(self, core: Core) -> None:
        self._core = core

    # --- starting and restoring -----------------------------------------------------------------

    @classmethod
    def start(
        cls,
        library: ModelLibrary,
        process_id: str,
        variables: Mapping[str, Any] | None = None,
        *,
        now: datetime,
        handlers: Handlers | None = None,
        business_key: str | None = None,
        version: int | None = None,
        instance_id: str | None = None,
        start_event: str | None = None,
        parent: tuple[str, int] | None = None,
        record_history: bool = True,
    ) -> Instance:
        """Start ``process_id`` (latest version unless ``version``) and run until it waits."""
        proc = library.process(process_id, version)
        core = Core(proc, library, handlers or Handlers(), instance_id or new_instance_id(now), business_key)
        core.record_history = record_history
        core.parent = parent
        core.now = now
        start_id = start_event or proc.starts.get(proc.id)
        if start_id is None or start_id not in proc.nodes:
            starts = ", ".join(proc.starts_of_process()) or "none"
            raise InstanceError(
                f"process {process_id!r} has no none start event to start at (its start events: {starts}); "
                "start it by message or timer, or name the start event"
            )
        root = core.new_scope(PROCESS, proc.id, None, None)
        core.root = root.id
        core.hist("instance.started", proc.id, 0, core.id)
        for name, value in (variables or {}).items():
            core.set_local(root.id, name, value)
        try:
            events.subscribe_scope(core, root)
        except Stuck as err:
            raise InstanceError(f"process {process_id!r} cannot start: {err}") from err
        core.ready.append(core.new_token(start_id, root.id))
        core.run()
        return cls(core)

    @classmethod
    def start_by_message(
        cls,
        library: ModelLibrary,
        message_name: str,
        variables: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> Instance:
        """Start the (latest) process whose message start event waits for ``message_name``."""
        for info in library.start_events("message"):
            if info.message_name == message_name:
                return cls.start(
                    library,
                    info.process_id,
                    variables,
                    version=info.version,
                    start_event=info.node,
                    **options,
                )
        raise NotWaiting(f"no process starts with message {message_name!r}")

    @classmethod
    def from_state(
        cls, library: ModelLibrary, saved: Mapping[str, Any], handlers: Handlers | None = None
    ) -> Instance:
        return cls(state.load(library, handlers or Handlers(), dict(saved)))

    def to_state(self) -> dict[str, Any]:
        """The instance as JSON-compatible data (see ``conveyor.engine.runtime.state``)."""
        return state.dump(self._core)

    # --- reading --------------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self._core.id

    @property
    def process_id(self) -> str:
        return self._core.proc.id

    @property
    def version(self) -> int:
        return self._core.proc.version

    @property
    def business_key(self) -> str | None:
        return self._core.business_key

    @property
    def parent(self) -> tuple[str, int] | None:
        """``(parent instance id, call activity wait id)`` for a called instance."""
        return self._core.parent

    @property
    def state(self) -> str:
        """``active``, ``failed`` (an incident is open), ``completed`` (also after a terminate end
        event), ``terminated`` (a BPMN error escaped this called instance) or ``cancelled``."""
        status = self._core.status
        if status == ACTIVE and any(w.kind == "incident" for w in self._core.waits.values()):
            return "failed"
        return status

    @property
    def running(self) -> bool:
        """Not ended yet (``active`` or ``failed``): operations are accepted."""
        return self._core.status == ACTIVE

    @property
    def variables(self) -> Mapping[str, Any]:
        """The process-scope variables (read-only)."""
        return MappingProxyType(self._core.scopes[self._core.root].vars)

    @property
    def waits(self) -> list[Wait]:
        return [self._view(w) for w in self._core.waits.values()]

    @property
    def incidents(self) -> list[Incident]:
        return [
            Incident(w.id, w.node, w.data.get("err", ""), w.data.get("n", 1))
            for w in self._core.waits.values()
            if w.kind == "incident"
        ]

    @property
    def positions(self) -> list[str]:
        """The nodes tokens are at (a token per entry), for display and tests."""
        return [t.node for t in self._core.tokens.values()]

    def next_timer(self) -> Wait | None:
        timers = [w for w in self._core.waits.values() if w.kind == "timer" and w.due is not None]
        if not timers:
            return None
        return self._view(min(timers, key=lambda w: (w.due, w.id)))

    def drain_effects(self) -> list[Effect]:
        effects, self._core.effects = self._core.effects, []
        return effects

    def drain_history(self) -> list[HistoryEvent]:
        history, self._core.history = self._core.history, []
        return history

    def _view(self, wait: WaitRec) -> Wait:
        return wait_view(self._core.proc, wait)

    # --- operations -----------------------------------------------------------------------------

    def _begin(self, now: datetime) -> Core:
        core = self._core
        if core.status != ACTIVE:
            raise InstanceError(f"instance {core.id} is {core.status}; it accepts no more operations")
        core.now = now
        if core.heard:
            core.heard = []
        return core

    def _take(self, wait_id: int, *kinds: str) -> tuple[WaitRec, Token]:
        wait = self._core.waits.get(wait_id)
        if wait is None or wait.kind not in kinds:
            raise NotWaiting(f"instance {self._core.id} has no {' or '.join(kinds)} wait {wait_id}")
        return wait, self._core.tokens[wait.ref]

    def complete_user_task(
        self, wait_id: int, data: Mapping[str, Any] | None = None, *, now: datetime
    ) -> None:
        """Complete a user task; ``data`` is checked against its form fields first (``FormError``)."""
        core = self._begin(now)
        wait, token = self._take(wait_id, "userTask")
        fields = getattr(core.proc.nodes[wait.node], "form_fields", ())
        # a field's requiredWhen condition reads the task's variables too
        clean = validate_form(fields, data or {}, core.view(token.local or token.scope)) if fields else data
        del core.waits[wait.id]
        core.hist("task.completed", wait.node, token.id, wait.id)
        core.guard(_finish_activity, token, clean)
        core.run()

    def deliver_message(
        self,
        name: str,
        correlation_key: Any = None,
        variables: Mapping[str, Any] | None = None,
        *,
        now: datetime,
    ) -> bool:
        """Deliver a message to the oldest matching subscription; False if none waits for it.

        A subscription with a correlation key only takes a message with the same key;
        a message without a key goes to any subscription of that name.
        """
        core = self._begin(now)
        key = events.key_text(correlation_key)
        for wait in sorted(core.waits.values(), key=lambda w: w.id):
            if wait.kind in ("message", "receiveTask") and wait.data.get("msg") == name:
                wanted = wait.data.get("key")
                if wanted is None or key is None or wanted == key:
                    events.trigger(core, wait, variables)
                    return True
        return False

    def fire_timer(self, wait_id: int, *, now: datetime) -> None:
        core = self._begin(now)
        wait, _token = self._take_any(wait_id, "timer")
        events.trigger(core, wait, None)

    def due_timers(self, now: datetime) -> list[Wait]:
        waits = self._core.waits.values()
        return [self._view(w) for w in waits if w.kind == "timer" and w.due and w.due <= now]

    def broadcast_signal(
        self, name: str, variables: Mapping[str, Any] | None = None, *, now: datetime
    ) -> int:
        """Trigger every subscription to signal ``name``; returns how many fired.

        An instance hears a signal it throws at once, during the throw; if the caller's
        broadcast of that signal comes back to it as the very next operation, it is the echo
        and is ignored (returns 0), so drivers need not know who threw it.
        """
        if name in self._core.heard and self._core.status == ACTIVE:
            self._core.heard = []
            return 0
        core = self._begin(now)
        waits = core.waits.values()
        matching = sorted(w.id for w in waits if w.kind == "signal" and w.data.get("sig") == name)
        fired = 0
        for wait_id in matching:
            wait = core.waits.get(wait_id)
            if wait is not None and core.status == ACTIVE:
                events.trigger(core, wait, variables)
                fired += 1
        return fired

    def job_variables(self, job_id: int) -> Mapping[str, Any]:
        """The variables a job's handler sees: the token's local scope (input mappings) and
        every scope above it, as an inline handler would (read-only). For workers."""
        _wait, token = self._take(job_id, "job")
        return MappingProxyType(dict(self._core.view(token.local or token.scope)))

    def complete_job(self, job_id: int, variables: Mapping[str, Any] | None = None, *, now: datetime) -> None:
        """A worker finished a job: the handler's result (or nothing) and the token goes on."""
        core = self._begin(now)
        wait, token = self._take(job_id, "job")
        del core.waits[wait.id]
        phase = wait.data.get("ph")
        if phase == "run":
            core.guard(_finish_activity, token, variables)
        elif phase == "before":
            core.merge(token.local or token.scope, variables)
            core.guard(nodes.enter, token, True)
        else:
            core.merge(token.scope, variables)
            core.guard(_leave, token)
        core.run()

    def fail_job(self, job_id: int, error: str, *, now: datetime) -> None:
        """A job failed for good (retries exhausted), or a called process could not be started:
        the wait becomes an incident on its token (``retry_incident`` runs the node again)."""
        core = self._begin(now)
        wait, token = self._take(job_id, "job", "callActivity")
        del core.waits[wait.id]
        nodes.park_incident(core, token, error)
        if wait.data.get("ph") == "after":
            for incident in core.token_waits(token.id):
                incident.data["ph"] = "after"

    def throw_job_error(
        self,
        job_id: int,
        code: str,
        message: str = "",
        variables: Mapping[str, Any] | None = None,
        *,
        now: datetime,
    ) -> None:
        """The job's handler raised a BPMN error: route it like an inline handler's error."""
        core = self._begin(now)
        wait, token = self._take(job_id, "job")
        del core.waits[wait.id]
        core.guard(_throw, token, code, message, variables)
        core.run()

    def complete_call(self, wait_id: int, child_variables: Mapping[str, Any], *, now: datetime) -> None:
        """The child instance of a call activity completed with these process variables."""
        core = self._begin(now)
        wait, token = self._take(wait_id, "callActivity")
        del core.waits[wait.id]
        core.guard(tasks.finish_call, token, child_variables)
        core.run()

    def fail_call(
        self,
        wait_id: int,
        code: str,
        message: str = "",
        variables: Mapping[str, Any] | None = None,
        *,
        now: datetime,
    ) -> None:
        """A BPMN error escaped the child instance: throw it at the call activity."""
        core = self._begin(now)
        wait, token = self._take(wait_id, "callActivity")
        del core.waits[wait.id]
        core.guard(_throw, token, code, message, variables)
        core.run()

    def escalate_call(self, wait_id: int, code: str | None, *, now: datetime) -> None:
        """An escalation nobody caught inside the child instance: throw it at the call activity."""
        core = self._begin(now)
        _wait, token = self._take(wait_id, "callActivity")
        core.guard(_escalate, token, code)
        core.run()

    def retry_incident(self, incident_id: int, *, now: datetime) -> None:
        """Run the node of an incident again (after its cause was fixed)."""
        core = self._begin(now)
        wait, token = self._take(incident_id, "incident")
        del core.waits[wait.id]
        core.hist("incident.resolved", wait.node, token.id, incident_id)
        if wait.data.get("ph") == "after":
            core.guard(_leave, token)
        else:
            core.ready.append(token)
        core.run()

    def set_variables(self, variables: Mapping[str, Any], *, now: datetime) -> None:
        """Set process variables (e.g. to fix an incident's cause), then re-check conditions."""
        core = self._begin(now)
        for name, value in variables.items():
            core.set_local(core.root, name, value)
        events.conditions_changed(core)
        core.run()

    def cancel(self, *, now: datetime) -> None:
        """Cancel the instance: every token and wait goes; called children are cancelled too."""
        core = self._begin(now)
        flow.finish_instance(core, "cancelled")

    def _take_any(self, wait_id: int, kind: str) -> tuple[WaitRec, Token | None]:
        wait = self._core.waits.get(wait_id)
        if wait is None or wait.kind != kind:
            raise NotWaiting(f"instance {self._core.id} has no {kind} wait {wait_id}")
        return wait, self._core.tokens.get(wait.ref)


def _finish_activity(core: Core, token: Token, data: Mapping[str, Any] | None) -> None:
    info = core.proc.info[token.node]
    activities.write_result(core, token, info.node, data)
    activities.complete(core, token, info)


def _leave(core: Core, token: Token) -> None:
    flow.leave(core, token, core.proc.info[token.node])


def _escalate(core: Core, token: Token, code: str | None) -> None:
    throwing.throw_escalation(core, token, code, own=True)


def _throw(core: Core, token: Token, code: str, message: str, variables: Mapping[str, Any] | None) -> None:
    throwing.throw_error(core, token, code, message, variables, own=True)


__all__ = ["Instance"]


def new_instance_id(now: datetime) -> str:
    """24 hex digits: the start time in milliseconds, then 48 random bits.

    Ids that grow with time keep a database's indexes on instance ids (the instances' own,
    their waits, tasks, history and events) appending at one end, instead of landing on a
    random page of each index at every step; 48 random bits keep ids started in the same
    millisecond apart.
    """
    millis = max(int(now.timestamp() * 1000), 0) & 0xFFFF_FFFF_FFFF
    return f"{millis:012x}{os.urandom(6).hex()}"
