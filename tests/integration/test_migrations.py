"""The migrations build the same schema on SQLite and PostgreSQL, both ways."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import IntegrityError

from conveyor.adapters.db import schema
from conveyor.adapters.db.tables import api_tokens, metadata
from conveyor.bootstrap import Runtime, build_runtime
from conveyor.config import Settings


def _tables(runtime: Runtime) -> set[str]:
    return set(inspect(runtime.engine).get_table_names()) - {"alembic_version"}


def test_an_empty_database_has_no_revision_and_is_not_up_to_date(runtime: Runtime) -> None:
    assert schema.current_revision(runtime.engine) is None
    assert not schema.is_up_to_date(runtime.engine)


def test_upgrade_from_empty_creates_every_table_and_reaches_head(runtime: Runtime) -> None:
    schema.upgrade(runtime.engine)
    assert schema.current_revision(runtime.engine) == schema.head_revision()
    assert schema.is_up_to_date(runtime.engine)
    assert _tables(runtime) == set(metadata.tables)


def test_downgrade_to_base_removes_the_tables_and_upgrade_again_restores_them(runtime: Runtime) -> None:
    schema.upgrade(runtime.engine)
    schema.downgrade(runtime.engine, "base")
    assert schema.current_revision(runtime.engine) is None
    assert _tables(runtime) == set()
    schema.upgrade(runtime.engine)
    assert schema.current_revision(runtime.engine) == schema.head_revision()
    assert _tables(runtime) == set(metadata.tables)


def test_upgrading_an_up_to_date_database_changes_nothing(migrated_runtime: Runtime) -> None:
    schema.upgrade(migrated_runtime.engine)
    assert schema.current_revision(migrated_runtime.engine) == schema.head_revision()


def test_migrated_schema_matches_the_table_definitions(migrated_runtime: Runtime) -> None:
    """Forgetting to write a migration for a table change fails here."""
    with migrated_runtime.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_timestamps_come_back_timezone_aware_in_utc(migrated_runtime: Runtime) -> None:
    written = datetime(2026, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    with migrated_runtime.engine.begin() as connection:
        connection.execute(
            insert(api_tokens).values(name="t", role="viewer", token_hash="a" * 64, created_at=written)
        )
        read = connection.execute(select(api_tokens.c.created_at)).scalar_one()
    assert read == written
    assert read.utcoffset() == timedelta(0)


def test_the_database_refuses_a_role_that_does_not_exist(migrated_runtime: Runtime) -> None:
    with pytest.raises(IntegrityError), migrated_runtime.engine.begin() as connection:
        connection.execute(
            insert(api_tokens).values(
                name="t", role="overlord", token_hash="b" * 64, created_at=datetime.now(UTC)
            )
        )


@pytest.fixture
def sqlite_runtime(tmp_path: Path) -> Iterator[Runtime]:
    built = build_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'only-sqlite.db'}"))
    yield built
    built.close()


def test_sqlite_is_opened_with_wal_foreign_keys_and_a_busy_timeout(sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.engine.connect() as connection:
        pragma = connection.exec_driver_sql
        assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert pragma("PRAGMA foreign_keys").scalar() == 1
        assert pragma("PRAGMA busy_timeout").scalar() == 5000
        assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_a_failed_migration_step_leaves_no_half_built_schema(runtime: Runtime) -> None:
    """DDL runs inside the transaction (on SQLite too), so a failure rolls it all back."""
    with pytest.raises(RuntimeError), runtime.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE half_built (id INTEGER)")
        raise RuntimeError("the migration failed here")
    assert "half_built" not in inspect(runtime.engine).get_table_names()


def test_the_migrations_ship_inside_the_package_for_installed_wheels() -> None:
    """`conveyor init` must work from a wheel: every migration file is a module or declared package data."""
    import fnmatch
    import tomllib

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    patterns = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["package-data"]["conveyor"]
    package_root = schema.MIGRATIONS_DIR.parents[2]
    files = [p for p in schema.MIGRATIONS_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert {"env.py", "script.py.mako"} <= {p.name for p in files}
    for path in files:
        relative = path.relative_to(package_root).as_posix()
        is_module = path.suffix == ".py" and (path.parent / "__init__.py").exists()
        assert is_module or any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative
