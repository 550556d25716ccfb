"""The deployed models as one engine ``ModelLibrary``, loaded from the database and kept fresh.

Definitions never change once stored (a redeploy is a new version), so each
process keeps one parsed and compiled copy per Conveyor process. The cache
catches up with deployments made elsewhere (another API or worker process)
by reading only definitions newer than the last deployment it has seen:
whenever a restored instance names a version it does not hold yet, and when
an instance starts on "the latest version" -- then at most once per
``LATEST_CHECK_SECONDS`` (one indexed ``max(id)`` query), so a version deployed
by another process is used by this one's new instances within that time.
Deploying through this process refreshes at once.
"""

from __future__ import annotations

import threading
import time

from conveyor.adapters.db.raw import SessionSource, resolve
from conveyor.adapters.workflow.definitions import DefinitionRow, DefinitionStore
from conveyor.engine.bpmn import parse_bpmn
from conveyor.engine.dmn import parse_dmn
from conveyor.engine.runtime import ModelLibrary
from conveyor.engine.runtime.compiled import CompiledProcess
from conveyor.errors import NotFound

LATEST_CHECK_SECONDS = 1.0


class DeployedModels:
    """See the module docstring. Safe to share between threads."""

    def __init__(self) -> None:
        self.library = ModelLibrary()
        self._seen = 0
        self._ids: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()
        self._checked_at = float("-inf")

    def refresh(self, session: SessionSource, *, max_age: float = 0.0) -> None:
        """Load every definition deployed since the last refresh (unless checked within ``max_age`` s)."""
        now = time.monotonic()
        if now - self._checked_at < max_age:
            return
        self._checked_at = now
        store = DefinitionStore(resolve(session))
        if store.last_deployment_id() <= self._seen:
            return
        with self._lock:
            for row in store.since(self._seen):
                self._load(row)
                self._seen = max(self._seen, row.deployment_id)

    def _load(self, row: DefinitionRow) -> None:
        assert row.source is not None
        if row.kind == "dmn":
            definitions = parse_dmn(row.source, file=f"{row.key}.v{row.version}.dmn")
            self.library.decisions.add(definitions, version=row.version, replace=True)
            return
        parsed = parse_bpmn(row.source, file=f"{row.key}.v{row.version}.bpmn")
        spec = parsed.processes.get(row.key)
        if spec is not None:
            self.library.add_process(spec, version=row.version)
            self._ids[(row.key, row.version)] = row.id

    def process(self, session: SessionSource, key: str, version: int | None = None) -> CompiledProcess:
        """The compiled process (latest version unless ``version``); ``NotFound`` names the known ones."""
        if (key, version) not in self._ids:
            self.refresh(
                session, max_age=LATEST_CHECK_SECONDS if version is None and key in self.keys() else 0.0
            )
        if version is None:
            versions = self.library.versions(key)
            if not versions:
                known = ", ".join(sorted(k for k, _ in self._ids)) or "none"
                raise NotFound(
                    f"No process {key!r} is deployed (deployed: {known}); "
                    "deploy it with `conveyor process deploy FILE.bpmn`"
                )
            version = versions[-1]
        if (key, version) not in self._ids:
            raise NotFound(
                f"Process {key!r} has no version {version} (versions: {self.library.versions(key) or 'none'})"
            )
        return self.library.process(key, version)

    def keys(self) -> list[str]:
        return self.library.process_ids()

    def definition_id(self, key: str, version: int) -> int:
        return self._ids[(key, version)]
