"""``conveyor orders cancel|payment-method|address|edit``: the order changes from a terminal."""

from __future__ import annotations

import json
import os

from order_changes_support import stock
from order_flow_support import LYON, ShopApi, draft, shop_api
from typer.testing import CliRunner, Result

from conveyor.domain.auth import Role
from conveyor.entrypoints.cli import app as cli_app

__all__ = ["shop_api"]


def run(api: ShopApi, *args: str) -> Result:
    url = api.runtime.settings.database_url
    environment = {**os.environ, "CONVEYOR_DATABASE_URL": url, "CONVEYOR_LOG_LEVEL": "WARNING"}
    return CliRunner().invoke(cli_app, list(args), env=environment)


def test_edit_re_address_and_cancel_an_order_from_the_command_line(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 10)
    api.receive("LYS-1", "MUG-STONE", 10)
    placed = api.post("/orders", draft("WEB-CLI-CHG", [("MUG-STONE", 1)]), Role.INTEGRATION, 201)
    order_id = placed["id"]

    edited = run(api, "orders", "edit", order_id, "--line", "MUG-STONE=3", "--reason", "phone", "--by", "ada")
    assert edited.exit_code == 0, edited.output
    assert json.loads(edited.stdout)["amounts"]["total"] == "42.49"
    bad = run(api, "orders", "edit", order_id, "--line", "MUG-STONE=0")
    assert bad.exit_code == 2 and "quantity" in bad.stderr
    unknown = run(api, "orders", "edit", order_id, "--line", "NOPE=1")
    assert unknown.exit_code == 2 and "NOPE" in unknown.stderr

    moved = run(api, "orders", "address", order_id, "--address", json.dumps(LYON), "--reason", "moved")
    assert moved.exit_code == 0, moved.output
    assert {a["warehouse"] for a in json.loads(moved.stdout)["allocations"] if a["state"] == "open"} == {
        "LYS-1"
    }
    broken = run(api, "orders", "address", order_id, "--address", "{not json")
    assert broken.exit_code == 2 and "--address" in broken.stderr

    cancelled = run(api, "orders", "cancel", order_id, "--reason", "customer called", "--by", "ada")
    assert cancelled.exit_code == 0, cancelled.output
    assert json.loads(cancelled.stdout)["status"] == "cancelled"
    again = run(api, "orders", "cancel", order_id, "--reason", "twice")
    assert again.exit_code == 4 and "already cancelled" in again.stderr
    assert run(api, "orders", "cancel", "ORD-NOPE", "--reason", "x").exit_code == 3
    assert stock(api, "LYS-1", "MUG-STONE") == (10, 0) and stock(api, "BER-1", "MUG-STONE") == (10, 0)
    changes = api.get(f"/orders/{order_id}/changes")["data"]
    assert [(c["kind"], c["requested_by"]) for c in changes] == [
        ("edit", "ada"),
        ("address_correction", "cli"),
        ("cancellation", "ada"),
    ]
    api.assert_ledger_consistent()


def test_a_new_payment_method_from_the_command_line(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 5)
    placed = api.post(
        "/orders", draft("WEB-CLI-PM", [("MUG-STONE", 1)], token="tok_decline"), Role.INTEGRATION, 201
    )
    done = run(api, "orders", "payment-method", placed["id"], "--token", "tok_visa")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["status"] == "picking"
    late = run(api, "orders", "payment-method", placed["id"], "--token", "tok_visa")
    assert late.exit_code == 4 and "does not wait" in late.stderr
