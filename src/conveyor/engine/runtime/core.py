"""The instance's working state and the loop that advances its tokens.

``Core`` holds tokens, scopes and waits, the id counter, and the effect and
history buffers of the current operation. The element semantics live in the
sibling modules (``nodes``, ``activities``, ``gateways``, ``events``,
``throwing``, ``loops``); they are plain functions over a ``Core`` so each stays
small. Every public operation sets ``now``, changes one wait, then calls
``run()``, which moves ready tokens until every token waits again.
"""

from __future__ import annotations

from collections import ChainMap, deque
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from conveyor.engine.bpmn.model import Evaluable, NodeKind, VariableMapping
from conveyor.engine.runtime.effects import Effect, HistoryEvent, JobCreated
from conveyor.engine.runtime.records import ON_BOUNDARY, ON_SCOPE, ON_TOKEN, Scope, Token, WaitRec

if TYPE_CHECKING:
    from conveyor.engine.runtime.compiled import CompiledProcess
    from conveyor.engine.runtime.handlers import Handlers
    from conveyor.engine.runtime.library import ModelLibrary


#: building a NamedTuple through ``tuple.__new__`` skips its Python-level constructor
_new_tuple = tuple.__new__


#: a loop without a wait state would otherwise never return; 100,000 entries take well under a second
MAX_STEPS = 100_000
_RUNAWAY = (
    "more than {} nodes entered in one step: a loop without a wait state? "
    "(add a user task, timer or loop limit to the cycle)"
)


class Stuck(Exception):
    """Raised inside the runtime when a token cannot go on; it becomes an incident."""


