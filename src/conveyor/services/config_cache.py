"""A per-process cache of the configuration placing an order reads: channels, products, warehouses.

Placing an order reads its channel, the prices of its SKUs and the active
warehouses; read per order that is several statements, and the answers only
change when someone applies configuration (``conveyor config apply``, the
configuration API). ``ConfigCache.snapshot(session)`` runs one cheap query,
the configuration's *fingerprint* (per table: the row count and the latest
``updated_at``; every save stamps ``updated_at``, a deletion changes the
count), and reloads the whole snapshot only when the fingerprint moved. The
fingerprint is read inside the caller's transaction, so a placement always
works with the configuration its own transaction sees: a change committed by
another process is picked up by the next batch or request, never half.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from conveyor.adapters.db.catalog_tables import carriers, categories, products, sales_channels, warehouses
from conveyor.adapters.repositories.configuration import SqlConfiguration
from conveyor.domain.catalog import Product
from conveyor.domain.channels import SalesChannel
from conveyor.domain.geo import Coordinates
from conveyor.domain.warehouse import Warehouse

_FINGERPRINT = select(
    *(
        part
        for table in (sales_channels, products, warehouses, categories, carriers)
        for part in (
            select(func.count()).select_from(table).scalar_subquery(),
            select(func.max(table.c.updated_at)).scalar_subquery(),
        )
    )
)


@dataclass(frozen=True, slots=True)
class ConfigSnapshot:
    """The configuration as one transaction saw it."""

    fingerprint: tuple[Any, ...]
    channels: Mapping[str, SalesChannel]
    products: Mapping[str, Product]
    warehouses: Mapping[str, Warehouse]
    #: (code, coordinates, priority) of the active warehouses, in ``active_warehouse_sites`` order
    sites: tuple[tuple[str, Coordinates, int], ...]

    def active_channel_codes(self) -> list[str]:
        return sorted(code for code, channel in self.channels.items() if channel.active)


class ConfigCache:
    """Snapshots per database engine; safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_engine: WeakKeyDictionary[Engine, ConfigSnapshot] = WeakKeyDictionary()
        self.reloads = 0

    def snapshot(self, session: Session) -> ConfigSnapshot:
        """The configuration seen by ``session``'s transaction (from the cache when unchanged)."""
        engine = session.get_bind().engine
        fingerprint = tuple(session.execute(_FINGERPRINT).one())
        cached = self._by_engine.get(engine)
        if cached is not None and cached.fingerprint == fingerprint:
            return cached
        config = SqlConfiguration(session)
        fresh = ConfigSnapshot(
            fingerprint=fingerprint,
            channels={c.code: c for c in config.channels()},
            products={p.sku: p for p in config.products()},
            warehouses={w.code: w for w in config.warehouses()},
            sites=tuple(config.active_warehouse_sites()),
        )
        with self._lock:
            self._by_engine[engine] = fresh
            self.reloads += 1
        return fresh

    def clear(self) -> None:
        with self._lock:
            self._by_engine.clear()


_SHARED = ConfigCache()


def shared_config_cache() -> ConfigCache:
    """The process-wide cache (one per Conveyor process, like the workflow's model cache)."""
    return _SHARED
