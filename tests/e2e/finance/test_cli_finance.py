"""``conveyor refunds|returns|payments|carrier-performance``: the finance use cases from a terminal."""

from __future__ import annotations

import json
import os

from finance_support import deliver, shipped_order
from order_flow_support import ShopApi
from typer.testing import CliRunner, Result

from conveyor.entrypoints.cli import app as cli_app


def run(api: ShopApi, *args: str) -> Result:
    url = api.runtime.settings.database_url
    environment = {**os.environ, "CONVEYOR_DATABASE_URL": url, "CONVEYOR_LOG_LEVEL": "WARNING"}
    return CliRunner().invoke(cli_app, list(args), env=environment)


def test_refunds_returns_and_the_ledger_from_the_command_line(shop_api: ShopApi) -> None:
    order_id, shipments = shipped_order(shop_api, "WEB-CLI1", [("MUG-STONE", 2)])
    done = run(
        shop_api, "refunds", "request", order_id, "--line", "1:1", "--reason", "cracked", "--by", "ada"
    )
    assert done.exit_code == 0, done.output
    refund = json.loads(done.stdout)
    assert (refund["status"], refund["amount"], refund["requested_by"]) == ("issued", "12.50", "ada")
    too_much = run(shop_api, "refunds", "request", order_id, "--amount", "100.00", "--reason", "x")
    assert too_much.exit_code == 4 and "100.00" in too_much.stderr
    bad_line = run(shop_api, "refunds", "request", order_id, "--line", "one", "--reason", "x")
    assert bad_line.exit_code == 2 and "--line" in bad_line.stderr
    big = run(shop_api, "refunds", "request", order_id, "--amount", "17.49", "--reason", "goodwill")
    assert json.loads(big.stdout)["status"] == "issued"  # below the 100.00 threshold
    ledger = json.loads(run(shop_api, "payments", order_id).stdout)
    assert (ledger["refunded"], ledger["balance"]) == ("29.99", "0.00")
    listed = json.loads(run(shop_api, "refunds", "list", "--order", order_id).stdout)
    assert [r["amount"] for r in listed] == ["12.50", "17.49"]

    deliver(shop_api, shipments)
    requested = run(shop_api, "returns", "request", order_id, "--line", "1:1", "--reason-code", "size_fit")
    assert requested.exit_code == 0, requested.output
    rma = json.loads(requested.stdout)
    assert rma["status"] == "approved"
    first = run(shop_api, "returns", "receive", rma["id"])
    second = run(shop_api, "returns", "receive", rma["id"])
    assert (first.exit_code, second.exit_code) == (0, 4)
    assert "already received" in second.stderr
    assert json.loads(run(shop_api, "returns", "list", "--status", "received").stdout)[0]["id"] == rma["id"]
    carrier = shop_api.get(f"/shipments/{shipments[0]}")["carrier"]
    record = json.loads(run(shop_api, "carrier-performance", carrier).stdout)
    assert record["shipments"] >= 1 and record["delivered"] >= 1
    assert run(shop_api, "payments", "ORD-NOPE").exit_code == 3


def test_finance_decides_a_refund_from_the_command_line(shop_api: ShopApi) -> None:
    order_id, _ = shipped_order(shop_api, "WEB-CLI2", [("KNIFE-CHEF", 2)])
    waiting = json.loads(
        run(shop_api, "refunds", "request", order_id, "--line", "1:2", "--reason", "x").stdout
    )
    assert waiting["status"] == "awaiting_approval"
    no_reason = run(shop_api, "refunds", "decide", waiting["id"], "--reject")
    assert no_reason.exit_code == 2 and "reason" in no_reason.stderr
    decided = run(shop_api, "refunds", "decide", waiting["id"], "--approve", "--by", "grace")
    assert decided.exit_code == 0, decided.output
    assert json.loads(decided.stdout)["status"] == "issued"
    assert json.loads(decided.stdout)["decided_by"] == "grace"
    again = run(shop_api, "refunds", "decide", waiting["id"], "--approve")
    assert again.exit_code == 4
