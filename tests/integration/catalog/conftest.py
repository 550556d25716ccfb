"""Fixtures for configuration tests: the bundled default document and a ledger check."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from conveyor.bootstrap import Runtime
from conveyor.services.configuration import default_configuration
from conveyor.services.inventory import ledger_violations


@pytest.fixture
def default_document() -> dict[str, Any]:
    """A fresh copy of the bundled default configuration (tests may edit it)."""
    return copy.deepcopy(default_configuration())


@pytest.fixture
def check_ledger() -> Callable[[Runtime], None]:
    def check(runtime: Runtime) -> None:
        violations = ledger_violations(runtime.unit_of_work())
        assert violations == [], "\n".join(str(v) for v in violations)

    return check
