"""Group commit (``services.placement_batcher``): concurrent placements share transactions, each request
gets its own answer, and a bad order fails only its own request."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from order_shop import Shop, order_draft

from conveyor.services.order_batch import BatchOutcome, OrderRequest
from conveyor.services.placement_batcher import PlacementBatcher


def test_concurrent_requests_are_answered_one_by_one(shop: Shop) -> None:
    shop.receive("BER-1", "TEE-BLK-M", 100)
    batcher = PlacementBatcher(shop.runtime.unit_of_work, shop.workflow)
    gate = threading.Barrier(24)

    def place(n: int) -> BatchOutcome:
        sku = "NO-SUCH-SKU" if n % 6 == 0 else "TEE-BLK-M"
        gate.wait()
        return batcher.place(OrderRequest("web", order_draft(f"G-{n}", [(sku, 1)])))

    with ThreadPoolExecutor(max_workers=24) as pool:
        outcomes = list(pool.map(place, range(24)))
    batcher.close()
    rejected = [n for n, o in enumerate(outcomes) if o.rejected]
    assert rejected == [0, 6, 12, 18]
    for n in rejected:
        error = outcomes[n].error
        assert error is not None and any("sku" in str(item.get("path", "")) for item in error.errors)
    placed = [o.order_id for o in outcomes if o.created]
    assert len(placed) == 20 and len(set(placed)) == 20
    assert shop.sql("SELECT COUNT(*) FROM orders")[0][0] == 20
    assert shop.sql("SELECT SUM(reserved) FROM stock_levels WHERE sku = 'TEE-BLK-M'")[0][0] == 20
    assert 1 <= batcher.batches <= 24
    assert shop.ledger_violations() == []


def test_a_repeat_and_its_original_in_flight_together_make_one_order(shop: Shop) -> None:
    shop.receive("BER-1", "MUG-STONE", 10)
    batcher = PlacementBatcher(shop.runtime.unit_of_work, shop.workflow)
    gate = threading.Barrier(8)

    def place(_: int) -> BatchOutcome:
        gate.wait()
        return batcher.place(OrderRequest("web", order_draft("SAME-1", [("MUG-STONE", 1)])))

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(place, range(8)))
    batcher.close()
    assert len({o.order_id for o in outcomes}) == 1
    assert sum(o.created for o in outcomes) == 1
    assert shop.sql("SELECT COUNT(*) FROM orders")[0][0] == 1
