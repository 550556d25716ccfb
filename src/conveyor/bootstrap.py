"""The composition root: the one place that builds things from settings.

Entry points (the API app factory, the CLI) call ``build_runtime(settings)``
and get the engine, session factory and unit-of-work factory; nothing in
Conveyor opens a database or configures logging at import time. ``initialize``
is what ``conveyor init`` does; later features (bundled processes, default
configuration) add their steps there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from conveyor.adapters.db import schema
from conveyor.adapters.db.engine import build_engine, build_session_factory
from conveyor.config import Settings, load_settings
from conveyor.domain.auth import Role
from conveyor.errors import DatabaseNotReady
from conveyor.logs import configure_logging, get_logger
from conveyor.processes import bundled_model_paths
from conveyor.services import api_tokens, configuration
from conveyor.services.dispatcher import start_processes_at_head
from conveyor.services.event_processes import register_event_handlers
from conveyor.services.finance_handlers import register_finance_handlers
from conveyor.services.fulfilment_handlers import register_order_handlers
from conveyor.services.unit_of_work import SqlUnitOfWork
from conveyor.services.workflow import default_registry, workflow_for

log = get_logger(__name__)

FIRST_ADMIN_TOKEN_NAME = "admin"  # noqa: S105 - a label, not a secret


@dataclass
class Runtime:
    """Everything built from one ``Settings``: share it, close it once."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]

    def unit_of_work(self) -> SqlUnitOfWork:
        """A fresh unit of work (one per use case)."""
        return SqlUnitOfWork(self.session_factory)

    def close(self) -> None:
        self.engine.dispose()


def build_runtime(settings: Settings | None = None, *, configure_logs: bool = True) -> Runtime:
    """Build the runtime; reads ``CONVEYOR_*`` from the environment when no settings are given."""
    settings = settings or load_settings()
    if configure_logs:
        configure_logging(settings.log_level, settings.log_format)
    engine = build_engine(settings.database_url)
    register_order_handlers(default_registry())
    register_event_handlers(default_registry())
    register_finance_handlers(default_registry())
    return Runtime(settings=settings, engine=engine, session_factory=build_session_factory(engine))


def _unreachable(runtime: Runtime, err: SQLAlchemyError) -> DatabaseNotReady:
    url = runtime.engine.url
    reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
    hint = " (does its directory exist?)" if url.get_backend_name() == "sqlite" else ""
    return DatabaseNotReady(
        f"Cannot open the database {url.render_as_string(hide_password=True)}{hint}: {reason}; "
        "check CONVEYOR_DATABASE_URL",
        database="unreachable",
    )


def require_database(runtime: Runtime) -> None:
    """Raise ``DatabaseNotReady`` naming the URL when the database does not answer."""
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as err:
        raise _unreachable(runtime, err) from err


def _create_sqlite_directory(runtime: Runtime) -> None:
    url = runtime.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


@dataclass(frozen=True)
class Readiness:
    database: str
    migrations: str
    revision: str | None = None


def check_readiness(runtime: Runtime) -> Readiness:
    """Whether the database answers and is migrated to head; raises ``DatabaseNotReady`` if not."""
    require_database(runtime)
    try:
        revision = schema.current_revision(runtime.engine)
    except SQLAlchemyError as err:
        raise _unreachable(runtime, err) from err
    head = schema.head_revision()
    if revision != head:
        raise DatabaseNotReady(
            f"The database is at migration {revision or 'none'} but this Conveyor needs {head}; "
            "run `conveyor init`",
            database="ok",
            migrations=revision or "none",
            expected=head,
        )
    return Readiness(database="ok", migrations="head", revision=revision)


def deploy_bundled_processes(runtime: Runtime) -> list[str]:
    """Deploy ``conveyor/processes/*.bpmn|dmn``; an unchanged file is a no-op. Returns what was new."""
    workflow = workflow_for(runtime)
    deployed: list[str] = []
    for path in bundled_model_paths():
        for entry in workflow.deploy(path.read_bytes(), file_name=path.name, deployed_by="conveyor init"):
            if entry.created:
                deployed.append(f"deployed {entry.definition.key} version {entry.definition.version}")
    return deployed


@dataclass
class InitReport:
    """What ``initialize`` did, for the CLI to tell the user."""

    revision_before: str | None
    revision_after: str
    admin_token: api_tokens.IssuedToken | None = None
    steps: list[str] = field(default_factory=list)


def initialize(runtime: Runtime) -> InitReport:
    """Make the database ready to serve; safe to run again.

    0. create the directory of a SQLite file if it is missing;
    1. migrate the schema to head;
    2. issue a first admin token when no active admin token exists.
    Later issues add: deploy the bundled processes, load the default configuration.
    """
    _create_sqlite_directory(runtime)
    require_database(runtime)
    before = schema.current_revision(runtime.engine)
    schema.upgrade(runtime.engine)
    after = schema.head_revision()
    report = InitReport(revision_before=before, revision_after=after)
    report.steps.append(f"schema at {after}" + ("" if before == after else f" (was {before or 'empty'})"))
    if not api_tokens.has_active_admin(runtime.unit_of_work()):
        report.admin_token = api_tokens.issue_token(
            runtime.unit_of_work(), name=FIRST_ADMIN_TOKEN_NAME, role=Role.ADMIN
        )
        report.steps.append("issued the first admin token")
    if configuration.load_default_configuration(runtime.unit_of_work()) is not None:
        report.steps.append("loaded the default configuration (conveyor config export shows it)")
    report.steps.extend(deploy_bundled_processes(runtime))
    if start_processes_at_head(runtime.unit_of_work()):
        report.steps.append("processes are started by events committed from now on")
    log.info("initialized", revision=after, previous_revision=before, steps=report.steps)
    return report
