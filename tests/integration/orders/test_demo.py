"""``conveyor demo`` fills a database through the real process, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from conveyor.bootstrap import Runtime, deploy_bundled_processes
from conveyor.entrypoints.cli import app
from conveyor.services import configuration
from conveyor.services.demo_simulation import simulate
from conveyor.services.inventory import ledger_violations


def test_the_demo_pushes_orders_through_the_process_and_keeps_the_ledger(migrated_runtime: Runtime) -> None:
    configuration.load_default_configuration(migrated_runtime.unit_of_work())
    deploy_bundled_processes(migrated_runtime)
    end = datetime(2026, 3, 30, 20, 0, tzinfo=UTC)
    report = simulate(
        migrated_runtime.session_factory, migrated_runtime.unit_of_work, orders=30, days=12, seed=3, end=end
    )
    assert report.orders == 30
    assert sum(report.by_status.values()) == 30
    assert (
        report.by_status.get("completed", 0) + report.by_status.get("delivered", 0) > 0
    )  # weeks-old orders got there
    assert report.tracking_events > 0 and report.picks_confirmed > 0
    with migrated_runtime.engine.connect() as connection:
        incidents = connection.execute(
            text("SELECT node_id, error FROM incidents WHERE state = 'open'")
        ).all()
    assert incidents == [], "every task type of the bundled models needs a handler in the demo's registry"
    assert ledger_violations(migrated_runtime.unit_of_work()) == []


def test_conveyor_demo_on_a_fresh_database_then_if_empty_adds_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVEYOR_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    engine = create_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    with engine.connect() as connection:
        deployed = connection.execute(text("SELECT key FROM process_definitions")).scalars().all()
    engine.dispose()
    # conveyor init deploys the bundled processes (order-fulfillment, the event-started ones, ...)
    expected = {"order-fulfillment", "customer-notifications", "carrier-manifest", "demand-signals"}
    assert expected <= set(deployed)
    first = runner.invoke(app, ["demo", "--orders", "8", "--days", "3", "--seed", "1"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["demo", "--orders", "8", "--if-empty"])
    assert again.exit_code == 0 and "already has 8 orders" in again.output


def test_demo_orders_follow_the_week_busy_mondays_quiet_sundays() -> None:
    import random

    from conveyor.services.demo_simulation import order_times

    start = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)  # a Monday
    times = order_times(random.Random(1), 4000, start, 28)
    by_weekday = [sum(1 for t in times if t.weekday() == day) for day in range(7)]
    assert len(times) == 4000 and times == sorted(times)
    assert by_weekday[0] > by_weekday[3] > by_weekday[6]
    assert all(7 <= t.hour <= 22 for t in times)
