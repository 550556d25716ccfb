"""Hit policies: which matched rules make the result, in which order (DMN 1.3, 8.2.11).

Single hit: UNIQUE (at most one rule may match), ANY (all matches must give
the same outputs), FIRST (the first match in rule order), PRIORITY (the match
whose outputs come first in the output values lists). Multiple hits: RULE
ORDER, OUTPUT ORDER (sorted by the same priorities), COLLECT (in rule order),
optionally aggregated with SUM, MIN, MAX or COUNT.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from conveyor.engine.dmn.model import Aggregation, DecisionTable, HitPolicy, Rule
from conveyor.engine.errors import DecisionError


@dataclass(frozen=True, slots=True)
class Hit:
    """A matched rule and its output row ``{output name: value}``."""

    rule: Rule
    row: dict[str, Any]


def _rules(hits: list[Hit]) -> str:
    return ", ".join(f"rule {hit.rule.index}" + (f" ({hit.rule.id})" if hit.rule.id else "") for hit in hits)


def select_hits(table: DecisionTable, hits: list[Hit], decision_name: str) -> list[Hit]:
    """The hits that make the result, in result order; raise ``DecisionError`` on a violated policy."""
    policy = table.hit_policy
    if len(hits) <= 1:
        return hits
    if policy is HitPolicy.UNIQUE:
        raise DecisionError(
            f"decision {decision_name!r} has hit policy UNIQUE but {len(hits)} rules matched: "
            f"{_rules(hits)}; "
            "make the rules exclusive or choose another hit policy (FIRST, PRIORITY, COLLECT...)"
        )
    if policy is HitPolicy.ANY:
        if any(hit.row != hits[0].row for hit in hits[1:]):
            raise DecisionError(
                f"decision {decision_name!r} has hit policy ANY but the matching rules give different "
                f"outputs: {_rules(hits)}; make their outputs equal or choose another hit policy"
            )
        return hits[:1]
    if policy is HitPolicy.FIRST:
        return hits[:1]
    if policy is HitPolicy.PRIORITY:
        return [min(hits, key=lambda hit: priority(table, hit.row))]
    if policy is HitPolicy.OUTPUT_ORDER:
        return sorted(hits, key=lambda hit: priority(table, hit.row))
    return hits  # RULE ORDER and COLLECT keep rule order


def priority(table: DecisionTable, row: dict[str, Any]) -> tuple[int, ...]:
    """The rank of a row: for each output with output values, the position of its value in them."""
    key: list[int] = []
    for output in table.outputs:
        if not output.priorities:
            continue
        value = row.get(output.name)
        rank = next(
            (index for index, tests in enumerate(output.priorities) if tests.matches(value, {})),
            len(output.priorities),
        )
        key.append(rank)
    return tuple(key)


def aggregate(aggregation: Aggregation, values: list[Any], decision_name: str) -> Any:
    """COLLECT with an aggregation. COUNT counts every row (0 if none); SUM, MIN and MAX leave
    null outputs out and give null when nothing is left."""
    if aggregation is Aggregation.COUNT:
        return Decimal(len(values))
    present = [value for value in values if value is not None]
    if not present:
        return None
    if aggregation is Aggregation.SUM:
        numbers = [_as_number(value, decision_name) for value in present]
        return sum(numbers, Decimal(0))
    try:
        return min(present) if aggregation is Aggregation.MIN else max(present)
    except TypeError as err:
        raise DecisionError(
            f"decision {decision_name!r} aggregates with {aggregation} outputs that cannot be compared: "
            f"{present!r}"
        ) from err


def _as_number(value: Any, decision_name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise DecisionError(
            f"decision {decision_name!r} sums its outputs (COLLECT SUM) but one of them is {value!r}, "
            "not a number; make the output entries numbers"
        )
    return value if isinstance(value, Decimal) else Decimal(str(value))
