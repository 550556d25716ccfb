"""The API's token check (``api_tokens.TokenAuthenticator``): one read per request, so a revoked token
is refused at once; ``last_used_at`` written at most once per interval per token (a fake clock here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, update

from conveyor.adapters.db.tables import api_tokens as api_tokens_table
from conveyor.bootstrap import Runtime
from conveyor.domain.auth import Role
from conveyor.errors import Unauthenticated
from conveyor.services import api_tokens

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _last_used(runtime: Runtime, token_id: int) -> datetime | None:
    [token] = [t for t in api_tokens.list_tokens(runtime.unit_of_work()) if t.id == token_id]
    return token.last_used_at


def _count_token_updates(runtime: Runtime) -> list[str]:
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", before)
    return seen


def test_last_used_at_is_written_at_most_once_per_interval(migrated_runtime: Runtime) -> None:
    issued = api_tokens.issue_token(migrated_runtime.unit_of_work(), name="shop sync", role=Role.INTEGRATION)
    clock = FakeClock(T0)
    checker = api_tokens.TokenAuthenticator(
        migrated_runtime.engine, migrated_runtime.unit_of_work, clock=clock
    )
    updates = _count_token_updates(migrated_runtime)

    principal = checker.authenticate(issued.secret)
    assert principal.token_id == issued.token.id and principal.role is Role.INTEGRATION
    assert _last_used(migrated_runtime, issued.token.id) == T0
    assert len(updates) == 1

    for seconds in (1, 30, 59):  # within the minute: read only, never written
        clock.now = T0 + timedelta(seconds=seconds)
        checker.authenticate(issued.secret)
    assert _last_used(migrated_runtime, issued.token.id) == T0
    assert len(updates) == 1

    clock.now = T0 + timedelta(seconds=61)
    checker.authenticate(issued.secret)
    assert _last_used(migrated_runtime, issued.token.id) == T0 + timedelta(seconds=61)
    assert len(updates) == 2
    assert checker.resolution == api_tokens.LAST_USED_RESOLUTION == timedelta(minutes=1)


def test_two_processes_write_last_used_at_once_per_interval_between_them(migrated_runtime: Runtime) -> None:
    issued = api_tokens.issue_token(migrated_runtime.unit_of_work(), name="poller", role=Role.VIEWER)
    clock = FakeClock(T0)
    first, second = (
        api_tokens.TokenAuthenticator(migrated_runtime.engine, migrated_runtime.unit_of_work, clock=clock)
        for _ in range(2)
    )
    first.authenticate(issued.secret)
    clock.now = T0 + timedelta(seconds=20)
    second.authenticate(issued.secret)  # its own claim is free, but the stored value is recent
    assert _last_used(migrated_runtime, issued.token.id) == T0
    # and the UPDATE is guarded: a write with a stale view of the row changes nothing
    with migrated_runtime.unit_of_work() as uow:
        uow.api_tokens.mark_used(
            issued.token.id, T0 + timedelta(seconds=30), not_after=T0 - timedelta(seconds=1)
        )
        uow.commit()
    assert _last_used(migrated_runtime, issued.token.id) == T0


def test_a_revoked_token_is_refused_with_the_next_request(migrated_runtime: Runtime) -> None:
    issued = api_tokens.issue_token(migrated_runtime.unit_of_work(), name="leaver", role=Role.SUPPORT)
    clock = FakeClock(T0)
    checker = api_tokens.TokenAuthenticator(
        migrated_runtime.engine, migrated_runtime.unit_of_work, clock=clock
    )
    checker.authenticate(issued.secret)
    checker.authenticate(issued.secret)
    api_tokens.revoke_token(migrated_runtime.unit_of_work(), issued.token.id)
    with pytest.raises(Unauthenticated, match="unknown or revoked"):
        checker.authenticate(issued.secret)  # same clock second, same process: nothing cached
    with pytest.raises(Unauthenticated):
        checker.authenticate("cvr_never-issued")


def test_authenticate_with_a_unit_of_work_follows_the_same_interval(migrated_runtime: Runtime) -> None:
    issued = api_tokens.issue_token(migrated_runtime.unit_of_work(), name="cli", role=Role.MANAGER)
    api_tokens.authenticate(migrated_runtime.unit_of_work(), issued.secret, now=T0)
    api_tokens.authenticate(migrated_runtime.unit_of_work(), issued.secret, now=T0 + timedelta(seconds=59))
    assert _last_used(migrated_runtime, issued.token.id) == T0
    api_tokens.authenticate(migrated_runtime.unit_of_work(), issued.secret, now=T0 + timedelta(minutes=2))
    assert _last_used(migrated_runtime, issued.token.id) == T0 + timedelta(minutes=2)
    with migrated_runtime.engine.begin() as connection:
        connection.execute(update(api_tokens_table).values(revoked_at=T0))
        assert connection.execute(select(api_tokens_table.c.revoked_at)).scalar_one() is not None
    with pytest.raises(Unauthenticated):
        api_tokens.authenticate(migrated_runtime.unit_of_work(), issued.secret, now=T0 + timedelta(minutes=3))


def test_the_api_records_a_use_once_and_refuses_a_revoked_token_at_its_next_request(
    migrated_runtime: Runtime, client: TestClient, admin_token: str
) -> None:
    issued = api_tokens.issue_token(migrated_runtime.unit_of_work(), name="dashboard", role=Role.VIEWER)
    headers = {"Authorization": f"Bearer {issued.secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    first = _last_used(migrated_runtime, issued.token.id)
    assert first is not None
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert _last_used(migrated_runtime, issued.token.id) == first  # within the minute: not rewritten
    revoked = client.delete(
        f"/api/v1/tokens/{issued.token.id}", headers={"Authorization": f"Bearer {admin_token}"}
    )
    assert revoked.status_code == 200
    refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
