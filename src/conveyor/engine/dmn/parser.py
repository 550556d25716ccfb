"""``parse_dmn``: a DMN 1.1-1.5 file in, validated ``DmnDefinitions`` out.

The whole file is checked before anything is returned: duplicate ids, bad
FEEL in any cell, rules with the wrong number of entries, requirements that
point nowhere, cycles between decisions, and the parts of DMN this engine does
not run (business knowledge models, decision services, boxed contexts,
invocations, relations...). All errors come back together in one
``ModelError``; warnings stay on ``DmnDefinitions.warnings``.
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from conveyor.engine.dmn.model import (
    Decision,
    DecisionTable,
    DmnDefinitions,
    InputData,
    ItemDefinition,
    LiteralExpression,
)
from conveyor.engine.dmn.problems import ProblemLog, Where
from conveyor.engine.dmn.reading import DMN_NAMESPACES, Reader, href_id
from conveyor.engine.dmn.table_reader import read_decision_table
from conveyor.engine.dmn.xml_source import load_xml
from conveyor.engine.errors import ModelError, Problem

#: decision logic (boxed expressions) and DRG elements we refuse, with what to use instead
_UNSUPPORTED_LOGIC = {
    "context": "boxed contexts",
    "invocation": "invocations",
    "relation": "relations",
    "list": "boxed lists",
    "functionDefinition": "function definitions",
    "conditional": "boxed conditionals",
    "filter": "boxed filters",
    "for": "boxed iterators",
    "every": "boxed iterators",
    "some": "boxed iterators",
}
_UNSUPPORTED_DRG = {
    "businessKnowledgeModel": "business knowledge models",
    "decisionService": "decision services",
}
_LOGIC_HINT = "express the logic as a decision table or a single FEEL literal expression"


def parse_dmn(source: bytes | str, *, file: str | None = None) -> DmnDefinitions:
    """Parse and validate a DMN file; raise ``ModelError`` listing every problem."""
    root = load_xml(source, file=file)
    namespace = etree.QName(root).namespace or ""
    if etree.QName(root).localname != "definitions" or namespace not in DMN_NAMESPACES:
        raise ModelError(
            [
                Problem(
                    "error",
                    "dmn.not_dmn",
                    f"the root element is {{{namespace}}}{etree.QName(root).localname}, "
                    "not DMN definitions",
                    line=root.sourceline if isinstance(root.sourceline, int) else None,
                    file=file,
                    hint="DMN 1.1 to 1.5 files start with <definitions xmlns=\"...omg.org/spec/DMN/...\">",
                )
            ],
            file=file,
        )
    log = ProblemLog(file)
    reader = Reader(namespace, log)
    dialect = reader.dialect(root, Where.of(root))
    reader.default_dialect = dialect
    _check_duplicate_ids(root, log)
    items = _item_definitions(reader, root)
    reader.item_definitions = items
    input_data = _input_data(reader, root)
    for element in reader.children(root, "import"):
        log.warning(
            Where.of(element, element.get("name")),
            "dmn.import_ignored",
            f"import of {element.get('locationURI') or element.get('namespace')!r} is not supported; "
            "its decisions and types are not available here",
            "load the other file alongside this one; business rule tasks find decisions across files",
        )
    for local_name, what in _UNSUPPORTED_DRG.items():
        for element in reader.children(root, local_name):
            log.error(Where.of(element), "dmn.unsupported", f"{what} are not supported", _LOGIC_HINT)
    decisions: dict[str, Decision] = {}
    for element in reader.children(root, "decision"):
        decision = _decision(reader, element, input_data)
        if decision is not None and decision.id not in decisions:
            decisions[decision.id] = decision
    _check_requirements(reader, root, decisions, input_data)
    log.raise_if_errors()
    return DmnDefinitions(
        id=root.get("id"),
        name=root.get("name"),
        namespace=root.get("namespace"),
        dmn_version=DMN_NAMESPACES[namespace],
        decisions=decisions,
        input_data=input_data,
        item_definitions=items,
        file=file,
        warnings=log.warnings,
    )


def check_dmn(source: bytes | str, *, file: str | None = None) -> list[Problem]:
    """Every problem of a DMN file, errors and warnings, without raising (``bpmn check``)."""
    try:
        return list(parse_dmn(source, file=file).warnings)
    except ModelError as err:
        return list(err.problems)


def _check_duplicate_ids(root: etree._Element, log: ProblemLog) -> None:
    first_line: dict[str, int | None] = {}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        element_id = element.get("id")
        if not element_id:
            continue
        if element_id in first_line:
            log.error(
                Where.of(element),
                "dmn.duplicate_id",
                f"id {element_id!r} is used twice (first at line {first_line[element_id]})",
                "ids must be unique within a file; rename one",
            )
        else:
            first_line[element_id] = element.sourceline if isinstance(element.sourceline, int) else None


def _item_definitions(reader: Reader, root: etree._Element) -> dict[str, ItemDefinition]:
    items: dict[str, ItemDefinition] = {}
    for element in reader.children(root, "itemDefinition"):
        item = _item_definition(reader, element)
        if item.name:
            items[item.name] = item
    reader.item_definitions = items
    for element in reader.children(root, "itemDefinition"):
        _check_item_types(reader, element)
    return items


def _item_definition(reader: Reader, element: etree._Element) -> ItemDefinition:
    type_element = reader.child(element, "typeRef")
    type_ref = (type_element.text or "").strip() if type_element is not None else element.get("typeRef")
    allowed_text = reader.text_of(reader.child(element, "allowedValues"))
    allowed = None
    if allowed_text:
        allowed = reader.compiler.unary_tests(allowed_text, Where.of(element), "allowed values")
    components = tuple(_item_definition(reader, child) for child in reader.children(element, "itemComponent"))
    return ItemDefinition(
        name=element.get("name") or "",
        type_ref=type_ref or None,
        allowed_values=allowed,
        components=components,
        is_collection=element.get("isCollection") == "true",
    )


def _check_item_types(reader: Reader, element: etree._Element) -> None:
    type_element = reader.child(element, "typeRef")
    if type_element is not None:
        reader.check_type((type_element.text or "").strip(), Where.of(element))
    for child in reader.children(element, "itemComponent"):
        _check_item_types(reader, child)


def _input_data(reader: Reader, root: etree._Element) -> dict[str, InputData]:
    found: dict[str, InputData] = {}
    for element in reader.children(root, "inputData"):
        where = Where.of(element)
        variable = reader.child(element, "variable")
        type_ref = variable.get("typeRef") if variable is not None else None
        reader.check_type(type_ref, where)
        element_id = element.get("id") or ""
        name = element.get("name") or (variable.get("name") if variable is not None else None) or element_id
        found[element_id] = InputData(element_id, name, type_ref, where.line)
    return found


def _decision(
    reader: Reader, element: etree._Element, input_data: Mapping[str, InputData]
) -> Decision | None:
    where = Where.of(element)
    decision_id = element.get("id")
    name = element.get("name") or decision_id or ""
    if not decision_id:
        reader.log.error(where, "dmn.id_missing", f"decision {name!r} has no id", "give the decision an id")
        return None
    variable = reader.child(element, "variable")
    type_ref = variable.get("typeRef") if variable is not None else None
    reader.check_type(type_ref, where)
    for local_name, what in _UNSUPPORTED_LOGIC.items():
        for unsupported in reader.children(element, local_name):
            reader.log.error(
                Where.of(unsupported, name), "dmn.unsupported", f"{what} are not supported", _LOGIC_HINT
            )
    for requirement in reader.children(element, "knowledgeRequirement"):
        reader.log.error(
            Where.of(requirement, name),
            "dmn.unsupported",
            "knowledge requirements (business knowledge models) are not supported",
            _LOGIC_HINT,
        )
    logic: DecisionTable | LiteralExpression | None = None
    table = reader.child(element, "decisionTable")
    literal = reader.child(element, "literalExpression")
    if table is not None:
        logic = read_decision_table(reader, table, name)
    elif literal is not None:
        logic = _literal_expression(reader, literal, name)
    elif not any(reader.children(element, n) for n in _UNSUPPORTED_LOGIC):
        reader.log.error(
            where, "dmn.no_logic", f"decision {name!r} has no decision logic", "add a decision table"
        )
    required_decisions: list[str] = []
    required_inputs: list[str] = []
    for requirement in reader.children(element, "informationRequirement"):
        for required in reader.children(requirement, "requiredDecision"):
            target = href_id(required.get("href"))
            if target and target not in required_decisions:
                required_decisions.append(target)
        for required in reader.children(requirement, "requiredInput"):
            target = href_id(required.get("href"))
            if target and target in input_data and input_data[target].name not in required_inputs:
                required_inputs.append(input_data[target].name)
    if logic is None:
        return None
    return Decision(
        decision_id, name, logic, type_ref, tuple(required_decisions), tuple(required_inputs), where.line
    )


def _literal_expression(reader: Reader, element: etree._Element, name: str) -> LiteralExpression | None:
    where = Where.of(element, name)
    text = reader.text_of(element)
    if not text:
        message = "the literal expression is empty"
        reader.log.error(where, "dmn.literal_expression_empty", message, "write the FEEL expression")
        return None
    expression = reader.compiler.expression(text, where, "literal expression", reader.dialect(element, where))
    return LiteralExpression(element.get("id"), expression, where.line) if expression is not None else None


def _check_requirements(
    reader: Reader,
    root: etree._Element,
    decisions: Mapping[str, Decision],
    input_data: Mapping[str, InputData],
) -> None:
    known_decisions = {e.get("id") for e in reader.children(root, "decision")}
    for element in reader.children(root, "decision"):
        for requirement in reader.children(element, "informationRequirement"):
            for kind, known in (("requiredDecision", known_decisions), ("requiredInput", set(input_data))):
                for required in reader.children(requirement, kind):
                    target = href_id(required.get("href"))
                    if target not in known:
                        what = "decision" if kind == "requiredDecision" else "input data"
                        reader.log.error(
                            Where.of(required, element.get("name")),
                            "dmn.unknown_requirement",
                            f"{kind} points to {required.get('href')!r}, which is no {what} in this file",
                            "decisions and input data must be in the same file (imports are not supported)",
                        )
    _check_cycles(reader, decisions)


def _check_cycles(reader: Reader, decisions: Mapping[str, Decision]) -> None:
    state: dict[str, str] = {}

    def visit(decision_id: str, path: list[str]) -> None:
        if state.get(decision_id) == "done" or decision_id not in decisions:
            return
        if state.get(decision_id) == "visiting":
            cycle = " -> ".join([*path[path.index(decision_id) :], decision_id])
            decision = decisions[decision_id]
            reader.log.error(
                Where(decision.id, decision.name, decision.line),
                "dmn.requirement_cycle",
                f"decisions require each other in a cycle: {cycle}",
                "remove one of the information requirements",
            )
            return
        state[decision_id] = "visiting"
        for required in decisions[decision_id].required_decisions:
            visit(required, [*path, decision_id])
        state[decision_id] = "done"

    for decision_id in decisions:
        visit(decision_id, [])
