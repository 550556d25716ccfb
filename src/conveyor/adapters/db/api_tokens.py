"""Storing API tokens: rows of ``api_tokens`` in and out as domain objects."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Row, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from conveyor.adapters.db.tables import api_tokens
from conveyor.domain.auth import ApiToken, Role


def _to_token(row: Row[tuple[object, ...]]) -> ApiToken:
    m = row._mapping
    return ApiToken(
        id=m["id"],
        name=m["name"],
        role=Role(m["role"]),
        created_at=m["created_at"],
        last_used_at=m["last_used_at"],
        revoked_at=m["revoked_at"],
        groups=tuple(m["groups"] or ()),
    )


_COLUMNS = (
    api_tokens.c.id,
    api_tokens.c.name,
    api_tokens.c.role,
    api_tokens.c.created_at,
    api_tokens.c.last_used_at,
    api_tokens.c.revoked_at,
    api_tokens.c.groups,
)

# Built once: the per-request token lookup then skips building the statement and its cache key.
_BY_HASH = select(*_COLUMNS).where(api_tokens.c.token_hash == bindparam("token_hash"))
_MARK_USED = (
    update(api_tokens)
    .where(
        api_tokens.c.id == bindparam("token_id"),
        or_(api_tokens.c.last_used_at.is_(None), api_tokens.c.last_used_at <= bindparam("not_after")),
    )
    .values(last_used_at=bindparam("when"))
)


def find_token_by_hash(connection: Connection, token_hash: str) -> ApiToken | None:
    """The token stored under ``token_hash`` read through a plain connection (the API's per-request check)."""
    row = connection.execute(_BY_HASH, {"token_hash": token_hash}).first()
    return _to_token(row) if row else None


class SqlApiTokenRepository:
    """API tokens in the database, looked up by the hash of their secret."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self, *, name: str, role: Role, token_hash: str, created_at: datetime, groups: tuple[str, ...] = ()
    ) -> ApiToken:
        new_id = self._session.execute(
            insert(api_tokens)
            .values(
                name=name,
                role=role.value,
                token_hash=token_hash,
                created_at=created_at,
                groups=list(groups) or None,
            )
            .returning(api_tokens.c.id)
        ).scalar_one()
        return ApiToken(id=new_id, name=name, role=role, created_at=created_at, groups=groups)

    def get(self, token_id: int) -> ApiToken | None:
        row = self._session.execute(select(*_COLUMNS).where(api_tokens.c.id == token_id)).first()
        return _to_token(row) if row else None

    def find_by_hash(self, token_hash: str) -> ApiToken | None:
        row = self._session.execute(_BY_HASH, {"token_hash": token_hash}).first()
        return _to_token(row) if row else None

    def list(self, *, include_revoked: bool = True) -> list[ApiToken]:
        query = select(*_COLUMNS).order_by(api_tokens.c.id)
        if not include_revoked:
            query = query.where(api_tokens.c.revoked_at.is_(None))
        return [_to_token(row) for row in self._session.execute(query)]

    def count_active(self, role: Role) -> int:
        query = (
            select(func.count())
            .select_from(api_tokens)
            .where(api_tokens.c.role == role.value, api_tokens.c.revoked_at.is_(None))
        )
        return int(self._session.execute(query).scalar_one())

    def mark_used(self, token_id: int, when: datetime, *, not_after: datetime | None = None) -> None:
        """Set ``last_used_at`` to ``when``; with ``not_after``, only if it is unset or not after that."""
        if not_after is None:
            self._session.execute(
                update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=when)
            )
            return
        self._session.execute(_MARK_USED, {"token_id": token_id, "when": when, "not_after": not_after})

    def revoke(self, token_id: int, when: datetime) -> None:
        self._session.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=when)
        )
