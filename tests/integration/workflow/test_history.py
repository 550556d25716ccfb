"""Workflow history stored as one row per step: entry ids, paging, the view, the migration (both ways)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, MetaData, String, Table, insert, inspect, null, select
from workflow_models import bpmn, flow

from conveyor.adapters.db import schema
from conveyor.adapters.db.types import UtcDateTime
from conveyor.adapters.workflow.history import (
    ENTRIES_PER_ROW,
    HistoryEntry,
    entries_view,
    history_entries,
)
from conveyor.adapters.workflow.instances import InstanceStore
from conveyor.bootstrap import Runtime
from conveyor.services.workflow import Workflow, queries

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def chain(nodes: int = 7) -> str:
    """start -> n1 ... nN (plain tasks, passed through in one step) -> review (user task) -> end."""
    names = [f"n{i}" for i in range(1, nodes + 1)]
    path = ["start", *names, "review", "end"]
    tasks = "".join(f'<bpmn:task id="{n}"/>' for n in names)
    flows = "".join(flow(a, b) for a, b in pairwise(path))
    return bpmn(
        f"""<bpmn:process id="chain" isExecutable="true">
  <bpmn:startEvent id="start"/>{tasks}<bpmn:userTask id="review"/><bpmn:endEvent id="end"/>
  {flows}
