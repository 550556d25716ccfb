"""``DecisionLibrary``: every loaded decision, by id (and version), across several DMN files.

A BPMN business rule task names a decision by id (``camunda:decisionRef`` or
``zeebe:calledDecision decisionId``); the file it lives in does not matter.
``conveyor bpmn run order.bpmn rules.dmn`` and deployments fill one library so
the runtime can resolve any of them. A decision keeps evaluating inside its
own file, so its required decisions come from the same file.

Deploying a decision id again adds a version (numbers chosen by the caller, or
the next one); the latest is used unless a task pins a version
(``camunda:decisionRefBinding="version"``). Two files loaded together that
define the same decision id are refused instead, as that is a mistake.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from conveyor.engine.dmn.evaluation import evaluate_decision
from conveyor.engine.dmn.model import Decision, DmnDefinitions
from conveyor.engine.dmn.result import DecisionResult
from conveyor.engine.errors import DecisionError, ModelError, Problem


class DecisionLibrary(Mapping[str, Decision]):
    """A read-only mapping ``decision id -> latest Decision`` that also evaluates them."""

    def __init__(self, definitions: list[DmnDefinitions] | None = None) -> None:
        self._versions: dict[str, dict[int, DmnDefinitions]] = {}
        for item in definitions or []:
            self.add(item)

    def add(self, definitions: DmnDefinitions, *, version: int | None = None, replace: bool = False) -> None:
        """Add a file's decisions, as ``version`` or the next version of each.

        Without a version and without ``replace``, a decision id already loaded from
        another file is refused (``ModelError`` listing every clash).
        """
        if version is None and not replace:
            clashes = [
                self._clash(decision_id, decision, definitions)
                for decision_id, decision in definitions.decisions.items()
                if decision_id in self._versions
                and self._latest_definitions(decision_id) is not definitions
            ]
            if clashes:
                raise ModelError(clashes, file=definitions.file)
        for decision_id in definitions.decisions:
            versions = self._versions.setdefault(decision_id, {})
            number = version if version is not None else max(versions, default=0) + 1
            versions[number] = definitions

    def _clash(self, decision_id: str, decision: Decision, definitions: DmnDefinitions) -> Problem:
        other = self._latest_definitions(decision_id).file or "another file"
        return Problem(
            "error",
            "dmn.duplicate_decision",
            f"decision {decision_id!r} is also defined in {other}",
            element_id=decision_id,
            element_name=decision.name,
            line=decision.line,
            file=definitions.file,
            hint="decision ids must be unique across the files loaded together",
        )

    def _latest_definitions(self, decision_id: str) -> DmnDefinitions:
        versions = self._versions[decision_id]
        return versions[max(versions)]

    def versions(self, decision_id: str) -> list[int]:
        return sorted(self._versions.get(decision_id, {}))

    def definitions_of(self, decision_id: str, version: int | None = None) -> DmnDefinitions:
        versions = self._versions.get(decision_id)
        if not versions:
            known = ", ".join(sorted(self._versions)) or "none"
            raise DecisionError(
                f"no decision {decision_id!r} is loaded (loaded: {known}); load the DMN file that defines it"
            )
        if version is None:
            return versions[max(versions)]
        if version not in versions:
            raise DecisionError(
                f"decision {decision_id!r} has no version {version} (versions: {sorted(versions)})"
            )
        return versions[version]

    def evaluate(
        self, decision_id: str, variables: Mapping[str, Any], version: int | None = None
    ) -> DecisionResult:
        return evaluate_decision(self.definitions_of(decision_id, version), decision_id, variables)

    def __getitem__(self, decision_id: str) -> Decision:
        if decision_id not in self._versions:
            raise KeyError(decision_id)
        return self._latest_definitions(decision_id).decisions[decision_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._versions)

    def __len__(self) -> int:
        return len(self._versions)
