"""Order status and timeline: what people see of where an order's workflow is.

Every state change of an order goes through ``milestone``: the event is
appended to the unit of work's ``events`` (the outbox of a later issue
publishes them) and the stored status moves by the domain's
``StatusProjection`` (a table from event type to status, so a model with a new
step needs a new entry, not new code). ``timeline`` reads the order's story
back from what is stored: its placement, the workflow's history (every node
entered, task created or completed, timer fired), pick confirmations,
hand-overs and the carrier's tracking events, oldest first.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from conveyor.adapters.db.workflow_tables import user_tasks, waits
from conveyor.adapters.repositories.orders import SqlOrders, StoredOrder, StoredPickList, StoredShipment
from conveyor.adapters.workflow.history import history_entries
from conveyor.domain.order_status import OrderStatus, StatusProjection
from conveyor.services.unit_of_work import SqlUnitOfWork

PROJECTION = StatusProjection()
FINAL_STATUSES = tuple(status.value for status in OrderStatus if status.is_final)

#: messages an order listens for all along (the model's event sub-processes, e.g. a cancellation
#: request): not shown as where the order waits
LISTENING_MESSAGES = frozenset({"order.cancel_requested"})
#: workflow history events worth showing on an order's timeline
_SHOWN_HISTORY = {"node.completed", "task.created", "task.completed", "timer.fired", "message.received"}


def milestone(
    uow: SqlUnitOfWork,
    order_id: str,
    event_type: str,
    at: datetime,
    *,
    moves_status: bool = True,
    **data: Any,
) -> None:
    """Record that ``event_type`` happened to the order and move its stored status.

    The projection's rule (a mapped event sets its status unless the status is
    final) is one guarded UPDATE, so a milestone costs one statement, or none
    for an event that does not move the status. ``moves_status=False`` records
    the event without projecting it: one parcel of a split order delivered is
    ``shipment.delivered`` for the feed, while the order is delivered only with
    ``order.delivered``.
    """
    status = PROJECTION.by_event.get(event_type) if moves_status else None
    if status is not None:
        SqlOrders(uow.session).set_status(order_id, status.value, at, unless=FINAL_STATUSES)
    uow.record({"type": event_type, "order_id": order_id, "at": at.isoformat(), **data})


def waiting_nodes(session: Session, instance_id: str | None) -> list[dict[str, Any]]:
    """The nodes the order's workflow waits at now (user tasks, messages, timers, incidents)."""
    if instance_id is None:
        return []
    query = select(waits.c.node_id, waits.c.kind, waits.c.due_at, waits.c.message_name)
    rows = session.execute(query.where(waits.c.instance_id == instance_id).order_by(waits.c.wait_id))
    return waiting_of((r.node_id, r.kind, r.due_at, r.message_name) for r in rows)


def waiting_of(
    waits_in_order: Iterable[tuple[str, str, datetime | None, str | None]],
) -> list[dict[str, Any]]:
    """``waiting_nodes`` from ``(node, kind, due_at, message)`` rows in wait order (read or just written)."""
    return [
        {"node": node, "kind": kind, "due_at": due_at, "message": message}
        for node, kind, due_at, message in waits_in_order
        if message not in LISTENING_MESSAGES
    ]


def open_tasks(session: Session, instance_id: str | None) -> list[dict[str, Any]]:
    if instance_id is None:
        return []
    c = user_tasks.c
    query = select(c.id, c.node_id, c.name, c.candidate_groups, c.assignee, c.state, c.created_at).where(
        c.instance_id == instance_id, c.state.in_(("created", "claimed"))
    )
    return [
        {
            "id": r.id,
            "node": r.node_id,
            "name": r.name,
            "candidate_groups": list(r.candidate_groups or []),
            "assignee": r.assignee,
            "state": r.state,
            "created_at": r.created_at,
        }
        for r in session.execute(query.order_by(c.id))
    ]


def timeline(
    session: Session,
    order: StoredOrder,
    *,
    pick_lists: list[StoredPickList] | None = None,
    shipments: list[StoredShipment] | None = None,
) -> list[dict[str, Any]]:
    """The order's story, oldest first: ``{"at", "event", "node"?, "detail"?}`` entries.

    ``pick_lists`` and ``shipments``: the order's, when the caller has read them already.
    """
    history: list[tuple[datetime, str, str | None]] = []
    if order.process_instance_id is not None:
        history = [(e.at, e.event, e.node_id) for e in history_entries(session, order.process_instance_id)]
    repo = SqlOrders(session)
    pick_lists = repo.pick_lists(order_id=order.id) if pick_lists is None else pick_lists
    shipments = repo.shipments(order_id=order.id) if shipments is None else shipments
    tracking = repo.tracking_events([s.id for s in shipments])
    return timeline_of(order, history, pick_lists, shipments, tracking)


def timeline_of(
    order: StoredOrder,
    history: Iterable[tuple[datetime, str, str | None]],
    pick_lists: Iterable[StoredPickList],
    shipments: Iterable[StoredShipment],
    tracking: Iterable[Any],
) -> list[dict[str, Any]]:
    """The timeline from what was read (``timeline``) or just written (batched placement).

    ``history``: the instance's ``(at, event, node)`` rows in the order they were written.
    """
    entries: list[dict[str, Any]] = [
        {"at": order.placed_at, "event": "order.placed", "detail": f"from channel {order.channel}"},
    ]
    for at, event, node in history:
        if event in _SHOWN_HISTORY or event.startswith("instance."):
            entries.append({"at": at, "event": f"workflow.{event}", "node": node})
    for pick_list in pick_lists:
        entries.append(
            {
                "at": pick_list.created_at,
                "event": "pick_list.created",
                "detail": f"{pick_list.id} in {pick_list.warehouse}",
            }
        )
        if pick_list.confirmed_at is not None:
            entries.append(
                {
                    "at": pick_list.confirmed_at,
                    "event": f"pick_list.{pick_list.status}",
                    "detail": f"{pick_list.id} by {pick_list.confirmed_by or 'the warehouse'}",
                }
            )
    for shipment in shipments:
        if shipment.handed_over_at is not None:
            entries.append(
                {
                    "at": shipment.handed_over_at,
                    "event": "shipment.handed_over",
                    "detail": f"{shipment.id} to {shipment.carrier} ({shipment.tracking_number})",
                }
            )
    for event in tracking:
        entries.append(
            {
                "at": event.at,
                "event": f"shipment.{event.type}",
                "detail": f"{event.shipment_id} {event.location}".strip(),
            }
        )
    entries.sort(key=lambda entry: entry["at"])
    return entries
