"""API tokens: only hashes are stored; revoked and unknown tokens are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from conveyor.adapters.db.tables import api_tokens as api_tokens_table
from conveyor.bootstrap import Runtime, initialize
from conveyor.domain.auth import Role
from conveyor.errors import InvalidInput, NotFound, Unauthenticated
from conveyor.services import api_tokens


def test_an_issued_token_authenticates_as_its_name_and_role(migrated_runtime: Runtime) -> None:
    issued = api_tokens.issue_token(migrated_runtime.unit_of_work(), name="picker 1", role=Role.WAREHOUSE)
    principal = api_tokens.authenticate(migrated_runtime.unit_of_work(), issued.secret)
    assert principal.name == "picker 1"
    assert principal.role is Role.WAREHOUSE
    assert principal.token_id == issued.token.id


def test_tokens_are_long_random_and_recognisable_by_their_prefix(migrated_runtime: Runtime) -> None:
    first = api_tokens.issue_token(migrated_runtime.unit_of_work(), name="a", role=Role.VIEWER).secret
    second = api_tokens.issue_token(migrated_runtime.unit_of_work(), name="b", role=Role.VIEWER).secret
    assert first.startswith("cvr_") and second.startswith("cvr_")
    assert first != second
    assert len(first) >= 40


def test_the_secret_is_never_stored_only_its_hash(migrated_runtime: Runtime) -> None:
    issued = api_tokens.issue_token(migrated_runtime.unit_of_work(), name="ci", role=Role.INTEGRATION)
    with migrated_runtime.engine.connect() as connection:
        stored = [str(value) for row in connection.execute(select(api_tokens_table)) for value in row]
    assert not any(issued.secret in value or issued.secret[4:] in value for value in stored)
    assert api_tokens.hash_secret(issued.secret) in stored


def test_an_unknown_token_is_refused(migrated_runtime: Runtime) -> None:
    with pytest.raises(Unauthenticated, match="unknown or revoked"):
        api_tokens.authenticate(migrated_runtime.unit_of_work(), "cvr_not-a-real-token")


def test_a_revoked_token_is_refused(migrated_runtime: Runtime) -> None:
    issued = api_tokens.issue_token(migrated_runtime.unit_of_work(), name="ex-employee", role=Role.SUPPORT)
    revoked = api_tokens.revoke_token(migrated_runtime.unit_of_work(), issued.token.id)
    assert revoked.revoked_at is not None and not revoked.active
    with pytest.raises(Unauthenticated):
        api_tokens.authenticate(migrated_runtime.unit_of_work(), issued.secret)


def test_revoking_a_token_that_does_not_exist_says_so(migrated_runtime: Runtime) -> None:
    with pytest.raises(NotFound, match="No API token with id 999"):
        api_tokens.revoke_token(migrated_runtime.unit_of_work(), 999)


def test_using_a_token_records_when_it_was_last_used(migrated_runtime: Runtime) -> None:
    issued = api_tokens.issue_token(migrated_runtime.unit_of_work(), name="dash", role=Role.MANAGER)
    assert issued.token.last_used_at is None
    api_tokens.authenticate(migrated_runtime.unit_of_work(), issued.secret)
    [listed] = api_tokens.list_tokens(migrated_runtime.unit_of_work())
    assert listed.last_used_at is not None
    assert datetime.now(UTC) - listed.last_used_at < timedelta(minutes=5)


def test_last_use_is_refreshed_at_most_once_a_minute(migrated_runtime: Runtime) -> None:
    issued = api_tokens.issue_token(migrated_runtime.unit_of_work(), name="poller", role=Role.VIEWER)
    api_tokens.authenticate(migrated_runtime.unit_of_work(), issued.secret)
    [first] = api_tokens.list_tokens(migrated_runtime.unit_of_work())
    api_tokens.authenticate(migrated_runtime.unit_of_work(), issued.secret)
    [second] = api_tokens.list_tokens(migrated_runtime.unit_of_work())
    assert second.last_used_at == first.last_used_at
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    with migrated_runtime.engine.begin() as connection:
        connection.execute(update(api_tokens_table).values(last_used_at=an_hour_ago))
    api_tokens.authenticate(migrated_runtime.unit_of_work(), issued.secret)
    [third] = api_tokens.list_tokens(migrated_runtime.unit_of_work())
    assert third.last_used_at is not None and third.last_used_at > an_hour_ago


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_a_token_needs_a_sensible_name(migrated_runtime: Runtime, name: str) -> None:
    with pytest.raises(InvalidInput, match="name"):
        api_tokens.issue_token(migrated_runtime.unit_of_work(), name=name, role=Role.VIEWER)


def test_roles_are_read_case_insensitively_and_unknown_roles_list_the_known_ones() -> None:
    assert api_tokens.parse_role("Finance") is Role.FINANCE
    known = "admin, manager, support, warehouse, finance, integration, viewer"
    with pytest.raises(InvalidInput, match=known):
        api_tokens.parse_role("boss")


def test_initialize_migrates_and_issues_the_first_admin_token_once(runtime: Runtime) -> None:
    first = initialize(runtime)
    assert first.revision_before is None
    assert first.admin_token is not None and first.admin_token.token.role is Role.ADMIN
    second = initialize(runtime)
    assert second.revision_before == second.revision_after
    assert second.admin_token is None
    assert len(api_tokens.list_tokens(runtime.unit_of_work())) == 1


def test_initialize_issues_a_new_admin_token_when_every_admin_token_was_revoked(runtime: Runtime) -> None:
    first = initialize(runtime)
    assert first.admin_token is not None
    api_tokens.revoke_token(runtime.unit_of_work(), first.admin_token.token.id)
    again = initialize(runtime)
    assert again.admin_token is not None
    principal = api_tokens.authenticate(runtime.unit_of_work(), again.admin_token.secret)
    assert principal.role is Role.ADMIN
