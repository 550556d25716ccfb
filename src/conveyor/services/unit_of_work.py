"""The unit of work: one database transaction around one use case.

    with uow:
        token = uow.api_tokens.add(...)
        uow.commit()

Leaving the block without ``commit()`` (or because of an exception) rolls
everything back, so a use case either happens completely or not at all. Domain
events recorded during the block stay in ``events`` for publication after the
commit (the message bus arrives in a later issue).
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from conveyor.adapters.db.api_tokens import SqlApiTokenRepository


class SqlUnitOfWork:
    """A session and its transaction, with the repositories bound to it."""

    api_tokens: SqlApiTokenRepository

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self.events: list[object] = []

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("use the unit of work inside a `with uow:` block")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open; create a new one per use case")
        self._session = self._session_factory()
        self.events = []
        self.api_tokens = SqlApiTokenRepository(self._session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        try:
            session.rollback()  # a no-op after commit(); undoes everything otherwise
        finally:
            session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def record(self, event: object) -> None:
        """Remember a domain event to publish once the transaction has committed."""
        self.events.append(event)
