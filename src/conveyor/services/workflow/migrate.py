"""Moving running instances from one version of a process to another.

An instance can move when every node it is at (tokens, waits, the
sub-process scopes it is inside) exists in the target version as the same kind
of element; the saved state names nodes by id, so moving is repointing the
instance at the other version. Instances that cannot move are listed with the
reason for each, and nothing is written on a dry run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from conveyor.adapters.db.workflow_tables import process_instances
from conveyor.adapters.workflow.instances import InstanceRow, InstanceStore
from conveyor.engine.runtime.compiled import CompiledProcess
from conveyor.errors import InvalidInput
from conveyor.services.workflow.context import StepContext

if TYPE_CHECKING:
    from conveyor.services.workflow.runtime import WorkflowRuntime


@dataclass
class MigrationReport:
    process: str
    from_version: int
    to_version: int
    dry_run: bool
    moved: list[str] = field(default_factory=list)
    refused: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "process": self.process,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "dry_run": self.dry_run,
            "moved": self.moved,
            "refused": [{"id": k, "reasons": v} for k, v in self.refused.items()],
        }


def _reasons(state: dict[str, Any], source: CompiledProcess, target: CompiledProcess) -> list[str]:
    nodes: set[str] = set()
    nodes.update(t[1] for t in state.get("t", []))
    nodes.update(w[4] for w in state.get("w", []))
    nodes.update(s[2] for s in state.get("s", []) if s[2] != source.id)
    reasons = []
    for node_id in sorted(nodes):
        old, new = source.nodes.get(node_id), target.nodes.get(node_id)
        if new is None:
            reasons.append(f"node {node_id!r} does not exist in version {target.version}")
        elif old is not None and old.kind != new.kind:
            reasons.append(
                f"node {node_id!r} is a {old.kind} in version {source.version} "
                f"but a {new.kind} in {target.version}"
            )
    return reasons


def migrate(
    runtime: WorkflowRuntime,
    ctx: StepContext,
    process: str,
    from_version: int,
    to_version: int,
    *,
    dry_run: bool,
) -> MigrationReport:
    session = ctx.uow.session
    if from_version == to_version:
        raise InvalidInput("The source and target versions are the same; nothing to migrate")
    source = runtime.models.process(session, process, from_version)
    target = runtime.models.process(session, process, to_version)
    report = MigrationReport(process, from_version, to_version, dry_run)
    ids = session.execute(
        select(process_instances.c.id)
        .where(
            process_instances.c.process_key == process,
            process_instances.c.version == from_version,
            process_instances.c.state.in_(("active", "failed")),
        )
        .order_by(process_instances.c.id)
    ).scalars()
    store = InstanceStore(session)
    for instance_id in list(ids):
        row = store.load(instance_id)
        if row is None:
            continue
        state = json.loads(row.engine_state)
        reasons = _reasons(state, source, target)
        if reasons:
            report.refused[instance_id] = reasons
            continue
        report.moved.append(instance_id)
        if not dry_run:
            _repoint(runtime, store, row, state, to_version, ctx)
    return report


def _repoint(
    runtime: WorkflowRuntime, store: InstanceStore, row: InstanceRow, state: dict[str, Any], version: int,
    ctx: StepContext,
) -> None:
    state["ver"] = version
    row.engine_state = json.dumps(state, separators=(",", ":"))
    row.version = version
    row.definition_id = runtime.models.definition_id(row.process_key, version)
    root = state["root"]
    variables: dict[str, Any] = next((s[5] for s in state["s"] if s[0] == root), {})
    store.save(row, variables=variables, now=ctx.now, ended=False)
    store.append_history(
        [{"instance_id": row.id, "at": ctx.now, "event": "instance.migrated", "node_id": None,
          "data": {"to_version": version}}]
    )
