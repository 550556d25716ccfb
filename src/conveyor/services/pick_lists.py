"""Pick lists: one per warehouse holding an order's reservations, and how a pick is confirmed.

``create_pick_lists`` runs as the ``fulfillment.create_pick_lists`` step: it
groups the order's open reservations by warehouse, puts the lines in walking
order (``PickList.create`` sorts by bin), and confirms at once the lists of
warehouses configured with ``auto_confirm_picks``.

``confirm_pick_list`` is what a picker does (``POST /pick-lists/{id}/confirm``):
the units actually picked per SKU, checked by the domain. A short pick
releases the missing units' reservations and backorders them on the order.
The confirmation completes one of the order's open ``confirm_pick`` tasks in
the same transaction, so the workflow moves on when the last list is done.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select

from conveyor.adapters.db.workflow_tables import user_tasks
from conveyor.adapters.repositories.orders import SqlOrders, StoredPickList
from conveyor.domain.fulfilment import PickList, PickListLine, PickListStatus
from conveyor.domain.order_changes import CARRIER_HAS_IT
from conveyor.errors import NotFound
from conveyor.services import backorders, order_changes, order_status
from conveyor.services.stock_keeping import StockKeeper, begin_writing
from conveyor.services.unit_of_work import SqlUnitOfWork

CONFIRM_TASK_NODE = "confirm_pick"


class TaskCompleter(Protocol):
    def complete_task(
        self,
        task_id: int,
        data: dict[str, Any] | None = None,
        *,
        completed_by: str | None = None,
        uow: SqlUnitOfWork | None = None,
    ) -> object: ...


def new_pick_list_id() -> str:
    return f"PL-{uuid.uuid4().hex[:12].upper()}"


def _domain(stored: StoredPickList) -> PickList:
    lines = tuple(
        PickListLine(line.sku, line.quantity, line.bin_location, line.picked) for line in stored.lines
    )
    return PickList(
        stored.id,
        stored.order_id,
        stored.warehouse,
        lines,
        PickListStatus(stored.status),
        stored.confirmed_at,
    )


def _on_lists(repo: SqlOrders, order_id: str) -> dict[tuple[str, str], int]:
    """Units per (warehouse, SKU) that the order's lists already cover and that have not left yet.

    An open list covers what it asks for; a confirmed one what was picked.
    Lists whose parcel the carrier has are done: their reservations were consumed.
    """
    gone = {s.pick_list_id for s in repo.shipments(order_id=order_id) if s.status in CARRIER_HAS_IT}
    covered: dict[tuple[str, str], int] = {}
    for pick_list in repo.pick_lists(order_id=order_id):
        if pick_list.status == "cancelled" or pick_list.id in gone:
            continue
        for line in pick_list.lines:
            units = line.quantity if pick_list.status == "open" else (line.picked or 0)
            key = (pick_list.warehouse, line.sku)
            covered[key] = covered.get(key, 0) + units
    return covered


def create_pick_lists(uow: SqlUnitOfWork, order_id: str, now: datetime) -> tuple[list[str], list[str]]:
    """Pick lists for the order's reserved units not yet on one: (all ids, ids a person must confirm).

    Run again (a re-allocation after a short pick, the rest of a backorder), it
    lists only the reserved units no earlier list covers, in a new list.
    """
    repo = SqlOrders(uow.session)
    keeper = StockKeeper(uow.session, now=now)
    covered = _on_lists(repo, order_id)
    by_warehouse: dict[str, dict[str, int]] = {}
    for reservation in keeper.stock.reservations_of(order_id):
        key = (reservation.warehouse, reservation.sku)
        take = min(covered.get(key, 0), reservation.quantity)
        covered[key] = covered.get(key, 0) - take
        if reservation.quantity - take <= 0:
            continue
        skus = by_warehouse.setdefault(reservation.warehouse, {})
        skus[reservation.sku] = skus.get(reservation.sku, 0) + reservation.quantity - take
    created: list[str] = []
    manual: list[str] = []
    for warehouse_code in sorted(by_warehouse):
        items = [
            (
                sku,
                quantity,
                level.bin_location if (level := keeper.stock.level(warehouse_code, sku)) else None,
            )
            for sku, quantity in by_warehouse[warehouse_code].items()
        ]
        pick_list = PickList.create(
            new_pick_list_id(), order_id=order_id, warehouse=warehouse_code, items=items
        )
        repo.add_pick_list(
            pick_list.id,
            order_id,
            warehouse_code,
            "open",
            now,
            [(line.sku, line.quantity, line.bin_location) for line in pick_list.lines],
        )
        order_status.milestone(
            uow, order_id, "pick_list.created", now, pick_list_id=pick_list.id, warehouse=warehouse_code
        )
        created.append(pick_list.id)
        warehouse = keeper.configuration.warehouse(warehouse_code)
        if warehouse is not None and warehouse.auto_confirm_picks:
            _apply_confirmation(uow, pick_list.confirm_all(at=now), now, by="auto-confirm")
        else:
            manual.append(pick_list.id)
    return created, manual


def _apply_confirmation(uow: SqlUnitOfWork, confirmed: PickList, now: datetime, by: str | None) -> None:
    """Store a confirmed list; record picks; release and backorder what was not found."""
    repo = SqlOrders(uow.session)
    picked = {line.sku: line.picked or 0 for line in confirmed.lines}
    repo.confirm_pick_list(confirmed.id, confirmed.status.value, picked, now, by)
    keeper = StockKeeper(uow.session, now=now)
    for line in confirmed.lines:
        if line.picked:
            keeper.record_pick(confirmed.warehouse, line.sku, line.picked, confirmed.id)
    shortages = confirmed.shortages
    if shortages:
        _release_shortages(uow, keeper, confirmed, shortages, now, by)
    order_status.milestone(
        uow,
        confirmed.order_id,
        "pick_list.confirmed",
        now,
        pick_list_id=confirmed.id,
        status=confirmed.status.value,
        shortages=shortages,
    )


def _release_shortages(
    uow: SqlUnitOfWork,
    keeper: StockKeeper,
    confirmed: PickList,
    shortages: Mapping[str, int],
    now: datetime,
    by: str | None,
) -> None:
    """Release the reservations of short SKUs and reserve only what was picked; write the missing units
    off as an inventory discrepancy (``backorders.record_short_pick``); the order's lines then show them
    backordered until the model's re-allocation finds them elsewhere."""
    for sku, missing in shortages.items():
        held = [
            r
            for r in keeper.stock.reservations_of(confirmed.order_id)
            if r.warehouse == confirmed.warehouse and r.sku == sku
        ]
        keep = sum(r.quantity for r in held) - missing
        for reservation in held:
            keeper.release(reservation, reason=f"short pick on {confirmed.id}")
            take = min(keep, reservation.quantity)
            if take > 0:
                keeper.reserve(
                    order_id=confirmed.order_id,
                    line_no=reservation.line_no,
                    warehouse=confirmed.warehouse,
                    sku=sku,
                    quantity=take,
                )
                keep -= take
        backorders.record_short_pick(
            uow, confirmed.order_id, confirmed.id, confirmed.warehouse, sku, missing, now, by
        )
        order_status.milestone(uow, confirmed.order_id, "order.backordered", now, sku=sku, quantity=missing)
    order = SqlOrders(uow.session).get(confirmed.order_id, with_lines=False)
    if order is not None:
        backorders.sync_backordered(uow, order)


