#!/usr/bin/env python3
"""What order changes cost: a cancellation by compensation, and a receipt that wakes backordered orders.

    .venv/bin/python benchmarks/order_changes.py [-n 200] [--waiting 200] [--postgres URL]

Per database (a fresh SQLite file; with ``--postgres URL`` or
``CONVEYOR_TEST_POSTGRES_URL`` also a fresh PostgreSQL schema):

- ``cancel``: ``order_changes.request_cancellation`` of ``-n`` orders that
  wait at the pick confirmation (authorized payment, reservations, a pick
  list): one transaction each that runs the model's cancellation event
  sub-process and its compensation handlers (cancel pick list, release the
  reservation, void the payment) and records the cancellation; cancellations
  per second and milliseconds per cancellation;
- ``wake``: ``--waiting`` orders wait in ``wait_for_stock`` for one SKU; one
  receipt (``inventory.receive_stock`` with the backorder wake-up) allocates
  them all, oldest first, in its transaction: the receipt's wall time and
  the time per woken order.

Prints one JSON line per measurement. The service calls are timed directly
(no HTTP), so the figures are the workflow and database cost of the change.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from conveyor.bootstrap import Runtime, build_runtime, initialize
from conveyor.config import Settings
from conveyor.services import backorders, inventory, order_changes, orders
from conveyor.services.workflow import workflow_for


def draft(n: int, prefix: str, sku: str) -> dict[str, Any]:
    return {
        "external_id": f"{prefix}-{n}",
        "currency": "EUR",
        "customer": {"name": f"Bench customer {n}", "email": "bench@example.com"},
        "shipping_address": {
            "name": "Bench",
            "line1": "Alexanderplatz 1",
            "city": "Berlin",
            "country": "DE",
            "coordinates": {"lat": 52.52, "lon": 13.41},
        },
        "lines": [{"sku": sku, "quantity": 1}],
        "shipping": "4.99",
        "payment_token": "tok_visa",
    }


@contextmanager
def postgres_schema(base: str) -> Iterator[str]:
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield admin.url.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def prepare(url: str) -> Runtime:
    runtime = build_runtime(Settings(database_url=url, log_level="WARNING", log_format="json"))
    initialize(runtime)  # schema, default configuration, bundled processes
    return runtime


def bench_cancel(runtime: Runtime, n: int) -> dict[str, Any]:
    workflow = workflow_for(runtime)
    inventory.receive_stock(runtime.unit_of_work(), warehouse="BER-1", sku="MUG-STONE", quantity=n)
    placed = [
        orders.place_order(runtime.unit_of_work, workflow, channel="web", draft=draft(i, "CXL", "MUG-STONE"))
        for i in range(n)
    ]
    started = time.perf_counter()
    for order in placed:
        order_changes.request_cancellation(
            runtime.unit_of_work, workflow, order.order.id, reason="benchmark", requested_by="bench"
        )
    seconds = time.perf_counter() - started
    return {"measure": "cancel", "orders": n, "per_second": round(n / seconds, 1),
            "ms_each": round(1000 * seconds / n, 2)}  # fmt: skip


def bench_wake(runtime: Runtime, waiting: int) -> dict[str, Any]:
    workflow = workflow_for(runtime)
    for i in range(waiting):
        orders.place_order(
            runtime.unit_of_work, workflow, channel="web", draft=draft(i, "WAIT", "HOODIE-GRY-M")
        )
    started = time.perf_counter()
    inventory.receive_stock(
        runtime.unit_of_work(), warehouse="BER-1", sku="HOODIE-GRY-M", quantity=waiting,
        on_arrival=lambda uow, sku: backorders.stock_arrived(uow, workflow, sku),
    )  # fmt: skip
    seconds = time.perf_counter() - started
    with runtime.engine.connect() as connection:
        left = connection.execute(
            text("SELECT count(*) FROM order_lines WHERE sku = 'HOODIE-GRY-M' AND backordered > 0")
        ).scalar_one()
    return {"measure": "wake", "orders": waiting, "still_waiting": left, "receipt_seconds": round(seconds, 3),
            "ms_per_order": round(1000 * seconds / waiting, 2)}  # fmt: skip


def run(url: str, label: str, n: int, waiting: int) -> None:
    runtime = prepare(url)
    try:
        for result in (bench_cancel(runtime, n), bench_wake(runtime, waiting)):
            print(json.dumps({"database": label, **result}), flush=True)
    finally:
        runtime.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="orders to cancel")
    parser.add_argument("--waiting", type=int, default=200, help="backordered orders one receipt wakes")
    parser.add_argument("--postgres", default=os.environ.get("CONVEYOR_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        run(f"sqlite:///{Path(directory) / 'bench.db'}", "sqlite", args.n, args.waiting)
    if args.postgres:
        with postgres_schema(args.postgres) as url:
            run(url, "postgresql", args.n, args.waiting)
    return 0


if __name__ == "__main__":
    sys.exit(main())
