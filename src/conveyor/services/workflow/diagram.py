"""A deployed process version's diagram as SVG, optionally with one instance's path on it.

The drawing is the engine's (``conveyor.engine.bpmn.diagram``); this module
finds the stored source and, for ``instance=ID``, what to highlight: nodes the
instance completed (from its history), nodes where it is now (its waits and
tokens), and nodes with an open incident (red).
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from conveyor.adapters.db.workflow_tables import incidents, process_instances, waits
from conveyor.adapters.workflow.definitions import DefinitionStore
from conveyor.adapters.workflow.history import history_entries
from conveyor.engine.bpmn.diagram import Highlight, NoDiagram, render_svg
from conveyor.errors import InvalidInput, NotFound


class NoDiagramInformation(InvalidInput):
    """The model was deployed without BPMNDI (shapes and edges), so there is nothing to draw."""

    code = "no_diagram"
    title = "No diagram information"


def instance_highlight(session: Session, instance_id: str) -> tuple[str, int, Highlight]:
    """``(process, version, highlight)`` of a stored instance."""
    pi = process_instances.c
    row = session.execute(
        select(pi.process_key, pi.version, pi.engine_state).where(pi.id == instance_id)
    ).first()
    if row is None:
        raise NotFound(f"No process instance {instance_id!r}")
    state = json.loads(row.engine_state)
    active = {str(token[1]) for token in state.get("t", []) if len(token) > 1 and token[1]}
    open_incidents: set[str] = set()
    for node, kind in session.execute(
        select(waits.c.node_id, waits.c.kind).where(waits.c.instance_id == instance_id)
    ):
        (open_incidents if kind == "incident" else active).add(node)
    open_incidents.update(
        node
        for (node,) in session.execute(
            select(incidents.c.node_id).where(
                incidents.c.instance_id == instance_id, incidents.c.state == "open"
            )
        )
    )
    completed = {
        e.node_id
        for e in history_entries(session, instance_id)
        if e.event == "node.completed" and e.node_id is not None
    }
    highlight = Highlight(
        completed=frozenset(completed - active - open_incidents),
        active=frozenset(active - open_incidents),
        incidents=frozenset(open_incidents),
    )
    return str(row.process_key), int(row.version), highlight


def process_diagram(
    session: Session, key: str, version: int | None = None, *, instance_id: str | None = None
) -> str:
    """The SVG of ``key`` at ``version`` (latest when None), with ``instance_id``'s path if given."""
    highlight = None
    if instance_id is not None:
        process, instance_version, highlight = instance_highlight(session, instance_id)
        if process != key or (version is not None and version != instance_version):
            raise InvalidInput(
                f"Instance {instance_id} runs {process!r} version {instance_version}, "
                f"not {key!r}" + (f" version {version}" if version is not None else ""),
                errors=[{"loc": ["query", "instance"], "msg": "belongs to another process or version"}],
            )
        version = instance_version
    row = DefinitionStore(session).get(key, version)
    if row is None or row.source is None:
        raise NotFound(f"No deployed process {key!r}" + (f" version {version}" if version else ""))
    if row.kind != "bpmn":
        raise NotFound(f"{key!r} is a {row.kind.upper()} decision, not a process; it has no diagram")
    try:
        return render_svg(row.source, process_id=key, highlight=highlight, file=f"{key}.v{row.version}.bpmn")
    except NoDiagram as err:
        raise NoDiagramInformation(
            f"Process {key!r} version {row.version} has no diagram information: {err}"
        ) from err