def confirm_open_lists(uow: SqlUnitOfWork, order_id: str, now: datetime, by: str | None = None) -> None:
    """Confirm in full every list of the order still open (its pick task was completed without quantities)."""
    for stored in SqlOrders(uow.session).pick_lists(order_id=order_id, status="open"):
        _apply_confirmation(uow, _domain(stored).confirm_all(at=now), now, by)


def confirm_pick_list(
    uow_factory: Any,
    workflow: TaskCompleter,
    pick_list_id: str,
    picked: Mapping[str, int],
    *,
    confirmed_by: str | None,
    now: datetime,
) -> StoredPickList:
    """A picker's confirmation (see the module docstring); returns the list as stored."""
    with uow_factory() as uow:
        begin_writing(uow.session)
        repo = SqlOrders(uow.session)
        stored = repo.pick_list(pick_list_id)
        if stored is None:
            raise NotFound(f"There is no pick list {pick_list_id!r}; GET /api/v1/pick-lists lists them")
        order_changes.lock_order(uow, stored.order_id)  # one change to an order at a time (a cancellation)
        stored = repo.pick_list(pick_list_id)  # as it is now that the order is ours
        assert stored is not None
        confirmed = _domain(stored).confirm(dict(picked), at=now)
        _apply_confirmation(uow, confirmed, now, confirmed_by)
        order = repo.get(stored.order_id, with_lines=False)
        task_id = _open_confirm_task(uow, order.process_instance_id if order else None)
        if task_id is not None:
            workflow.complete_task(
                task_id,
                {"pick_list_id": pick_list_id, "picked": dict(picked)},
                completed_by=confirmed_by,
                uow=uow,
            )
        result = repo.pick_list(pick_list_id)
        uow.commit()
    assert result is not None
    return result


def _open_confirm_task(uow: SqlUnitOfWork, instance_id: str | None) -> int | None:
    if instance_id is None:
        return None
    c = user_tasks.c
    query = (
        select(c.id)
        .where(
            c.instance_id == instance_id, c.node_id == CONFIRM_TASK_NODE, c.state.in_(("created", "claimed"))
        )
        .order_by(c.id)
        .limit(1)
    )
    return uow.session.execute(query).scalar()
