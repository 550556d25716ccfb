"""Deploying BPMN and DMN files: validate completely, then store a version per process/decision.

A file is validated by the engine's own parsers before anything is written, so
an invalid model comes back as one ``ModelError`` listing every problem. Each
executable process (or decision) in the file becomes a definition row with the
next version of its id; a file whose checksum is already stored for that id
adds nothing (redeploying an unchanged file is a no-op, so ``conveyor init`` can
deploy the bundled processes on every start).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from conveyor.adapters.workflow.definitions import DefinitionRow, DefinitionStore
from conveyor.engine.bpmn import parse_bpmn
from conveyor.engine.dmn import parse_dmn
from conveyor.errors import InvalidInput
from conveyor.services.unit_of_work import SqlUnitOfWork


@dataclass(frozen=True, slots=True)
class DeployedDefinition:
    definition: DefinitionRow
    created: bool  # False: the same file was already deployed as this version


def _kind(source: str, file_name: str | None) -> str:
    name = (file_name or "").lower()
    if name.endswith(".dmn"):
        return "dmn"
    if name.endswith((".bpmn", ".bpmn20.xml", ".xml")) and "DMN" not in source[:2000]:
        return "bpmn"
    head = source[:4000]
    return "dmn" if "omg.org/spec/DMN" in head else "bpmn"


def _entries(source: str, kind: str, file_name: str | None) -> list[tuple[str, str | None]]:
    """(id, name) of each process or decision the file defines; raises ``ModelError`` when invalid."""
    if kind == "dmn":
        dmn = parse_dmn(source, file=file_name)
        return [(d.id, d.name) for d in dmn.decisions.values()]
    bpmn = parse_bpmn(source, file=file_name)
    return [(p.id, p.name) for p in bpmn.executable_processes()]


def store_deployment(
    uow: SqlUnitOfWork,
    source: bytes | str,
    *,
    file_name: str | None = None,
    deployed_by: str | None = None,
) -> list[DeployedDefinition]:
    """Store one ``.bpmn`` or ``.dmn`` file in the open unit of work (the caller commits).

    Returns one entry per process/decision the file defines.
    """
    text = source.decode("utf-8-sig") if isinstance(source, bytes) else source
    if not text.strip():
        raise InvalidInput("The deployment is empty; send the BPMN or DMN XML")
    kind = _kind(text, file_name)
    entries = _entries(text, kind, file_name)
    if not entries:
        raise InvalidInput(
            f"{file_name or 'The file'} defines no executable process or decision; "
            'mark a process isExecutable="true"'
        )
    checksum = hashlib.sha256(text.encode("utf-8")).hexdigest()
    now = datetime.now(UTC)
    results: list[DeployedDefinition] = []
    store = DefinitionStore(uow.session)
    deployment_id: int | None = None
    for key, name in entries:
        existing = store.find_by_checksum(key, kind, checksum)
        if existing is not None:
            results.append(DeployedDefinition(existing, created=False))
            continue
        if deployment_id is None:
            deployment_id = store.add_deployment(
                file_name=file_name, checksum=checksum, at=now, by=deployed_by
            )
        row = store.add_definition(
            deployment_id=deployment_id,
            key=key,
            kind=kind,
            version=store.latest_version(key, kind) + 1,
            checksum=checksum,
            name=name,
            source=text,
            at=now,
        )
        results.append(DeployedDefinition(row, created=True))
        uow.record({"type": "process.deployed", "key": key, "kind": kind, "version": row.version})
    return results
