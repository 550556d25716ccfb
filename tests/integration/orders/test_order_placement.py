"""Placing orders through the service layer drives the bundled process to pick lists."""

from __future__ import annotations

from order_shop import Shop, order_draft


def test_a_placed_order_is_paid_reserved_and_waits_at_pick_confirmation(shop: Shop) -> None:
    shop.receive("BER-1", "TEE-BLK-M", 10, bin_location="A-2")
    placed = shop.place(order_draft("A-1", [("TEE-BLK-M", 2)]))
    assert placed.created
    assert shop.status(placed.order.id) == "picking"
    lists = shop.sql("SELECT warehouse_code, status FROM pick_lists WHERE order_id = :id", id=placed.order.id)
    assert [tuple(r) for r in lists] == [("BER-1", "open")]
    tasks = shop.sql("SELECT node_id, candidate_groups_text FROM user_tasks WHERE state = 'created'")
    assert [tuple(t) for t in tasks] == [("confirm_pick", ",warehouse,")]
