"""``conveyor orders import``: orders from a CSV or JSONL file, placed in batches.

The file is read as a stream (one order in memory at a time, plus the batch
being placed), so memory does not grow with the file. Orders are collected
into batches of ``batch_size`` and placed with ``order_batch.place_orders``:
each batch is one transaction, so an interruption leaves every order either
placed completely or not at all, and a re-run skips what is already there
(idempotent on channel + external id). A row that cannot be read, or an order
the domain rejects, goes to the reject file with its line numbers and the
reason; the rest of the file is imported.

Formats (see docs/order-import.md):

- **JSONL**: one order per line, the body of ``POST /api/v1/orders``
  (``channel`` may be left out; when present it must be the ``--channel``).
- **CSV**: a header row, then one row per order *line*; consecutive rows with
  the same ``external_id`` are one order, whose order-level columns are read
  from its first row. Columns: ``external_id, currency, sku, quantity``
  (required), ``unit_price, line_name, customer_name, customer_email,
  customer_phone, customer_external_id, ship_name, ship_line1, ship_line2,
  ship_postal_code, ship_city, ship_region, ship_country, ship_phone,
  ship_email, ship_lat, ship_lon`` and the same ``bill_*`` columns
  (billing address, optional), ``shipping, tax, discount, total,
  payment_token, idempotency_key``.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import queue
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from conveyor.errors import ConveyorError, InvalidInput, NotFound
from conveyor.services.config_cache import ConfigCache, shared_config_cache
from conveyor.services.order_batch import BatchOutcome, BatchStats, OrderRequest, place_orders
from conveyor.services.unit_of_work import SqlUnitOfWork
from conveyor.services.workflow.operations import Workflow

DEFAULT_BATCH = 500
FORMATS = ("csv", "jsonl")
REQUIRED_CSV_COLUMNS = ("external_id", "currency", "sku", "quantity")
_ADDRESS_FIELDS = ("name", "line1", "line2", "postal_code", "city", "region", "country", "phone", "email")
_CUSTOMER_FIELDS = ("name", "email", "phone", "external_id")
_ORDER_AMOUNTS = ("shipping", "tax", "discount", "total")
KNOWN_CSV_COLUMNS = frozenset(
    {
        "external_id",
        "currency",
        "sku",
        "quantity",
        "unit_price",
        "line_name",
        "payment_token",
        "idempotency_key",
    }
    | {f"customer_{f}" for f in _CUSTOMER_FIELDS}
    | {f"{side}_{f}" for side in ("ship", "bill") for f in (*_ADDRESS_FIELDS, "lat", "lon")}
    | set(_ORDER_AMOUNTS)
)


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One order read from the file: where it was, and the request (or why it cannot be read)."""

    first_line: int
    last_line: int
    external_id: str
    request: OrderRequest | None
    problem: str | None = None

    @property
    def lines(self) -> str:
        return (
            str(self.first_line)
            if self.first_line == self.last_line
            else f"{self.first_line}-{self.last_line}"
        )


@dataclass
class ImportSummary:
    placed: int = 0
    already_present: int = 0
    rejected: int = 0
    batches: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    rejects_path: Path | None = None
    stats: BatchStats = field(default_factory=BatchStats)

    @property
    def orders(self) -> int:
        return self.placed + self.already_present + self.rejected

    @property
    def rate(self) -> float:
        """Orders placed per second (what the import achieved, repeats and rejects left out)."""
        return self.placed / self.seconds if self.seconds > 0 else 0.0


def detect_format(path: Path, given: str | None = None) -> str:
    chosen = (given or path.suffix.lstrip(".")).lower()
    if chosen == "ndjson":
        chosen = "jsonl"
    if chosen not in FORMATS:
        raise InvalidInput(
            f"Cannot tell the format of {path.name}: name it .csv or .jsonl, or pass --format csv|jsonl",
            errors=[{"loc": ["FILE"], "msg": f"unknown format {chosen!r}"}],
        )
    return chosen


