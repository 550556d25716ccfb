"""Batched placement (``services.order_batch``): the same rows as the single path, per-order rejection,
repeats, the single-path fallback, no oversell, and the configuration cache.

Runs on SQLite and PostgreSQL (the ``migrated_runtime`` fixture behind ``shop``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from order_shop import Shop, order_draft

from conveyor.errors import ConveyorError
from conveyor.services import configuration, inventory, order_batch, order_views
from conveyor.services.config_cache import ConfigCache
from conveyor.services.order_batch import BatchStats, OrderRequest, place_orders

LONDON = {"name": "Grace", "line1": "1 Strand", "postal_code": "WC2N 5HR", "city": "London", "country": "GB"}


def _drafts(prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """A mix: one line, two lines, a quality check (above 500 EUR), paid in the channel (no token)."""
    plain = order_draft(f"{prefix}-1", [("TEE-BLK-M", 2)])
    two_lines = order_draft(f"{prefix}-2", [("MUG-STONE", 3), ("SPEAKER-MINI", 1)])
    qc = order_draft(f"{prefix}-3", [("LAPTOP-14", 1)])
    paid = order_draft(f"{prefix}-4", [("HEADPHONES-ANC", 1)], address=LONDON)
    del paid["payment_token"]
    market = order_draft(f"{prefix}-5", [("KNIFE-CHEF", 2), ("TEE-BLK-M", 1)])
    return [("web", plain), ("web", two_lines), ("web", qc), ("web", paid), ("marketplace", market)]


def _stock(shop: Shop) -> None:
    for sku in ("TEE-BLK-M", "MUG-STONE", "SPEAKER-MINI", "LAPTOP-14", "HEADPHONES-ANC", "KNIFE-CHEF"):
        shop.receive("BER-1", sku, 500, bin_location=f"A-{len(sku):02d}-1")
        shop.receive("LYS-1", sku, 500)


def _snapshot(shop: Shop, order_id: str) -> dict[str, Any]:
    """Everything stored for one order, with its generated ids replaced by placeholders.

    Reservation and ledger times are left out: the single path stamps them with the wall clock
    (``StockKeeper`` without a time), the batch with the handlers' clock like the order's other rows.
    """
    order = shop.sql("SELECT * FROM orders WHERE id = :id", id=order_id)[0]._asdict()
    instance_id = order["process_instance_id"]
    pick_ids = [
        r[0]
        for r in shop.sql(
            "SELECT id FROM pick_lists WHERE order_id = :id ORDER BY warehouse_code", id=order_id
        )
    ]
    rows: dict[str, Any] = {
        "order": {k: v for k, v in order.items() if k not in ("external_id",)},
        "lines": shop.sql("SELECT line_no, sku, name, quantity, unit_price_minor, backordered FROM order_lines WHERE order_id = :id ORDER BY line_no", id=order_id),  # noqa: E501
        "payments": shop.sql("SELECT kind, amount_minor, currency, provider, transaction_id, idempotency_key, reason, at FROM payment_entries WHERE order_id = :id ORDER BY id", id=order_id),  # noqa: E501
        "reservations": shop.sql("SELECT line_no, warehouse_code, sku, quantity, state FROM reservations WHERE order_id = :id ORDER BY id", id=order_id),  # noqa: E501
        "ledger": shop.sql("SELECT warehouse_code, sku, type, quantity, on_hand_delta, reserved_delta, reference_type, reason FROM stock_movements WHERE reference_id = :id ORDER BY id", id=order_id),  # noqa: E501
        "pick_lists": shop.sql("SELECT warehouse_code, status, created_at, confirmed_at FROM pick_lists WHERE order_id = :id ORDER BY warehouse_code", id=order_id),  # noqa: E501
        "pick_lines": [shop.sql("SELECT position, sku, quantity, bin_location, picked FROM pick_list_lines WHERE pick_list_id = :p ORDER BY position", p=p) for p in pick_ids],  # noqa: E501
        "variables": _json(shop.sql("SELECT variables FROM process_instances WHERE id = :i", i=instance_id)[0][0]),  # noqa: E501
        "instance": shop.sql("SELECT process_key, version, business_key, state, revision, parent_id, started_at, updated_at, ended_at FROM process_instances WHERE id = :i", i=instance_id),  # noqa: E501
        "engine_state": json.loads(shop.sql("SELECT engine_state FROM process_instances WHERE id = :i", i=instance_id)[0][0]),  # noqa: E501
        "waits": shop.sql("SELECT wait_id, node_id, kind, message_name, correlation_key, signal_name, due_at FROM waits WHERE instance_id = :i ORDER BY wait_id", i=instance_id),  # noqa: E501
        "tasks": shop.sql("SELECT wait_id, node_id, name, assignee, candidate_groups, candidate_users, candidate_groups_text, due_at, priority, form, state, created_at FROM user_tasks WHERE instance_id = :i ORDER BY wait_id", i=instance_id),  # noqa: E501
        "history": shop.sql("SELECT at, entries FROM workflow_history WHERE instance_id = :i ORDER BY id", i=instance_id),  # noqa: E501
        "events": shop.sql("SELECT type, source, subject, datacontenttype, data FROM outbox WHERE subject IN (:o, :i) OR CAST(data AS TEXT) LIKE :like ORDER BY sequence", o=order_id, i=instance_id, like=f"%{instance_id}%"),  # noqa: E501
    }  # fmt: skip
    text = json.dumps(_parsed(rows), default=str, sort_keys=True)
    for placeholder, value in [("<instance>", instance_id), ("<order>", order_id)] + [
        (f"<pick-{n}>", p) for n, p in enumerate(pick_ids)
    ]:
        text = text.replace(value, placeholder)
    text = re.sub(r'(external_id\\*": *\\*")[A-Z]+-', r"\1<prefix>-", text)
    normalised: dict[str, Any] = json.loads(text)
    return normalised


def _parsed(value: Any) -> Any:
    """Rows as plain data, JSON text parsed (the two paths may space JSON differently)."""
    if isinstance(value, dict):
        return {k: _parsed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or hasattr(value, "_asdict"):
        return [_parsed(v) for v in value]
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return _parsed(json.loads(value))
        except ValueError:
            return value
    return value


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def test_batched_and_single_paths_store_the_same_rows(shop: Shop) -> None:
    _stock(shop)
    single = [shop.place(draft, channel=channel).order.id for channel, draft in _drafts("S")]
    stats = BatchStats()
    outcomes = place_orders(
        shop.runtime.unit_of_work,
        shop.workflow,
        [OrderRequest(channel, draft) for channel, draft in _drafts("B")],
        now=shop.clock(),
        stats=stats,
    )
    assert stats.batched == 5 and stats.single == 0, stats  # every order went the batched way
    batched = [outcome.order_id for outcome in outcomes]
    assert all(outcome.created for outcome in outcomes)
    for single_id, batched_id in zip(single, batched, strict=True):
        assert batched_id is not None
        expected, got = _snapshot(shop, single_id), _snapshot(shop, batched_id)
        for part in expected:
            assert got[part] == expected[part], part
    assert shop.status(batched[2]) == "awaiting_quality_check"
    assert shop.status(batched[0]) == "picking"
    assert shop.ledger_violations() == []


def test_a_bad_order_is_rejected_alone_and_writes_nothing(shop: Shop) -> None:
    _stock(shop)
    wrong_currency = order_draft("BAD-2", [("TEE-BLK-M", 1)])
    wrong_currency["currency"] = "USD"
    requests = [
        OrderRequest("web", order_draft("OK-1", [("TEE-BLK-M", 1)])),
        OrderRequest("web", order_draft("BAD-1", [("NO-SUCH-SKU", 1)])),
        OrderRequest("web", wrong_currency),
        OrderRequest("nowhere", order_draft("BAD-3", [("TEE-BLK-M", 1)])),
        OrderRequest("web", order_draft("BAD-4", [("TEE-BLK-M", 0)])),
        OrderRequest("web", order_draft("OK-2", [("MUG-STONE", 1)])),
    ]
    stats = BatchStats()
    outcomes = place_orders(shop.runtime.unit_of_work, shop.workflow, requests, now=shop.clock(), stats=stats)
    assert [o.rejected for o in outcomes] == [False, True, True, True, True, False]
    assert stats.batched == 2 and stats.rejected == 4

    def fields(error: ConveyorError | None) -> list[str]:
        assert error is not None
        return [str(item.get("path") or ".".join(map(str, item.get("loc", [])))) for item in error.errors]

    assert any("lines" in f and "sku" in f for f in fields(outcomes[1].error))
    assert fields(outcomes[2].error)  # a USD order against EUR prices names the field at fault
    assert fields(outcomes[3].error) == ["channel"] and "nowhere" in str(outcomes[3].error)
    assert any("quantity" in f for f in fields(outcomes[4].error))
    stored = {r[0] for r in shop.sql("SELECT external_id FROM orders")}
    assert stored == {"OK-1", "OK-2"}
    assert shop.sql("SELECT COUNT(*) FROM process_instances")[0][0] == 2
    assert shop.ledger_violations() == []


def test_repeats_are_answered_with_the_stored_order(shop: Shop) -> None:
    _stock(shop)
    first = place_orders(
        shop.runtime.unit_of_work,
        shop.workflow,
        [OrderRequest("web", order_draft("R-1", [("TEE-BLK-M", 1)]), idempotency_key="key-1")],
    )[0]
    again = place_orders(
        shop.runtime.unit_of_work,
        shop.workflow,
        [
            OrderRequest("web", order_draft("R-1", [("TEE-BLK-M", 1)])),  # same channel + external id
            OrderRequest("web", order_draft("R-2", [("TEE-BLK-M", 1)])),
            OrderRequest("web", order_draft("R-2", [("TEE-BLK-M", 1)])),  # twice in one batch
            OrderRequest(
                "web", order_draft("R-3", [("TEE-BLK-M", 1)]), idempotency_key="key-1"
            ),  # key reused
        ],
    )
    assert again[0].order_id == first.order_id and not again[0].created
    assert again[1].created and again[2].order_id == again[1].order_id and not again[2].created
    assert again[3].rejected and again[3].error is not None and again[3].error.code == "conflict"
    assert shop.sql("SELECT COUNT(*) FROM orders")[0][0] == 2
    assert shop.sql("SELECT SUM(reserved) FROM stock_levels")[0][0] == 2


def test_orders_that_are_not_plain_are_placed_on_the_single_path(shop: Shop) -> None:
    _stock(shop)
    declined = order_draft("N-1", [("TEE-BLK-M", 1)])
    declined["payment_token"] = "tok_decline"
    backordered = order_draft("N-2", [("HOODIE-GRY-M", 1)])  # nothing in stock
    auto_confirmed = order_draft("N-3", [("MUG-STONE", 1)])
    shop.receive("WAW-1", "KNIFE-CHEF", 5)
    warsaw = {"name": "Jan", "line1": "ul. Marszalkowska 1", "postal_code": "00-001", "city": "Warszawa", "country": "PL"}  # fmt: skip  # noqa: E501
    auto_confirmed = order_draft("N-3", [("KNIFE-CHEF", 1)], address=warsaw)  # WAW-1 confirms picks itself
    stats = BatchStats()
    outcomes = place_orders(
        shop.runtime.unit_of_work,
        shop.workflow,
        [OrderRequest("web", d) for d in (declined, backordered, auto_confirmed)]
        + [OrderRequest("web", order_draft("N-4", [("TEE-BLK-M", 1)]))],
        now=shop.clock(),
        stats=stats,
    )
    assert all(o.created for o in outcomes)
    assert stats.single == 3 and stats.batched == 1
    ids = [o.order_id for o in outcomes]
    assert ids[0] is not None and ids[1] is not None and ids[3] is not None
    twin = dict(declined, external_id="N-1-single")  # the single path decides what a declined card does
    assert shop.status(ids[0]) == shop.status(shop.place(twin).order.id) != "picking"
    assert shop.status(ids[1]) == "backordered"
    assert shop.status(ids[3]) == "picking"
    assert shop.ledger_violations() == []


def test_a_batch_never_oversells(shop: Shop, check_ledger: Callable[[Shop], None]) -> None:
    shop.receive("BER-1", "SPEAKER-MINI", 10)
    requests = [OrderRequest("web", order_draft(f"O-{n}", [("SPEAKER-MINI", 1)])) for n in range(30)]
    outcomes = place_orders(shop.runtime.unit_of_work, shop.workflow, requests, now=shop.clock())
    assert all(o.created for o in outcomes)
    assert shop.sql("SELECT SUM(reserved), SUM(on_hand) FROM stock_levels WHERE sku = 'SPEAKER-MINI'")[0] == (
        10,
        10,
    )
    statuses = [shop.status(o.order_id or "") for o in outcomes]
    assert statuses.count("picking") == 10 and statuses.count("backordered") == 20
    check_ledger(shop)


def test_configuration_changes_reach_the_next_batch(shop: Shop) -> None:
    _stock(shop)
    cache = ConfigCache()
    one = place_orders(
        shop.runtime.unit_of_work,
        shop.workflow,
        [OrderRequest("web", order_draft("C-1", [("TEE-BLK-M", 1)]))],
        cache=cache,
    )
    assert one[0].created and cache.reloads == 1
    place_orders(
        shop.runtime.unit_of_work,
        shop.workflow,
        [OrderRequest("web", order_draft("C-2", [("TEE-BLK-M", 1)]))],
        cache=cache,
    )
    assert cache.reloads == 1  # unchanged configuration: read from the cache
    document = configuration.export_configuration(shop.runtime.unit_of_work())
    for channel in document["channels"]:
        if channel["code"] == "web":
            channel["currency"] = "GBP"
    configuration.apply_configuration(shop.runtime.unit_of_work(), document)
    after = place_orders(
        shop.runtime.unit_of_work,
        shop.workflow,
        [OrderRequest("web", order_draft("C-3", [("TEE-BLK-M", 1)]))],
        cache=cache,
    )
    assert cache.reloads == 2
    assert after[0].rejected and after[0].error is not None and "GBP" in str(after[0].error)


def test_what_moves_while_a_batch_is_prepared_sends_it_back_under_the_lock(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch is prepared outside the write lock; a repeat placed meanwhile, or stock taken meanwhile,
    is noticed under the lock and the batch is prepared again there (nothing placed twice, no oversell)."""
    shop.receive("BER-1", "SPEAKER-MINI", 3)
    real_begin = order_batch.begin_writing
    pending: list[str] = []

    def meanwhile(session: Any) -> None:  # just before the batch takes the write lock
        move = pending.pop() if pending else None
        if move == "repeat":  # another process placed one of the batch's orders in between
            shop.place(order_draft("W-1", [("SPEAKER-MINI", 1)]))
        elif move == "stock":  # someone wrote a speaker off in between
            inventory.adjust_stock(
                shop.runtime.unit_of_work(),
                warehouse="BER-1",
                sku="SPEAKER-MINI",
                quantity=-1,
                reason="damaged",
            )
        real_begin(session)

    monkeypatch.setattr(order_batch, "begin_writing", meanwhile)
    pending.append("repeat")
    first = place_orders(
        shop.runtime.unit_of_work,
        shop.workflow,
        [OrderRequest("web", order_draft("W-1", [("SPEAKER-MINI", 1)]))],
        now=shop.clock(),
        optimistic=True,  # prepared outside the lock (the default for batches of 32 and more)
    )
    assert not first[0].created and first[0].order_id is not None  # found as a repeat the second time
    pending.append("stock")
    second = place_orders(
        shop.runtime.unit_of_work,
        shop.workflow,
        [OrderRequest("web", order_draft(f"W-{n}", [("SPEAKER-MINI", 1)])) for n in (2, 3)],
        now=shop.clock(),
        optimistic=True,
    )
    statuses = sorted(shop.status(o.order_id or "") for o in second)
    assert statuses == ["backordered", "picking"]  # 3 units, 1 written off, 1 taken by W-1: one left
    assert shop.sql("SELECT reserved, on_hand FROM stock_levels WHERE sku = 'SPEAKER-MINI'")[0] == (2, 2)
    assert shop.ledger_violations() == []


def test_the_detail_a_batch_answers_with_is_the_stored_detail(shop: Shop) -> None:
    """``with_detail``: the API answers from what the batch wrote; it must be what a read gives."""
    _stock(shop)
    outcomes = place_orders(
        shop.runtime.unit_of_work,
        shop.workflow,
        [OrderRequest(channel, draft) for channel, draft in _drafts("D")],
        now=shop.clock(),
        with_detail=True,
    )
    for outcome in outcomes:
        assert outcome.created and outcome.order_id is not None and outcome.detail is not None
        assert outcome.detail == order_views.order_detail(shop.runtime.unit_of_work(), outcome.order_id)
    assert outcomes[2].detail is not None and outcomes[2].detail["open_tasks"][0]["node"] == "quality_check"
