"""What the order e2e tests share: a shop behind the API, tokens per role, and small request helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conveyor.bootstrap import Runtime, deploy_bundled_processes
from conveyor.domain.auth import Role
from conveyor.entrypoints.api import create_app
from conveyor.services import configuration
from conveyor.services.workers import Worker
from conveyor.services.workflow import workflow_for

BERLIN = {
    "name": "Ada Lovelace",
    "line1": "Unter den Linden 1",
    "postal_code": "10117",
    "city": "Berlin",
    "country": "DE",
}
LYON = {
    "name": "Émile Zola",
    "line1": "3 Place Bellecour",
    "postal_code": "69002",
    "city": "Lyon",
    "country": "FR",
}


def draft(
    external_id: str,
    lines: list[tuple[str, int]],
    *,
    address: dict[str, Any] | None = None,
    channel: str = "web",
    token: str = "tok_visa",
) -> dict[str, Any]:
    return {
        "channel": channel,
        "external_id": external_id,
        "currency": "EUR",
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "shipping_address": address or BERLIN,
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        "shipping": "4.99",
        "payment_token": token,
    }


@dataclass
class ShopApi:
    client: TestClient
    runtime: Runtime
    tokens: dict[Role, str]

    def headers(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def get(self, path: str, role: Role = Role.VIEWER, **params: Any) -> Any:
        response = self.client.get(f"/api/v1{path}", headers=self.headers(role), params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: Any, role: Role, expect: int = 200, **headers: str) -> Any:
        response = self.client.post(f"/api/v1{path}", json=body, headers={**self.headers(role), **headers})
        assert response.status_code == expect, response.text
        return response.json()

    def receive(self, warehouse: str, sku: str, quantity: int, bin_location: str | None = None) -> None:
        body = {"warehouse": warehouse, "sku": sku, "quantity": quantity, "bin_location": bin_location}
        self.post("/inventory/receipts", body, Role.WAREHOUSE, expect=201)

    def order(self, order_id: str) -> Any:
        return self.get(f"/orders/{order_id}")

    def run_timers(self, days: float) -> int:
        """Run the jobs that are due ``days`` from now (the worker's simulated clock)."""
        worker = Worker(workflow_for(self.runtime), name="e2e-worker")
        moment = datetime.now(UTC) + timedelta(days=days)
        ran = 0
        for _ in range(20):
            done = worker.run_once(moment, limit=100)
            ran += done
            if done == 0:
                break
        return ran

    def assert_ledger_consistent(self) -> None:
        check = self.get("/inventory/ledger-check")
        assert check["consistent"], check["violations"]


@pytest.fixture
def shop_api(migrated_runtime: Runtime, issue_token: Callable[[Role], str]) -> Iterator[ShopApi]:
    configuration.load_default_configuration(migrated_runtime.unit_of_work())
    deploy_bundled_processes(migrated_runtime)
    tokens = {role: issue_token(role) for role in Role}
    app = create_app(migrated_runtime.settings, runtime=migrated_runtime)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield ShopApi(client, migrated_runtime, tokens)
