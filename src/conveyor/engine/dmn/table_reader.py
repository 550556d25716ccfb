"""Reading a ``decisionTable``: its inputs, outputs and rules, checked cell by cell.

Every problem names the rule by its number (as a modeler shows it) and the
column by the input's label or the output's name, so a user can find the cell.
"""

from __future__ import annotations

import re
from dataclasses import replace

from lxml import etree

from conveyor.engine.dmn.expressions import CAMUNDA_CELL_INPUT, NULL_EXPRESSION, JuelEntry
from conveyor.engine.dmn.model import (
    Aggregation,
    DecisionTable,
    Expression,
    HitPolicy,
    InputClause,
    OutputClause,
    Rule,
    UnaryTests,
)
from conveyor.engine.dmn.problems import Where
from conveyor.engine.dmn.reading import CAMUNDA_NAMESPACE, Reader

_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def read_decision_table(reader: Reader, element: etree._Element, decision_name: str) -> DecisionTable | None:
    where = Where.of(element, decision_name)
    hit_policy = _hit_policy(reader, element, where)
    aggregation = _aggregation(reader, element, where, hit_policy)
    inputs = tuple(
        clause
        for index, input_element in enumerate(reader.children(element, "input"), start=1)
        if (clause := _input_clause(reader, input_element, index)) is not None
    )
    outputs = _output_clauses(reader, element, decision_name)
    if not outputs:
        reader.log.error(where, "dmn.no_outputs", "the decision table has no output column", "add an output")
        return None
    if aggregation is not None and len(outputs) > 1:
        reader.log.error(
            where,
            "dmn.aggregation_multiple_outputs",
            f"aggregation {aggregation} needs a single output, the table has {len(outputs)}",
            "use COLLECT without aggregation, or split the table",
        )
    if hit_policy in (HitPolicy.PRIORITY, HitPolicy.OUTPUT_ORDER) and not any(o.priorities for o in outputs):
        reader.log.error(
            where,
            "dmn.priority_without_output_values",
            f"hit policy {hit_policy} orders results by the outputs' output values, and none has any",
            'list the output values in priority order, e.g. "Declined","Approved"',
        )
    input_count = len(reader.children(element, "input"))
    rules = tuple(
        rule
        for index, rule_element in enumerate(reader.children(element, "rule"), start=1)
        if (rule := _rule(reader, rule_element, index, input_count, outputs, inputs)) is not None
    )
    if hit_policy is None:
        return None
    inputs = _bind_cell_input(inputs, rules)
    return DecisionTable(
        id=element.get("id"),
        hit_policy=hit_policy,
        inputs=inputs,
        outputs=outputs,
        rules=rules,
        aggregation=aggregation,
        output_label=element.get("outputLabel"),
        line=where.line,
    )


def _bind_cell_input(inputs: tuple[InputClause, ...], rules: tuple[Rule, ...]) -> tuple[InputClause, ...]:
    """Columns with JUEL entries see their input value as ``cellInput`` unless they name it."""
    bound = []
    for column, clause in enumerate(inputs):
        entries = [r.input_entries[column] for r in rules if len(r.input_entries) > column]
        juel = any(isinstance(entry, JuelEntry) for entry in entries)
        if juel and clause.input_variable is None:
            clause = replace(clause, input_variable=CAMUNDA_CELL_INPUT)
        bound.append(clause)
    return tuple(bound)


def _hit_policy(reader: Reader, element: etree._Element, where: Where) -> HitPolicy | None:
    raw = (element.get("hitPolicy") or "UNIQUE").strip().upper().replace("_", " ")
    try:
        return HitPolicy(raw)
    except ValueError:
        reader.log.error(
            where,
            "dmn.hit_policy",
            f"unknown hit policy {element.get('hitPolicy')!r}",
            "use UNIQUE, FIRST, PRIORITY, ANY, COLLECT, RULE ORDER or OUTPUT ORDER",
        )
        return None


def _aggregation(
    reader: Reader, element: etree._Element, where: Where, hit_policy: HitPolicy | None
) -> Aggregation | None:
    raw = element.get("aggregation")
    if not raw:
        return None
    try:
        aggregation = Aggregation(raw.strip().upper())
    except ValueError:
        hint = "use SUM, MIN, MAX or COUNT"
        reader.log.error(where, "dmn.aggregation", f"unknown aggregation {raw!r}", hint)
        return None
    if hit_policy is not HitPolicy.COLLECT:
        reader.log.error(
            where,
            "dmn.aggregation_needs_collect",
            f"aggregation {aggregation} is only allowed with hit policy COLLECT, not {hit_policy}",
            "set hitPolicy=\"COLLECT\" or remove the aggregation",
        )
        return None
    return aggregation


