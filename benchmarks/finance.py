#!/usr/bin/env python3
"""Refunds and returns: throughput of the processes and the refund guard under contention.

    .venv/bin/python benchmarks/finance.py                       # SQLite in a temporary folder
    .venv/bin/python benchmarks/finance.py -n 200 --url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Per run, on a freshly initialised database (migrations, default configuration,
bundled processes), after N orders were placed and shipped through
``order-fulfillment`` (stock at WAW-1, which confirms picks by itself):

1. ``refunds``: one refund per order through ``finance.request_refund``
   (below the approval threshold: claim, ``refund`` process, provider payout,
   ledger entry and events in one transaction each); refunds/s.
2. ``returns``: per order, delivery, ``POST /returns``-equivalent request
   (auto-approved: label PDF rendered), receipt, and the inspection task
   completed (restock + store credit): whole RMAs/s.
3. ``race``: T threads asking at once for the last refundable amount of one
   order, R rounds; how many won per round (always 1) and the rounds/s.

Prints a table and one JSON line per measurement. Nothing is asserted here;
the tests assert behaviour (tests/e2e/finance).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from conveyor.adapters.db.workflow_tables import user_tasks
from conveyor.adapters.repositories.orders import SqlOrders
from conveyor.bootstrap import Runtime, build_runtime, initialize
from conveyor.config import Settings
from conveyor.errors import Conflict
from conveyor.services import finance, inventory, orders, returns, shipping
from conveyor.services.workflow import workflow_for

ADDRESS = {
    "name": "Ada",
    "line1": "ul. Prosta 1",
    "postal_code": "00-838",
    "city": "Warszawa",
    "country": "PL",
}


def _draft(index: int) -> dict[str, Any]:
    return {
        "external_id": f"BENCH-{index}", "currency": "EUR",
        "customer": {"name": "Ada Lovelace", "email": f"ada{index}@example.com"},
        "shipping_address": ADDRESS, "lines": [{"sku": "MUG-STONE", "quantity": 2}], "shipping": "4.99",
        "payment_token": "tok_visa",
    }  # fmt: skip


def _shipped_orders(runtime: Runtime, count: int) -> list[str]:
    inventory.receive_stock(
        runtime.unit_of_work(), warehouse="WAW-1", sku="MUG-STONE", quantity=count * 2 + 10
    )
    workflow = workflow_for(runtime)
    placed = []
    for index in range(count):
        result = orders.place_order(runtime.unit_of_work, workflow, channel="web", draft=_draft(index))
        placed.append(result.order.id)
    with runtime.session_factory() as session:
        shipped = [o for o in placed if SqlOrders(session).status(o) == "shipped"]
    if len(shipped) != count:
        raise SystemExit(f"only {len(shipped)} of {count} orders shipped; is WAW-1 auto-confirming picks?")
    return placed


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds else 0.0


def bench_refunds(runtime: Runtime, order_ids: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    statuses = [
        finance.request_refund(
            runtime.unit_of_work(), order_id=o, amount="4.99", reason="bench", requested_by="b"
        )["status"]
        for o in order_ids
    ]
    seconds = time.perf_counter() - started
    return {"measure": "refunds", "count": len(statuses), "issued": statuses.count("issued"),
            "seconds": round(seconds, 2), "per_second": _rate(len(statuses), seconds)}  # fmt: skip


def bench_returns(runtime: Runtime, order_ids: list[str]) -> dict[str, Any]:
    workflow = workflow_for(runtime)
    now = datetime.now(UTC)
    with runtime.session_factory() as session:
        shipments = {o: [s.id for s in SqlOrders(session).shipments(order_id=o)] for o in order_ids}
    for order_id in order_ids:
        for shipment_id in shipments[order_id]:
            shipping.record_tracking(
                runtime.unit_of_work, workflow, shipment_id, type="delivered", at=now, now=now
            )
    started = time.perf_counter()
    closed = 0
    for order_id in order_ids:
        rma = returns.request_return(
            runtime.unit_of_work(), order_id=order_id, lines=[{"line_no": 1, "quantity": 1}],
            reason_code="size_fit", reason_text="too small", requested_by="bench",
        )  # fmt: skip
        returns.receive_return(runtime.unit_of_work(), rma["id"], received_by="bench")
        with runtime.session_factory() as session:
            task_id = session.execute(
                select(user_tasks.c.id).where(
                    user_tasks.c.instance_id == rma["process_instance_id"], user_tasks.c.state == "created"
                )
            ).scalar_one()
        workflow.complete_task(task_id, {"disposition": "restock", "resolution": "store_credit"})
        with runtime.session_factory() as session:
            closed += returns.get_return(session, rma["id"])["status"] == "closed"
    seconds = time.perf_counter() - started
    return {"measure": "returns", "count": len(order_ids), "closed": closed, "seconds": round(seconds, 2),
            "per_second": _rate(len(order_ids), seconds)}  # fmt: skip


def bench_race(runtime: Runtime, order_ids: list[str], threads: int) -> dict[str, Any]:
    """Each round: ``threads`` refunds of the order's whole refundable amount at once."""
    winners: list[int] = []
    started = time.perf_counter()
    for order_id in order_ids:
        with runtime.session_factory() as session:
            left = finance.payment_summary(session, order_id)["refundable"]
        barrier = threading.Barrier(threads)
        outcomes: list[str] = []

        def race(
            order_id: str = order_id,
            left: str = left,
            barrier: threading.Barrier = barrier,
            outcomes: list[str] = outcomes,
        ) -> None:
            barrier.wait()
            try:
                finance.request_refund(
                    runtime.unit_of_work(), order_id=order_id, amount=left, reason="race", requested_by="b"
                )
                outcomes.append("won")
            except Conflict:
                outcomes.append("409")

        workers = [threading.Thread(target=race) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        winners.append(outcomes.count("won"))
    seconds = time.perf_counter() - started
    return {"measure": "race", "rounds": len(order_ids), "threads": threads,
            "winners_per_round": sorted(set(winners)), "seconds": round(seconds, 2),
            "rounds_per_second": _rate(len(order_ids), seconds)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=100, help="orders (refunds, returns)")
    parser.add_argument("--races", type=int, default=30, help="race rounds")
    parser.add_argument("--threads", type=int, default=4, help="refunds racing per round")
    parser.add_argument("--url", help="a database URL (default: a new SQLite file)")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'finance-bench.db'}"
    runtime = build_runtime(Settings(database_url=url, log_level="WARNING"), configure_logs=False)
    initialize(runtime)
    kind = runtime.engine.url.get_backend_name()
    order_ids = _shipped_orders(runtime, args.n + args.races)
    results = [
        bench_refunds(runtime, order_ids[: args.n]),
        bench_returns(runtime, order_ids[: args.n]),
        bench_race(runtime, order_ids[args.n :], args.threads),
    ]
    print(f"{'database':<12}{'measure':<10}{'count':>7}{'seconds':>9}{'per second':>12}")
    for result in results:
        count = result.get("count", result.get("rounds"))
        rate = result.get("per_second", result.get("rounds_per_second"))
        print(f"{kind:<12}{result['measure']:<10}{count:>7}{result['seconds']:>9}{rate:>12}")
    for result in results:
        print(json.dumps({"database": kind, **result}))
    runtime.close()


if __name__ == "__main__":
    main()
