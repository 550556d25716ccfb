"""What the finance, returns and carrier-exception use cases share: their settings, the register, workflows.

Settings are the ``finance``, ``returns`` and ``carrier_exceptions`` sections of
the configuration document (``conveyor config apply``; defaults in
``processes/default-config.yaml``). An applied section is stored whole in
``finance_settings``; until one is applied the bundled default is used.

``record_in_register`` files an exception record through the exception
register (``conveyor.services.exceptions.record_exception``) in the caller's
transaction and returns its id.

``workflow_of(uow)`` is the ``Workflow`` a handler uses to start another
process in its own step (a refund from a return, a replacement order): the
new instance is written in the same transaction as the step that started it.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from conveyor.adapters.db.finance_tables import finance_settings
from conveyor.domain.refunds import FinanceSettings, read_finance_settings
from conveyor.domain.returns import (
    CarrierExceptionSettings,
    ReturnSettings,
    read_carrier_exception_settings,
    read_return_settings,
)
from conveyor.services import exceptions as register
from conveyor.services.unit_of_work import SqlUnitOfWork
from conveyor.services.workflow import Workflow

T = TypeVar("T")

SECTIONS: dict[str, Callable[[Any], Any]] = {
    "finance": read_finance_settings,
    "returns": read_return_settings,
    "carrier_exceptions": read_carrier_exception_settings,
}


def _bundled(section: str) -> Any:
    from conveyor.services.configuration import default_configuration  # a cycle at import time otherwise

    document = default_configuration()
    return document.get(section) if isinstance(document, dict) else None


def _section(session: Session, section: str, read: Callable[[Any], T]) -> T:
    stored = session.execute(
        select(finance_settings.c.document).where(finance_settings.c.section == section)
    ).scalar_one_or_none()
    return read(stored if stored is not None else _bundled(section))


def finance_of(session: Session) -> FinanceSettings:
    return _section(session, "finance", read_finance_settings)


def returns_of(session: Session) -> ReturnSettings:
    return _section(session, "returns", read_return_settings)


def carrier_exceptions_of(session: Session) -> CarrierExceptionSettings:
    return _section(session, "carrier_exceptions", read_carrier_exception_settings)


def stored_sections(session: Session) -> dict[str, Any]:
    """The applied sections as stored (for export)."""
    rows = session.execute(select(finance_settings.c.section, finance_settings.c.document))
    return {row.section: row.document for row in rows}


def save_section(session: Session, section: str, document: Any, at: datetime | None = None) -> None:
    """Store one section whole (it was validated by its reader first)."""
    SECTIONS[section](document)
    session.execute(delete(finance_settings).where(finance_settings.c.section == section))
    session.execute(
        insert(finance_settings).values(
            section=section, document=document, updated_at=at or datetime.now(UTC)
        )
    )


def record_in_register(uow: SqlUnitOfWork, **fields: Any) -> int:
    """File an exception record (see ``conveyor.services.exceptions.record_exception``); returns its id."""
    return register.record_exception(uow, **fields)


_workflows: weakref.WeakKeyDictionary[Any, Workflow] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def workflow_of(uow: SqlUnitOfWork) -> Workflow:
    """A ``Workflow`` on the unit of work's database, shared per session factory."""
    factory: sessionmaker[Session] = uow._session_factory
    with _lock:
        found = _workflows.get(factory)
        if found is None:
            found = _workflows[factory] = Workflow(factory)
    return found
