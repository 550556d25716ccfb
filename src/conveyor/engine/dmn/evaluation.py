"""``evaluate_decision``: run a decision and, first, every decision it requires.

Required decisions are evaluated depth-first, each once per call even when
several decisions require it. A dependant sees each required decision's value
under the decision's *name* (as DMN specifies) and its id. For Camunda
compatibility, when a required decision table gave a single row, that row's
output names are visible too (``desiredDish`` in Camunda's dinner example).

Input data with a declared type are conformed before use (an ``int`` becomes a
FEEL number, a value of the wrong type becomes null). FEEL errors while
evaluating are reported as ``DecisionError`` naming the decision, rule and
column.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from conveyor.engine.dmn.hit_policies import Hit, aggregate, select_hits
from conveyor.engine.dmn.model import Decision, DecisionTable, DmnDefinitions, Expression, HitPolicy, Rule
from conveyor.engine.dmn.result import DecisionResult, MatchedRule
from conveyor.engine.dmn.types import conform
from conveyor.engine.errors import DecisionError, ExpressionError


def evaluate_decision(
    definitions: DmnDefinitions, decision_id: str, variables: Mapping[str, Any]
) -> DecisionResult:
    """Evaluate the decision with this id (or, failing that, this name) against ``variables``."""
    decision = definitions.find(decision_id)
    if decision is None:
        known = [*definitions.decisions, *(d.name for d in definitions.decisions.values())]
        close = difflib.get_close_matches(decision_id, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"the file has {', '.join(definitions.decisions)}"
        where = definitions.file or "the DMN definitions"
        raise DecisionError(f"no decision {decision_id!r} in {where}; {hint}")
    base = _conformed_inputs(definitions, variables)
    return _evaluate(definitions, decision, base, {})


def _conformed_inputs(definitions: DmnDefinitions, variables: Mapping[str, Any]) -> dict[str, Any]:
    context = dict(variables)
    for data in definitions.input_data.values():
        if data.type_ref and data.name in context:
            context[data.name] = conform(context[data.name], data.type_ref, definitions.item_definitions)
    return context


def _evaluate(
    definitions: DmnDefinitions,
    decision: Decision,
    base: dict[str, Any],
    done: dict[str, DecisionResult],
) -> DecisionResult:
    context = base
    evaluated: dict[str, DecisionResult] = {}
    if decision.required_decisions:
        context = dict(base)
        for required_id in decision.required_decisions:
            required = done.get(required_id)
            if required is None:
                required = _evaluate(definitions, definitions.decisions[required_id], base, done)
                done[required_id] = required
            evaluated.update(required.evaluated)
            evaluated[required_id] = required
            context.update(_visible(required, definitions.decisions[required_id]))
    if isinstance(decision.logic, DecisionTable):
        value, outputs, matched = _evaluate_table(definitions, decision, decision.logic, context)
    else:
        value = _run(decision.logic.expression, context, decision, "literal expression")
        matched = []
    value = conform(value, decision.type_ref, definitions.item_definitions)
    if not isinstance(decision.logic, DecisionTable):
        outputs = [{decision.name: value}]
    return DecisionResult(decision.id, decision.name, value, outputs, matched, evaluated)


def _visible(result: DecisionResult, decision: Decision) -> dict[str, Any]:
    visible: dict[str, Any] = {}
    if len(result.outputs) == 1 and isinstance(decision.logic, DecisionTable):
        visible.update(result.outputs[0])
    visible[decision.id] = result.value
    visible[decision.name] = result.value
    return visible


def _run(expression: Expression, context: Mapping[str, Any], decision: Decision, what: str) -> Any:
    try:
        return expression.evaluate(context)
    except ExpressionError as err:
        raise DecisionError(f"decision {decision.name!r} ({decision.id}), {what}: {err.message}") from err


def _evaluate_table(
    definitions: DmnDefinitions, decision: Decision, table: DecisionTable, context: Mapping[str, Any]
) -> tuple[Any, list[dict[str, Any]], list[MatchedRule]]:
    inputs = _input_values(decision, table, context)
    entry_contexts = [
        {**context, clause.input_variable: value} if clause.input_variable else context
        for clause, value in zip(table.inputs, inputs, strict=True)
    ]
    hits: list[Hit] = []
    for rule in table.rules:
        if _matches(decision, rule, inputs, entry_contexts):
            hits.append(Hit(rule, _row(definitions, decision, table, rule, context)))
            if table.hit_policy is HitPolicy.FIRST:
                break
    selected = select_hits(table, hits, decision.name)
    matched = [MatchedRule(hit.rule.index, hit.rule.id, hit.rule.annotations) for hit in selected]
    rows = [hit.row for hit in selected]
    if not rows:
        rows = _default_rows(definitions, decision, table, context)
    single = len(table.outputs) == 1
    name = table.outputs[0].name
    if table.aggregation is not None:
        value = aggregate(table.aggregation, [row[name] for row in rows], decision.name)
        return value, [{name: value}] if rows or value is not None else [], matched
    if not rows:
        return None, [], matched
    shaped = [row[name] if single else row for row in rows]
    return (shaped[0] if table.hit_policy.single_hit else shaped), rows, matched


def _input_values(decision: Decision, table: DecisionTable, context: Mapping[str, Any]) -> list[Any]:
    values = []
    for index, clause in enumerate(table.inputs, start=1):
        what = f"input {index}" + (f" ({clause.label})" if clause.label else "")
        value = _run(clause.expression, context, decision, what)
        if value is not None and clause.allowed_values is not None:
            try:
                allowed = clause.allowed_values.matches(value, context)
            except ExpressionError as err:
                message = f"decision {decision.name!r}, {what} input values: {err.message}"
                raise DecisionError(message) from err
            if not allowed:
                value = None  # a value outside the input values is treated as null
        values.append(value)
    return values


def _matches(
    decision: Decision, rule: Rule, inputs: list[Any], entry_contexts: list[Mapping[str, Any]]
) -> bool:
    column = 0
    try:
        for column, tests in enumerate(rule.input_entries):
            if not tests.matches(inputs[column], entry_contexts[column]):
                return False
    except ExpressionError as err:
        raise DecisionError(
            f"decision {decision.name!r}, rule {rule.index}, input {column + 1}: {err.message}"
        ) from err
    return True


def _row(
    definitions: DmnDefinitions,
    decision: Decision,
    table: DecisionTable,
    rule: Rule,
    context: Mapping[str, Any],
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column, (output, entry) in enumerate(zip(table.outputs, rule.output_entries, strict=True), start=1):
        what = f"rule {rule.index}, output {column} ({output.name})"
        value = None if entry is None else _run(entry, context, decision, what)
        row[output.name] = conform(value, output.type_ref, definitions.item_definitions)
    return row


def _default_rows(
    definitions: DmnDefinitions, decision: Decision, table: DecisionTable, context: Mapping[str, Any]
) -> list[dict[str, Any]]:
    if not any(output.default is not None for output in table.outputs):
        return []
    row: dict[str, Any] = {}
    for output in table.outputs:
        value = None
        if output.default is not None:
            value = _run(output.default, context, decision, f"default output entry of {output.name}")
        row[output.name] = conform(value, output.type_ref, definitions.item_definitions)
    return [row]
