"""64 customers order the last 10 units at once (HTTP; PostgreSQL also 4 processes): exactly 10 reserved."""

from __future__ import annotations

import multiprocessing
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from conveyor.bootstrap import Runtime, build_runtime, deploy_bundled_processes
from conveyor.config import Settings
from conveyor.domain.auth import Role
from conveyor.entrypoints.api import create_app
from conveyor.services import configuration, inventory, orders
from conveyor.services.inventory import ledger_violations
from conveyor.services.workflow import workflow_for

CUSTOMERS = 64
UNITS = 10


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(migrated_runtime: Runtime) -> Iterator[str]:
    """The API on a real uvicorn server on loopback (its own thread); yields the base URL."""
    configuration.load_default_configuration(migrated_runtime.unit_of_work())
    deploy_bundled_processes(migrated_runtime)
    port = _free_port()
    config = uvicorn.Config(
        create_app(runtime=migrated_runtime), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if uv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.mark.slow
def test_sixty_four_concurrent_orders_for_ten_units_reserve_exactly_ten(
    server: str, migrated_runtime: Runtime, issue_token: Callable[[Role], str]
) -> None:
    inventory.receive_stock(
        migrated_runtime.unit_of_work(), warehouse="BER-1", sku="HEADPHONES-ANC", quantity=UNITS
    )
    token = issue_token(Role.INTEGRATION)

    def order(n: int) -> int:
        body = {
            "channel": "marketplace",
            "external_id": f"RUSH-{n}",
            "currency": "EUR",
            "customer": {"name": f"Customer {n}"},
            "shipping_address": {
                "name": f"Customer {n}",
                "line1": "Alexanderplatz 1",
                "city": "Berlin",
                "country": "DE",
                "coordinates": {"lat": 52.52, "lon": 13.41},
            },
            "lines": [{"sku": "HEADPHONES-ANC", "quantity": 1}],
        }
        with httpx.Client(timeout=120) as client:
            response = client.post(
                f"{server}/api/v1/orders", json=body, headers={"Authorization": f"Bearer {token}"}
            )
        return response.status_code

    with ThreadPoolExecutor(max_workers=CUSTOMERS) as pool:
        statuses = list(pool.map(order, range(CUSTOMERS)))

    assert statuses == [201] * CUSTOMERS
    with migrated_runtime.engine.connect() as connection:
        reserved = connection.execute(
            text("SELECT COALESCE(SUM(quantity), 0) FROM reservations WHERE state = 'open'")
        ).scalar_one()
        by_status = dict(
            connection.execute(text("SELECT status, COUNT(*) FROM orders GROUP BY status")).all()
        )
        level = connection.execute(text("SELECT on_hand, reserved FROM stock_levels")).one()
    assert reserved == UNITS
    assert by_status == {"picking": UNITS, "backordered": CUSTOMERS - UNITS}
    assert tuple(level) == (UNITS, UNITS)
    assert ledger_violations(migrated_runtime.unit_of_work()) == []


def _order_body(n: int) -> dict[str, Any]:
    return {
        "external_id": f"PROC-{n}",
        "currency": "EUR",
        "customer": {"name": f"Customer {n}"},
        "shipping_address": {
            "name": f"Customer {n}",
            "line1": "Alexanderplatz 1",
            "city": "Berlin",
            "country": "DE",
            "coordinates": {"lat": 52.52, "lon": 13.41},
        },
        "lines": [{"sku": "HEADPHONES-ANC", "quantity": 1}],
    }


def _placing_process(url: str, worker: int, count: int, start: Any, results: Any) -> None:
    runtime = build_runtime(Settings(database_url=url, log_level="WARNING", log_format="json"))
    try:
        start.wait(timeout=60)
        for n in range(count):
            placed = orders.place_order(
                runtime.unit_of_work,
                workflow_for(runtime),
                channel="marketplace",
                draft=_order_body(worker * 1000 + n),
            )
            results.put(placed.order.status)
    finally:
        runtime.close()


@pytest.mark.slow
def test_four_processes_placing_sixty_four_orders_for_ten_units_reserve_exactly_ten_on_postgresql(
    migrated_runtime: Runtime,
) -> None:
    if migrated_runtime.engine.dialect.name != "postgresql":
        pytest.skip("several writer processes are a PostgreSQL deployment (SQLite has one writer)")
    configuration.load_default_configuration(migrated_runtime.unit_of_work())
    deploy_bundled_processes(migrated_runtime)
    inventory.receive_stock(
        migrated_runtime.unit_of_work(), warehouse="BER-1", sku="HEADPHONES-ANC", quantity=UNITS
    )
    migrated_runtime.engine.dispose()  # forked children must not share the parent's connections
    context = multiprocessing.get_context("fork")
    workers = 4
    start, results = context.Barrier(workers), context.Queue()
    url = migrated_runtime.settings.database_url
    processes = [
        context.Process(target=_placing_process, args=(url, w, CUSTOMERS // workers, start, results))
        for w in range(workers)
    ]
    for process in processes:
        process.start()
    statuses = [results.get(timeout=240) for _ in range(CUSTOMERS)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert sorted(statuses).count("picking") == UNITS
    assert statuses.count("backordered") == CUSTOMERS - UNITS
    with migrated_runtime.engine.connect() as connection:
        level = connection.execute(text("SELECT on_hand, reserved FROM stock_levels")).one()
    assert tuple(level) == (UNITS, UNITS)
    assert ledger_violations(migrated_runtime.unit_of_work()) == []