class Core:
    """See the module docstring."""

    def __init__(
        self,
        proc: CompiledProcess,
        library: ModelLibrary,
        handlers: Handlers,
        instance_id: str,
        business_key: str | None,
    ) -> None:
        self.proc = proc
        self.library = library
        self.handlers = handlers
        self.id = instance_id
        self.business_key = business_key
        self.status = "active"
        self.seq = 0
        self.root = 0
        self.parent: tuple[str, int] | None = None
        self.scopes: dict[int, Scope] = {}
        self.tokens: dict[int, Token] = {}
        self.waits: dict[int, WaitRec] = {}
        self.ready: deque[Token] = deque()
        self.history: list[HistoryEvent] = []
        self.effects: list[Effect] = []
        self.record_history = True
        #: signals this instance threw (and heard) in its latest operation: see broadcast_signal
        self.heard: list[str] = []
        #: node entries one operation may make before the runtime calls it a runaway loop
        self.max_steps = MAX_STEPS
        self.now = datetime.min

    # --- ids, tokens, scopes, waits ------------------------------------------------------------

    def next_id(self) -> int:
        self.seq += 1
        return self.seq

    def new_token(self, node: str, scope: int, flow: str | None = None) -> Token:
        token = Token(self.next_id(), node, scope, flow)
        self.tokens[token.id] = token
        return token

    def new_scope(self, kind: str, node: str, parent: int | None, owner: int | None) -> Scope:
        scope = Scope(self.next_id(), kind, node, parent, owner)
        self.scopes[scope.id] = scope
        return scope

    def add_wait(
        self,
        kind: str,
        via: str,
        ref: int,
        node: str,
        data: dict[str, Any] | None = None,
        due: datetime | None = None,
    ) -> WaitRec:
        wait = WaitRec(self.next_id(), kind, via, ref, node, data, due)
        self.waits[wait.id] = wait
        return wait

    def drop_waits(self, ref: int, via: str) -> None:
        doomed = [w.id for w in self.waits.values() if w.ref == ref and w.via == via]
        for wait_id in doomed:
            del self.waits[wait_id]

    def token_waits(self, token_id: int) -> list[WaitRec]:
        return [w for w in self.waits.values() if w.ref == token_id and w.via != ON_SCOPE]

    def has_tokens_in(self, scope_id: int) -> bool:
        return any(t.scope == scope_id for t in self.tokens.values())

    def add_job(self, token: Token, phase: str, task_type: str | None = None, **extra: Any) -> WaitRec:
        node = self.proc.nodes[token.node]
        data: dict[str, Any] = {"ph": phase}
        if task_type:
            data["type"] = task_type
        data.update(extra)
        wait = self.add_wait("job", ON_TOKEN, token.id, token.node, data)
        headers = dict(getattr(node, "headers", {}) or {})
        retries = getattr(node, "retries", None)
        self.effects.append(JobCreated(wait.id, token.node, task_type, headers, retries))
        self.hist("job.created", token.node, token.id, wait.id)
        return wait

    # --- variables -----------------------------------------------------------------------------

    def view(self, scope_id: int) -> Mapping[str, Any]:
        """Every variable visible from ``scope_id`` (inner scopes hide outer ones)."""
        scope = self.scopes[scope_id]
        if scope.parent is None:
            return scope.vars
        chain = [scope.vars]
        while scope.parent is not None:
            scope = self.scopes[scope.parent]
            chain.append(scope.vars)
        return ChainMap(*chain)

    def set_var(self, scope_id: int, name: str, value: Any) -> None:
        """Write to the nearest scope that defines ``name``, else to the process scope."""
        scope = self.scopes[scope_id]
        target = None
        while True:
            if name in scope.vars:
                target = scope
                break
            if scope.parent is None:
                break
            scope = self.scopes[scope.parent]
        (target or scope).vars[name] = value
        if self.record_history:
            self.history.append(_new_tuple(HistoryEvent, (self.now, "variable.set", name, 0, value)))

    def set_local(self, scope_id: int, name: str, value: Any) -> None:
        self.scopes[scope_id].vars[name] = value
        if self.record_history:
            self.history.append(_new_tuple(HistoryEvent, (self.now, "variable.set", name, 0, value)))

    def merge(self, scope_id: int, variables: Mapping[str, Any] | None) -> None:
        if variables:
            for name, value in variables.items():
                self.set_var(scope_id, name, value)

    def evaluate(self, expr: Evaluable, scope_id: int, extra: Mapping[str, Any] | None = None) -> Any:
        variables = self.view(scope_id)
        if extra:
            variables = ChainMap(dict(extra), variables)  # type: ignore[arg-type]
        try:
            return expr.evaluate(variables)
        except Exception as err:
            raise Stuck(f"{type(err).__name__}: {err}") from err

    def map_into(
        self,
        mappings: tuple[VariableMapping, ...],
        source_scope: int,
        target_scope: int,
        *,
        local: bool,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Apply input (``local``) or output mappings, reading in one scope, writing to another."""
        for mapping in mappings:
            if mapping.all_variables:
                for name, value in dict(self.view(source_scope)).items():
                    self.set_var(target_scope, name, value)
                continue
            value = None if mapping.source is None else self.evaluate(mapping.source, source_scope, extra)
            if local or mapping.local:
                self.set_local(target_scope, mapping.target, value)
            else:
                self.set_var(target_scope, mapping.target, value)

    # --- history -------------------------------------------------------------------------------

    def hist(self, kind: str, node: str, token: int, data: Any = None) -> None:
        if self.record_history:
            self.history.append(_new_tuple(HistoryEvent, (self.now, kind, node, token, data)))

    # --- the loop ------------------------------------------------------------------------------

    def run(self) -> None:
        """Move ready tokens until every token waits (or the instance ended)."""
        ready = self.ready
        tokens = self.tokens
        table = HOOKS.table
        info_of = self.proc.info
        history = self.history if self.record_history else None
        budget = self.max_steps
        leave = HOOKS.leave
        # a handler bound to one node (a test or `bpmn run --mock`) may sit on a placeholder task
        activities_pass = not self.handlers.has_node_bindings
        while True:
            while ready:
                token = ready.popleft()
                if token.id not in tokens:
                    continue
                budget -= 1
                if budget < 0:
                    HOOKS.park(self, token, _RUNAWAY.format(self.max_steps))
                    continue
                try:
                    # entering a node, inlined: this is the engine's innermost loop
                    info = info_of[token.node]
                    if history is not None:
                        entered = (self.now, "node.entered", info.node.id, token.id, None)
                        history.append(_new_tuple(HistoryEvent, entered))
                    if info.node.async_before and not token.inner:
                        self.add_job(token, "before")
                    elif info.passthrough and (activities_pass or not info.is_activity):
                        leave(self, token, info)
                    else:
                        table[info.kind](self, token, info)
                except Stuck as err:
                    HOOKS.park(self, token, str(err))
                except Exception as err:  # a handler or expression failed: an incident, not a crash
                    HOOKS.park(self, token, f"{type(err).__name__}: {err}")
            if not self._fire_inclusive_joins():
                return

    def guard(self, step: Callable[..., None], token: Token, *args: Any) -> None:
        """Run one step of ``token``; if it cannot go on, park it with an incident."""
        try:
            step(self, token, *args)
        except Stuck as err:
            HOOKS.park(self, token, str(err))
        except Exception as err:  # a handler or expression failed: an incident, not a crash
            HOOKS.park(self, token, f"{type(err).__name__}: {err}")

    def _fire_inclusive_joins(self) -> bool:
        """Fire inclusive joins no other token can reach any more; True if one fired."""
        info = self.proc.info
        for token in list(self.tokens.values()):
            spec = info[token.node]
            if spec.kind is NodeKind.INCLUSIVE_GATEWAY and spec.incoming > 1 and token.flow is not None:
                if self.token_waits(token.id):
                    continue
                if self._join_can_fire(token):
                    self.guard(HOOKS.fire_join, token)
                    self.run()
                    return True
        return False

    def _join_can_fire(self, joining: Token) -> bool:
        """BPMN 2.0 section 13.4.3: the join waits while a token can still reach one of its empty
        incoming flows by a path whose intermediate nodes are neither the join itself nor nodes
        from which a filled incoming flow can be reached without passing the join (a token on
        such a path would only arrive after the join fired, e.g. round a loop)."""
        proc = self.proc
        node = joining.node
        here = [t for t in self.tokens.values() if t.scope == joining.scope]
        filled = {t.flow for t in here if t.node == node}
        incoming = proc.incoming[node]
        blocked = {node}
        for flow in incoming:
            if flow.id in filled:
                blocked.add(flow.source)
                blocked.update(proc.ancestors(flow.source, avoid=node))
        positions = {t.node for t in here if t.node != node}
        for flow in incoming:
            if flow.id in filled:
                continue
            if flow.source in positions:
                return False
            if flow.source in blocked:
                continue
            seen = {flow.source}
            todo = [flow.source]
            while todo:
                for source in proc.predecessors.get(todo.pop(), ()):
                    if source in seen:
                        continue
                    seen.add(source)
                    if source in positions:
                        return False
                    if source not in blocked:
                        todo.append(source)
        return True

    # --- cancelling ----------------------------------------------------------------------------

    def cancel_token(self, token: Token) -> None:
        """Remove a token with everything under it (its scope, its waits), recording it."""
        from conveyor.engine.runtime.effects import CallCancelled

        if token.local is not None:
            self.cancel_scope(token.local)
            token.local = None
        for wait in self.token_waits(token.id):
            if wait.kind == "callActivity":
                self.effects.append(CallCancelled(wait.data["child"], token.node))
            del self.waits[wait.id]
        self.tokens.pop(token.id, None)
        self.hist("node.cancelled", token.node, token.id)

    def cancel_scope(self, scope_id: int, *, keep: bool = False) -> None:
        """Cancel every token in a scope and its event-sub-process subscriptions."""
        for token in [t for t in self.tokens.values() if t.scope == scope_id]:
            self.cancel_token(token)
        self.drop_waits(scope_id, ON_SCOPE)
        if not keep:
            self.scopes.pop(scope_id, None)

    def drop_boundaries(self, token: Token) -> None:
        self.drop_waits(token.id, ON_BOUNDARY)


def _not_wired(*args: Any) -> None:
    raise RuntimeError("conveyor.engine.runtime.nodes was not imported")


class _Hooks:
    """The element modules' entry points, wired by ``nodes`` at import (they import this module)."""

    enter: Callable[[Core, Token], None] = _not_wired
    table: dict[NodeKind, Callable[[Core, Token, Any], None]] = {}
    leave: Callable[[Core, Token, Any], None] = _not_wired
    park: Callable[[Core, Token, str], None] = _not_wired
    fire_join: Callable[[Core, Token], None] = _not_wired


HOOKS = _Hooks()
