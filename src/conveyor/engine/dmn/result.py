"""What evaluating a decision gives back, and how a business rule task stores it.

``DecisionResult.value`` is the DMN result (what a FEEL dependant or a Camunda 8
``resultVariable`` sees). ``outputs`` are the rows behind it, which is what the
Camunda 7 result mappings (``camunda:mapDecisionResult``) work on:

==============  =====================================================  ==========================
mode            gives                                                  refused when
==============  =====================================================  ==========================
singleEntry     the one output value of the one row (None if no row)   several rows or outputs
singleResult    the one row as a dict (None if no row)                 several rows
collectEntries  the one output of every row, as a list                 several outputs
resultList      every row as a dict, in a list (the default)           never
value           ``result.value`` as it is (Camunda 8 ``resultVariable``) never
==============  =====================================================  ==========================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conveyor.engine.errors import DecisionError

RESULT_MAPPINGS = ("singleEntry", "singleResult", "collectEntries", "resultList", "value")


@dataclass(frozen=True, slots=True)
class MatchedRule:
    """A rule that contributed to the result: its 1-based row number, id and annotations."""

    index: int
    id: str | None = None
    annotations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DecisionResult:
    decision_id: str
    decision_name: str
    #: the DMN result: a value, a dict (several outputs), a list (multiple hits) or an aggregate
    value: Any
    #: the rows behind ``value``, each ``{output name: value}``, in hit-policy order
    outputs: list[dict[str, Any]] = field(default_factory=list)
    matched_rules: list[MatchedRule] = field(default_factory=list)
    #: results of the decisions this one required (transitively), by decision id
    evaluated: dict[str, DecisionResult] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A plain-data view for history records (values are left as they are)."""
        return {
            "decision_id": self.decision_id,
            "decision_name": self.decision_name,
            "value": self.value,
            "outputs": [dict(row) for row in self.outputs],
            "matched_rules": [{"index": r.index, "id": r.id} for r in self.matched_rules],
            "evaluated": {key: result.value for key, result in self.evaluated.items()},
        }


def map_decision_result(result: DecisionResult, mode: str | None = "resultList") -> Any:
    """The value a business rule task stores in its result variable (Camunda 7 modes, or
    ``value`` for Camunda 8's ``zeebe:calledDecision resultVariable``)."""
    if mode == "value":
        return result.value
    rows = result.outputs
    name = f"decision {result.decision_id!r}"
    if mode in (None, "", "resultList"):
        return [dict(row) for row in rows]
    if mode == "singleResult":
        _at_most_one_row(rows, name, mode)
        return dict(rows[0]) if rows else None
    if mode == "singleEntry":
        _at_most_one_row(rows, name, mode)
        if not rows:
            return None
        _one_entry(rows[0], name, mode)
        return next(iter(rows[0].values()))
    if mode == "collectEntries":
        values = []
        for row in rows:
            _one_entry(row, name, mode)
            values.append(next(iter(row.values())))
        return values
    raise DecisionError(
        f"unknown decision result mapping {mode!r} for {name}; use one of {', '.join(RESULT_MAPPINGS)}"
    )


def _at_most_one_row(rows: list[dict[str, Any]], name: str, mode: str) -> None:
    if len(rows) > 1:
        raise DecisionError(
            f"{name} gave {len(rows)} results but mapDecisionResult={mode!r} takes at most one; "
            "use collectEntries or resultList, or a single-hit policy"
        )


def _one_entry(row: dict[str, Any], name: str, mode: str) -> None:
    if len(row) != 1:
        raise DecisionError(
            f"{name} gave a result with {len(row)} outputs ({', '.join(row)}) but "
            f"mapDecisionResult={mode!r} takes exactly one; use singleResult or resultList"
        )
