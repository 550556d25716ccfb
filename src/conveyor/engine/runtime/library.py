"""``ModelLibrary``: the deployed processes (by id and version) and decisions an engine runs.

Versions are assigned by the caller (a deployment table); when it does not
say, each new definition of a process id gets the next number, in load order.
Instances pin the version they started with, so redeploying never changes a
running instance. Each version is compiled once and shared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from conveyor.engine.bpmn.model import Definitions, Event, ProcessSpec, Trigger
from conveyor.engine.dmn import DecisionLibrary, DmnDefinitions, map_decision_result
from conveyor.engine.errors import InstanceError
from conveyor.engine.runtime.compiled import CompiledProcess
from conveyor.engine.runtime.views import StartEventInfo


class UnknownProcess(InstanceError):
    code = "unknown_process"


class ModelLibrary:
    """See the module docstring."""

    def __init__(self) -> None:
        self._processes: dict[str, dict[int, CompiledProcess]] = {}
        self.decisions = DecisionLibrary()

    # --- loading ------------------------------------------------------------------------------

    def add_definitions(
        self, definitions: Definitions, *, version: int | None = None
    ) -> list[CompiledProcess]:
        """Add every executable process of a parsed BPMN file."""
        return [self.add_process(spec, version=version) for spec in definitions.executable_processes()]

    def add_process(self, spec: ProcessSpec, *, version: int | None = None) -> CompiledProcess:
        versions = self._processes.setdefault(spec.id, {})
        number = version if version is not None else max(versions, default=0) + 1
        compiled = CompiledProcess(spec, number)
        versions[number] = compiled
        return compiled

    def add_decisions(self, definitions: DmnDefinitions, *, replace: bool = False) -> None:
        self.decisions.add(definitions, replace=replace)

    @classmethod
    def from_files(cls, paths: Iterable[str | Path]) -> ModelLibrary:
        """Parse and load ``.bpmn`` and ``.dmn`` files (raises ``ModelError`` for a bad one)."""
        from conveyor.engine.bpmn import parse_bpmn
        from conveyor.engine.dmn import parse_dmn

        library = cls()
        for path in paths:
            file = Path(path)
            source = file.read_bytes()
            if file.suffix.lower() == ".dmn":
                library.add_decisions(parse_dmn(source, file=str(file)))
            else:
                library.add_definitions(parse_bpmn(source, file=str(file)))
        return library

    # --- resolving ----------------------------------------------------------------------------

    def process(self, process_id: str, version: int | None = None) -> CompiledProcess:
        versions = self._processes.get(process_id)
        if not versions:
            known = ", ".join(sorted(self._processes)) or "none"
            raise UnknownProcess(f"no process {process_id!r} is loaded (loaded: {known})")
        if version is None:
            return versions[max(versions)]
        try:
            return versions[version]
        except KeyError:
            raise UnknownProcess(
                f"process {process_id!r} has no version {version} (versions: {sorted(versions)})"
            ) from None

    def process_ids(self) -> list[str]:
        return list(self._processes)

    def versions(self, process_id: str) -> list[int]:
        return sorted(self._processes.get(process_id, {}))

    def decide(
        self, decision_id: str, variables: Mapping[str, Any], mapping: str, version: int | None = None
    ) -> Any:
        """Evaluate a decision and shape its result as a business rule task stores it."""
        return map_decision_result(self.decisions.evaluate(decision_id, variables, version), mapping)

    def start_events(self, trigger: str | None = None) -> list[StartEventInfo]:
        """Message, timer and signal start events of the latest versions (for routers and schedulers)."""
        found = []
        for process_id in self._processes:
            compiled = self.process(process_id)
            for start_id in compiled.starts_of_process():
                node = compiled.nodes[start_id]
                if not isinstance(node, Event) or node.trigger is Trigger.NONE:
                    continue
                if trigger is not None and node.trigger != trigger:
                    continue
                definition = node.definitions[0]
                found.append(
                    StartEventInfo(
                        process_id=process_id,
                        version=compiled.version,
                        node=start_id,
                        trigger=str(node.trigger),
                        message_name=definition.message.name if definition.message else None,
                        signal_name=definition.signal.name if definition.signal else None,
                        timer_kind=str(definition.timer_kind) if definition.timer_kind else None,
                        timer_value=definition.timer_value.source if definition.timer_value else None,
                    )
                )
        return found
