"""Webhook intake with channel filters: what the per-channel filter costs the dispatcher.

    .venv/bin/python benchmarks/webhook_channels.py                      # SQLite in a temporary folder
    .venv/bin/python benchmarks/webhook_channels.py --events 4000 --url postgresql+psycopg://postgres@127.0.0.1/bench

The default configuration's three sales channels (web, marketplace, wholesale)
get N/10 orders between them (rows written directly), and N ``shipment.*`` events
over those orders are committed: events whose channel is found through their
subject (the order), the dearer path. Then the intake of the dispatcher
(``Dispatcher.take_in``: events become pending deliveries, cursors move) runs
until every cursor is at the end, for

1. one subscription without a channel filter (every event becomes a delivery);
2. one channel-filtered subscription per channel (each takes in its third and
   passes over the rest; the subject look-ups of a poll are shared).

Reports events taken in per second (events got past per subscription, summed)
and the SELECTs on ``orders`` per poll. Sending is the same as without a
filter (``benchmarks/dispatcher.py`` measures it). Figures go to
docs/webhooks.md by hand (machine and date); nothing here is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, text

from conveyor.adapters.db import schema
from conveyor.adapters.db.order_tables import orders
from conveyor.bootstrap import build_runtime
from conveyor.config import load_settings
from conveyor.services import configuration, webhooks
from conveyor.services.dispatcher import Dispatcher
from conveyor.services.webhooks import DeliverySettings
from conveyor.services.workflow import workflow_for

CHANNELS = ("web", "marketplace", "wholesale")


def place_orders(runtime: Any, count: int) -> list[str]:
    now = datetime.now(UTC)
    ids = [f"ORD-BENCH-{n:06d}" for n in range(count)]
    rows = [
        {
            "id": order_id,
            "channel_code": CHANNELS[n % len(CHANNELS)],
            "external_id": order_id,
            "status": "picking",
            "currency": "EUR",
            "customer": {},
            "shipping_address": {},
            "billing_address": {},
            "subtotal_minor": 100,
            "shipping_minor": 0,
            "tax_minor": 0,
            "discount_minor": 0,
            "total_minor": 100,
            "placed_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for n, order_id in enumerate(ids)
    ]
    with runtime.unit_of_work() as uow:
        uow.session.execute(insert(orders), rows)
        uow.commit()
    return ids


def record(runtime: Any, order_ids: list[str], count: int) -> None:
    batch = 500
    for start in range(0, count, batch):
        with runtime.unit_of_work() as uow:
            for n in range(start, min(start + batch, count)):
                order_id = order_ids[n % len(order_ids)]
                uow.record({"type": "shipment.in_transit", "order_id": order_id, "shipment_id": f"S-{n}"})
            uow.commit()


def intake(runtime: Any, settings: DeliverySettings) -> tuple[int, float, int]:
    """Run take_in until idle; returns (events got past, seconds, polls)."""
    workflow = workflow_for(runtime)
    dispatcher = Dispatcher(workflow, settings=settings)
    passed, polls = 0, 0
    started = time.perf_counter()
    while step := dispatcher.take_in(workflow.clock()):
        passed, polls = passed + step, polls + 1
    return passed, time.perf_counter() - started, polls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=200, help="CONVEYOR_DISPATCH_BATCH")
    parser.add_argument("--url", default=None, help="database URL (default: a new SQLite file)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    url = args.url or f"sqlite:///{Path(folder) / 'bench.db'}"
    runtime = build_runtime(load_settings(database_url=url, log_level="WARNING"))
    schema.upgrade(runtime.engine)
    configuration.load_default_configuration(runtime.unit_of_work())
    settings = DeliverySettings(webhook_allow_loopback=True, dispatch_batch=args.batch)
    lookups: list[int] = [0]

    @event.listens_for(runtime.engine, "before_cursor_execute")
    def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM orders" in statement:
            lookups[0] += 1

    order_ids = place_orders(runtime, max(args.events // 10, len(CHANNELS)))
    target = "http://127.0.0.1:9/"  # never called: only the intake runs

    def run(label: str, subscriptions: list[list[str] | None]) -> None:
        with runtime.engine.begin() as connection:
            connection.execute(text("DELETE FROM webhook_deliveries"))
            connection.execute(text("DELETE FROM dispatch_cursors"))
            connection.execute(text("DELETE FROM webhook_subscriptions"))
        for channels in subscriptions:
            webhooks.create_subscription(
                runtime.unit_of_work(),
                url=target,
                event_types=["shipment.*"],
                channels=channels,
                settings=settings,
            )
        record(runtime, order_ids, args.events)
        lookups[0] = 0
        passed, seconds, polls = intake(runtime, settings)
        with runtime.engine.connect() as connection:
            made = int(connection.execute(text("SELECT count(*) FROM webhook_deliveries")).scalar_one())
        print(
            f"{label}: {passed} events got past in {seconds:.2f}s = {passed / seconds:.0f}/s, "
            f"{made} deliveries, {polls} polls, {lookups[0]} order look-ups ({url.split(':')[0]})"
        )

    run("1 subscription, no channel filter", [None])
    run(f"{len(CHANNELS)} subscriptions, one channel each", [[code] for code in CHANNELS])
    runtime.close()


if __name__ == "__main__":
    main()
