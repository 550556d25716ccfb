"""Shared fixtures for the conformance suites (third-party models and test data).

The material lives outside the repository, in the workspace's
``../shared/conformance`` folder (see its README for sources and licenses); it
is read in place, never copied here. A clone without that folder skips these
tests instead of failing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_CONFORMANCE = REPO_ROOT / ".." / "shared" / "conformance"
MISSING_MESSAGE = (
    "../shared/conformance not found: these conformance tests read third-party models "
    "from the workspace's shared folder"
)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared/conformance`` (the workspace's third-party test data), or skip the test."""
    if not SHARED_CONFORMANCE.is_dir():
        pytest.skip(MISSING_MESSAGE)
    return SHARED_CONFORMANCE.resolve()
