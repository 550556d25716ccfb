"""Refunds racing from separate OS processes (each with its own engine and connections).

Several processes ask for the order's whole refundable amount at the same
moment: exactly one refund is claimed and paid out, the others get a 409,
and the ledger counts the money once. Both databases; on SQLite the
processes queue for its single writer.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

from finance_support import shipped_order
from order_flow_support import ShopApi

from conveyor.bootstrap import build_runtime
from conveyor.config import Settings
from conveyor.errors import Conflict
from conveyor.services import finance

RACERS = 3


def _refund(url: str, order_id: str, start: Any, results: Any) -> None:
    runtime = build_runtime(Settings(database_url=url), configure_logs=False)
    try:
        start.wait(timeout=60)
        refund = finance.request_refund(
            runtime.unit_of_work(), order_id=order_id, amount="17.49", reason="race", requested_by="racer"
        )
        results.put(("won", refund["status"]))
    except Conflict as err:
        results.put(("409", err.code))
    except Exception as err:  # reported to the test, which fails on it
        results.put(("error", repr(err)))
    finally:
        runtime.close()


def test_refunds_racing_from_processes_count_the_money_once(shop_api: ShopApi) -> None:
    order_id, _ = shipped_order(shop_api, "WEB-RACE-P", [("MUG-STONE", 1)])  # 17.49 captured
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(RACERS), context.Queue()
    url = shop_api.runtime.settings.database_url
    workers = [context.Process(target=_refund, args=(url, order_id, start, results)) for _ in range(RACERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    outcomes = sorted(results.get(timeout=10) for _ in workers)
    assert outcomes == [("409", "refund_conflict")] * (RACERS - 1) + [("won", "issued")], outcomes
    ledger = shop_api.get(f"/orders/{order_id}/payments")
    assert (ledger["refunded"], ledger["refundable"], ledger["balance"]) == ("17.49", "0.00", "0.00")
    assert [r["status"] for r in ledger["refunds"]] == ["issued"]
