"""The handler registry: BPMN service-task types bound to use cases.

A handler receives the engine's ``HandlerContext`` and the open unit of work
(so its domain writes commit with the workflow step) and returns the variables
to set, or ``None``. ``async_=True`` makes the task a job run by a worker in a
later transaction instead of inline. Raise ``conveyor.engine.errors.BpmnError``
to take the model's error path; any other exception is retried with backoff
and becomes an incident when the model's retries are used up.

Later issues register the order use cases (``payment.verify`` ...) here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from conveyor.engine.runtime import HandlerContext

if TYPE_CHECKING:
    from conveyor.services.unit_of_work import SqlUnitOfWork

WorkflowHandler = Callable[[HandlerContext, "SqlUnitOfWork"], Mapping[str, Any] | None]


@dataclass(frozen=True, slots=True)
class HandlerBinding:
    task_type: str
    handler: WorkflowHandler
    is_async: bool = False


class HandlerRegistry:
    """Task type -> handler. One registry per process, filled at start-up."""

    def __init__(self) -> None:
        self._bindings: dict[str, HandlerBinding] = {}

    def register(self, task_type: str, handler: WorkflowHandler, *, async_: bool = False) -> None:
        self._bindings[task_type] = HandlerBinding(task_type, handler, async_)

    def handler(
        self, task_type: str, *, async_: bool = False
    ) -> Callable[[WorkflowHandler], WorkflowHandler]:
        """Decorator form of ``register``."""

        def bind(fn: WorkflowHandler) -> WorkflowHandler:
            self.register(task_type, fn, async_=async_)
            return fn

        return bind

    def get(self, task_type: str | None) -> HandlerBinding | None:
        return self._bindings.get(task_type) if task_type else None

    def bindings(self) -> list[HandlerBinding]:
        return list(self._bindings.values())

    def __contains__(self, task_type: object) -> bool:
        return task_type in self._bindings


_DEFAULT = HandlerRegistry()


def default_registry() -> HandlerRegistry:
    """The process-wide registry the composition root hands to the workflow runtime."""
    return _DEFAULT
