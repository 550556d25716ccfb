"""Workers: threads that claim due jobs and run each in its own transaction.

``conveyor worker --concurrency N`` runs N of them in one process and nothing
else; ``conveyor serve`` runs ``CONVEYOR_WORKERS`` of them beside the API. Any
number of worker processes may share one PostgreSQL database: claiming uses
``FOR UPDATE SKIP LOCKED`` and stamps each job with the worker's name and a
lock expiry, so a worker that dies (``kill -9``) leaves jobs that another
worker takes over once the lock expires. Stopping (SIGTERM/SIGINT, or
``stop()``) lets each thread finish the job it is running, releases the jobs it
claimed but has not started, and returns.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType

from conveyor.adapters.workflow.jobs import JobStore, write_transaction
from conveyor.logs import get_logger
from conveyor.services import task_inbox
from conveyor.services.dispatcher import Dispatcher
from conveyor.services.notifications import NotificationSender
from conveyor.services.unit_of_work import SqlUnitOfWork
from conveyor.services.workflow.context import StepContext
from conveyor.services.workflow.jobs import HandlerFailed, JobLost, handle_failure, run_job
from conveyor.services.workflow.maintenance import prune_history, purge_expired_messages
from conveyor.services.workflow.runtime import WorkflowRuntime

log = get_logger(__name__)

MAINTENANCE_EVERY = 60  # polls between purges of expired messages and old history


def worker_name(index: int = 0) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{index}:{uuid.uuid4().hex[:6]}"


@dataclass
class Worker:
    """One claiming loop. ``run_once`` is the unit tests drive directly (with their own ``now``)."""

    workflow: WorkflowRuntime
    name: str = field(default_factory=worker_name)
    stop_event: threading.Event = field(default_factory=threading.Event)
    outcomes: dict[str, int] = field(default_factory=dict)

    def claim(self, now: datetime, limit: int | None = None) -> list[int]:
        settings = self.workflow.settings
        until = now + timedelta(seconds=settings.job_lock_seconds)
        with SqlUnitOfWork(self.workflow.session_factory) as uow:
            write_transaction(uow.session)
            ids = JobStore(uow.session).claim(
                self.name, now=now, until=until, limit=limit or settings.job_batch
            )
            uow.commit()
        return ids

    def release(self, ids: list[int]) -> None:
        with SqlUnitOfWork(self.workflow.session_factory) as uow:
            write_transaction(uow.session)
            JobStore(uow.session).release(ids, self.name)
            uow.commit()

    def execute(self, job_id: int, now: datetime | None = None) -> str:
        """Run one claimed job (if it is still ours) in its own transaction."""

        def work(ctx: StepContext) -> str:
            job = JobStore(ctx.uow.session).get(job_id, owner=self.name, lock=False)
            if job is None:
                return "lost"  # another worker took it over after our lock expired
            try:
                return run_job(self.workflow, ctx, job, self.name)
            except JobLost:
                return "lost"
            except HandlerFailed as failed:
                return handle_failure(self.workflow, ctx, job, failed.failure)

        outcome = self.workflow.transaction(work, now=now)
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        return outcome

    def run_once(self, now: datetime | None = None, limit: int | None = None) -> int:
        """Claim a batch of due jobs and run them; returns how many ran. Stops early when asked."""
        moment = now or self.workflow.clock()
        ids = self.claim(moment, limit)
        for position, job_id in enumerate(ids):
            if self.stop_event.is_set():
                self.release(ids[position:])
                return position
            try:
                self.execute(job_id, now)
            except Exception:  # a bug or a lost database: log it; the lock expires and it is retried
                log.exception("job_failed", job_id=job_id, worker=self.name)
        return len(ids)

    def run_until_stopped(self, *, maintenance: bool = False) -> None:
        polls = 0
        while not self.stop_event.is_set():
            try:
                ran = self.run_once()
            except Exception:
                log.exception("worker_poll_failed", worker=self.name)
                ran = 0
            polls += 1
            if maintenance and polls % MAINTENANCE_EVERY == 1:
                self._maintain()
            if ran == 0:
                self.stop_event.wait(self.workflow.settings.poll_seconds)

    def _maintain(self) -> None:
        try:
            purge_expired_messages(self.workflow)
            if self.workflow.settings.history_retention_days is not None:
                prune_history(self.workflow, self.workflow.settings.history_retention_days)
            # overdue user tasks go to the escalation group, with an exception record each
            task_inbox.escalate_with(self.workflow.session_factory, self.workflow.clock())
        except Exception:
            log.exception("worker_maintenance_failed", worker=self.name)


class WorkerPool:
    """``concurrency`` worker threads and one event dispatcher thread sharing one stop flag."""

    def __init__(self, workflow: WorkflowRuntime, concurrency: int, *, dispatch: bool = True) -> None:
        self.stop_event = threading.Event()
        self.workers = [
            Worker(workflow, worker_name(index), self.stop_event) for index in range(max(concurrency, 0))
        ]
        self._threads: list[threading.Thread] = []
        self.dispatcher = (
            Dispatcher(workflow, name=f"{worker_name()}:dispatcher", stop_event=self.stop_event)
            if dispatch and self.workers
            else None
        )
        self.notifier = (  # queued emails go out after commit, beside the job workers
            NotificationSender(
                workflow.session_factory, self.stop_event, poll_seconds=workflow.settings.poll_seconds
            )
            if self.workers
            else None
        )

    def start(self) -> None:
        for index, worker in enumerate(self.workers):
            thread = threading.Thread(
                target=worker.run_until_stopped,
                kwargs={"maintenance": index == 0},
                name=f"conveyor-worker-{index}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        if self.dispatcher is not None:
            self.dispatcher.start()
        if self.notifier is not None:
            self.notifier.start()
        log.info("workers_started", count=len(self.workers), dispatcher=self.dispatcher is not None)

    def stop(self, timeout: float | None = 60.0) -> None:
        self.stop_event.set()
        for thread in self._threads:
            thread.join(timeout)
        if self.dispatcher is not None:
            self.dispatcher.stop(timeout)
        if self.notifier is not None:
            self.notifier.stop(timeout)
        log.info("workers_stopped", count=len(self.workers))


def run_until_signalled(pool: WorkerPool, on_stop: Callable[[], None] | None = None) -> None:
    """Run the pool in the foreground until SIGTERM or SIGINT, then stop cleanly."""

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("worker_stop_requested", signal=signal.Signals(signum).name)
        pool.stop_event.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        pool.start()
        while not pool.stop_event.wait(0.5):
            pass
        pool.stop()
        if on_stop is not None:
            on_stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
