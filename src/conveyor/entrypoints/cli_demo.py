"""``conveyor demo``: a realistic data set simulated through the real order process.

The work is ``conveyor.services.demo_simulation``; this wraps it with a
progress bar and a summary. Without configuration in the database the
default one is applied first, and the bundled processes are deployed, so
``conveyor init && conveyor demo`` is all a fresh database needs.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from conveyor.adapters.repositories.configuration import SqlConfiguration
from conveyor.adapters.repositories.orders import SqlOrders
from conveyor.bootstrap import build_runtime, deploy_bundled_processes, require_database
from conveyor.services import configuration
from conveyor.services.demo_simulation import simulate


def demo(
    orders: Annotated[int, typer.Option(help="How many orders to place", min=1, max=100_000)] = 200,
    days: Annotated[int, typer.Option(help="Over how many past days", min=1, max=365)] = 30,
    seed: Annotated[int, typer.Option(help="Random seed (the same seed gives the same shop)")] = 7,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when the database already has orders (make demo)")
    ] = False,
) -> None:
    """Fill the database with a realistic shop: stock and orders over DAYS days through the real process."""
    console = Console(stderr=True)
    runtime = build_runtime()
    try:
        require_database(runtime)
        with runtime.unit_of_work() as uow:
            existing = SqlOrders(uow.session).count()
            configured = bool(SqlConfiguration(uow.session).warehouses())
        if if_empty and existing:
            console.print(f"The database already has {existing} orders; no demo data added.")
            return
        if not configured:
            configuration.load_default_configuration(runtime.unit_of_work())
            console.print("Applied the default configuration (warehouses, catalog, channels, carriers).")
        deploy_bundled_processes(runtime)
        columns = (
            TextColumn("[bold]placing orders"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("orders", total=orders)
            report = simulate(
                runtime.session_factory,
                runtime.unit_of_work,
                orders=orders,
                days=days,
                seed=seed,
                progress=lambda n: bar.advance(task, n),
            )
    finally:
        runtime.close()
    table = Table(title=f"Demo: {report.orders} orders over {days} days (seed {seed})")
    table.add_column("what")
    table.add_column("how many", justify="right")
    for label, value in (
        ("declined payments", report.declined),
        ("quality checks approved", report.qc_approved),
        ("quality checks rejected", report.qc_rejected),
        ("pick lists confirmed", report.picks_confirmed),
        ("short picks", report.short_picks),
        ("tracking events", report.tracking_events),
        ("carrier cases decided", report.late_deliveries_chased),
        ("units restocked", report.restocked_units),
        ("workflow jobs run", report.jobs_run),
    ):
        table.add_row(label, str(value))
    for status, count in sorted(report.by_status.items()):
        table.add_row(f"orders {status}", str(count))
    console.print(table)
