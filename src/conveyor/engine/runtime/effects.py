"""What an instance hands back to its caller after each operation.

The runtime does no I/O, so everything that must leave the instance is an
*effect*: a message or signal thrown, an escalation nobody caught, a called
process to start or cancel, a job created, an error escaping to the parent
instance. History is a separate, much larger stream of cheap tuples that the
caller appends to its own log; neither is ever kept in the saved state, so a
step costs the same at the first node and at the thousandth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple


class HistoryEvent(NamedTuple):
    """One line of an instance's history.

    ``kind`` is one of: ``instance.started|completed|terminated|cancelled``,
    ``node.entered|completed|cancelled``, ``variable.set`` (``node`` is the variable
    name, ``data`` the value), ``task.created|completed``, ``incident.created|resolved``,
    ``job.created``. ``token`` is the token's id (0 for instance-wide events).
    """

    at: datetime
    kind: str
    node: str
    token: int
    data: Any = None


@dataclass(frozen=True, slots=True)
class MessageThrown:
    """A send task or message throw event sent a message; the caller correlates it."""

    name: str
    correlation_key: str | None
    variables: dict[str, Any]
    node: str


@dataclass(frozen=True, slots=True)
class SignalThrown:
    """A signal was thrown; the caller broadcasts it to every instance. The thrower's own
    subscriptions fired during the throw; it ignores the echo if that is its next operation."""

    name: str
    variables: dict[str, Any]
    node: str


@dataclass(frozen=True, slots=True)
class EscalationUncaught:
    """An escalation found no catching event; the process went on (it is not an error)."""

    code: str | None
    node: str


@dataclass(frozen=True, slots=True)
class CallRequested:
    """A call activity wants ``process_id`` started as a child instance.

    When the child ends, call ``complete_call(wait_id, child_variables)`` on this
    instance (or ``fail_call`` with the BPMN error that escaped the child).
    """

    wait_id: int
    child_id: str
    process_id: str
    version: int | None
    variables: dict[str, Any]
    business_key: str | None
    node: str


@dataclass(frozen=True, slots=True)
class CallCancelled:
    """The call activity waiting for ``child_id`` was cancelled: cancel the child too."""

    child_id: str
    node: str


@dataclass(frozen=True, slots=True)
class JobCreated:
    """A job wait was created (an async continuation or a handler to run in a worker)."""

    job_id: int
    node: str
    task_type: str | None
    headers: dict[str, str] = field(default_factory=dict)
    retries: int | None = None


@dataclass(frozen=True, slots=True)
class ErrorEscaped:
    """A BPMN error reached the top of a called (child) instance; route it to the parent's
    call activity with ``fail_call``. The child is ``terminated``."""

    parent_id: str
    parent_wait_id: int
    code: str
    message: str
    variables: dict[str, Any]


@dataclass(frozen=True, slots=True)
class InstanceEnded:
    """The instance ended (``completed``, ``terminated`` or ``cancelled``).

    For a child instance, ``parent_id``/``parent_wait_id`` say which call activity to
    complete with ``variables`` (the child's process variables).
    """

    state: str
    variables: dict[str, Any]
    parent_id: str | None = None
    parent_wait_id: int | None = None


Effect = (
    MessageThrown
    | SignalThrown
    | EscalationUncaught
    | CallRequested
    | CallCancelled
    | JobCreated
    | ErrorEscaped
    | InstanceEnded
)
