"""``conveyor orders import FILE.csv|FILE.jsonl --channel C``: bulk order import.

Progress (a Rich bar over the file's bytes) and the summary go to stderr; the
summary is also printed as one JSON line on stdout for scripts. Exit codes:
0 when every order was placed or already present, 1 when some rows were
rejected (they are in the reject file; the rest was imported), 130 when the
import was interrupted (everything before the current batch is placed, the
current batch whole or not at all; run the same command again to continue),
and the usual error codes (e.g. 3 for an unknown channel) when nothing could
be imported.

``--jobs N`` places the batches in N worker processes: each prepares its
batch (validation, the engine runs) outside the write lock, so they work side
by side and take turns only to write.

Ctrl-C or SIGTERM once: the batches being placed are finished and committed,
then the import stops. A second Ctrl-C stops at once: the batch's transaction
rolls back, so its orders are simply not there yet.
"""

from __future__ import annotations

import functools
import json
import signal
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from conveyor.bootstrap import build_runtime, require_database
from conveyor.config import Settings, load_settings
from conveyor.services.order_import import (
    DEFAULT_BATCH,
    ImportSummary,
    StopRequested,
    import_orders,
    serve_batches,
)
from conveyor.services.workflow import workflow_for

orders_app = typer.Typer(no_args_is_help=True, help="Orders: bulk import from CSV or JSONL files.")

EXIT_REJECTED = 1
EXIT_INTERRUPTED = 130


def _say(message: str) -> None:
    typer.echo(message, err=True)


@orders_app.command("import")
def orders_import(
    file: Annotated[
        Path, typer.Argument(help="FILE.csv (a row per order line) or FILE.jsonl (an order per line)")
    ],
    channel: Annotated[str, typer.Option("--channel", "-c", help="The sales channel the orders come from")],
    rejects: Annotated[
        Path | None, typer.Option(help="Where rejected rows go [default: FILE.rejects.csv next to FILE]")
    ] = None,
    file_format: Annotated[
        str | None, typer.Option("--format", help="csv or jsonl [default: from the file name]")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Orders per transaction", min=1)] = DEFAULT_BATCH,
    progress: Annotated[bool, typer.Option(help="Show a progress bar")] = True,
    jobs: Annotated[
        int,
        typer.Option(
            help="Worker processes preparing batches side by side (they take turns to write)", min=1
        ),
    ] = 1,
) -> None:
    """Place every order of FILE in CHANNEL, in batches; re-running it skips what is already placed."""
    if not file.is_file():
        _say(f"error [invalid_input]: cannot read {file}: no such file")
        raise typer.Exit(2)
    runtime = build_runtime(load_settings())
    stop = StopRequested()
    previous: dict[signal.Signals, Any] = {}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.requested = True
        _say("\nStopping after the current batch (Ctrl-C again to stop at once; the batch then rolls back).")

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, on_signal)
    bar = Progress(
        TextColumn("[bold]importing[/bold]"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[placed]} placed, {task.fields[rejected]} rejected"),
        TimeRemainingColumn(),
        transient=False,
        disable=not progress,
        console=Console(stderr=True),
    )
    try:
        require_database(runtime)
        task = bar.add_task("import", total=file.stat().st_size, placed=0, rejected=0)

        def advance(done: int, summary: ImportSummary) -> None:
            bar.update(task, completed=done, placed=summary.placed, rejected=summary.rejected)

        with bar:
            summary = import_orders(
                runtime.unit_of_work,
                workflow_for(runtime),
                file,
                channel=channel,
                file_format=file_format,
                rejects_path=rejects,
                batch_size=batch_size,
                progress=advance,
                stop=stop,
                jobs=jobs,
                worker=functools.partial(_import_worker, runtime.settings),
            )
    except KeyboardInterrupt:
        _say("Interrupted: the batch being placed was rolled back; run the same command again to continue.")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        runtime.close()
    _report(summary)
    if summary.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    if summary.rejected:
        raise typer.Exit(EXIT_REJECTED)


def _import_worker(settings: Settings, inbox: Any, outbox: Any, write_lock: Any) -> None:
    """One ``--jobs`` worker process: its own runtime; the parent handles Ctrl-C (and stops workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    runtime = build_runtime(settings)
    try:
        serve_batches(runtime.unit_of_work, workflow_for(runtime), inbox, outbox, write_lock)
    finally:
        runtime.close()


def _report(summary: ImportSummary) -> None:
    _say(
        f"{summary.placed} placed, {summary.already_present} already present, {summary.rejected} rejected "
        f"in {summary.seconds:.1f} s ({summary.rate:,.0f} orders/s placed)"
    )
    if summary.rejects_path is not None:
        _say(f"Rejected rows with their line numbers and reasons: {summary.rejects_path}")
    if summary.interrupted:
        _say("Interrupted after a whole batch; run the same command again to continue.")
    typer.echo(
        json.dumps(
            {
                "placed": summary.placed,
                "already_present": summary.already_present,
                "rejected": summary.rejected,
                "seconds": round(summary.seconds, 3),
                "orders_per_second": round(summary.rate, 1),
                "rejects": str(summary.rejects_path) if summary.rejects_path else None,
                "interrupted": summary.interrupted,
            }
        )
    )
