"""The BPMN runtime: executes parsed process specs with the standard's token semantics.

In-memory and pure: an ``Instance`` is advanced by operations that take ``now``
and return nothing but leave *effects* (messages, signals, jobs, called
processes) and *history* for the caller to drain. ``to_state``/``from_state``
save and restore it between any two operations. See ``docs/engine.md``.
"""

from conveyor.engine.runtime import nodes as _wiring  # noqa: F401  (wires the element modules)
from conveyor.engine.runtime.effects import (
    CallCancelled,
    CallRequested,
    Effect,
    ErrorEscaped,
    EscalationUncaught,
    HistoryEvent,
    InstanceEnded,
    JobCreated,
    MessageThrown,
    SignalThrown,
)
from conveyor.engine.runtime.forms import FormError, validate_form
from conveyor.engine.runtime.handlers import Handler, HandlerContext, Handlers
from conveyor.engine.runtime.instance import Instance
from conveyor.engine.runtime.library import ModelLibrary, UnknownProcess
from conveyor.engine.runtime.values import UnsaveableValue
from conveyor.engine.runtime.views import Incident, StartEventInfo, UserTaskInfo, Wait

__all__ = [
    "CallCancelled",
    "CallRequested",
    "Effect",
    "ErrorEscaped",
    "EscalationUncaught",
    "FormError",
    "Handler",
    "HandlerContext",
    "Handlers",
    "HistoryEvent",
    "Incident",
    "Instance",
    "InstanceEnded",
    "JobCreated",
    "MessageThrown",
    "ModelLibrary",
    "SignalThrown",
    "StartEventInfo",
    "UnknownProcess",
    "UnsaveableValue",
    "UserTaskInfo",
    "Wait",
    "validate_form",
]
