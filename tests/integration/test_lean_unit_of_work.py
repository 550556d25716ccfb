"""The workflow runtime's LeanUnitOfWork: the unit-of-work contract, with the session made late."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conveyor.bootstrap import Runtime
from conveyor.domain.auth import Role
from conveyor.services import outbox
from conveyor.services.unit_of_work import LeanUnitOfWork

_RAW_TOKEN = "INSERT INTO api_tokens (name, role, token_hash, created_at, groups) VALUES (?, ?, ?, ?, ?)"


def _lean(runtime: Runtime) -> LeanUnitOfWork:
    return LeanUnitOfWork(runtime.session_factory, write=True)


def _raw_token(uow: LeanUnitOfWork, name: str) -> None:
    raw = uow.raw
    raw.execute(_RAW_TOKEN, (name, Role.VIEWER.value, name.ljust(64, "0"), raw.time(datetime.now(UTC)), "[]"))


def _orm_token(uow: LeanUnitOfWork, name: str) -> None:
    uow.api_tokens.add(
        name=name, role=Role.VIEWER, token_hash=name.ljust(64, "1"), created_at=datetime.now(UTC)
    )


def _names(runtime: Runtime) -> list[str]:
    with runtime.unit_of_work() as uow:
        return sorted(token.name for token in uow.api_tokens.list())


def _types(runtime: Runtime) -> list[str]:
    with runtime.session_factory() as session:
        return [event["type"] for event in outbox.read(session, limit=1000)]


def test_a_step_without_a_session_commits_its_rows_and_events_on_the_driver(
    migrated_runtime: Runtime,
) -> None:
    with _lean(migrated_runtime) as uow:
        _raw_token(uow, "raw")
        uow.record({"type": "token.created", "id": "raw"})
        uow.commit()
        assert uow._session is None  # nothing asked for one
    assert _names(migrated_runtime) == ["raw"]
    assert _types(migrated_runtime) == ["token.created"]


def test_a_session_made_late_joins_the_open_transaction_and_commits_with_it(
    migrated_runtime: Runtime,
) -> None:
    with _lean(migrated_runtime) as uow:
        _raw_token(uow, "before-session")
        _orm_token(uow, "through-session")  # makes the session now
        _raw_token(uow, "after-session")
        uow.record({"type": "token.created", "id": "x"})
        uow.commit()
    assert _names(migrated_runtime) == ["after-session", "before-session", "through-session"]
    assert _types(migrated_runtime) == ["token.created"]


@pytest.mark.parametrize("with_session", [False, True])
def test_leaving_without_commit_or_raising_rolls_everything_back(
    migrated_runtime: Runtime, with_session: bool
) -> None:
    with _lean(migrated_runtime) as uow:
        _raw_token(uow, "forgotten")
        if with_session:
            _orm_token(uow, "forgotten-too")
        uow.record({"type": "token.created", "id": "forgotten"})
    with pytest.raises(ValueError, match="step failed"), _lean(migrated_runtime) as uow:
        _raw_token(uow, "half-done")
        if with_session:
            _orm_token(uow, "half-done-too")
        raise ValueError("step failed")
    assert _names(migrated_runtime) == []
    assert _types(migrated_runtime) == []


def test_a_rolled_back_savepoint_drops_its_rows_and_events_and_keeps_the_rest(
    migrated_runtime: Runtime,
) -> None:
    with _lean(migrated_runtime) as uow:
        _raw_token(uow, "kept")
        uow.record({"type": "token.created", "id": "kept"})
        with pytest.raises(RuntimeError, match="handler failed"), uow.session.begin_nested():
            _raw_token(uow, "undone")  # through the raw cursor: the savepoint covers it too
            uow.record({"type": "token.revoked", "id": "undone"})
            raise RuntimeError("handler failed")
        uow.commit()
    assert _names(migrated_runtime) == ["kept"]
    assert _types(migrated_runtime) == ["token.created"]


@pytest.mark.parametrize("with_session", [False, True])
def test_work_after_a_commit_runs_in_a_new_transaction(migrated_runtime: Runtime, with_session: bool) -> None:
    with _lean(migrated_runtime) as uow:
        _raw_token(uow, "first")
        if with_session:
            _orm_token(uow, "first-orm")
        uow.commit()
        _raw_token(uow, "second")
        uow.commit()
        _raw_token(uow, "third")  # never committed
    expected = ["first", "second"] + (["first-orm"] if with_session else [])
    assert _names(migrated_runtime) == sorted(expected)


def test_an_explicit_rollback_undoes_the_transaction_and_the_unit_of_work_goes_on(
    migrated_runtime: Runtime,
) -> None:
    with _lean(migrated_runtime) as uow:
        _orm_token(uow, "undone")
        uow.record({"type": "token.created", "id": "undone"})
        uow.rollback()
        _raw_token(uow, "kept")
        uow.commit()
    assert _names(migrated_runtime) == ["kept"]
    assert _types(migrated_runtime) == []


def test_it_is_only_usable_inside_the_block(migrated_runtime: Runtime) -> None:
    uow = _lean(migrated_runtime)
    with pytest.raises(RuntimeError, match="with uow"):
        _ = uow.raw
    with pytest.raises(RuntimeError, match="with uow"):
        _ = uow.session


def test_a_session_savepoint_covers_raw_statements_in_the_ordinary_unit_of_work_too(
    migrated_runtime: Runtime,
) -> None:
    with migrated_runtime.unit_of_work() as uow:
        raw = uow.raw  # the session's cursor, made before the savepoint
        raw.execute(_RAW_TOKEN, ("kept", Role.VIEWER.value, "k" * 64, raw.time(datetime.now(UTC)), "[]"))
        with pytest.raises(RuntimeError, match="handler failed"), uow.session.begin_nested():
            uow.raw.execute(
                _RAW_TOKEN, ("undone", Role.VIEWER.value, "u" * 64, raw.time(datetime.now(UTC)), "[]")
            )
            raise RuntimeError("handler failed")
        uow.commit()
    assert _names(migrated_runtime) == ["kept"]


@pytest.mark.parametrize("lean", [True, False])
def test_a_select_left_unfinished_does_not_keep_an_old_snapshot_on_the_pooled_connection(
    migrated_runtime: Runtime, lean: bool
) -> None:
    """Seen in `make demo`: every later writer on that connection failed with "database is locked"."""
    with migrated_runtime.unit_of_work() as uow:
        _orm_token(uow, "a")  # type: ignore[arg-type]
        _orm_token(uow, "b")  # type: ignore[arg-type]
        uow.commit()
    uow = _lean(migrated_runtime) if lean else migrated_runtime.unit_of_work()
    with uow:
        raw = uow.raw  # held on past the transaction, as a cache of cursors would
        first = raw.execute("SELECT name FROM api_tokens ORDER BY name").fetchone()  # "b" left unread
        assert first == ("a",)
        uow.commit()
    # another connection commits meanwhile (the API on one thread, a worker on another)
    with migrated_runtime.engine.connect() as other:
        other.exec_driver_sql("UPDATE api_tokens SET name = 'c' WHERE name = 'b'")
        other.commit()
    # the first connection, back from the pool, reads and then writes in one deferred transaction
    for n in range(3):
        with migrated_runtime.unit_of_work() as later:
            assert _names_in(later) == ["a", "c", *(f"d{i}" for i in range(n))]
            _orm_token(later, f"d{n}")  # type: ignore[arg-type]
            later.commit()
    assert _names(migrated_runtime) == ["a", "c", "d0", "d1", "d2"]
    del raw


def _names_in(uow: object) -> list[str]:
    return sorted(token.name for token in uow.api_tokens.list())  # type: ignore[attr-defined]
