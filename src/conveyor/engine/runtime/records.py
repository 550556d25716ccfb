"""The mutable pieces of a running instance: tokens, scopes and wait records.

These are the runtime's working data, kept as small ``__slots__`` objects so a
step costs a few attribute writes. They are private to the runtime; callers see
the read-only views in ``views`` and the saved form in ``state``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

#: scope kinds: the process, an embedded sub-process body, an event sub-process body,
#: a multi-instance/loop body, and the local scope of one activity (its input mappings,
#: or one multi-instance iteration)
PROCESS, SUBPROCESS, EVENT_SUBPROCESS, LOOP, LOCAL = "p", "s", "e", "m", "l"

#: how a wait is attached: to the token parked at its own node, to an activity token as one
#: of its boundary events, to an event-based gateway token as one of its targets, or to a
#: scope as the start event of one of its event sub-processes
ON_TOKEN, ON_BOUNDARY, ON_GATEWAY, ON_SCOPE = "t", "b", "g", "e"


class Token:
    """One execution: a position (``node``) in a scope.

    ``flow`` is the sequence flow it arrived by (joins count arrivals per flow);
    ``local`` is the scope the token's activity opened (input mappings, a sub-process
    body, a loop body); ``inner`` marks one iteration of a loop/multi-instance body;
    ``comp`` links a compensation handler to the token that threw compensation
    (-1: nobody waits for it); ``pending`` is a compensation thrower's queue of
    ``[handler node, scope]`` still to run; ``attempts`` counts incident retries.
    """

    __slots__ = ("attempts", "comp", "flow", "id", "inner", "local", "node", "pending", "scope")

    def __init__(self, token_id: int, node: str, scope: int, flow: str | None = None) -> None:
        self.id = token_id
        self.node = node
        self.scope = scope
        self.flow = flow
        self.local: int | None = None
        self.inner = False
        self.comp = 0
        self.pending: list[list[Any]] | None = None
        self.attempts = 0


class Scope:
    """A variable scope: the process, a sub-process body, a loop body or an activity's locals.

    ``node`` is the spec id the scope belongs to (process id, sub-process id, activity id);
    ``owner`` the token whose activity opened it (None for the process);
    ``loop`` a loop body's bookkeeping ``[mode, items, outputs, next index]``;
    ``done`` the compensable activities completed in this scope, oldest first.
    """

    __slots__ = ("done", "id", "kind", "loop", "node", "owner", "parent", "vars")

    def __init__(
        self, scope_id: int, kind: str, node: str, parent: int | None, owner: int | None
    ) -> None:
        self.id = scope_id
        self.kind = kind
        self.node = node
        self.parent = parent
        self.owner = owner
        self.vars: dict[str, Any] = {}
        self.loop: list[Any] | None = None
        self.done: list[str] | None = None


class WaitRec:
    """Something the instance waits for. ``ref`` is a token id, or a scope id for ``ON_SCOPE``.

    ``data`` holds what the kind needs (message name and correlation key, signal name,
    user-task fields, job phase and type, incident error...), JSON-compatible.
    """

    __slots__ = ("data", "due", "id", "kind", "node", "ref", "via")

    def __init__(
        self,
        wait_id: int,
        kind: str,
        via: str,
        ref: int,
        node: str,
        data: dict[str, Any] | None = None,
        due: datetime | None = None,
    ) -> None:
        self.id = wait_id
        self.kind = kind
        self.via = via
        self.ref = ref
        self.node = node
        self.data = data if data is not None else {}
        self.due = due
