"""Deployed definitions: storing versions of BPMN processes and DMN decisions, and reading them back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from conveyor.adapters.db.workflow_tables import deployments, process_definitions, process_instances


@dataclass(frozen=True, slots=True)
class DefinitionRow:
    id: int
    deployment_id: int
    key: str
    kind: str
    version: int
    checksum: str
    name: str | None
    deployed_at: datetime
    source: str | None = None


_COLUMNS = (
    process_definitions.c.id,
    process_definitions.c.deployment_id,
    process_definitions.c.key,
    process_definitions.c.kind,
    process_definitions.c.version,
    process_definitions.c.checksum,
    process_definitions.c.name,
    process_definitions.c.deployed_at,
)


def _row(row: object, with_source: bool = False) -> DefinitionRow:
    m = row._mapping  # type: ignore[attr-defined]
    return DefinitionRow(
        id=m["id"],
        deployment_id=m["deployment_id"],
        key=m["key"],
        kind=m["kind"],
        version=m["version"],
        checksum=m["checksum"],
        name=m["name"],
        deployed_at=m["deployed_at"],
        source=m["source"] if with_source else None,
    )


class DefinitionStore:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add_deployment(self, *, file_name: str | None, checksum: str, at: datetime, by: str | None) -> int:
        return int(
            self._s.execute(
                insert(deployments)
                .values(file_name=file_name, checksum=checksum, deployed_at=at, deployed_by=by)
                .returning(deployments.c.id)
            ).scalar_one()
        )

    def add_definition(
        self,
        *,
        deployment_id: int,
        key: str,
        kind: str,
        version: int,
        checksum: str,
        name: str | None,
        source: str,
        at: datetime,
    ) -> DefinitionRow:
        new_id = self._s.execute(
            insert(process_definitions)
            .values(
                deployment_id=deployment_id,
                key=key,
                kind=kind,
                version=version,
                checksum=checksum,
                name=name,
                source=source,
                deployed_at=at,
            )
            .returning(process_definitions.c.id)
        ).scalar_one()
        return DefinitionRow(new_id, deployment_id, key, kind, version, checksum, name, at)

    def find_by_checksum(self, key: str, kind: str, checksum: str) -> DefinitionRow | None:
        row = self._s.execute(
            select(*_COLUMNS).where(
                process_definitions.c.key == key,
                process_definitions.c.kind == kind,
                process_definitions.c.checksum == checksum,
            )
        ).first()
        return _row(row) if row else None

    def latest_version(self, key: str, kind: str) -> int:
        found = self._s.execute(
            select(func.max(process_definitions.c.version)).where(
                process_definitions.c.key == key, process_definitions.c.kind == kind
            )
        ).scalar_one()
        return int(found or 0)

    def get(self, key: str, version: int | None = None, kind: str | None = None) -> DefinitionRow | None:
        query = select(*_COLUMNS, process_definitions.c.source).where(process_definitions.c.key == key)
        if kind is not None:
            query = query.where(process_definitions.c.kind == kind)
        if version is not None:
            query = query.where(process_definitions.c.version == version)
        row = self._s.execute(query.order_by(process_definitions.c.version.desc()).limit(1)).first()
        return _row(row, with_source=True) if row else None

    def all(self, key: str | None = None) -> list[DefinitionRow]:
        query = select(*_COLUMNS).order_by(process_definitions.c.key, process_definitions.c.version)
        if key is not None:
            query = query.where(process_definitions.c.key == key)
        return [_row(row) for row in self._s.execute(query)]

    def since(self, deployment_id: int) -> list[DefinitionRow]:
        """Definitions deployed after ``deployment_id``, with their source, in deployment order."""
        query = (
            select(*_COLUMNS, process_definitions.c.source)
            .where(process_definitions.c.deployment_id > deployment_id)
            .order_by(process_definitions.c.deployment_id, process_definitions.c.id)
        )
        return [_row(row, with_source=True) for row in self._s.execute(query)]

    def last_deployment_id(self) -> int:
        return int(self._s.execute(select(func.max(deployments.c.id))).scalar_one() or 0)

    def instance_counts(self) -> dict[tuple[str, int], dict[str, int]]:
        """(process key, version) -> {state: number of instances}."""
        query = select(
            process_instances.c.process_key,
            process_instances.c.version,
            process_instances.c.state,
            func.count(),
        ).group_by(process_instances.c.process_key, process_instances.c.version, process_instances.c.state)
        counts: dict[tuple[str, int], dict[str, int]] = {}
        for key, version, state, number in self._s.execute(query):
            counts.setdefault((key, version), {})[state] = int(number)
        return counts
