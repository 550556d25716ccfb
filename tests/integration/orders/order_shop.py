"""An order-taking Conveyor for the order tests: default configuration, the bundled process, stock.

Imported by this name (``conftest`` is ambiguous when several test folders are collected together).
``shop`` is the migrated runtime with ``processes/default-config.yaml`` applied,
``order-fulfillment`` deployed, the order handlers registered on a hand-moved
clock, and stock received in the three default warehouses. Helpers place
orders through the service layer and read what is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from conveyor.bootstrap import Runtime
from conveyor.processes import bundled_model_paths
from conveyor.services import configuration, inventory
from conveyor.services.fulfilment_handlers import register_order_handlers
from conveyor.services.inventory import ledger_violations
from conveyor.services.orders import PlacedOrder, place_order
from conveyor.services.workers import Worker
from conveyor.services.workflow import HandlerRegistry, Workflow, WorkflowSettings


class Clock:
    """A clock the tests move by hand: timers and delivery windows never make a test wait."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


BERLIN = {
    "name": "Ada Lovelace",
    "line1": "Unter den Linden 1",
    "postal_code": "10117",
    "city": "Berlin",
    "country": "DE",
    "email": "ada@example.com",
}


def order_draft(
    external_id: str,
    lines: list[tuple[str, int]],
    *,
    address: dict[str, Any] | None = None,
    prices: dict[str, str] | None = None,
) -> dict[str, Any]:
    prices = prices or {}
    return {
        "external_id": external_id,
        "currency": "EUR",
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "shipping_address": address or BERLIN,
        "lines": [
            {"sku": sku, "quantity": qty, **({"unit_price": prices[sku]} if sku in prices else {})}
            for sku, qty in lines
        ],
        "shipping": "4.99",
        "payment_token": "tok_visa",
    }


@dataclass
class Shop:
    runtime: Runtime
    workflow: Workflow
    clock: Clock
    worker: Worker

    def place(self, draft: dict[str, Any], channel: str = "web", key: str | None = None) -> PlacedOrder:
        return place_order(
            self.runtime.unit_of_work,
            self.workflow,
            channel=channel,
            draft=draft,
            idempotency_key=key,
            now=self.clock(),
        )

    def sql(self, query: str, **params: Any) -> list[Any]:
        with self.runtime.engine.connect() as connection:
            return list(connection.execute(text(query), params).all())

    def status(self, order_id: str) -> str:
        return str(self.sql("SELECT status FROM orders WHERE id = :id", id=order_id)[0][0])

    def receive(self, warehouse: str, sku: str, quantity: int, bin_location: str | None = None) -> None:
        inventory.receive_stock(
            self.runtime.unit_of_work(),
            warehouse=warehouse,
            sku=sku,
            quantity=quantity,
            reference="PO-TEST",
            bin_location=bin_location,
        )

    def run_jobs(self, *, days: float = 0) -> int:
        """Move the clock by ``days`` and run every job due, until none is left."""
        if days:
            self.clock.advance(days=days)
        total = 0
        for _ in range(50):
            ran = self.worker.run_once(self.clock.now, limit=100)
            total += ran
            if ran == 0:
                break
        return total

    def ledger_violations(self) -> list[Any]:
        return ledger_violations(self.runtime.unit_of_work())


def make_shop(runtime: Runtime) -> Shop:
    clock = Clock()
    registry = HandlerRegistry()
    register_order_handlers(registry, clock=clock)
    settings = WorkflowSettings(retry_backoff_seconds=10, job_lock_seconds=60)
    workflow = Workflow(runtime.session_factory, settings=settings, registry=registry, clock=clock)
    configuration.load_default_configuration(runtime.unit_of_work())
    for path in bundled_model_paths():
        workflow.deploy(path.read_bytes(), file_name=path.name)
    return Shop(runtime, workflow, clock, Worker(workflow, name="test-worker"))


@pytest.fixture
def shop(migrated_runtime: Runtime) -> Shop:
    return make_shop(migrated_runtime)


@pytest.fixture
def check_ledger() -> Callable[[Shop], None]:
    def check(shop: Shop) -> None:
        violations = shop.ledger_violations()
        assert violations == [], "\n".join(str(v) for v in violations)

    return check