</bpmn:process>
"""
    )


def _entries(runtime: Runtime, instance_id: str, **paging: Any) -> list[HistoryEntry]:
    with runtime.session_factory() as session:
        return history_entries(session, instance_id, **paging)


def _rows(sql: Callable[..., list[Any]], instance_id: str) -> list[tuple[int, list[Any]]]:
    rows = sql("SELECT id, entries FROM workflow_history WHERE instance_id = :i ORDER BY id", i=instance_id)
    return [(r[0], json.loads(r[1]) if isinstance(r[1], str) else r[1]) for r in rows]


def _complete_review(workflow: Workflow, instance_id: str) -> None:
    with workflow.session_factory() as session:
        (task,) = queries.list_tasks(session, instance_id=instance_id)
    workflow.claim_task(task["id"], "ann")
    workflow.complete_task(task["id"], {"ok": True}, completed_by="ann")


def test_a_step_writes_one_history_row_holding_all_its_entries(
    workflow: Workflow, migrated_runtime: Runtime, sql: Callable[..., list[Any]]
) -> None:
    workflow.deploy(chain())
    started = workflow.start("chain", {"total": 3})
    ((row_id, stored),) = _rows(sql, started.id)
    entries = _entries(migrated_runtime, started.id)
    assert len(entries) == len(stored) >= 15
    assert [e.id for e in entries] == [row_id * ENTRIES_PER_ROW + p for p in range(len(stored))]
    events = [(e.event, e.node_id) for e in entries]
    for expected in [("variable.set", "total"), ("node.completed", "n7"), ("task.created", "review")]:
        assert expected in events
    assert events.index(("node.entered", "n1")) < events.index(("node.completed", "n7"))
    assert all(len(item) == 3 for item in stored)  # one time for the whole step: no entry carries its own

    _complete_review(workflow, started.id)  # the claim and the completion: one row each
    rows = _rows(sql, started.id)
    assert len(rows) == 3
    after = _entries(migrated_runtime, started.id)
    assert after[: len(entries)] == entries
    assert [e.id for e in after] == sorted({e.id for e in after})
    assert ("task.assigned", "review") in [(e.event, e.node_id) for e in after]
    assert after[-1].event.startswith("instance.")


def test_more_than_a_thousand_entries_take_several_rows_with_increasing_ids(
    migrated_runtime: Runtime, sql: Callable[..., list[Any]]
) -> None:
    written = [(T0, "variable.set", f"v{i}", {"n": i}) for i in range(2 * ENTRIES_PER_ROW + 500)]
    with migrated_runtime.session_factory() as session:
        InstanceStore(session).append_history_fast("many", written)
        session.commit()
    rows = _rows(sql, "many")
    assert [len(items) for _, items in rows] == [ENTRIES_PER_ROW, ENTRIES_PER_ROW, 500]
    read = _entries(migrated_runtime, "many")
    assert [(e.at, e.event, e.node_id, e.data) for e in read] == written
    ids = [e.id for e in read]
    assert ids == [row_id * ENTRIES_PER_ROW + p for row_id, items in rows for p in range(len(items))]
    assert all(a < b for a, b in pairwise(ids))
    # paging over row boundaries: after an id (mid-row or a row's last entry), with and without a limit
    assert _entries(migrated_runtime, "many", after=ids[995], limit=10) == read[996:1006]
    assert _entries(migrated_runtime, "many", after=ids[999], limit=3) == read[1000:1003]
    assert _entries(migrated_runtime, "many", after=ids[1500]) == read[1501:]
    assert _entries(migrated_runtime, "many", limit=2) == read[:2]
    assert _entries(migrated_runtime, "many", after=ids[-1]) == []
    assert _entries(migrated_runtime, "many", after=0, limit=0) == []


def test_an_entry_carries_its_own_time_only_when_it_differs_from_its_rows(
    migrated_runtime: Runtime, sql: Callable[..., list[Any]]
) -> None:
    later = T0 + timedelta(seconds=1, microseconds=5)
    written = [(T0, "a", None, None), (later, "b", "n", [1, "x"]), (T0, "c", "n", "text")]
    with migrated_runtime.session_factory() as session:
        InstanceStore(session).append_history_fast("timed", written)
        session.commit()
    ((_, stored),) = _rows(sql, "timed")
    assert stored == [
        ["a", None, None], ["b", "n", [1, "x"], "2026-03-02T09:00:01.000005Z"], ["c", "n", "text"]
    ]
    read = _entries(migrated_runtime, "timed")
    assert [(e.at, e.event, e.node_id, e.data) for e in read] == written
    assert all(e.at.utcoffset() == timedelta(0) for e in read)


def test_the_view_expands_the_rows_as_the_reader_does(workflow: Workflow, migrated_runtime: Runtime) -> None:
    workflow.deploy(chain(3))
    started = workflow.start("chain", {"total": 3, "note": "é", "flags": [True, None]})
    _complete_review(workflow, started.id)
    values: list[Any] = [None, "text", "null", 0, 2.5, True, False, [1, [2]], {"k": {"v": None}}, "ü €"]
    later = T0 + timedelta(minutes=5)
    written = [
        (later if i % 3 == 0 else T0, f"e{i}", f"n{i}" if i % 2 else None, v) for i, v in enumerate(values)
    ]
    with migrated_runtime.session_factory() as session:
        InstanceStore(session).append_history_fast("crafted", written)
        session.commit()
    with migrated_runtime.session_factory() as session:
        viewed = [tuple(r) for r in session.execute(select(entries_view).order_by(entries_view.c.id))]
        expected = [
            (e.id, instance_id, *e[1:])
            for instance_id in sorted({started.id, "crafted"}, key=lambda i: i != started.id)
            for e in history_entries(session, instance_id)
        ]
    assert viewed == expected
    assert len(viewed) > len(values)


def test_instance_detail_pages_through_history_across_steps(workflow: Workflow) -> None:
    workflow.deploy(chain(3))
    started = workflow.start("chain", {"total": 3})
    _complete_review(workflow, started.id)
    with workflow.session_factory() as session:
        full = queries.instance_detail(session, started.id, history_limit=1000)
        pages: list[list[dict[str, Any]]] = []
        after = None
        while True:
            page = queries.instance_detail(session, started.id, history_limit=4, history_after=after)
            pages.append(page["history"])
            after = page["history_next"]
            if after is None:
                break
            assert after == page["history"][-1]["id"]
    assert full["history_next"] is None
    assert [h for page in pages for h in page] == full["history"]
    assert all(len(page) == 4 for page in pages[:-1]) and len(pages) > 3
    ids = [h["id"] for h in full["history"]]
    assert ids == sorted(set(ids)) and len({i // ENTRIES_PER_ROW for i in ids}) == 3  # three steps
    assert set(full["history"][0]) == {"id", "at", "event", "node", "data"}
    assert {"event": "variable.set", "node": "total", "data": 3}.items() <= next(
        h for h in full["history"] if h["event"] == "variable.set"
    ).items()


# --- migration 0013 ---------------------------------------------------------------------------

#: workflow_history as migration 0002 made it (one row per entry)
OLD_HISTORY = Table(
    "workflow_history",
    MetaData(),
    Column("id", BigInteger, primary_key=True),
    Column("instance_id", String(100)),
    Column("at", UtcDateTime()),
    Column("event", String(32)),
    Column("node_id", String(200)),
    Column("data", JSON),
)


def test_the_migration_converts_history_rows_both_ways(runtime: Runtime) -> None:
    engine = runtime.engine
    schema.upgrade(engine, "0012")
    old = [
        {"instance_id": "a", "at": T0, "event": "instance.started", "node_id": "p", "data": null()},
        {"instance_id": "b", "at": T0, "event": "node.entered", "node_id": "start", "data": null()},
        {"instance_id": "a", "at": T0, "event": "variable.set", "node_id": "total", "data": {"$d": "1.50"}},
        {"instance_id": "a", "at": T0 + timedelta(seconds=2), "event": "variable.set", "node_id": "s",
         "data": "text"},
        {"instance_id": "a", "at": T0 + timedelta(seconds=2), "event": "task.assigned", "node_id": "qc",
         "data": {"task": 1, "actor": None}},
        {"instance_id": "b", "at": T0, "event": "variable.set", "node_id": "n", "data": None},  # JSON null
        {"instance_id": "a", "at": T0 + timedelta(hours=1), "event": "instance.completed", "node_id": None,
         "data": [1, True]},
    ]  # fmt: skip
    with engine.begin() as connection:
        for row in old:
            connection.execute(insert(OLD_HISTORY).values(**row))
        stored = connection.execute(select(OLD_HISTORY).order_by(OLD_HISTORY.c.id)).all()

    def as_entry(row: Any) -> HistoryEntry:
        return HistoryEntry(row.id * ENTRIES_PER_ROW, row.at, row.event, row.node_id, row.data)

    schema.upgrade(engine)
    with runtime.session_factory() as session:
        for instance_id in ("a", "b"):
            expected = [as_entry(r) for r in stored if r.instance_id == instance_id]
            assert history_entries(session, instance_id) == expected
        # a step written after the upgrade comes after the converted rows
        later = T0 + timedelta(hours=2)
        step = [(later, "node.entered", "x", None), (later, "node.completed", "x", 7)]
        InstanceStore(session).append_history_fast("a", step)
        session.commit()
        upgraded = history_entries(session, "a")
        assert [(e.at, e.event, e.node_id, e.data) for e in upgraded[-2:]] == step
        assert upgraded[-2].id > upgraded[-3].id and upgraded[-1].id == upgraded[-2].id + 1
        everything = [(e, "a") for e in upgraded] + [(e, "b") for e in history_entries(session, "b")]
        viewed = [tuple(r) for r in session.execute(select(entries_view).order_by(entries_view.c.id))]
    assert viewed == sorted(((e.id, i, *e[1:]) for e, i in everything), key=lambda r: r[0])

    schema.downgrade(engine, "0012")
    assert "workflow_history_entries" not in inspect(engine).get_view_names()
    assert {c["name"] for c in inspect(engine).get_columns("workflow_history")} == {
        "id", "instance_id", "at", "event", "node_id", "data"
    }
    with engine.begin() as connection:
        rows = connection.execute(select(OLD_HISTORY).order_by(OLD_HISTORY.c.id)).all()
        # an entry's id becomes its row's id; new rows continue after them
        assert [(r.id, r.instance_id, r.at, r.event, r.node_id, r.data) for r in rows] == sorted(
            ((e.id, i, *e[1:]) for e, i in everything), key=lambda r: r[0]
        )
        added = connection.execute(
            insert(OLD_HISTORY).values(instance_id="c", at=T0, event="instance.started", node_id="p")
        ).inserted_primary_key
        assert added is not None and added[0] > rows[-1].id
    schema.upgrade(engine)
    with runtime.session_factory() as session:
        assert [(e.at, e.event, e.node_id, e.data) for e in history_entries(session, "a")] == [
            (e.at, e.event, e.node_id, e.data) for e in upgraded
        ]
