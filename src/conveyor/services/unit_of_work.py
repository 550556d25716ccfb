"""The unit of work: one database transaction around one use case.

    with uow:
        token = uow.api_tokens.add(...)
        uow.commit()

Leaving the block without ``commit()`` (or because of an exception) rolls
everything back, so a use case either happens completely or not at all. Domain
events recorded during the block are written to the outbox by ``commit()`` in
the same transaction (``services/outbox.py``), so they exist exactly when the
change committed; they also stay in ``events`` for the caller.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from conveyor.adapters.db.api_tokens import SqlApiTokenRepository
from conveyor.services import events, outbox


class SqlUnitOfWork:
    """A session and its transaction, with the repositories bound to it."""

    api_tokens: SqlApiTokenRepository

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self.events: list[object] = []
        self._recorded: outbox.RecordedEvents | None = None

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
        self._recorded = outbox.RecordedEvents(self._session, self.events)
        self.api_tokens = SqlApiTokenRepository(self._session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        if self._recorded is not None:
            self._recorded.discard_unwritten()
        try:
            session.rollback()  # a no-op after commit(); undoes everything otherwise
        finally:
            session.close()

    def commit(self) -> None:
        session = self.session
        if self._recorded is not None:
            outbox.write(session, self._recorded.unwritten())
        session.commit()
        if self._recorded is not None:
            self._recorded.mark_written()

    def rollback(self) -> None:
        self.session.rollback()
        if self._recorded is not None:
            self._recorded.discard_unwritten()

    def record(self, event: object) -> None:
        """Remember a domain event (a dict with a ``type``) for the outbox; ``commit()`` writes it."""
        self.events.append(events.check(event))
