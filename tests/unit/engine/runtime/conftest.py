"""Fixtures for the runtime's scenario tests.

``run`` builds a ``Runner`` for a BPMN document. It is parametrized: every test
that uses it runs twice, once on the live instance and once with the instance
saved, pushed through ``json.dumps``/``json.loads`` and restored between every
two operations; both must give the same path, variables and state.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conveyor.engine.bpmn import parse_bpmn
from conveyor.engine.runtime import Effect, Handlers, HistoryEvent, Instance, ModelLibrary, Wait

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def library_of(*documents: str) -> ModelLibrary:
    library = ModelLibrary()
    for document in documents:
        library.add_definitions(parse_bpmn(document))
    return library


class Runner:
    """Drives one instance the way a caller would, recording its history and effects."""

    def __init__(self, library: ModelLibrary, handlers: Handlers, roundtrip: bool) -> None:
        self.library = library
        self.handlers = handlers
        self.roundtrip = roundtrip
        self.now = T0
        self.history: list[HistoryEvent] = []
        self.effects: list[Effect] = []
        self.instance: Instance | None = None
        self.sizes: list[int] = []

    # --- driving ---------------------------------------------------------------------------------

    def start(
        self, variables: Mapping[str, Any] | None = None, process_id: str | None = None, **kw: Any
    ) -> Runner:
        pid = process_id or self.library.process_ids()[0]
        self.instance = Instance.start(
            self.library, pid, variables, now=self.now, handlers=self.handlers, instance_id="i1", **kw
        )
        self._after()
        return self

    def _after(self) -> None:
        assert self.instance is not None
        self.history.extend(self.instance.drain_history())
        self.effects.extend(self.instance.drain_effects())
        if self.roundtrip:
            text = json.dumps(self.instance.to_state())
            self.sizes.append(len(text))
            self.instance = Instance.from_state(self.library, json.loads(text), self.handlers)

    def do(self, operation: Callable[[Instance], Any]) -> Any:
        assert self.instance is not None
        result = operation(self.instance)
        self._after()
        return result

    @property
    def i(self) -> Instance:
        assert self.instance is not None
        return self.instance

    def wait_at(self, node: str, kind: str | None = None) -> Wait:
        found = [w for w in self.i.waits if w.node == node and (kind is None or w.kind == kind)]
        assert found, f"nothing waits at {node!r}; waiting: {self.waiting}"
        return found[0]

    def complete(self, node: str, data: Mapping[str, Any] | None = None) -> Runner:
        wait = self.wait_at(node, "userTask")
        self.do(lambda i: i.complete_user_task(wait.id, data, now=self.now))
        return self

    def message(self, name: str, key: Any = None, variables: Mapping[str, Any] | None = None) -> bool:
        return bool(self.do(lambda i: i.deliver_message(name, key, variables, now=self.now)))

    def signal(self, name: str, variables: Mapping[str, Any] | None = None) -> int:
        return int(self.do(lambda i: i.broadcast_signal(name, variables, now=self.now)))

    def fire(self, node: str) -> Runner:
        wait = self.wait_at(node, "timer")
        assert wait.due is not None
        self.now = max(self.now, wait.due)
        self.do(lambda i: i.fire_timer(wait.id, now=self.now))
        return self

    def elapse(self, delta: timedelta) -> Runner:
        self.now += delta
        return self

    def complete_job(self, node: str, variables: Mapping[str, Any] | None = None) -> Runner:
        wait = self.wait_at(node, "job")
        self.do(lambda i: i.complete_job(wait.id, variables, now=self.now))
        return self

    def retry(self, node: str) -> Runner:
        wait = self.wait_at(node, "incident")
        self.do(lambda i: i.retry_incident(wait.id, now=self.now))
        return self

    def set(self, **variables: Any) -> Runner:
        self.do(lambda i: i.set_variables(variables, now=self.now))
        return self

    # --- reading ---------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self.i.state

    @property
    def path(self) -> list[str]:
        return [h.node for h in self.history if h.kind == "node.completed"]

    @property
    def cancelled(self) -> list[str]:
        return [h.node for h in self.history if h.kind == "node.cancelled"]

    @property
    def variables(self) -> dict[str, Any]:
        return dict(self.i.variables)

    @property
    def waiting(self) -> list[tuple[str, str]]:
        return sorted((w.node, w.kind) for w in self.i.waits)

    @property
    def incidents(self) -> list[tuple[str, str]]:
        return [(inc.node, inc.error) for inc in self.i.incidents]

    def effects_of(self, kind: type) -> list[Any]:
        return [e for e in self.effects if isinstance(e, kind)]


@pytest.fixture(params=[False, True], ids=["live", "saved-each-step"])
def roundtrip(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def run(roundtrip: bool) -> Callable[..., Runner]:
    """``run(document, *more_documents, handlers=None)`` -> a Runner (not started yet)."""

    def make(*documents: str, handlers: Handlers | None = None) -> Runner:
        return Runner(library_of(*documents), handlers or Handlers(), roundtrip)

    return make
