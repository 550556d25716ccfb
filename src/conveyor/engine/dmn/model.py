"""The parsed, validated form of a DMN file: immutable decision specs.

The parser compiles every FEEL text once (input expressions, input entries,
output entries, defaults, literal expressions), so evaluating a decision never
parses anything and a model that loaded is known to be free of syntax errors.
The names follow the DMN 1.3 specification (input clause, output clause, rule,
hit policy, aggregation, information requirement...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from conveyor.engine.errors import Problem


class Expression(Protocol):
    """A compiled expression (FEEL, or Camunda 7 JUEL) as the FEEL package returns it."""

    @property
    def source(self) -> str: ...

    def evaluate(self, variables: Mapping[str, Any]) -> Any: ...


class UnaryTests(Protocol):
    """A compiled input entry (``< 10``, ``"a","b"``, ``-``...)."""

    def matches(self, input_value: Any, variables: Mapping[str, Any]) -> bool: ...


class HitPolicy(StrEnum):
    UNIQUE = "UNIQUE"
    FIRST = "FIRST"
    PRIORITY = "PRIORITY"
    ANY = "ANY"
    COLLECT = "COLLECT"
    RULE_ORDER = "RULE ORDER"
    OUTPUT_ORDER = "OUTPUT ORDER"

    @property
    def single_hit(self) -> bool:
        return self in (HitPolicy.UNIQUE, HitPolicy.FIRST, HitPolicy.PRIORITY, HitPolicy.ANY)


class Aggregation(StrEnum):
    SUM = "SUM"
    MIN = "MIN"
    MAX = "MAX"
    COUNT = "COUNT"


@dataclass(frozen=True, slots=True)
class InputClause:
    """One column of conditions: an expression and, optionally, the values it may take."""

    id: str | None
    label: str | None
    expression: Expression
    type_ref: str | None = None
    #: ``inputValues``: a value outside them is treated as null (DMN 1.3, 8.3.2)
    allowed_values: UnaryTests | None = None
    #: Camunda 7 ``camunda:inputVariable``: the name entries may use for the input value
    input_variable: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class OutputClause:
    """One column of results. ``priorities`` are the ``outputValues``, in priority order."""

    id: str | None
    name: str
    label: str | None = None
    type_ref: str | None = None
    priorities: tuple[UnaryTests, ...] = ()
    default: Expression | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One row: every input entry must match for the output entries to count."""

    index: int  # 1-based, as a user counts rows in a modeler
    id: str | None
    input_entries: tuple[UnaryTests, ...]
    #: ``None`` stands for an empty output cell (a null result)
    output_entries: tuple[Expression | None, ...]
    annotations: tuple[str, ...] = ()
    description: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class DecisionTable:
    id: str | None
    hit_policy: HitPolicy
    inputs: tuple[InputClause, ...]
    outputs: tuple[OutputClause, ...]
    rules: tuple[Rule, ...]
    aggregation: Aggregation | None = None
    output_label: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class LiteralExpression:
    """A decision whose logic is one FEEL expression."""

    id: str | None
    expression: Expression
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    id: str
    name: str
    logic: DecisionTable | LiteralExpression
    #: ``variable/@typeRef``: the type the decision's value must conform to
    type_ref: str | None = None
    #: ids of the decisions this one requires (``informationRequirement/requiredDecision``)
    required_decisions: tuple[str, ...] = ()
    #: names of the input data it requires (``informationRequirement/requiredInput``)
    required_inputs: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True, slots=True)
class InputData:
    id: str
    name: str
    type_ref: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class ItemDefinition:
    """A named (or anonymous component) type: a base type, allowed values, components, collection."""

    name: str
    type_ref: str | None = None
    allowed_values: UnaryTests | None = None
    components: tuple[ItemDefinition, ...] = ()
    is_collection: bool = False


@dataclass(frozen=True, slots=True)
class DmnDefinitions:
    """Everything one DMN file defines, keyed by id (decisions in document order)."""

    id: str | None
    name: str | None
    namespace: str | None
    dmn_version: str
    decisions: Mapping[str, Decision]
    input_data: Mapping[str, InputData] = field(default_factory=dict)
    item_definitions: Mapping[str, ItemDefinition] = field(default_factory=dict)
    file: str | None = None
    #: doubtful things that did not stop the model from loading
    warnings: tuple[Problem, ...] = ()

    def find(self, id_or_name: str) -> Decision | None:
        """The decision with this id, else the one with this name (ids win)."""
        decision = self.decisions.get(id_or_name)
        if decision is not None:
            return decision
        return next((d for d in self.decisions.values() if d.name == id_or_name), None)
