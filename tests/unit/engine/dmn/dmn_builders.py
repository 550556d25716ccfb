"""Small builders for decision specs, so hit-policy and mapping tests need no XML or FEEL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conveyor.engine.dmn import (
    Aggregation,
    Decision,
    DecisionTable,
    DmnDefinitions,
    HitPolicy,
    InputClause,
    OutputClause,
    Rule,
)

ANY = object()


@dataclass(frozen=True)
class Is:
    """An input entry that matches one value (or anything, with ANY)."""

    expected: Any

    def matches(self, input_value: Any, variables: Mapping[str, Any]) -> bool:
        return self.expected is ANY or input_value == self.expected


@dataclass(frozen=True)
class Value:
    value: Any
    source: str = ""

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        return self.value


@dataclass(frozen=True)
class Var:
    name: str

    @property
    def source(self) -> str:
        return self.name

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        return variables.get(self.name)


def table_decision(
    rules: list[tuple[list[Any], list[Any]]],
    *,
    hit_policy: HitPolicy = HitPolicy.UNIQUE,
    inputs: tuple[str, ...] = ("x",),
    outputs: tuple[str, ...] = ("out",),
    priorities: dict[str, list[Any]] | None = None,
    defaults: dict[str, Any] | None = None,
    aggregation: Aggregation | None = None,
    type_refs: dict[str, str] | None = None,
    decision_id: str = "d",
    required: tuple[str, ...] = (),
) -> Decision:
    priorities = priorities or {}
    defaults = defaults or {}
    type_refs = type_refs or {}
    table = DecisionTable(
        id=f"{decision_id}_table",
        hit_policy=hit_policy,
        inputs=tuple(InputClause(f"in_{name}", name, Var(name)) for name in inputs),
        outputs=tuple(
            OutputClause(
                f"out_{name}",
                name,
                type_ref=type_refs.get(name),
                priorities=tuple(Is(v) for v in priorities.get(name, [])),
                default=Value(defaults[name]) if name in defaults else None,
            )
            for name in outputs
        ),
        rules=tuple(
            Rule(index, f"r{index}", tuple(Is(v) for v in ins), tuple(Value(v) for v in outs))
            for index, (ins, outs) in enumerate(rules, start=1)
        ),
        aggregation=aggregation,
    )
    return Decision(decision_id, decision_id.upper(), table, required_decisions=required)


def definitions(*decisions: Decision) -> DmnDefinitions:
    return DmnDefinitions("defs", "defs", None, "1.3", {d.id: d for d in decisions}, file="test.dmn")
