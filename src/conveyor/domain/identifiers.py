"""The shapes of the codes people type: SKUs and the codes of categories,
warehouses, channels and carriers.

They end up in URLs, CSV files, labels and YAML, so they are restricted to
letters, digits and a few separators, and start with a letter or digit.
"""

from __future__ import annotations

import re

_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

SKU_RULE = "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
CODE_RULE = SKU_RULE


def is_sku(value: object) -> bool:
    return isinstance(value, str) and _SKU.match(value) is not None


def is_code(value: object) -> bool:
    return isinstance(value, str) and _CODE.match(value) is not None
