"""Binding the handler registry to the engine for one transaction.

The engine calls handlers with a ``HandlerContext`` only; the persisted runtime
wraps each registered handler so it also gets the open unit of work, runs in a
savepoint (a failing handler's partial writes are undone while the step goes
on), and reports its failure (message and stack) for the retry/incident logic.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import Any

from conveyor.engine.errors import BpmnError
from conveyor.engine.runtime import HandlerContext, Handlers
from conveyor.services.workflow.context import HandlerFailure, StepContext
from conveyor.services.workflow.handlers import HandlerBinding, HandlerRegistry


def _async_placeholder(context: HandlerContext) -> None:  # never called: async tasks become jobs
    raise RuntimeError(f"the async handler of {context.node_id!r} was called inline")


def call_in_savepoint(
    ctx: StepContext, binding: HandlerBinding, context: HandlerContext
) -> Mapping[str, Any] | None:
    """Run a handler with the step's unit of work; undo its writes if it raises."""
    try:
        with ctx.uow.session.begin_nested():
            return binding.handler(context, ctx.uow)
    except BpmnError:
        raise
    except Exception as err:
        ctx.failures[context.node_id] = HandlerFailure(
            error=f"{type(err).__name__}: {err}", stacktrace=traceback.format_exc(limit=20)
        )
        raise


def engine_handlers(registry: HandlerRegistry, ctx: StepContext) -> Handlers:
    """An engine ``Handlers`` for one step: inline handlers bound to ``ctx``, async ones as jobs."""
    handlers = Handlers(missing="job")
    for binding in registry.bindings():
        if binding.is_async:
            handlers.register(binding.task_type, _async_placeholder, async_=True)
        else:
            handlers.register(binding.task_type, _inline(ctx, binding))
    return handlers


def _inline(ctx: StepContext, binding: HandlerBinding) -> Any:
    def run(context: HandlerContext) -> Mapping[str, Any] | None:
        return call_in_savepoint(ctx, binding, context)

    return run
