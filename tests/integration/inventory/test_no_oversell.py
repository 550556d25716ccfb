"""64 concurrent reservations of one unit against 10 units: exactly 10 succeed, never more."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from conveyor.bootstrap import Runtime, build_runtime
from conveyor.config import Settings
from conveyor.services import inventory

CONTENDERS = 64
UNITS = 10


def _reserve_one(runtime: Runtime, order_id: str) -> bool:
    return inventory.reserve_stock(
        runtime.unit_of_work(), order_id=order_id, warehouse="BER", sku="MUG-1", quantity=1, line_no=1
    )


def test_64_threads_reserving_one_unit_each_get_exactly_the_10_in_stock(
    network: Runtime, check_ledger: Callable[[Runtime], None]
) -> None:
    inventory.receive_stock(network.unit_of_work(), warehouse="BER", sku="MUG-1", quantity=UNITS)
    start = threading.Barrier(CONTENDERS)

    def contend(index: int) -> bool:
        start.wait()
        return _reserve_one(network, f"O-{index}")

    with ThreadPoolExecutor(max_workers=CONTENDERS) as pool:
        outcomes = list(pool.map(contend, range(CONTENDERS)))

    assert outcomes.count(True) == UNITS
    assert outcomes.count(False) == CONTENDERS - UNITS
    [level] = inventory.stock_levels(network.unit_of_work(), warehouse="BER", sku="MUG-1")
    assert (level.on_hand, level.reserved, level.available) == (UNITS, UNITS, 0)
    check_ledger(network)


def _process_contender(
    database_url: str, worker: int, per_worker: int, start: object, results: object
) -> None:
    runtime = build_runtime(Settings(database_url=database_url, log_level="WARNING"), configure_logs=False)
    try:
        start.wait()  # type: ignore[attr-defined]
        won = sum(_reserve_one(runtime, f"P{worker}-{i}") for i in range(per_worker))
        results.put(won)  # type: ignore[attr-defined]
    finally:
        runtime.close()


@pytest.mark.postgres
def test_several_processes_reserving_at_once_never_oversell_on_postgresql(
    network: Runtime, check_ledger: Callable[[Runtime], None]
) -> None:
    if network.engine.dialect.name != "postgresql":
        pytest.skip("several writer processes are a PostgreSQL deployment (SQLite has one writer)")
    inventory.receive_stock(network.unit_of_work(), warehouse="BER", sku="MUG-1", quantity=UNITS)
    network.engine.dispose()  # forked children must not share the parent's connections
    context = multiprocessing.get_context("fork")
    workers, per_worker = 4, CONTENDERS // 4
    start, results = context.Barrier(workers), context.Queue()
    url = network.settings.database_url
    processes = [
        context.Process(target=_process_contender, args=(url, worker, per_worker, start, results))
        for worker in range(workers)
    ]
    for process in processes:
        process.start()
    won = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0

    assert sum(won) == UNITS
    [level] = inventory.stock_levels(network.unit_of_work(), warehouse="BER", sku="MUG-1")
    assert (level.on_hand, level.reserved) == (UNITS, UNITS)
    check_ledger(network)
