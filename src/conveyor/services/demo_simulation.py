"""A realistic demo data set, pushed through the REAL order process on a simulated clock.

``simulate`` places orders over the last ``days`` days (weekly seasonality:
Mondays busiest, weekends quiet; customers in cities across Europe), and
acts like the people and partners around the process: quality staff approve
most checks (and reject a few), pickers confirm pick lists (sometimes one
unit short), carriers scan parcels in transit, out for delivery and
delivered (some late, which escalates to support), support handles the
escalations, and the purchasing team restocks what runs low every Monday.
Timers (follow-ups, late deliveries, waiting for stock) fire by running the
workflow's jobs at the simulated time, so history, statuses and the ledger
look like a shop that has been running for weeks.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from conveyor.adapters.db.order_tables import orders as orders_table
from conveyor.adapters.db.workflow_tables import user_tasks
from conveyor.adapters.repositories.configuration import SqlConfiguration
from conveyor.adapters.repositories.orders import SqlOrders
from conveyor.domain.inventory import ReferenceType
from conveyor.errors import ConveyorError
from conveyor.services import backorders, pick_lists, shipping
from conveyor.services.finance_handlers import register_finance_handlers
from conveyor.services.fulfilment_handlers import register_order_handlers
from conveyor.services.orders import place_order
from conveyor.services.stock_keeping import StockKeeper, begin_writing
from conveyor.services.workers import Worker
from conveyor.services.workflow import HandlerRegistry, Workflow
from conveyor.services.workflow.settings import WorkflowSettings

#: (city, country, postal code, latitude, longitude, weight): where demo customers live
CITIES = (
    ("Berlin", "DE", "10115", 52.52, 13.405, 9),
    ("Hamburg", "DE", "20095", 53.551, 9.994, 6),
    ("München", "DE", "80331", 48.137, 11.575, 6),
    ("Köln", "DE", "50667", 50.938, 6.96, 5),
    ("Frankfurt am Main", "DE", "60311", 50.11, 8.682, 4),
    ("Leipzig", "DE", "04109", 51.34, 12.375, 3),
    ("Paris", "FR", "75001", 48.857, 2.352, 8),
    ("Lyon", "FR", "69002", 45.764, 4.836, 4),
    ("Marseille", "FR", "13001", 43.297, 5.37, 3),
    ("Toulouse", "FR", "31000", 43.605, 1.444, 2),
    ("Warszawa", "PL", "00-001", 52.23, 21.012, 5),
    ("Kraków", "PL", "30-001", 50.065, 19.945, 3),
    ("Wien", "AT", "1010", 48.208, 16.373, 3),
    ("Amsterdam", "NL", "1011", 52.37, 4.895, 3),
    ("Bruxelles", "BE", "1000", 50.85, 4.352, 2),
    ("Madrid", "ES", "28001", 40.417, -3.704, 2),
    ("Milano", "IT", "20121", 45.464, 9.19, 2),
)
FIRST = ("Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Lea", "Marek",
         "Nina", "Oskar", "Paula", "Quentin", "Rosa", "Sven", "Tomasz", "Ulla", "Vera", "Zoé")  # fmt: skip
LAST = ("Müller", "Schmidt", "Dubois", "Martin", "Nowak", "Kowalski", "Huber", "de Vries", "Peeters",
        "García", "Rossi", "Weber", "Bernard", "Wójcik", "Fischer")  # fmt: skip
#: Monday .. Sunday: how busy a day is
WEEKDAY_WEIGHT = (1.35, 1.15, 1.05, 1.0, 1.05, 0.75, 0.65)
CHANNEL_SHARE = (("web", 0.7), ("marketplace", 0.2), ("wholesale", 0.1))


@dataclass
class SimulationReport:
    orders: int = 0
    declined: int = 0
    qc_approved: int = 0
    qc_rejected: int = 0
    picks_confirmed: int = 0
    short_picks: int = 0
    tracking_events: int = 0
    late_deliveries_chased: int = 0
    restocked_units: int = 0
    jobs_run: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


class SimulatedClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class DemoShop:
    """The people and partners around the process, acting on the simulated clock."""

    def __init__(
        self, session_factory: Any, uow_factory: Callable[[], Any], *, seed: int, start: datetime
    ) -> None:
        self.rng = random.Random(seed)
        self.clock = SimulatedClock(start)
        self.uow_factory = uow_factory
        registry = HandlerRegistry()
        register_order_handlers(registry, clock=self.clock)
        register_finance_handlers(registry, clock=self.clock)  # returns, refunds, carrier cases
        self.workflow = Workflow(
            session_factory, registry=registry, clock=self.clock, settings=WorkflowSettings()
        )
        self.worker = Worker(self.workflow, name="demo")
        self.report = SimulationReport()
        self._sequence = 0

    # --- stock ---------------------------------------------------------------------------------

    def stock_up(self, minimum: int, top_up: tuple[int, int]) -> None:
        """Receive stock for every active product where less than ``minimum`` is available."""
        with self.uow_factory() as uow:
            begin_writing(uow.session)
            keeper = StockKeeper(uow.session, now=self.clock())
            config = SqlConfiguration(uow.session)
            levels = {(lv.warehouse, lv.sku): lv for lv in keeper.stock.levels()}
            received: set[str] = set()
            for warehouse in config.warehouses():
                if not warehouse.active:
                    continue
                for product in config.products(active=True):
                    level = levels.get((warehouse.code, product.sku))
                    if level is not None and level.available >= minimum:
                        continue
                    units = self.rng.randint(*top_up)
                    aisle = "ABCDEFGH"[self.rng.randrange(8)]
                    bin_location = (
                        level.bin_location
                        if level and level.bin_location
                        else f"{aisle}-{self.rng.randint(1, 24):02d}-{self.rng.randint(1, 5)}"
                    )
                    reference = f"PO-{self.clock().strftime('%Y%m%d')}-{warehouse.code}"
                    keeper.receive(
                        warehouse.code,
                        product.sku,
                        units,
                        (ReferenceType.RECEIPT, reference),
                        bin_location=bin_location,
                    )
                    self.report.restocked_units += units
                    received.add(product.sku)
            for sku in sorted(received):  # backordered orders take the new units, oldest first
                backorders.stock_arrived(uow, self.workflow, sku, self.clock())
            uow.commit()

    # --- customers --------------------------------------------------------------------------------

    def _draft(self, channel: str, skus: list[str]) -> dict[str, Any]:
        self._sequence += 1
        city, country, postal, lat, lon, _ = self.rng.choices(CITIES, weights=[c[5] for c in CITIES])[0]
        name = f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"
        wholesale = channel == "wholesale"
        lines = [
            {
                "sku": sku,
                "quantity": self.rng.randint(4, 12) if wholesale else self.rng.choice((1, 1, 1, 2, 3)),
            }
            for sku in self.rng.sample(skus, k=min(len(skus), self.rng.choice((1, 1, 1, 2, 2, 3))))
        ]
        token = "tok_decline" if self.rng.random() < 0.02 else self.rng.choice(("tok_visa", "tok_mastercard"))
        draft: dict[str, Any] = {
            "external_id": f"{channel.upper()}-{self.clock().strftime('%y%m%d')}-{self._sequence:05d}",
            "currency": "EUR",
            "customer": {"name": name, "email": f"customer{self._sequence}@example.com"},
            "shipping_address": {
                "name": name,
                "line1": f"{self.rng.randint(1, 180)} Demo Street",
                "city": city,
                "postal_code": postal,
                "country": country,
                "coordinates": {"lat": lat, "lon": lon},
            },
            "lines": lines,
            "shipping": "0.00" if wholesale else "4.99",
        }
        if channel != "marketplace":  # marketplaces collect the money themselves
            draft["payment_token"] = token
        return draft

    def place(self, skus: list[str]) -> None:
        channel = self.rng.choices([c for c, _ in CHANNEL_SHARE], weights=[w for _, w in CHANNEL_SHARE])[0]
        draft = self._draft(channel, skus)
        placed = place_order(self.uow_factory, self.workflow, channel=channel, draft=draft, now=self.clock())
        self.report.orders += 1
        if placed.order.status == "cancelled":
            self.report.declined += 1

    # --- staff ---------------------------------------------------------------------------------

    def _open_tasks(self, node: str) -> list[int]:
        with self.uow_factory() as uow:
            c = user_tasks.c
            query = select(c.id).where(c.node_id == node, c.state.in_(("created", "claimed"))).order_by(c.id)
            return list(uow.session.execute(query).scalars())

    def quality_staff(self) -> None:
        for task_id in self._open_tasks("quality_check"):
            approve = self.rng.random() < 0.93
            data = (
                {"approved": True}
                if approve
                else {"approved": False, "reason": "address and card do not match"}
            )
            self.workflow.complete_task(task_id, data, completed_by="demo quality team")
            self.report.qc_approved += approve
            self.report.qc_rejected += not approve

    def pickers(self) -> None:
        with self.uow_factory() as uow:
            open_lists = SqlOrders(uow.session).pick_lists(status="open", limit=10_000)
        for pick_list in open_lists:
            picked = {line.sku: line.quantity for line in pick_list.lines}
            if self.rng.random() < 0.03:
                sku = self.rng.choice(list(picked))
                picked[sku] -= 1
                self.report.short_picks += 1
            pick_lists.confirm_pick_list(
                self.uow_factory,
                self.workflow,
                pick_list.id,
                picked,
                confirmed_by="demo picker",
                now=self.clock(),
            )
            self.report.picks_confirmed += 1

    def support(self) -> None:
        # Late and lost parcels become carrier cases; support mostly gives the carrier a few more days.
        for task_id in self._open_tasks("decide_carrier_exception"):
            decision = {"decision": "wait", "wait_days": 3, "note": "called the carrier"}
            self.workflow.complete_task(task_id, decision, completed_by="demo support")
            self.report.late_deliveries_chased += 1

    # --- carriers ------------------------------------------------------------------------------

    def carriers(self) -> None:
        now = self.clock()
        with self.uow_factory() as uow:
            moving = [
                s
                for status in ("handed_over", "in_transit", "out_for_delivery")
                for s in SqlOrders(uow.session).shipments(status=status, limit=100_000)
            ]
        for shipment in moving:
            assert shipment.handed_over_at is not None
            late = 2 if int(shipment.id[-2:], 16) % 9 == 0 else 0  # about one parcel in nine is late
            due = (shipment.promised_by or shipment.handed_over_at + timedelta(days=2)) + timedelta(days=late)
            steps: list[tuple[str, datetime]] = [("in_transit", shipment.handed_over_at + timedelta(hours=6))]
            steps += [
                ("out_for_delivery", due.replace(hour=7, minute=30)),
                ("delivered", due.replace(hour=14)),
            ]
            order = ("handed_over", "in_transit", "out_for_delivery")
            for event, at in steps[order.index(shipment.status) :]:
                if at > now:
                    break
                try:
                    shipping.record_tracking(
                        self.uow_factory,
                        self.workflow,
                        shipment.id,
                        type=event,
                        at=at,
                        location="demo hub",
                        now=at,
                    )
                except ConveyorError:
                    break
                self.report.tracking_events += 1

    def run_jobs(self) -> None:
        for _ in range(50):
            ran = self.worker.run_once(self.clock(), limit=200)
            self.report.jobs_run += ran
            if ran == 0:
                return


def order_times(rng: random.Random, orders: int, start: datetime, days: int) -> list[datetime]:
    """``orders`` placement times over ``days`` days from ``start``, following WEEKDAY_WEIGHT."""
    weights = [WEEKDAY_WEIGHT[(start + timedelta(days=d)).weekday()] for d in range(days)]
    per_day = [0] * days
    for day in rng.choices(range(days), weights=weights, k=orders):
        per_day[day] += 1
    times: list[datetime] = []
    for day, count in enumerate(per_day):
        base = start + timedelta(days=day)
        times += sorted(
            base.replace(hour=0, minute=0) + timedelta(minutes=rng.randint(7 * 60, 22 * 60 + 59))
            for _ in range(count)
        )
    return times


def simulate(
    session_factory: Any,
    uow_factory: Callable[[], Any],
    *,
    orders: int,
    days: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    end: datetime | None = None,
) -> SimulationReport:
    """Run the demo (see the module docstring); ``progress(n)`` is called after each placed order."""
    end = (end or datetime.now(UTC)).replace(second=0, microsecond=0)
    start = (end - timedelta(days=days)).replace(hour=6, minute=0)
    shop = DemoShop(session_factory, uow_factory, seed=seed, start=start)
    with uow_factory() as uow:
        skus = [p.sku for p in SqlConfiguration(uow.session).products(active=True)]
    shop.stock_up(minimum=1, top_up=(max(10, orders // 6), max(20, orders // 3)))
    times = order_times(shop.rng, orders, start, days)
    day_end = start.replace(hour=18)
    for at in [*times, end]:
        while day_end <= at and day_end <= end:
            shop.clock.now = day_end
            shop.quality_staff()
            shop.pickers()
            shop.carriers()
            shop.run_jobs()
            shop.support()
            if day_end.weekday() == 0:
                shop.stock_up(minimum=5, top_up=(20, 60))
            day_end += timedelta(days=1)
        if at == end:
            break
        shop.clock.now = at
        shop.place(skus)
        shop.run_jobs()
        if progress is not None:
            progress(1)
    shop.clock.now = end
    shop.run_jobs()
    with uow_factory() as uow:
        query = select(orders_table.c.status, func.count()).group_by(orders_table.c.status)
        shop.report.by_status = {
            str(status): int(count) for status, count in uow.session.execute(query).all()
        }
    return shop.report