def _input_clause(reader: Reader, element: etree._Element, index: int) -> InputClause | None:
    label = element.get("label")
    where = Where.of(element, label)
    what = f"input {index}" + (f" ({label})" if label else "")
    expression_element = reader.child(element, "inputExpression")
    text = reader.text_of(expression_element)
    expression: Expression | None = None
    if expression_element is None:
        reader.log.error(where, "dmn.input_expression_missing", f"{what} has no input expression", "add one")
        return None
    type_ref = expression_element.get("typeRef")
    reader.check_type(type_ref, where)
    if not text:
        if label and _PLAIN_NAME.match(label):
            # Camunda Modeler 3 left the expression empty and meant the variable named by the label.
            reader.log.warning(
                where,
                "dmn.input_expression_empty",
                f"{what} has an empty input expression; the variable {label!r} (its label) is used",
                "write the expression explicitly",
            )
            text = label
        else:
            reader.log.warning(
                where,
                "dmn.input_expression_empty",
                f"{what} has an empty input expression; its value is always null",
                "write the expression, e.g. the name of a process variable",
            )
            expression = NULL_EXPRESSION
            text = ""
    if text:
        dialect = reader.dialect(expression_element, where)
        expression = reader.compiler.expression(text, where, f"{what}, input expression", dialect)
    if expression is None:
        return None
    values_text = reader.text_of(reader.child(element, "inputValues"))
    allowed: UnaryTests | None = None
    if values_text:
        allowed = reader.compiler.unary_tests(values_text, where, f"{what}, input values")
    variable = element.get(f"{{{CAMUNDA_NAMESPACE}}}inputVariable") or None
    return InputClause(element.get("id"), label, expression, type_ref, allowed, variable, where.line)


def _output_clauses(reader: Reader, element: etree._Element, decision_name: str) -> tuple[OutputClause, ...]:
    output_elements = reader.children(element, "output")
    clauses: list[OutputClause] = []
    seen: set[str] = set()
    for index, output in enumerate(output_elements, start=1):
        name = output.get("name")
        where = Where.of(output, name or output.get("label"))
        if not name:
            if len(output_elements) > 1:
                reader.log.error(
                    where,
                    "dmn.output_name_missing",
                    f"output {index} has no name; a table with several outputs needs one per output",
                    "give each output a name: it becomes the key in the result",
                )
            name = element.get("outputLabel") or decision_name
        elif name in seen:
            message = f"two outputs are named {name!r}"
            reader.log.error(where, "dmn.output_name_duplicate", message, "rename one")
        seen.add(name)
        type_ref = output.get("typeRef")
        reader.check_type(type_ref, where)
        values_text = reader.text_of(reader.child(output, "outputValues"))
        priorities = reader.compiler.value_list(values_text, where, f"output {name}") if values_text else ()
        default_text = reader.text_of(reader.child(output, "defaultOutputEntry"))
        default = None
        if default_text:
            default = reader.compiler.expression(default_text, where, f"output {name}, default output entry")
        label = output.get("label")
        clauses.append(OutputClause(output.get("id"), name, label, type_ref, priorities, default, where.line))
    return tuple(clauses)


def _rule(
    reader: Reader,
    element: etree._Element,
    index: int,
    input_count: int,
    outputs: tuple[OutputClause, ...],
    inputs: tuple[InputClause, ...],
) -> Rule | None:
    where = Where.of(element, f"rule {index}")
    input_elements = reader.children(element, "inputEntry")
    output_elements = reader.children(element, "outputEntry")
    ok = True
    if len(input_elements) != input_count:
        reader.log.error(
            where,
            "dmn.rule_input_count",
            f"rule {index} has {len(input_elements)} input entries, the table has {input_count} inputs",
            "give the rule one input entry per input column (use - for any value)",
        )
        ok = False
    if len(output_elements) != len(outputs):
        reader.log.error(
            where,
            "dmn.rule_output_count",
            f"rule {index} has {len(output_elements)} output entries, the table has {len(outputs)} outputs",
            "give the rule one output entry per output column",
        )
        ok = False
    entries: list[UnaryTests] = []
    for column, entry in enumerate(input_elements, start=1):
        label = inputs[column - 1].label if column <= len(inputs) else None
        what = f"rule {index}, input {column}" + (f" ({label})" if label else "")
        entry_where = Where.of(entry, f"rule {index}")
        tests = reader.compiler.unary_tests(reader.text_of(entry) or "", entry_where, what)
        ok = ok and tests is not None
        if tests is not None:
            entries.append(tests)
    results: list[Expression | None] = []
    for column, entry in enumerate(output_elements, start=1):
        text = reader.text_of(entry)
        if not text:
            results.append(None)
            continue
        name = outputs[column - 1].name if column <= len(outputs) else str(column)
        entry_where = Where.of(entry, f"rule {index}")
        dialect = reader.dialect(entry, entry_where)
        what = f"rule {index}, output {column} ({name})"
        expression = reader.compiler.expression(text, entry_where, what, dialect)
        ok = ok and expression is not None
        results.append(expression)
    if not ok:
        return None
    annotations = tuple(reader.text_of(entry) or "" for entry in reader.children(element, "annotationEntry"))
    description_element = reader.child(element, "description")
    description = (description_element.text or "").strip() if description_element is not None else None
    rule_id = element.get("id")
    return Rule(index, rule_id, tuple(entries), tuple(results), annotations, description, where.line)
