"""A unit of work commits everything or nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conveyor.bootstrap import Runtime
from conveyor.domain.auth import Role
from conveyor.services.unit_of_work import SqlUnitOfWork


def _add_token(name: str, uow: SqlUnitOfWork) -> None:
    now = datetime.now(UTC)
    uow.api_tokens.add(name=name, role=Role.VIEWER, token_hash=name.ljust(64, "0"), created_at=now)


def _names(runtime: Runtime) -> list[str]:
    with runtime.unit_of_work() as uow:
        return [token.name for token in uow.api_tokens.list()]


def test_committed_work_is_seen_by_the_next_unit_of_work(migrated_runtime: Runtime) -> None:
    with migrated_runtime.unit_of_work() as uow:
        _add_token("kept", uow)
        uow.commit()
    assert _names(migrated_runtime) == ["kept"]


def test_work_is_rolled_back_when_the_block_ends_without_commit(migrated_runtime: Runtime) -> None:
    with migrated_runtime.unit_of_work() as uow:
        _add_token("forgotten", uow)
    assert _names(migrated_runtime) == []


def test_work_is_rolled_back_when_the_block_raises(migrated_runtime: Runtime) -> None:
    with pytest.raises(ValueError, match="use case failed"), migrated_runtime.unit_of_work() as uow:
        _add_token("half-done", uow)
        raise ValueError("use case failed")
    assert _names(migrated_runtime) == []


def test_work_after_the_commit_is_rolled_back(migrated_runtime: Runtime) -> None:
    with migrated_runtime.unit_of_work() as uow:
        _add_token("first", uow)
        uow.commit()
        _add_token("second", uow)
    assert _names(migrated_runtime) == ["first"]


def test_events_recorded_in_the_block_are_kept_for_publication_after_commit(
    migrated_runtime: Runtime,
) -> None:
    uow = migrated_runtime.unit_of_work()
    with uow:
        uow.record({"type": "token.created"})
        uow.commit()
    assert uow.events == [{"type": "token.created"}]


def test_repositories_are_only_usable_inside_the_block(migrated_runtime: Runtime) -> None:
    uow = migrated_runtime.unit_of_work()
    with pytest.raises(RuntimeError, match="with uow"):
        uow.commit()
