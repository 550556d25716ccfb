"""API token use cases: issue, authenticate, list and revoke.

A token is ``cvr_`` followed by 32 random bytes (URL-safe base64). The prefix
makes leaked tokens easy to recognise in logs and secret scanners; only the
SHA-256 of the whole token is stored, so a copy of the database grants nothing.
The secret is shown exactly once, when the token is issued.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from conveyor.adapters.db.api_tokens import find_token_by_hash
from conveyor.domain.auth import ApiToken, Principal, Role, group_problems
from conveyor.errors import InvalidInput, NotFound, Unauthenticated
from conveyor.services.unit_of_work import SqlUnitOfWork

TOKEN_PREFIX = "cvr_"  # noqa: S105 - the public prefix, not a secret
# Recording every use would turn every request into a write: last_used_at is written at most once a minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_AUTHENTICATOR = "_conveyor_token_authenticator"
_authenticator_lock = threading.Lock()
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


def _unknown_or_revoked() -> Unauthenticated:
    return Unauthenticated(
        "The bearer token is unknown or revoked; "
        "ask an admin for a new one (`conveyor token create --role ROLE --name NAME`)"
    )


def _principal(token: ApiToken) -> Principal:
    return Principal(token_id=token.id, name=token.name, role=token.role, groups=frozenset(token.groups))


def _due(token: ApiToken, now: datetime, resolution: timedelta) -> bool:
    return token.last_used_at is None or now - token.last_used_at >= resolution


def _write_last_use(uow: SqlUnitOfWork, token_id: int, now: datetime, resolution: timedelta) -> None:
    """In an open ``uow``: record a use, guarded to once per ``resolution`` across processes too."""
    try:
        uow.api_tokens.mark_used(token_id, now, not_after=now - resolution)
        uow.commit()
    except OperationalError:
        # last_used_at is a hint: when another writer holds SQLite (or moved past this read
        # snapshot), skip it rather than fail the request with 503; a later request records it
        uow.rollback()


def authenticate(uow: SqlUnitOfWork, secret: str, *, now: datetime | None = None) -> Principal:
    """The principal a bearer secret stands for; ``Unauthenticated`` if none.

    Each call reads the token (a revoked token is refused at once); ``last_used_at`` is written
    at most once per ``LAST_USED_RESOLUTION``. The API uses ``TokenAuthenticator``: the same
    rules with a lighter read.
    """
    now = now or datetime.now(UTC)
    with uow:
        token = uow.api_tokens.find_by_hash(hash_secret(secret.strip()))
        if token is None or not token.active:
            raise _unknown_or_revoked()
        if _due(token, now, LAST_USED_RESOLUTION):
            _write_last_use(uow, token.id, now, LAST_USED_RESOLUTION)
    return _principal(token)


class TokenAuthenticator:
    """Bearer-token checks for the API of one process.

    Every request reads its token (one indexed SELECT on a pooled connection, no ORM session), so
    a revoked token stops working with the next request, in every process: nothing is cached.
    What is spared is the write: ``last_used_at`` is updated at most once per ``resolution`` per
    token. The row's own ``last_used_at`` decides (so several processes write it about once per
    interval between them, and the UPDATE is guarded by it), and within a process one request
    claims the write, so concurrent requests of a busy token do not all queue for the write lock.
    """

    def __init__(
        self,
        engine: Engine,
        uow_factory: Callable[[], SqlUnitOfWork],
        *,
        clock: Callable[[], datetime] | None = None,
        resolution: timedelta = LAST_USED_RESOLUTION,
    ) -> None:
        self._engine = engine
        self._uow_factory = uow_factory
        self._clock = clock or (lambda: datetime.now(UTC))
        self.resolution = resolution
        self._claimed: dict[int, datetime] = {}  # token id -> when this process last wrote (or is writing)
        self._lock = threading.Lock()

    @property
    def reads_locally(self) -> bool:
        """True on SQLite: the token read is a local file read (the API does it on its event loop)."""
        return self._engine.dialect.name == "sqlite"

    def authenticate(self, secret: str) -> Principal:
        principal, use_at = self.check(secret)
        if use_at is not None:
            self.record_use(principal.token_id, use_at)
        return principal

    def check(self, secret: str) -> tuple[Principal, datetime | None]:
        """The principal (read only), and the time to record as its last use if this request claimed it."""
        with self._engine.connect() as connection:
            token = find_token_by_hash(connection, hash_secret(secret.strip()))
        if token is None or not token.active:
            raise _unknown_or_revoked()
        now = self._clock()
        claimed = _due(token, now, self.resolution) and self._claim(token.id, now)
        return _principal(token), now if claimed else None

    def record_use(self, token_id: int, when: datetime) -> None:
        """Write ``last_used_at`` (claimed by ``check``): a write transaction, it may wait for the lock."""
        with self._uow_factory() as uow:
            _write_last_use(uow, token_id, when, self.resolution)

    def _claim(self, token_id: int, now: datetime) -> bool:
        with self._lock:
            last = self._claimed.get(token_id)
            if last is not None and now - last < self.resolution:
                return False
            self._claimed[token_id] = now
            return True


def authenticator_for(runtime: Any) -> TokenAuthenticator:
    """The runtime's shared ``TokenAuthenticator`` (one per API process)."""
    existing: TokenAuthenticator | None = runtime.__dict__.get(_AUTHENTICATOR)
    if existing is not None:
        return existing
    with _authenticator_lock:
        existing = runtime.__dict__.get(_AUTHENTICATOR)
        if existing is None:
            existing = TokenAuthenticator(runtime.engine, runtime.unit_of_work)
            runtime.__dict__[_AUTHENTICATOR] = existing
    return existing


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
