"""Binding the finance, return and carrier-exception use cases to their processes' service tasks.

``register_finance_handlers(registry, clock=...)`` binds every task type of
``refund.bpmn``, ``return-request.bpmn`` and ``carrier-exception.bpmn``;
``conveyor.bootstrap.build_runtime`` calls it for the process-wide registry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from conveyor.services.carrier_exceptions import CARRIER_EXCEPTION_HANDLERS, CarrierExceptionHandlers
from conveyor.services.finance import FINANCE_HANDLERS, RefundHandlers
from conveyor.services.returns import RETURN_HANDLERS, ReturnHandlers
from conveyor.services.workflow.handlers import HandlerRegistry

Clock = Callable[[], datetime]


def register_finance_handlers(registry: HandlerRegistry, *, clock: Clock | None = None) -> None:
    """Bind the refund, return and carrier-exception task types in ``registry``."""
    groups: list[tuple[object, dict[str, str]]] = [
        (RefundHandlers(clock), FINANCE_HANDLERS),
        (ReturnHandlers(clock), RETURN_HANDLERS),
        (CarrierExceptionHandlers(clock), CARRIER_EXCEPTION_HANDLERS),
    ]
    for handlers, table in groups:
        for task_type, method in table.items():
            registry.register(task_type, getattr(handlers, method))
