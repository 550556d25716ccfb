"""Saving an instance as plain JSON-compatible data, and restoring it.

The state holds only what the instance needs to go on: tokens, scopes with their
variables, waits and the id counter. No history (that leaves as effects), no
model (the state names the process id and version; the library supplies the
spec). Records are short lists with trailing defaults left out, so a waiting
instance of a typical order process is a few hundred bytes.

Layout (version 1)::

    {"v": 1, "id": str, "p": process id, "ver": int, "st": status, "n": id counter,
     "root": scope id, "bk": business key?, "par": [parent id, parent wait id]?,
     "hs": [signals thrown in the latest operation]?,
     "s": [[id, kind, node, parent, owner, vars, loop?, done?], ...],
     "t": [[id, node, scope, flow?, local?, inner?, comp?, pending?, attempts?], ...],
     "w": [[id, kind, via, ref, node, data?, due?], ...]}
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from conveyor.engine.errors import InstanceError
from conveyor.engine.runtime.core import Core
from conveyor.engine.runtime.records import Scope, Token, WaitRec
from conveyor.engine.runtime.values import decode, decode_vars, encode, encode_vars

if TYPE_CHECKING:
    from conveyor.engine.runtime.handlers import Handlers
    from conveyor.engine.runtime.library import ModelLibrary

FORMAT = 1


def _trim(row: list[Any], defaults: tuple[Any, ...]) -> list[Any]:
    """Drop trailing fields equal to their default (``defaults`` aligns with the row's tail)."""
    offset = len(row) - len(defaults)
    end = len(row)
    while end > offset and row[end - 1] == defaults[end - 1 - offset]:
        end -= 1
    return row[:end]


def dump(core: Core) -> dict[str, Any]:
    state: dict[str, Any] = {
        "v": FORMAT,
        "id": core.id,
        "p": core.proc.id,
        "ver": core.proc.version,
        "st": core.status,
        "n": core.seq,
        "root": core.root,
    }
    if core.business_key is not None:
        state["bk"] = core.business_key
    if core.parent is not None:
        state["par"] = list(core.parent)
    if core.heard:
        state["hs"] = list(core.heard)
    state["s"] = [_scope_row(scope) for scope in core.scopes.values()]
    state["t"] = [
        _trim(
            [t.id, t.node, t.scope, t.flow, t.local, int(t.inner), t.comp, t.pending, t.attempts],
            (None, None, 0, 0, None, 0),
        )
        for t in core.tokens.values()
    ]
    state["w"] = [
        _trim(
            [w.id, w.kind, w.via, w.ref, w.node, w.data or None, w.due.isoformat() if w.due else None],
            (None, None),
        )
        for w in core.waits.values()
    ]
    return state


def _scope_row(scope: Scope) -> list[Any]:
    loop = None
    if scope.loop is not None:
        mode, items, outputs, following = scope.loop
        loop = [mode, encode(items, "loop items"), encode(outputs, "loop outputs"), following]
    variables = encode_vars(scope.vars)
    row = [scope.id, scope.kind, scope.node, scope.parent, scope.owner, variables, loop, scope.done]
    return _trim(row, (None, None))


def load(library: ModelLibrary, handlers: Handlers, state: dict[str, Any]) -> Core:
    if state.get("v") != FORMAT:
        raise InstanceError(f"saved state has format {state.get('v')!r}; this engine reads format {FORMAT}")
    try:
        proc = library.process(state["p"], state["ver"])
        core = Core(proc, library, handlers, state["id"], state.get("bk"))
        core.status = state["st"]
        core.seq = state["n"]
        core.root = state["root"]
        core.heard = list(state.get("hs", ()))
        if "par" in state:
            core.parent = (state["par"][0], state["par"][1])
        for row in state["s"]:
            scope = Scope(row[0], row[1], row[2], row[3], row[4])
            scope.vars = decode_vars(row[5])
            if len(row) > 6 and row[6] is not None:
                mode, items, outputs, following = row[6]
                scope.loop = [mode, decode(items), decode(outputs), following]
            if len(row) > 7:
                scope.done = list(row[7])
            core.scopes[scope.id] = scope
        for row in state["t"]:
            row = row + [None, None, 0, 0, None, 0][len(row) - 3 :]
            token = Token(row[0], row[1], row[2], row[3])
            token.local, token.inner, token.comp, token.pending, token.attempts = (
                row[4],
                bool(row[5]),
                row[6],
                row[7],
                row[8],
            )
            core.tokens[token.id] = token
        for row in state["w"]:
            data = row[5] if len(row) > 5 and row[5] is not None else {}
            due = datetime.fromisoformat(row[6]) if len(row) > 6 and row[6] else None
            wait = WaitRec(row[0], row[1], row[2], row[3], row[4], dict(data), due)
            core.waits[wait.id] = wait
    except (KeyError, IndexError, TypeError, ValueError) as err:
        raise InstanceError(f"saved state is damaged or incomplete ({type(err).__name__}: {err})") from err
    return core