class _ByteCounter:
    """Decoded lines of a binary file, counting the bytes read (for the progress bar)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.done = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self.stream:
            self.done += len(raw)
            yield raw.decode("utf-8-sig" if self.done == len(raw) else "utf-8")


def read_jsonl(lines: Iterable[str], channel: str) -> Iterator[ImportRow]:
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            body = json.loads(text)
        except json.JSONDecodeError as err:
            yield ImportRow(number, number, "", None, f"not JSON: {err.msg} at column {err.colno}")
            continue
        if not isinstance(body, dict):
            yield ImportRow(number, number, "", None, "a line must be a JSON object (the POST /orders body)")
            continue
        external_id = str(body.get("external_id", "")).strip()
        stated = body.pop("channel", None)
        if stated is not None and stated != channel:
            yield ImportRow(
                number, number, external_id, None, f"channel: is {stated!r}, the import is for {channel!r}"
            )
            continue
        key = body.pop("idempotency_key", None)
        yield ImportRow(
            number, number, external_id, OrderRequest(channel, body, key if isinstance(key, str) else None)
        )


def read_csv(lines: Iterable[str], channel: str) -> Iterator[ImportRow]:
    reader = csv.DictReader(lines)
    columns = reader.fieldnames or []
    missing = [c for c in REQUIRED_CSV_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in KNOWN_CSV_COLUMNS]
    if missing or unknown:
        problems = [f"missing column {c!r}" for c in missing] + [f"unknown column {c!r}" for c in unknown]
        raise InvalidInput(
            "The CSV header does not fit the import format: " + "; ".join(problems),
            errors=[{"loc": ["FILE", "header"], "msg": p} for p in problems],
        )
    group: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        number = reader.line_num
        if None in row:  # more cells than header columns
            yield ImportRow(
                number, number, (row.get("external_id") or "").strip(), None, "more cells than columns"
            )
            continue
        external_id = (row.get("external_id") or "").strip()
        if group and external_id != (group[0][1].get("external_id") or "").strip():
            yield _csv_order(group, channel)
            group = []
        group.append((number, row))
    if group:
        yield _csv_order(group, channel)


def _text(row: dict[str, str], column: str) -> str:
    return (row.get(column) or "").strip()


def _csv_address(row: dict[str, str], side: str) -> dict[str, Any] | None:
    address: dict[str, Any] = {
        f: _text(row, f"{side}_{f}") for f in _ADDRESS_FIELDS if _text(row, f"{side}_{f}")
    }
    lat, lon = _text(row, f"{side}_lat"), _text(row, f"{side}_lon")
    if lat or lon:
        address["coordinates"] = {"lat": _number(lat), "lon": _number(lon)}
    return address or None


def _number(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text


def _quantity(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return text  # the domain names it: "must be a whole number"


def _csv_order(group: list[tuple[int, dict[str, str]]], channel: str) -> ImportRow:
    first_line, head = group[0]
    last_line = group[-1][0]
    external_id = _text(head, "external_id")
    draft: dict[str, Any] = {
        "external_id": external_id,
        "currency": _text(head, "currency"),
        "customer": {
            f: _text(head, f"customer_{f}") for f in _CUSTOMER_FIELDS if _text(head, f"customer_{f}")
        },
        "lines": [],
    }
    shipping_address = _csv_address(head, "ship")
    if shipping_address is not None:
        draft["shipping_address"] = shipping_address
    billing_address = _csv_address(head, "bill")
    if billing_address is not None:
        draft["billing_address"] = billing_address
    for amount in _ORDER_AMOUNTS:
        if _text(head, amount):
            draft[amount] = _text(head, amount)
    for _, row in group:
        line: dict[str, Any] = {"sku": _text(row, "sku"), "quantity": _quantity(_text(row, "quantity"))}
        if _text(row, "unit_price"):
            line["unit_price"] = _text(row, "unit_price")
        if _text(row, "line_name"):
            line["name"] = _text(row, "line_name")
        draft["lines"].append(line)
    if _text(head, "payment_token"):
        draft["payment_token"] = _text(head, "payment_token")
    key = _text(head, "idempotency_key") or None
    return ImportRow(first_line, last_line, external_id, OrderRequest(channel, draft, key))


class RejectFile:
    """``line,external_id,code,reason`` rows; the file is (re)created at the first reject of a run."""

    COLUMNS = ("line", "external_id", "code", "reason")

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stream: IO[str] | None = None
        self._writer: Any = None
        self.count = 0

    def add(self, row: ImportRow, code: str, reason: str) -> None:
        if self._writer is None:
            self._stream = self.path.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._stream)
            self._writer.writerow(self.COLUMNS)
        self._writer.writerow((row.lines, row.external_id, code, reason))
        self.count += 1

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()


def reason_of(error: ConveyorError) -> str:
    """The error's message and every field it names: ``detail (lines[0].sku: unknown SKU ...)``."""
    fields = []
    for item in error.errors:
        where = item.get("path") or ".".join(str(part) for part in item.get("loc", ()))
        fields.append(f"{where}: {item.get('msg', '')}" if where else str(item.get("msg", "")))
    return f"{error.detail} ({'; '.join(fields)})" if fields else error.detail


