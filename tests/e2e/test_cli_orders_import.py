"""``conveyor orders import``: CSV and JSONL files, rejects with line numbers, re-runs, interruptions."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from conveyor.bootstrap import Runtime, build_runtime, initialize
from conveyor.config import Settings
from conveyor.entrypoints.cli import app as cli_app
from conveyor.services import inventory
from conveyor.services.order_import import StopRequested, import_orders
from conveyor.services.workflow import batch as workflow_batch
from conveyor.services.workflow import workflow_for

HEADER = (
    "external_id,currency,customer_name,customer_email,ship_name,ship_line1,ship_postal_code,ship_city,"
    "ship_country,sku,quantity,unit_price,shipping,payment_token"
)


def run(database_url: str, *args: str) -> Result:
    environment = {**os.environ, "CONVEYOR_DATABASE_URL": database_url, "CONVEYOR_LOG_LEVEL": "WARNING"}
    return CliRunner().invoke(cli_app, ["orders", "import", *args, "--no-progress"], env=environment)


@pytest.fixture
def shop(database_url: str) -> Iterator[Runtime]:
    runtime = build_runtime(Settings(database_url=database_url, log_level="WARNING"))
    initialize(runtime)
    for warehouse in ("BER-1", "LYS-1"):
        for sku in ("TEE-BLK-M", "MUG-STONE", "SPEAKER-MINI"):
            inventory.receive_stock(runtime.unit_of_work(), warehouse=warehouse, sku=sku, quantity=1000)
    yield runtime
    runtime.close()


def rows(runtime: Runtime, query: str) -> list[Any]:
    with runtime.engine.connect() as connection:
        return list(connection.execute(text(query)).all())


def csv_row(external_id: str, sku: str, quantity: str = "1", currency: str = "EUR") -> str:
    return (
        f"{external_id},{currency},Ada Lovelace,ada@example.com,Ada,Unter den Linden 1,10117,Berlin,DE,"
        f"{sku},{quantity},,4.99,tok_visa"
    )


def jsonl_order(external_id: str, sku: str = "MUG-STONE", **extra: Any) -> str:
    body = {
        "external_id": external_id,
        "currency": "EUR",
        "customer": {"name": "Grace Hopper"},
        "shipping_address": {"name": "Grace", "line1": "Rue de la Paix 1", "city": "Lyon", "country": "FR"},
        "lines": [{"sku": sku, "quantity": 2}],
        "payment_token": "tok_visa",
        **extra,
    }
    return json.dumps(body)


def summary(result: Result) -> dict[str, Any]:
    assert result.stdout.strip(), result.output
    document: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return document


def every_order_is_whole(runtime: Runtime) -> None:
    """Each stored order has its instance and pick list; nothing refers to an order that is not there."""
    assert rows(runtime, "SELECT id FROM orders WHERE process_instance_id IS NULL") == []
    assert rows(runtime, "SELECT o.id FROM orders o LEFT JOIN pick_lists p ON p.order_id = o.id WHERE p.id IS NULL") == []  # fmt: skip  # noqa: E501
    assert rows(runtime, "SELECT r.id FROM reservations r LEFT JOIN orders o ON o.id = r.order_id WHERE o.id IS NULL") == []  # fmt: skip  # noqa: E501
    assert rows(runtime, "SELECT i.id FROM process_instances i LEFT JOIN orders o ON o.id = i.business_key WHERE o.id IS NULL") == []  # fmt: skip  # noqa: E501
    reserved = rows(runtime, "SELECT COALESCE(SUM(reserved), 0) FROM stock_levels")[0][0]
    held = rows(runtime, "SELECT COALESCE(SUM(quantity), 0) FROM reservations WHERE state = 'open'")[0][0]
    assert reserved == held


def test_a_csv_file_is_imported_with_one_order_per_external_id(
    shop: Runtime, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    lines = [
        HEADER,
        csv_row("C-1", "TEE-BLK-M", "2"),
        csv_row("C-1", "MUG-STONE"),
        csv_row("C-2", "SPEAKER-MINI"),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(database_url, str(path), "--channel", "web")
    assert result.exit_code == 0, result.output
    assert summary(result)["placed"] == 2 and summary(result)["rejected"] == 0
    assert "2 placed, 0 already present, 0 rejected" in result.stderr
    stored = rows(shop, "SELECT external_id, status FROM orders ORDER BY external_id")
    assert [tuple(r) for r in stored] == [("C-1", "picking"), ("C-2", "picking")]
    lines_of_c1 = rows(shop, "SELECT l.sku, l.quantity FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.external_id = 'C-1' ORDER BY l.line_no")  # fmt: skip  # noqa: E501
    assert [tuple(r) for r in lines_of_c1] == [("TEE-BLK-M", 2), ("MUG-STONE", 1)]
    assert not (tmp_path / "orders.csv.rejects.csv").exists()
    every_order_is_whole(shop)


def test_a_jsonl_file_is_imported_and_a_rerun_places_nothing_twice(
    shop: Runtime, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(jsonl_order(f"J-{n}") for n in range(7)) + "\n", encoding="utf-8")
    first = run(database_url, str(path), "--channel", "web", "--batch-size", "3")
    assert first.exit_code == 0, first.output
    assert summary(first)["placed"] == 7
    again = run(database_url, str(path), "--channel", "web", "--batch-size", "3")
    assert again.exit_code == 0, again.output
    assert (summary(again)["placed"], summary(again)["already_present"]) == (0, 7)
    assert rows(shop, "SELECT COUNT(*) FROM orders")[0][0] == 7
    assert rows(shop, "SELECT SUM(reserved) FROM stock_levels WHERE sku = 'MUG-STONE'")[0][0] == 14
    every_order_is_whole(shop)


def test_bad_rows_go_to_the_reject_file_with_line_numbers_and_reasons(
    shop: Runtime, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.csv"
    lines = [
        HEADER,
        csv_row("M-1", "TEE-BLK-M"),  # line 2: fine
        csv_row("M-2", "NO-SUCH-SKU"),  # line 3: unknown SKU
        csv_row("M-3", "MUG-STONE", "zero"),  # line 4: not a number
        csv_row("M-3", "MUG-STONE", "1"),  # line 5: same order
        csv_row("M-4", "MUG-STONE", "1") + ",extra",  # line 6: one cell too many
        csv_row("M-5", "SPEAKER-MINI"),  # line 7: fine
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rejects = tmp_path / "out" / "rejects.csv"
    rejects.parent.mkdir()
    result = run(database_url, str(path), "--channel", "web", "--rejects", str(rejects))
    assert result.exit_code == 1, result.output  # some rows were rejected
    assert (summary(result)["placed"], summary(result)["rejected"]) == (2, 3)
    with rejects.open(encoding="utf-8") as stream:
        found = list(csv.DictReader(stream))
    by_id = {row["external_id"]: row for row in found}
    assert by_id["M-2"]["line"] == "3" and "NO-SUCH-SKU" in by_id["M-2"]["reason"]
    assert "lines[0].sku" in by_id["M-2"]["reason"]
    assert by_id["M-3"]["line"] == "4-5" and "lines[0].quantity" in by_id["M-3"]["reason"]
    assert by_id["M-4"]["line"] == "6" and by_id["M-4"]["code"] == "invalid_row"
    stored = {r[0] for r in rows(shop, "SELECT external_id FROM orders")}
    assert stored == {"M-1", "M-5"}

    jsonl = tmp_path / "mixed.jsonl"
    jsonl.write_text(
        "\n".join(
            [jsonl_order("X-1"), "{not json", jsonl_order("X-2", channel="marketplace"), jsonl_order("X-3")]
        )
        + "\n",
        encoding="utf-8",
    )
    result = run(database_url, str(jsonl), "--channel", "web")
    assert result.exit_code == 1
    with (tmp_path / "mixed.jsonl.rejects.csv").open(encoding="utf-8") as stream:
        found = list(csv.DictReader(stream))
    assert [(row["line"], row["code"]) for row in found] == [("2", "invalid_row"), ("3", "invalid_row")]
    assert "channel" in found[1]["reason"]


def test_an_unknown_channel_stops_before_anything_is_read(
    shop: Runtime, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "orders.jsonl"
    path.write_text(jsonl_order("U-1") + "\n", encoding="utf-8")
    result = run(database_url, str(path), "--channel", "nowhere")
    assert result.exit_code != 0
    assert "nowhere" in result.stderr
    assert rows(shop, "SELECT COUNT(*) FROM orders")[0][0] == 0


def test_an_interrupted_import_leaves_whole_orders_and_a_rerun_finishes_it(
    shop: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(jsonl_order(f"I-{n}", sku="SPEAKER-MINI") for n in range(10)) + "\n", "utf-8")
    real_flush = workflow_batch.InstanceBatch.flush
    calls = {"n": 0}

    def flush_then_ctrl_c(self: workflow_batch.InstanceBatch, session: Any, **options: Any) -> Any:
        calls["n"] += 1
        written = real_flush(self, session, **options)
        if calls["n"] == 3:  # Ctrl-C in the middle of the third batch's writes
            raise KeyboardInterrupt
        return written

    monkeypatch.setattr(workflow_batch.InstanceBatch, "flush", flush_then_ctrl_c)
    workflow = workflow_for(shop)
    with pytest.raises(KeyboardInterrupt):
        import_orders(shop.unit_of_work, workflow, path, channel="web", batch_size=3)
    assert rows(shop, "SELECT COUNT(*) FROM orders")[0][0] == 6  # two whole batches; the third rolled back
    every_order_is_whole(shop)
    monkeypatch.setattr(workflow_batch.InstanceBatch, "flush", real_flush)
    again = import_orders(shop.unit_of_work, workflow, path, channel="web", batch_size=3)
    assert (again.placed, again.already_present, again.rejected) == (4, 6, 0)
    every_order_is_whole(shop)


def test_a_stop_request_finishes_the_current_batch_then_stops(shop: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(jsonl_order(f"T-{n}") for n in range(9)) + "\n", "utf-8")
    stop = StopRequested()

    def after_batch(done: int, summary: Any) -> None:
        stop.requested = True  # SIGTERM arrived while the first batch was placed

    result = import_orders(
        shop.unit_of_work,
        workflow_for(shop),
        path,
        channel="web",
        batch_size=4,
        progress=after_batch,
        stop=stop,
    )
    assert result.interrupted and result.placed == 4
    every_order_is_whole(shop)


def test_several_jobs_import_side_by_side(shop: Runtime, database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    lines = [jsonl_order(f"P-{n}", sku=("MUG-STONE", "TEE-BLK-M")[n % 2]) for n in range(20)]
    lines[7] = jsonl_order("P-7", sku="NO-SUCH-SKU")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(database_url, str(path), "--channel", "web", "--jobs", "2", "--batch-size", "3")
    assert result.exit_code == 1, result.output
    assert (summary(result)["placed"], summary(result)["rejected"]) == (19, 1)
    with (tmp_path / "orders.jsonl.rejects.csv").open(encoding="utf-8") as stream:
        assert [row["line"] for row in csv.DictReader(stream)] == ["8"]
    again = run(database_url, str(path), "--channel", "web", "--jobs", "2", "--batch-size", "3")
    assert (summary(again)["placed"], summary(again)["already_present"]) == (0, 19)
    assert rows(shop, "SELECT COUNT(*) FROM orders")[0][0] == 19
    every_order_is_whole(shop)


def test_the_examples_in_the_docs_import(shop: Runtime, database_url: str, tmp_path: Path) -> None:
    """docs/order-import.md: its CSV and JSONL examples import as it says."""
    text = (Path(__file__).parents[2] / "docs" / "order-import.md").read_text(encoding="utf-8")
    for kind in ("csv", "jsonl"):
        block = text.split(f"```{kind}\n", 1)[1].split("```", 1)[0]
        path = tmp_path / f"orders.{kind}"
        path.write_text(block, encoding="utf-8")
        result = run(database_url, str(path), "--channel", "web")
        assert result.exit_code == 0, result.output
        assert (summary(result)["placed"], summary(result)["rejected"]) == (2, 0)
    assert rows(shop, "SELECT COUNT(*) FROM orders")[0][0] == 4
    every_order_is_whole(shop)
