"""``parse_bpmn`` and ``check_bpmn``: one BPMN 2.0 file into an immutable ``Definitions``.

Which processes are executable: ``isExecutable="true"`` is, ``"false"`` is not. A
process without the attribute (the standard leaves it optional; Camunda 7 runs such
processes) is executable when everything in it can run; when something cannot, it
is read as documentation with a warning saying why -- descriptive tools omit the
attribute, and their models must still open. Executable processes are checked
strictly: every element must be supported. Non-executable processes are read
permissively: they can be shown, never run, and what cannot run is only a warning.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TypeVar

from conveyor.engine.bpmn import validate
from conveyor.engine.bpmn.context import ParseContext
from conveyor.engine.bpmn.events import read_roots
from conveyor.engine.bpmn.extensions import warn_ignored_extensions
from conveyor.engine.bpmn.model import (
    BusinessRuleTask,
    CallActivity,
    Const,
    Definitions,
    MessageFlow,
    Node,
    Participant,
    ProcessSpec,
    SequenceFlow,
)
from conveyor.engine.bpmn.scopes import ProcessParts, read_scope
from conveyor.engine.bpmn.xml import (
    BPMN_NS,
    BPMNDI_NS,
    CAMUNDA_NS,
    ZEEBE_NS,
    Element,
    attr,
    bpmn_child,
    bpmn_children,
    extension_element,
    is_bpmn,
    line,
    load_xml,
    local,
    namespace,
    qname_local,
    text,
)
from conveyor.engine.errors import ModelError, Problem

_Located = TypeVar("_Located", Node, SequenceFlow)


def parse_bpmn(source: bytes | str, *, file: str | None = None) -> Definitions:
    """Parse and validate a BPMN file; raise ``ModelError`` listing every problem if any is an error."""
    definitions, problems = _read(source, file)
    if definitions is None or any(p.severity == "error" for p in problems):
        raise ModelError(problems, file=file)
    return definitions


def check_bpmn(source: bytes | str, file: str | None = None) -> list[Problem]:
    """Every error and warning of a BPMN file, without raising (for ``conveyor bpmn check``)."""
    return _read(source, file)[1]


def _read(source: bytes | str, file: str | None) -> tuple[Definitions | None, list[Problem]]:
    try:
        root = load_xml(source, file)
    except ModelError as err:
        return None, list(err.problems)
    ctx = ParseContext(file=file)
    if not is_bpmn(root) or local(root) != "definitions":
        ctx.error(
            "not_bpmn",
            f"the file's root element is <{local(root)}> in namespace {namespace(root)!r}, "
            "not a BPMN 2.0 <definitions>",
            root,
            hint="this looks like a DMN file: deploy it as a decision"
            if "DMN" in (namespace(root) or "")
            else f"a BPMN 2.0 file starts with <definitions xmlns={BPMN_NS!r}>",
        )
        return None, ctx.problems
    ctx.expression_language = attr(root, "expressionLanguage")
    _check_ids(root, ctx)
    read_roots(root, ctx)
    processes = {}
    for el in bpmn_children(root, "process"):
        spec = _process(el, ctx)
        if spec is not None:
            processes[spec.id] = spec
    participants, message_flows = _collaborations(root)
    definitions = Definitions(
        id=attr(root, "id"),
        target_namespace=attr(root, "targetNamespace"),
        processes=processes,
        messages=dict(ctx.messages),
        signals=dict(ctx.signals),
        errors=dict(ctx.errors),
        escalations=dict(ctx.escalations),
        participants=participants,
        message_flows=message_flows,
        warnings=tuple(p for p in _in_file_order(ctx.problems) if p.severity == "warning"),
        inventory=inventory(root),
        has_diagram=any(namespace(e) == BPMNDI_NS for e in root),
        file=file,
    )
    return definitions, _in_file_order(ctx.problems)


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    """Problems as they appear in the file (stable: same line keeps discovery order)."""
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0))


def inventory(root: Element) -> dict[str, int]:
    """How many elements of each BPMN tag the document holds (BPMN namespace only)."""
    counts = Counter(local(e) for e in root.iter() if isinstance(e.tag, str) and is_bpmn(e))
    return dict(sorted(counts.items()))


def _check_ids(root: Element, ctx: ParseContext) -> None:
    seen: dict[str, Element] = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or not is_bpmn(el):
            continue
        el_id = attr(el, "id")
        if el_id is None:
            continue
        if el_id in seen:
            ctx.error(
                "duplicate_id",
                f"id {el_id!r} is used by <{local(seen[el_id])}> on line {line(seen[el_id])} "
                f"and by <{local(el)}>",
                el,
                hint="ids must be unique in a file; rename one of them",
            )
        else:
            seen[el_id] = el


def _process(el: Element, ctx: ParseContext) -> ProcessSpec | None:
    process_id = attr(el, "id")
    if process_id is None:
        ctx.error("missing_id", "a process has no id", el, hint="give the process an id")
        return None
    flag = attr(el, "isExecutable")
    if flag is not None:
        return _read_process(el, process_id, flag.lower() == "true", ctx)
    mark = len(ctx.problems)
    spec = _read_process(el, process_id, True, ctx)
    errors = [p for p in ctx.problems[mark:] if p.severity == "error"]
    if not errors:
        return spec
    del ctx.problems[mark:]
    ctx.warning(
        "read_as_documentation",
        f"process {process_id!r} does not say isExecutable and has {len(errors)} thing(s) that cannot "
        f"run (first: {errors[0].message}); it is read as documentation and cannot be started",
        el,
        hint='set isExecutable="true" to see every problem as an error, or "false" to silence this',
    )
    return _read_process(el, process_id, False, ctx)


def _read_process(el: Element, process_id: str, executable: bool, ctx: ParseContext) -> ProcessSpec:
    ctx.executable = executable
    warn_ignored_extensions(el, ctx)
    parts = ProcessParts()
    body = read_scope(el, process_id, "process", ctx, parts)
    spec = ProcessSpec(
        id=process_id,
        name=attr(el, "name"),
        executable=executable,
        body=body,
        line=line(el),
        all_nodes=_in_document_order(parts.nodes),
        all_flows=_in_document_order(parts.flows),
        version_tag=_version_tag(el),
        documentation=text(bpmn_child(el, "documentation")),
    )
    validate.check_process(spec, ctx)
    ctx.executable = True
    return spec


def _version_tag(el: Element) -> str | None:
    """``camunda:versionTag`` (Camunda 7) or ``zeebe:versionTag value`` (Camunda 8), for display."""
    tag = extension_element(el, ZEEBE_NS, "versionTag")
    return attr(el, "versionTag", CAMUNDA_NS) or (attr(tag, "value") if tag is not None else None)


def _in_document_order(items: Mapping[str, _Located]) -> dict[str, _Located]:
    """Nested scopes are read first; list everything as it appears in the file instead."""
    return dict(sorted(items.items(), key=lambda item: item[1].line or 0))


def _collaborations(root: Element) -> tuple[tuple[Participant, ...], tuple[MessageFlow, ...]]:
    participants: list[Participant] = []
    flows: list[MessageFlow] = []
    for collaboration in bpmn_children(root, "collaboration"):
        for p in bpmn_children(collaboration, "participant"):
            participants.append(
                Participant(attr(p, "id") or "", attr(p, "name"), qname_local(attr(p, "processRef")))
            )
        for f in bpmn_children(collaboration, "messageFlow"):
            flows.append(
                MessageFlow(
                    attr(f, "id") or "",
                    qname_local(attr(f, "sourceRef")) or "",
                    qname_local(attr(f, "targetRef")) or "",
                    attr(f, "name"),
                    qname_local(attr(f, "messageRef")),
                )
            )
    return tuple(participants), tuple(flows)


def referenced_decisions(definitions: Definitions) -> set[str]:
    """Decision ids named by business rule tasks (the decisions live in DMN files the loader checks).

    A ``decisionRef`` written as an expression is only known at run time and is left out."""
    return {
        node.decision_ref
        for process in definitions.processes.values()
        for node in process.all_nodes.values()
        if isinstance(node, BusinessRuleTask)
        and node.decision_ref
        and not node.decision_ref.startswith(("${", "#{", "="))
    }


def referenced_processes(definitions: Definitions) -> set[str]:
    """Process ids named by call activities with a constant ``calledElement`` (expressions excluded)."""
    return {
        str(node.called_element.value)
        for process in definitions.processes.values()
        for node in process.all_nodes.values()
        if isinstance(node, CallActivity) and isinstance(node.called_element, Const)
    }
