"""The finance/returns e2e tests reuse the order e2e support one folder up."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from order_flow_support import shop_api

__all__ = ["shop_api"]
