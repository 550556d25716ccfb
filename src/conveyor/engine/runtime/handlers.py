"""Service-task handlers: plain callables registered by task type (or, for tests and
``conveyor bpmn run --mock``, by node id).

A handler gets a small read-only ``HandlerContext`` and returns the variables to
set (or ``None``). To take the model's error path it raises
``conveyor.engine.errors.BpmnError``; any other exception becomes an incident on
the token. A handler registered with ``async_=True`` is not called inline: the
task becomes a *job* wait that a worker completes later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from conveyor.engine.errors import InstanceError


class HandlerContext(NamedTuple):
    """What a handler may know about the task it runs for (immutable; a named tuple because
    one is built for every handler call)."""

    variables: Mapping[str, Any]
    node_id: str
    task_type: str | None
    instance_id: str
    business_key: str | None
    headers: Mapping[str, str] = MappingProxyType({})
    retries_left: int = 0


Handler = Callable[[HandlerContext], Mapping[str, Any] | None]

#: what a service task with a task type but no registered handler does: complete at once
#: (``conveyor bpmn run``), become a job for a worker (the persisted runtime), or raise an incident
MissingPolicy = Literal["complete", "job", "incident"]


@dataclass(frozen=True, slots=True)
class Registration:
    handler: Handler
    is_async: bool = False


class Handlers:
    """The handler registry one engine (or one ``bpmn run``) uses."""

    def __init__(self, missing: MissingPolicy = "job") -> None:
        self.missing: MissingPolicy = missing
        self._by_type: dict[str, Registration] = {}
        self._by_node: dict[str, Registration] = {}

    def register(self, task_type: str, fn: Handler, *, async_: bool = False) -> None:
        """Bind ``task_type`` (``zeebe:taskDefinition type``, ``camunda:topic``...) to ``fn``."""
        if not task_type:
            raise InstanceError("a handler needs a non-empty task type to be registered under")
        self._by_type[task_type] = Registration(fn, async_)

    def register_for_node(self, node_id: str, fn: Handler, *, async_: bool = False) -> None:
        """Bind one node, whatever its task type (used to mock single tasks)."""
        self._by_node[node_id] = Registration(fn, async_)

    def lookup(self, node_id: str, task_type: str | None) -> Registration | None:
        found = self._by_node.get(node_id)
        if found is None and task_type:
            found = self._by_type.get(task_type)
        return found

    def __contains__(self, task_type: object) -> bool:
        return task_type in self._by_type

    @property
    def has_node_bindings(self) -> bool:
        return bool(self._by_node)
