"""Fixtures for the persisted workflow runtime, on SQLite and PostgreSQL (see tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from workflow_helpers import Clock

from conveyor.bootstrap import Runtime
from conveyor.services.workers import Worker
from conveyor.services.workflow import HandlerRegistry, Workflow, WorkflowSettings


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def registry() -> HandlerRegistry:
    return HandlerRegistry()


@pytest.fixture
def workflow(migrated_runtime: Runtime, registry: HandlerRegistry, clock: Clock) -> Workflow:
    settings = WorkflowSettings(retry_backoff_seconds=10, job_lock_seconds=60)
    return Workflow(migrated_runtime.session_factory, settings=settings, registry=registry, clock=clock)


@pytest.fixture
def restarted(migrated_runtime: Runtime, registry: HandlerRegistry, clock: Clock) -> Callable[[], Workflow]:
    """A brand-new Workflow (empty model cache, new sessions): what a restarted process has."""

    def build() -> Workflow:
        settings = WorkflowSettings(retry_backoff_seconds=10, job_lock_seconds=60)
        return Workflow(migrated_runtime.session_factory, settings=settings, registry=registry, clock=clock)

    return build


@pytest.fixture
def worker(workflow: Workflow) -> Worker:
    return Worker(workflow, name="test-worker")


@pytest.fixture
def sql(migrated_runtime: Runtime) -> Callable[..., list[Any]]:
    """Run a read-only SQL query and return its rows (for asserting what is stored)."""

    def run(query: str, **params: Any) -> list[Any]:
        with migrated_runtime.engine.connect() as connection:
            return list(connection.execute(text(query), params).all())

    return run