def check_channel(uow: SqlUnitOfWork, channel: str, cache: ConfigCache | None = None) -> None:
    """Fail before reading the file when the channel is unknown or inactive (naming it)."""
    with uow:
        snapshot = (cache or shared_config_cache()).snapshot(uow.session)
    found = snapshot.channels.get(channel)
    if found is None or not found.active:
        known = ", ".join(snapshot.active_channel_codes()) or "none"
        raise NotFound(
            f"There is no active sales channel {channel!r} (known: {known})",
            errors=[{"loc": ["--channel"], "path": "channel", "msg": f"unknown channel {channel!r}"}],
        )


Progress = Callable[[int, ImportSummary], None]


class StopRequested:
    """Set by a signal handler: finish the batch being placed, then stop."""

    def __init__(self) -> None:
        self.requested = False

    def __bool__(self) -> bool:
        return self.requested


def import_orders(
    uow_factory: Callable[[], SqlUnitOfWork],
    workflow: Workflow,
    path: Path,
    *,
    channel: str,
    file_format: str | None = None,
    rejects_path: Path | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    stop: StopRequested | None = None,
    jobs: int = 1,
    worker: Callable[[Any, Any, Any], None] | None = None,
) -> ImportSummary:
    """Import ``path`` into ``channel``; see the module docstring.

    ``jobs`` > 1 places the batches in that many worker processes started with ``worker(inbox,
    outbox, write_lock)`` (a picklable callable that builds its own runtime and calls ``serve_batches``):
    they prepare their batches at the same time and take turns only for the writes.
    """
    chosen = detect_format(path, file_format)
    if batch_size < 1:
        raise InvalidInput(
            "--batch-size must be at least 1", errors=[{"loc": ["--batch-size"], "msg": "below 1"}]
        )
    check_channel(uow_factory(), channel)
    summary = ImportSummary(rejects_path=rejects_path or path.with_name(path.name + ".rejects.csv"))
    assert summary.rejects_path is not None
    if summary.rejects_path.exists():
        summary.rejects_path.unlink()  # the rejects of an earlier run are stale now
    rejects = RejectFile(summary.rejects_path)
    if jobs > 1 and worker is None:
        raise ValueError("several jobs need a worker to start")
    placer: _Placer = (
        _Parallel(worker, jobs, summary, rejects)  # type: ignore[arg-type]
        if jobs > 1
        else _InProcess(uow_factory, workflow, summary, rejects)
    )
    started = time.perf_counter()
    try:
        with path.open("rb") as stream:
            counter = _ByteCounter(stream)
            rows = (read_csv if chosen == "csv" else read_jsonl)(counter, channel)
            batch: list[ImportRow] = []
            for row in rows:
                if row.request is None:
                    rejects.add(row, "invalid_row", row.problem or "cannot be read")
                    summary.rejected += 1
                    continue
                batch.append(row)
                if len(batch) >= batch_size:
                    placer.place(batch)
                    batch = []
                    if progress is not None:
                        progress(counter.done, summary)
                    if stop:
                        summary.interrupted = True
                        break
            else:
                if batch:
                    placer.place(batch)
            placer.finish()
            if progress is not None:
                progress(counter.done, summary)
    except BaseException:
        placer.abort()
        raise
    finally:
        rejects.close()
        summary.seconds = time.perf_counter() - started
    if rejects.count == 0:
        summary.rejects_path = None
    return summary


def _count(row: ImportRow, result: tuple[str | None, bool, tuple[str, str] | None], summary: ImportSummary,
           rejects: RejectFile) -> None:  # fmt: skip
    _, created, error = result
    if error is not None:
        rejects.add(row, error[0], error[1])
        summary.rejected += 1
    elif created:
        summary.placed += 1
    else:
        summary.already_present += 1


