"""Fixtures of the order tests: ``shop`` and ``check_ledger`` (defined in ``order_shop``)."""

from order_shop import check_ledger, shop

__all__ = ["check_ledger", "shop"]
