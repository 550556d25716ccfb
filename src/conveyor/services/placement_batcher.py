"""Group commit for ``POST /orders``: concurrent placements share one transaction.

Each API request thread hands its order to the process's ``PlacementBatcher``
and waits. One writer thread takes everything queued at that moment (up to
``max_batch``) and places it with ``order_batch.place_orders``, one
transaction for all of it, then answers every waiting request with its own
outcome: the order placed (or found placed before), or the error for that
request alone (an invalid order is a 4xx for its sender, the others are
placed). While a batch is being written the next requests queue up, so under
load the batches grow by themselves and the commit, the lock and the
per-statement costs are shared; a lone request is placed at once in a batch
of one (no waiting for company).

The writer thread is the process's only order writer, which is also what
SQLite wants (one writer at a time). A request answers only after its batch
committed, so a 201 always means the order and its workflow are stored.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from conveyor.logs import get_logger
from conveyor.services.order_batch import BatchOutcome, BatchStats, OrderRequest, place_orders
from conveyor.services.unit_of_work import SqlUnitOfWork
from conveyor.services.workflow.operations import Workflow

log = get_logger(__name__)

DEFAULT_MAX_BATCH = 256
_ATTRIBUTE = "_conveyor_placement_batcher"
_lock = threading.Lock()


class PlacementBatcher:
    """One writer thread placing queued orders in batches; ``place`` blocks until its batch committed."""

    def __init__(
        self,
        uow_factory: Callable[[], SqlUnitOfWork],
        workflow: Workflow,
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> None:
        self._uow_factory = uow_factory
        self._workflow = workflow
        self.max_batch = max(1, max_batch)
        self._queue: queue.SimpleQueue[tuple[OrderRequest, Future[BatchOutcome]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.stats = BatchStats()
        self.batches = 0

    def place(self, request: OrderRequest) -> BatchOutcome:
        """Queue ``request`` and wait for its outcome (errors of the whole batch are raised here too)."""
        future: Future[BatchOutcome] = Future()
        self._ensure_thread()
        self._queue.put((request, future))
        return future.result()

    async def place_async(self, request: OrderRequest) -> BatchOutcome:
        """``place`` for a coroutine: queue ``request`` and await its outcome without holding a thread."""
        future: Future[BatchOutcome] = Future()
        # running: a request cancelled while it waits (client gone) cannot cancel the future under the
        # writer thread, which still places the order and sets the outcome; only the wait is dropped
        future.set_running_or_notify_cancel()
        self._ensure_thread()
        self._queue.put((request, future))
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        """Stop the writer thread after what is queued (used when the runtime shuts down)."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="order-placement", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._place(batch)
            if stop:
                return

    def _place(self, batch: list[tuple[OrderRequest, Future[BatchOutcome]]]) -> None:
        try:
            outcomes = place_orders(
                self._uow_factory,
                self._workflow,
                [request for request, _ in batch],
                stats=self.stats,
                with_detail=True,  # the API answers with the order's detail: no need to read it back
            )
        except BaseException as err:
            log.warning("placement_batch_failed", orders=len(batch), error=f"{type(err).__name__}: {err}")
            for _, future in batch:
                future.set_exception(err)
            return
        self.batches += 1
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            future.set_result(outcome)


def batcher_for(runtime: Any, workflow: Workflow) -> PlacementBatcher:
    """The runtime's shared batcher (one writer thread per process)."""
    existing: PlacementBatcher | None = runtime.__dict__.get(_ATTRIBUTE)
    if existing is not None:
        return existing
    with _lock:
        existing = runtime.__dict__.get(_ATTRIBUTE)
        if existing is None:
            existing = PlacementBatcher(runtime.unit_of_work, workflow)
            runtime.__dict__[_ATTRIBUTE] = existing
    return existing