def _results(outcomes: Sequence[BatchOutcome]) -> list[tuple[str | None, bool, tuple[str, str] | None]]:
    """Outcomes as plain tuples (what crosses a process boundary): order id, created, (code, reason)."""
    return [
        (o.order_id, o.created, None if o.error is None else (o.error.code, reason_of(o.error)))
        for o in outcomes
    ]


class _Placer(Protocol):
    def place(self, batch: list[ImportRow]) -> None: ...
    def finish(self) -> None: ...
    def abort(self) -> None: ...


class _InProcess:
    """Batches placed one after the other in this process."""

    def __init__(
        self,
        uow_factory: Callable[[], SqlUnitOfWork],
        workflow: Workflow,
        summary: ImportSummary,
        rejects: RejectFile,
    ) -> None:
        self.uow_factory, self.workflow, self.summary, self.rejects = uow_factory, workflow, summary, rejects

    def place(self, batch: list[ImportRow]) -> None:
        requests = [row.request for row in batch if row.request is not None]
        outcomes = place_orders(self.uow_factory, self.workflow, requests, stats=self.summary.stats)
        self.summary.batches += 1
        for row, result in zip(batch, _results(outcomes), strict=True):
            _count(row, result, self.summary, self.rejects)

    def finish(self) -> None:
        pass

    def abort(self) -> None:
        pass


class _Parallel:
    """Batches placed by ``jobs`` worker processes; at most two batches per worker in flight."""

    def __init__(
        self, worker: Callable[[Any, Any, Any], None], jobs: int, summary: ImportSummary, rejects: RejectFile
    ) -> None:
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited connections
        self.inbox: Any = context.Queue(maxsize=jobs)
        self.outbox: Any = context.Queue()
        self.summary, self.rejects = summary, rejects
        self.pending: dict[int, list[ImportRow]] = {}
        self.next_batch = 0
        self.write_lock: Any = context.Lock()  # the workers take turns to write, handing over at once
        self.processes = [
            context.Process(
                target=worker,
                args=(self.inbox, self.outbox, self.write_lock),
                daemon=True,
                name=f"import-{n}",
            )
            for n in range(jobs)
        ]
        for process in self.processes:
            process.start()

    def place(self, batch: list[ImportRow]) -> None:
        self._collect(block=False)
        number, self.next_batch = self.next_batch, self.next_batch + 1
        self.pending[number] = batch
        requests = [row.request for row in batch if row.request is not None]
        while True:
            try:
                self.inbox.put((number, requests), timeout=0.2)
                return
            except queue.Full:
                self._collect(block=False)

    def finish(self) -> None:
        for _ in self.processes:
            self.inbox.put(None)
        while self.pending:
            self._collect(block=True)
        for process in self.processes:
            process.join(timeout=60)

    def abort(self) -> None:
        """Stop at once: a worker's open transaction dies with it (nothing of its batch is kept)."""
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join(timeout=30)

    def _collect(self, *, block: bool) -> None:
        while self.pending:
            try:
                number, results, failure = self.outbox.get(timeout=1.0) if block else self.outbox.get_nowait()
            except queue.Empty:
                if block and not any(p.is_alive() for p in self.processes):
                    raise RuntimeError("the import workers stopped before placing every batch") from None
                if block:
                    continue
                return
            batch = self.pending.pop(number)
            if failure is not None:
                raise RuntimeError(f"an import worker failed: {failure}")
            self.summary.batches += 1
            for row, result in zip(batch, results, strict=True):
                _count(row, result, self.summary, self.rejects)
            if block:
                return


def serve_batches(
    uow_factory: Callable[[], SqlUnitOfWork],
    workflow: Workflow,
    inbox: Any,
    outbox: Any,
    write_lock: Any = None,
) -> None:
    """A worker process's loop: place each ``(number, requests)`` from ``inbox``, answer on ``outbox``."""
    while True:
        item = inbox.get()
        if item is None:
            return
        number, requests = item
        try:
            outcomes = place_orders(uow_factory, workflow, requests, write_lock=write_lock)
        except Exception as err:
            outbox.put((number, None, f"{type(err).__name__}: {err}"))
            continue
        outbox.put((number, _results(outcomes), None))
