"""API token use cases: issue, authenticate, list and revoke.

A token is ``cvr_`` followed by 32 random bytes (URL-safe base64). The prefix
makes leaked tokens easy to recognise in logs and secret scanners; only the
SHA-256 of the whole token is stored, so a copy of the database grants nothing.
The secret is shown exactly once, when the token is issued.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import OperationalError

from conveyor.domain.auth import ApiToken, Principal, Role, group_problems
from conveyor.errors import InvalidInput, NotFound, Unauthenticated
from conveyor.services.unit_of_work import SqlUnitOfWork

TOKEN_PREFIX = "cvr_"  # noqa: S105 - the public prefix, not a secret
# Recording every use would turn every read request into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_NAME_LENGTH = 200


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token and its secret, which is not stored and cannot be shown again."""

    token: ApiToken
    secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError as err:
        known = ", ".join(role.value for role in Role)
        raise InvalidInput(
            f"Unknown role {value!r}; use one of: {known}",
            errors=[{"loc": ["role"], "msg": f"must be one of: {known}"}],
        ) from err


def parse_groups(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"quality, packing"`` or a list -> ``("quality", "packing")`` (sorted, no duplicates)."""
    if value is None:
        return ()
    raw = value.split(",") if isinstance(value, str) else list(value)
    groups = tuple(sorted({str(g).strip() for g in raw if str(g).strip()}))
    problems = group_problems(groups)
    if problems:
        raise InvalidInput(
            f"Invalid group name: {problems[0]}",
            errors=[{"loc": ["groups"], "path": "groups", "msg": msg} for msg in problems],
        )
    return groups


def issue_token(
    uow: SqlUnitOfWork, *, name: str, role: Role, groups: str | Iterable[str] | None = None
) -> IssuedToken:
    """Create a token for ``role`` named ``name`` (a person or an integration), in ``groups``."""
    clean_name = name.strip()
    if not clean_name or len(clean_name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            f"A token needs a name of 1 to {MAX_NAME_LENGTH} characters, e.g. the person or system using it",
            errors=[{"loc": ["name"], "msg": f"must be 1 to {MAX_NAME_LENGTH} characters"}],
        )
    clean_groups = parse_groups(groups)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow:
        token = uow.api_tokens.add(
            name=clean_name,
            role=role,
            token_hash=hash_secret(secret),
            created_at=datetime.now(UTC),
            groups=clean_groups,
        )
        uow.commit()
    return IssuedToken(token=token, secret=secret)


def authenticate(uow: SqlUnitOfWork, secret: str) -> Principal:
    """The principal a bearer secret stands for; ``Unauthenticated`` if none."""
    with uow:
        token = uow.api_tokens.find_by_hash(hash_secret(secret.strip()))
        if token is None or not token.active:
            raise Unauthenticated(
                "The bearer token is unknown or revoked; "
                "ask an admin for a new one (`conveyor token create --role ROLE --name NAME`)"
            )
        now = datetime.now(UTC)
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            try:
                uow.api_tokens.mark_used(token.id, now)
                uow.commit()
            except OperationalError:
                # last_used_at is a hint: when another writer holds SQLite (or moved past this read
                # snapshot), skip it rather than fail the request with 503; a later request records it
                uow.rollback()
    return Principal(token_id=token.id, name=token.name, role=token.role, groups=frozenset(token.groups))


def list_tokens(uow: SqlUnitOfWork, *, include_revoked: bool = True) -> list[ApiToken]:
    with uow:
        return uow.api_tokens.list(include_revoked=include_revoked)


def revoke_token(uow: SqlUnitOfWork, token_id: int) -> ApiToken:
    """Revoke a token at once; revoking twice keeps the first revocation time."""
    with uow:
        if uow.api_tokens.get(token_id) is None:
            raise NotFound(f"No API token with id {token_id}; `conveyor token list` shows them")
        uow.api_tokens.revoke(token_id, datetime.now(UTC))
        revoked = uow.api_tokens.get(token_id)
        uow.commit()
    assert revoked is not None
    return revoked


def has_active_admin(uow: SqlUnitOfWork) -> bool:
    with uow:
        return uow.api_tokens.count_active(Role.ADMIN) > 0
