"""``DecisionLibrary``: every loaded decision, by id, across several DMN files.

A BPMN business rule task names a decision by id (``camunda:decisionRef`` or
``zeebe:calledDecision decisionId``); the file it lives in does not matter.
``conveyor bpmn run order.bpmn rules.dmn`` and deployments fill one library so
the runtime can resolve any of them. A decision keeps evaluating inside its
own file, so its required decisions come from the same file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from conveyor.engine.dmn.evaluation import evaluate_decision
from conveyor.engine.dmn.model import Decision, DmnDefinitions
from conveyor.engine.dmn.result import DecisionResult
from conveyor.engine.errors import DecisionError, ModelError, Problem


class DecisionLibrary(Mapping[str, Decision]):
    """A read-only mapping ``decision id -> Decision`` that also evaluates them."""

    def __init__(self, definitions: list[DmnDefinitions] | None = None) -> None:
        self._decisions: dict[str, Decision] = {}
        self._home: dict[str, DmnDefinitions] = {}
        for item in definitions or []:
            self.add(item)

    def add(self, definitions: DmnDefinitions, *, replace: bool = False) -> None:
        """Add a file's decisions. A decision id already loaded from another file is refused
        (``ModelError``) unless ``replace`` is set, as when a newer version is deployed."""
        if not replace:
            clashes = [
                Problem(
                    "error",
                    "dmn.duplicate_decision",
                    f"decision {decision_id!r} is also defined in "
                    f"{self._home[decision_id].file or 'another file'}",
                    element_id=decision_id,
                    element_name=decision.name,
                    line=decision.line,
                    file=definitions.file,
                    hint="decision ids must be unique across the files loaded together",
                )
                for decision_id, decision in definitions.decisions.items()
                if decision_id in self._home and self._home[decision_id] is not definitions
            ]
            if clashes:
                raise ModelError(clashes, file=definitions.file)
        for decision_id, decision in definitions.decisions.items():
            self._decisions[decision_id] = decision
            self._home[decision_id] = definitions

    def definitions_of(self, decision_id: str) -> DmnDefinitions:
        try:
            return self._home[decision_id]
        except KeyError:
            known = ", ".join(sorted(self._decisions)) or "none"
            raise DecisionError(
                f"no decision {decision_id!r} is loaded (loaded: {known}); load the DMN file that defines it"
            ) from None

    def evaluate(self, decision_id: str, variables: Mapping[str, Any]) -> DecisionResult:
        return evaluate_decision(self.definitions_of(decision_id), decision_id, variables)

    def __getitem__(self, decision_id: str) -> Decision:
        return self._decisions[decision_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decisions)

    def __len__(self) -> int:
        return len(self._decisions)
