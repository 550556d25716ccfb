"""Shared fixtures: databases (SQLite and PostgreSQL), the runtime, the API client, tokens.

Every test that takes a database fixture runs twice, once per ``database_kind``:
SQLite and PostgreSQL. The PostgreSQL runs need ``CONVEYOR_TEST_POSTGRES_URL``
(``.ci/run`` sets it); without it they are skipped with a message saying so.

- ``database_url`` / ``settings`` / ``runtime``: an *empty* database (a new SQLite
  file, a new PostgreSQL schema), for tests of migrations and ``conveyor init``.
- ``migrated_database_url`` / ``migrated_runtime`` / ``app`` / ``client``: a
  database at head with no rows. Migrating for every test is slow, so SQLite
  copies a file migrated once per session, and PostgreSQL reuses one migrated
  schema per session whose rows are deleted (and id sequences restarted) before
  each test, and which is brought back to head if a test moved it. Migrations therefore must
  not insert rows; seed data belongs in ``bootstrap.initialize``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, make_url, text

from conveyor.adapters.db import schema
from conveyor.adapters.db.engine import build_engine
from conveyor.adapters.db.tables import metadata
from conveyor.bootstrap import Runtime, build_runtime
from conveyor.config import Settings
from conveyor.domain.auth import Role
from conveyor.entrypoints.api import create_app
from conveyor.services import api_tokens

POSTGRES_URL_VARIABLE = "CONVEYOR_TEST_POSTGRES_URL"
POSTGRES_SKIP_REASON = (
    "PostgreSQL tests skipped: set CONVEYOR_TEST_POSTGRES_URL=postgresql+psycopg://user@host:5432/db "
    "to run them (.ci/run does)"
)
REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT / ".." / "shared"


def _postgres_base_url() -> str | None:
    url = os.environ.get(POSTGRES_URL_VARIABLE, "").strip()
    if not url:
        return None
    for alias in ("postgres://", "postgresql://"):
        if url.startswith(alias):
            url = "postgresql+psycopg://" + url[len(alias) :]
    return url


def pytest_report_header(config: pytest.Config) -> str:
    base = _postgres_base_url()
    if base is None:
        return "databases: SQLite only -- " + POSTGRES_SKIP_REASON
    shown = make_url(base).render_as_string(hide_password=True)
    return f"databases: SQLite and PostgreSQL ({shown}, one fresh schema per test)"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Fold the PostgreSQL skips into one line of the short summary instead of one per test."""
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        if isinstance(longrepr, tuple) and POSTGRES_SKIP_REASON in str(longrepr[2]):
            report.longrepr = (str(Path(__file__)), 1, longrepr[2])


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only third-party material next to the repository (skips when absent)."""
    if not SHARED_DIR.is_dir():
        pytest.skip(f"{SHARED_DIR} is missing (a plain clone has no ../shared)")
    return SHARED_DIR.resolve()


@pytest.fixture(scope="session")
def postgres_admin_engine() -> Iterator[Engine]:
    base = _postgres_base_url()
    if base is None:
        pytest.skip(POSTGRES_SKIP_REASON)
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as err:
        pytest.fail(f"{POSTGRES_URL_VARIABLE} is set but PostgreSQL does not answer: {err}")
    yield engine
    engine.dispose()


def _postgres_schema_url(admin: Engine) -> Iterator[str]:
    """A URL whose connections live in a new, empty schema (dropped afterwards)."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    url = admin.url.update_query_dict({"options": f"-csearch_path={name}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_kind(request: pytest.FixtureRequest) -> str:
    """Which database this variant of the test runs on: ``sqlite`` or ``postgresql``."""
    kind: str = request.param
    if kind == "postgresql":
        request.getfixturevalue("postgres_admin_engine")  # skips without the variable
    return kind


@pytest.fixture
def database_url(database_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if database_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'conveyor-test.db'}"
        return
    yield from _postgres_schema_url(request.getfixturevalue("postgres_admin_engine"))


def _migrate(url: str) -> None:
    engine = build_engine(url)
    try:
        schema.upgrade(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_migrated_schema_url(postgres_admin_engine: Engine) -> Iterator[str]:
    for url in _postgres_schema_url(postgres_admin_engine):
        _migrate(url)
        yield url


def _empty_postgres_schema(url: str) -> None:
    """Delete every row (children first) and restart the id sequences.

    DELETE on a handful of small tables is much cheaper than TRUNCATE, which
    rewrites every table and index file.
    """
    engine = create_engine(url)
    try:
        if not schema.is_up_to_date(engine):
            schema.upgrade(engine)
        with engine.begin() as connection:
            # A connection a previous test left inside a transaction would block forever.
            connection.execute(text("SET LOCAL lock_timeout = '15s'"))
            present = set(
                connection.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                ).scalars()
            )
            for table in reversed(metadata.sorted_tables):
                if table.name in present:
                    connection.execute(table.delete())
            sequences = connection.execute(
                text("SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = current_schema()")
            ).scalars()
            for sequence in list(sequences):
                connection.execute(text("SELECT setval(:sequence, 1, false)"), {"sequence": sequence})
    finally:
        engine.dispose()


@pytest.fixture
def migrated_database_url(database_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database migrated to head, with no rows."""
    if database_kind == "sqlite":
        path = tmp_path / "conveyor-migrated.db"
        shutil.copyfile(request.getfixturevalue("sqlite_migrated_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_migrated_schema_url")
    _empty_postgres_schema(url)
    return url


def _test_settings(url: str) -> Settings:
    return Settings(database_url=url, log_format="json", log_level="INFO")


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings for the empty database of ``database_url``."""
    return _test_settings(database_url)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    """The runtime on an empty (unmigrated) database."""
    built = build_runtime(settings)
    yield built
    built.close()


@pytest.fixture
def migrated_runtime(migrated_database_url: str) -> Iterator[Runtime]:
    """The runtime on a database migrated to head (its URL: ``migrated_runtime.settings.database_url``)."""
    built = build_runtime(_test_settings(migrated_database_url))
    yield built
    built.close()


@pytest.fixture
def migrated_engine(migrated_runtime: Runtime) -> Engine:
    return migrated_runtime.engine


@pytest.fixture
def app(migrated_runtime: Runtime) -> FastAPI:
    return create_app(migrated_runtime.settings, runtime=migrated_runtime)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def issue_token(migrated_runtime: Runtime) -> Callable[[Role], str]:
    """Issue a token for a role; returns its secret."""

    def issue(role: Role, name: str | None = None) -> str:
        issued = api_tokens.issue_token(
            migrated_runtime.unit_of_work(), name=name or f"test {role.value}", role=role
        )
        return issued.secret

    return issue


@pytest.fixture
def admin_token(issue_token: Callable[[Role], str]) -> str:
    return issue_token(Role.ADMIN)
