"""Channel mappers: a sales platform's own order payload -> a Conveyor order draft.

Pure functions over parsed JSON, one module per platform (``shopify``,
``woocommerce``, ``generic`` for Conveyor's documented format). Which one a
channel uses is its connector configuration (``connector.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conveyor.domain.channel_mappers import generic, shopify, woocommerce
from conveyor.domain.channel_mappers.common import (
    InvalidChannelPayload,
    MappedLine,
    MappedOrder,
    PaymentStatus,
    Unmapped,
    resolve,
)
from conveyor.domain.channel_mappers.connector import PLATFORMS, ChannelConnector, PushTarget

MAPPERS: dict[str, Callable[[Any], MappedOrder]] = {
    "shopify": shopify.map_order,
    "woocommerce": woocommerce.map_order,
    "generic": generic.map_order,
}


def map_payload(platform: str, payload: Any) -> MappedOrder:
    """The order in ``payload`` as ``platform`` writes it (``InvalidChannelPayload`` with JSON paths)."""
    return MAPPERS[platform](payload)


__all__ = [
    "MAPPERS",
    "PLATFORMS",
    "ChannelConnector",
    "InvalidChannelPayload",
    "MappedLine",
    "MappedOrder",
    "PaymentStatus",
    "PushTarget",
    "Unmapped",
    "map_payload",
    "resolve",
]
