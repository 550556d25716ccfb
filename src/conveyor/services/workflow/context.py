"""One transaction's worth of workflow work: the unit of work, the clock, and what is left to do.

A step on one instance can cause steps on others (a called process starts or
completes its parent, a thrown message or signal reaches other instances, a
buffered message is delivered). Those are queued here as follow-ups and run
in the same transaction, after the step that caused them has been written,
so a chain of instances moves together or not at all.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from conveyor.adapters.workflow.instances import InstanceStore
from conveyor.adapters.workflow.jobs import JobStore
from conveyor.services.unit_of_work import SqlUnitOfWork

#: more follow-ups than this in one transaction is a loop between models (signals, messages)
MAX_FOLLOW_UPS = 10_000


@dataclass(frozen=True, slots=True)
class HandlerFailure:
    """A handler raised: what to show in the incident, and whether a retry may help."""

    error: str
    stacktrace: str
    retryable: bool = True


@dataclass
class StepContext:
    uow: SqlUnitOfWork
    now: datetime
    follow_ups: deque[Callable[[StepContext], None]] = field(default_factory=deque)
    #: node id -> the last handler failure at that node during this step
    failures: dict[str, HandlerFailure] = field(default_factory=dict)
    job_id: int | None = None
    #: instance id -> its state after the last step written in this transaction
    states: dict[str, str] = field(default_factory=dict)
    #: instance id -> ids of the user tasks its steps opened in this transaction
    opened_tasks: dict[str, list[int]] = field(default_factory=dict)
    #: (instance id, node) -> attempts already counted by incidents an operator resolved
    attempt_base: dict[tuple[str, str], int] = field(default_factory=dict)
    #: (instance id, wait id) of user tasks completed in this transaction (not to be cancelled)
    completed_waits: set[tuple[str, int]] = field(default_factory=set)
    #: (instance id, wait id) of timer cycles whose job this transaction moved to their next time
    moved_waits: set[tuple[str, int]] = field(default_factory=set)

    def session(self) -> Session:
        return self.uow.session

    def instances(self) -> InstanceStore:
        """The instance store of this transaction (its session is made only if a statement needs it)."""
        return InstanceStore(self.session, self.uow.raw)

    def jobs(self) -> JobStore:
        return JobStore(self.session)

    def later(self, action: Callable[[StepContext], None]) -> None:
        if len(self.follow_ups) >= MAX_FOLLOW_UPS:
            raise RuntimeError(
                "too many follow-up steps in one transaction; do two models signal each other?"
            )
        self.follow_ups.append(action)
