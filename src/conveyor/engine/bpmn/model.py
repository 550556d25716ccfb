"""The parsed model: immutable specs of processes, nodes, flows and event definitions.

This module is the contract between the parser (XML -> specs) and the runtime
(specs + state -> new state). Specs hold compiled expressions (anything with
``source`` and ``evaluate(variables)``), never XML. Everything is frozen: a
deployed model is shared by every instance and never changes.

Ids are the XML ids, unique within one file. Every node knows the scope it
belongs to (``parent``: the id of its process or sub-process).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from conveyor.engine.errors import Problem


@runtime_checkable
class Evaluable(Protocol):
    """A compiled expression: FEEL, a Camunda 7 ``${...}`` comparison, or a constant."""

    # read-only, so frozen dataclasses (``Const``, compiled expressions) satisfy the protocol
    @property
    def source(self) -> str: ...

    def evaluate(self, variables: Mapping[str, Any]) -> Any: ...


@dataclass(frozen=True, slots=True)
class Const:
    """A literal value written in the model (a timer's ``PT5M``, an input parameter's text)."""

    value: Any
    source: str = ""

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        return self.value


# --- root elements referenced by event definitions -------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageDef:
    id: str
    name: str
    #: Camunda 8 ``zeebe:subscription correlationKey``; Camunda 7 correlates by API call.
    correlation_key: Evaluable | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class SignalDef:
    id: str
    name: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class ErrorDef:
    id: str
    name: str | None
    #: ``errorCode``; ``None`` means the definition has no code.
    code: str | None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class EscalationDef:
    id: str
    name: str | None
    code: str | None
    line: int | None = None


# --- event definitions ----------------------------------------------------------------------


class Trigger(StrEnum):
    NONE = "none"
    MESSAGE = "message"
    TIMER = "timer"
    SIGNAL = "signal"
    ERROR = "error"
    ESCALATION = "escalation"
    TERMINATE = "terminate"
    LINK = "link"
    COMPENSATE = "compensate"
    CONDITIONAL = "conditional"
    CANCEL = "cancel"


class TimerKind(StrEnum):
    DATE = "date"  # timeDate: an ISO 8601 date-time
    DURATION = "duration"  # timeDuration: an ISO 8601 duration
    CYCLE = "cycle"  # timeCycle: R[n]/[start/]duration, or a cron expression


@dataclass(frozen=True, slots=True)
class EventDefinition:
    """What an event throws or waits for. Only the fields of its ``trigger`` are set.

    - MESSAGE: ``message`` (None when the model names no message: a warning/error at validation)
    - TIMER: ``timer_kind`` and ``timer_value`` (a Const ISO string or an expression)
    - SIGNAL: ``signal``; ERROR: ``error`` (None on a catch = catch-all);
      ESCALATION: ``escalation`` (None on a catch = catch-all)
    - LINK: ``link_name``
    - COMPENSATE: ``activity_ref`` (None = compensate everything in scope), ``wait_for_completion``
    - CONDITIONAL: ``condition``
    """

    trigger: Trigger
    id: str | None = None
    message: MessageDef | None = None
    signal: SignalDef | None = None
    error: ErrorDef | None = None
    escalation: EscalationDef | None = None
    timer_kind: TimerKind | None = None
    timer_value: Evaluable | None = None
    link_name: str | None = None
    activity_ref: str | None = None
    wait_for_completion: bool = True
    condition: Evaluable | None = None
    #: Set when the XML referenced a root element id that does not exist.
    unresolved_ref: str | None = None
    #: ERROR / ESCALATION catches: Camunda 7 ``camunda:errorCodeVariable`` /
    #: ``camunda:escalationCodeVariable`` (receives the caught code) and
    #: ``camunda:errorMessageVariable`` (receives the error's message).
    code_variable: str | None = None
    message_variable: str | None = None


NONE_EVENT = EventDefinition(Trigger.NONE)


# --- flows ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SequenceFlow:
    id: str
    source: str
    target: str
    name: str | None = None
    condition: Evaluable | None = None
    parent: str = ""
    line: int | None = None


# --- extension data shared by several node kinds --------------------------------------------


@dataclass(frozen=True, slots=True)
class VariableMapping:
    """One input or output mapping: ``target`` receives the value of ``source``.

    Camunda 7 ``camunda:inputParameter name=target`` (text, ``${}`` expression, list or map
    become a Const or an expression); Camunda 8 ``zeebe:input source="=expr" target="x"``;
    call activity ``camunda:in source=/sourceExpression= target=`` and ``camunda:out``.
    ``all_variables`` is Camunda 7's ``<camunda:in variables="all"/>``.
    """

    target: str
    source: Evaluable | None = None
    all_variables: bool = False
    local: bool = False


@dataclass(frozen=True, slots=True)
class FormField:
    """A Camunda 7 ``camunda:formField``; completing the task validates data against it."""

    id: str
    label: str | None = None
    type: str = "string"  # string, long, boolean, date, enum, (custom types kept verbatim)
    required: bool = False
    readonly: bool = False
    minimum: Any = None  # ``min`` constraint (numbers) or ``minlength`` for strings
    maximum: Any = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    #: enum values: value id -> display name, in model order
    values: tuple[tuple[str, str], ...] = ()
    default: Any = None
    #: ``requiredWhen``: a FEEL condition over the submitted data merged over the task's
    #: variables; when it is true the field is required (``reason`` when ``approved = false``)
    required_when: Evaluable | None = None


@dataclass(frozen=True, slots=True)
class MultiInstance:
    """``multiInstanceLoopCharacteristics`` (Camunda 7 and 8 attributes read into one shape)."""

    sequential: bool
    collection: Evaluable | None = None  # the input collection
    cardinality: Evaluable | None = None  # ``loopCardinality`` when there is no collection
    element_variable: str | None = None
    output_collection: str | None = None
    output_element: Evaluable | None = None
    completion_condition: Evaluable | None = None


@dataclass(frozen=True, slots=True)
class StandardLoop:
    """``standardLoopCharacteristics``: repeat while ``condition`` holds."""

    condition: Evaluable | None
    test_before: bool = False
    maximum: int | None = None


# --- nodes ------------------------------------------------------------------------------------


class NodeKind(StrEnum):
    START_EVENT = "startEvent"
    END_EVENT = "endEvent"
    INTERMEDIATE_CATCH_EVENT = "intermediateCatchEvent"
    INTERMEDIATE_THROW_EVENT = "intermediateThrowEvent"
    BOUNDARY_EVENT = "boundaryEvent"
    EXCLUSIVE_GATEWAY = "exclusiveGateway"
    PARALLEL_GATEWAY = "parallelGateway"
    INCLUSIVE_GATEWAY = "inclusiveGateway"
    EVENT_BASED_GATEWAY = "eventBasedGateway"
    TASK = "task"
    SERVICE_TASK = "serviceTask"
    SEND_TASK = "sendTask"
    RECEIVE_TASK = "receiveTask"
    USER_TASK = "userTask"
    MANUAL_TASK = "manualTask"
    SCRIPT_TASK = "scriptTask"
    BUSINESS_RULE_TASK = "businessRuleTask"
    SUB_PROCESS = "subProcess"
    CALL_ACTIVITY = "callActivity"
    #: An element read from a non-executable process that the runtime does not support
    #: (kept so the model can be shown); never present in an executable process.
    UNSUPPORTED = "unsupported"


ACTIVITY_KINDS = frozenset(
    {
        NodeKind.TASK,
        NodeKind.SERVICE_TASK,
        NodeKind.SEND_TASK,
        NodeKind.RECEIVE_TASK,
        NodeKind.USER_TASK,
        NodeKind.MANUAL_TASK,
        NodeKind.SCRIPT_TASK,
        NodeKind.BUSINESS_RULE_TASK,
        NodeKind.SUB_PROCESS,
        NodeKind.CALL_ACTIVITY,
    }
)
GATEWAY_KINDS = frozenset(
    {
        NodeKind.EXCLUSIVE_GATEWAY,
        NodeKind.PARALLEL_GATEWAY,
        NodeKind.INCLUSIVE_GATEWAY,
        NodeKind.EVENT_BASED_GATEWAY,
    }
)


@dataclass(frozen=True, slots=True)
class Node:
    """Fields every flow node has. Subclasses add what their kind needs."""

    id: str
    kind: NodeKind
    name: str | None = None
    parent: str = ""
    line: int | None = None
    incoming: tuple[str, ...] = ()
    outgoing: tuple[str, ...] = ()
    #: ``camunda:asyncBefore`` / ``asyncAfter`` (Camunda 8 jobs are always async; we don't force it).
    async_before: bool = False
    async_after: bool = False
    inputs: tuple[VariableMapping, ...] = ()
    outputs: tuple[VariableMapping, ...] = ()
    documentation: str | None = None
    #: The XML tag (local name) the node was read from, e.g. ``serviceTask``.
    tag: str = ""


@dataclass(frozen=True, slots=True)
class Event(Node):
    """Start, end, intermediate catch/throw events. Several definitions = any of them (catch)."""

    definitions: tuple[EventDefinition, ...] = ()
    #: start events of event sub-processes: interrupting or not
    interrupting: bool = True
    #: a message start / catch: the variable names correlating it (Camunda 8)
    parallel_multiple: bool = False
    #: Camunda 8 message throw events (intermediate throw, end) carry ``zeebe:taskDefinition``:
    #: a handler of this type does the sending, like a send task (``conveyor:handler`` too).
    task_type: str | None = None

    @property
    def trigger(self) -> Trigger:
        return self.definitions[0].trigger if self.definitions else Trigger.NONE


@dataclass(frozen=True, slots=True)
class BoundaryEvent(Event):
    attached_to: str = ""
    cancel_activity: bool = True


@dataclass(frozen=True, slots=True)
class Gateway(Node):
    default: str | None = None  # the default flow id (exclusive, inclusive)


@dataclass(frozen=True, slots=True)
class Activity(Node):
    """Common activity data: loops, boundary events, compensation, default flow, retries."""

    default: str | None = None
    loop: MultiInstance | StandardLoop | None = None
    boundary_events: tuple[str, ...] = ()
    is_for_compensation: bool = False
    #: the compensation handler activity (through an association from a compensate boundary event)
    compensation_handler: str | None = None
    retries: int | None = None


@dataclass(frozen=True, slots=True)
class ServiceTask(Activity):
    """Service, send and (bound) business tasks that call a handler by ``task_type``.

    ``task_type`` comes from ``zeebe:taskDefinition type``, ``camunda:topic``, the bean or class
    name of ``camunda:delegateExpression`` / ``camunda:class``, or ``conveyor:handler``.
    ``expression`` is a ``camunda:expression`` evaluated instead of a handler call
    (its value goes to ``result_variable``). ``headers`` are ``zeebe:taskHeaders``.
    ``message`` is set on send tasks with a ``messageRef``.
    """

    task_type: str | None = None
    expression: Evaluable | None = None
    result_variable: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    message: MessageDef | None = None


@dataclass(frozen=True, slots=True)
class ReceiveTask(Activity):
    message: MessageDef | None = None
    instantiate: bool = False


@dataclass(frozen=True, slots=True)
class UserTask(Activity):
    assignee: Evaluable | None = None
    candidate_groups: Evaluable | None = None  # evaluates to a list or a comma-separated string
    candidate_users: Evaluable | None = None
    due_date: Evaluable | None = None
    follow_up_date: Evaluable | None = None
    priority: Evaluable | None = None
    form_key: str | None = None
    form_fields: tuple[FormField, ...] = ()


@dataclass(frozen=True, slots=True)
class ScriptTask(Activity):
    script_format: str | None = None
    #: the compiled script; ``None`` with ``refusal`` set when the language is not supported
    script: Evaluable | None = None
    result_variable: str | None = None


@dataclass(frozen=True, slots=True)
class BusinessRuleTask(Activity):
    """Evaluates a DMN decision (``camunda:decisionRef`` / ``zeebe:calledDecision``)."""

    decision_ref: str | None = None
    result_variable: str | None = None
    #: Camunda 7 ``camunda:mapDecisionResult``: singleEntry, singleResult, collectEntries, resultList
    map_decision_result: str = "resultList"
    #: ``camunda:decisionRefBinding`` latest|version, ``decisionRefVersion``
    binding: str = "latest"
    version: int | None = None
    #: a business rule task bound to a handler instead of a decision (``camunda:class`` etc.)
    task_type: str | None = None


@dataclass(frozen=True, slots=True)
class CallActivity(Activity):
    called_element: Evaluable | None = None  # evaluates to a process id
    binding: str = "latest"  # latest | version | deployment
    version: int | None = None
    #: propagate all variables in/out when no explicit mapping (Camunda 8 default for outputs)
    propagate_all_in: bool = False
    propagate_all_out: bool = False
    business_key: Evaluable | None = None


@dataclass(frozen=True, slots=True)
class ScopeSpec:
    """The contents of a process or sub-process: nodes, flows, and event sub-processes."""

    id: str
    nodes: Mapping[str, Node] = field(default_factory=dict)
    flows: Mapping[str, SequenceFlow] = field(default_factory=dict)
    #: ids of the start events of this scope (none-start for sub-processes)
    start_events: tuple[str, ...] = ()
    #: ids of event sub-processes (``SubProcess`` with ``triggered_by_event``) directly in this scope
    event_subprocesses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SubProcess(Activity):
    """Embedded sub-process, event sub-process (``triggered_by_event``) or transaction."""

    body: ScopeSpec = field(default_factory=lambda: ScopeSpec(""))
    triggered_by_event: bool = False
    transaction: bool = False


@dataclass(frozen=True, slots=True)
class UnsupportedNode(Node):
    """An element the runtime cannot run, read from a non-executable process."""


# --- processes and definitions ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProcessSpec:
    id: str
    name: str | None
    executable: bool
    body: ScopeSpec
    line: int | None = None
    #: every node of the process, nested sub-processes included, by id
    all_nodes: Mapping[str, Node] = field(default_factory=dict)
    #: every flow of the process, nested ones included, by id
    all_flows: Mapping[str, SequenceFlow] = field(default_factory=dict)
    #: Camunda 7 ``camunda:versionTag`` / history time to live, kept for display
    version_tag: str | None = None
    documentation: str | None = None

    def node(self, node_id: str) -> Node:
        return self.all_nodes[node_id]


@dataclass(frozen=True, slots=True)
class Participant:
    id: str
    name: str | None
    process_ref: str | None


@dataclass(frozen=True, slots=True)
class MessageFlow:
    id: str
    source: str
    target: str
    name: str | None = None
    message_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Definitions:
    """One parsed BPMN file."""

    id: str | None
    target_namespace: str | None
    processes: Mapping[str, ProcessSpec]
    messages: Mapping[str, MessageDef] = field(default_factory=dict)
    signals: Mapping[str, SignalDef] = field(default_factory=dict)
    errors: Mapping[str, ErrorDef] = field(default_factory=dict)
    escalations: Mapping[str, EscalationDef] = field(default_factory=dict)
    participants: tuple[Participant, ...] = ()
    message_flows: tuple[MessageFlow, ...] = ()
    #: problems with severity "warning" (errors make the parser raise ModelError)
    warnings: tuple[Problem, ...] = ()
    #: how many elements of each BPMN tag the file holds (for showing and conformance checks)
    inventory: Mapping[str, int] = field(default_factory=dict)
    has_diagram: bool = False
    file: str | None = None

    def executable_processes(self) -> list[ProcessSpec]:
        return [p for p in self.processes.values() if p.executable]
