"""``PlacementBatcher.place_async`` (what ``POST /orders`` awaits): same outcomes as ``place``, and a
request whose wait is cancelled (its client went away) neither cancels its order nor stops the writer."""

from __future__ import annotations

import asyncio
import contextlib

from order_shop import Shop, order_draft

from conveyor.services.order_batch import BatchOutcome, OrderRequest
from conveyor.services.placement_batcher import PlacementBatcher


def test_awaited_placements_are_answered_one_by_one(shop: Shop) -> None:
    shop.receive("BER-1", "TEE-BLK-M", 50)
    batcher = PlacementBatcher(shop.runtime.unit_of_work, shop.workflow)

    async def place_all() -> list[BatchOutcome]:
        return list(
            await asyncio.gather(
                *(
                    batcher.place_async(
                        OrderRequest(
                            "web", order_draft(f"A-{n}", [("NO-SUCH" if n == 3 else "TEE-BLK-M", 1)])
                        )
                    )
                    for n in range(10)
                )
            )
        )

    outcomes = asyncio.run(place_all())
    batcher.close()
    assert [o.rejected for o in outcomes] == [n == 3 for n in range(10)]
    assert len({o.order_id for o in outcomes if o.created}) == 9
    assert shop.sql("SELECT COUNT(*) FROM orders")[0][0] == 9
    assert shop.ledger_violations() == []


def test_a_cancelled_wait_still_places_its_order_and_the_writer_goes_on(shop: Shop) -> None:
    shop.receive("BER-1", "MUG-STONE", 10)
    batcher = PlacementBatcher(shop.runtime.unit_of_work, shop.workflow)

    async def scenario() -> bool:
        waiting = asyncio.ensure_future(
            batcher.place_async(OrderRequest("web", order_draft("GONE-1", [("MUG-STONE", 1)])))
        )
        await asyncio.sleep(0)
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
        later = await batcher.place_async(OrderRequest("web", order_draft("NEXT-1", [("MUG-STONE", 1)])))
        return bool(later.created)

    assert asyncio.run(scenario())
    batcher.close()
    ids = sorted(row[0] for row in shop.sql("SELECT external_id FROM orders"))
    assert ids == ["GONE-1", "NEXT-1"]
    assert shop.sql("SELECT SUM(reserved) FROM stock_levels WHERE sku = 'MUG-STONE'")[0][0] == 2
