"""Finding who waits for a message or signal, and the buffer of messages nobody waited for yet."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from conveyor.adapters.db.workflow_tables import buffered_messages, waits

MESSAGE_KINDS = ("message", "receiveTask")


class MessageStore:
    def __init__(self, session: Session) -> None:
        self._s = session

    def subscribers(self, name: str, key: str | None) -> list[tuple[str, int]]:
        """(instance id, wait id) of every wait for message ``name`` that takes ``key``."""
        query = select(waits.c.instance_id, waits.c.wait_id).where(
            waits.c.kind.in_(MESSAGE_KINDS), waits.c.message_name == name
        )
        if key is not None:
            query = query.where(or_(waits.c.correlation_key == key, waits.c.correlation_key.is_(None)))
        return [
            (r[0], int(r[1])) for r in self._s.execute(query.order_by(waits.c.instance_id, waits.c.wait_id))
        ]

    def signal_subscribers(self, name: str) -> list[str]:
        query = select(waits.c.instance_id).where(waits.c.kind == "signal", waits.c.signal_name == name)
        query = query.distinct()
        return sorted(str(r[0]) for r in self._s.execute(query))

    def buffer(
        self, name: str, key: str | None, variables: dict[str, Any], *, now: datetime, expires: datetime
    ) -> int:
        return int(
            self._s.execute(
                insert(buffered_messages)
                .values(
                    name=name, correlation_key=key, variables=variables, expires_at=expires, created_at=now
                )
                .returning(buffered_messages.c.id)
            ).scalar_one()
        )

    def take_buffered(self, name: str, key: str | None, *, now: datetime) -> dict[str, Any] | None:
        """Remove and return the oldest unexpired buffered message a wait for (name, key) takes."""
        query = select(
            buffered_messages.c.id, buffered_messages.c.variables, buffered_messages.c.correlation_key
        ).where(
            buffered_messages.c.name == name, buffered_messages.c.expires_at > now
        )
        if key is not None:
            query = query.where(buffered_messages.c.correlation_key == key)
        for message_id, variables, message_key in self._s.execute(
            query.order_by(buffered_messages.c.id).limit(5)
        ):
            gone = self._s.execute(delete(buffered_messages).where(buffered_messages.c.id == message_id))
            if gone.rowcount == 1:  # type: ignore[attr-defined]
                return {"variables": variables or {}, "key": message_key}
        return None

    def purge_expired(self, now: datetime) -> int:
        result = self._s.execute(delete(buffered_messages).where(buffered_messages.c.expires_at <= now))
        return int(result.rowcount)  # type: ignore[attr-defined]
