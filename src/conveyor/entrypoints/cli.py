"""The ``conveyor`` command line (Typer).

Output discipline: what a script would capture (a token's secret, a list) goes
to stdout; everything for the human (progress, warnings, errors, logs) goes to
stderr. Expected errors print one message naming the problem and exit with the
code from ``conveyor.entrypoints.errors``; they never print a traceback.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from conveyor import __version__
from conveyor.adapters.db import schema
from conveyor.bootstrap import Runtime, build_runtime, initialize, require_database
from conveyor.config import load_settings
from conveyor.domain.auth import ApiToken, Role
from conveyor.entrypoints import cli_order_changes  # noqa: F401  (adds its commands to orders_app)
from conveyor.entrypoints.cli_bpmn import bpmn_app
from conveyor.entrypoints.cli_config import config_app, inventory_app
from conveyor.entrypoints.cli_demo import demo
from conveyor.entrypoints.cli_finance import carrier_performance, payments, refunds_app, returns_app
from conveyor.entrypoints.cli_inbox import exceptions_app, tasks_app
from conveyor.entrypoints.cli_orders import orders_app
from conveyor.entrypoints.cli_process import (
    history_app,
    incidents_app,
    process_app,
    start_background_workers,
    worker,
)
from conveyor.entrypoints.errors import (
    EXPECTED_ERRORS,
    INFRASTRUCTURE_ERRORS,
    as_project_error,
    error_code,
    error_detail,
    exit_code_for,
)
from conveyor.errors import ConveyorError, DatabaseNotReady
from conveyor.services import api_tokens


class ConveyorGroup(TyperGroup):
    """Turns Conveyor's and the engine's errors into a message and an exit code."""

    def invoke(self, ctx: Any) -> Any:  # Any: typer's vendored click Context is private
        try:
            return super().invoke(ctx)
        except EXPECTED_ERRORS + INFRASTRUCTURE_ERRORS as caught:
            err = as_project_error(caught)
            typer.echo(f"error [{error_code(err)}]: {error_detail(err)}", err=True)
            if isinstance(err, ConveyorError):
                for item in err.errors:
                    where = ".".join(str(part) for part in item.get("loc", ()))
                    typer.echo(f"  - {where}: {item.get('msg', '')}", err=True)
            raise typer.Exit(exit_code_for(err)) from caught


app = typer.Typer(
    cls=ConveyorGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Conveyor: order management on BPMN workflows. Configure with CONVEYOR_* variables.",
)
token_app = typer.Typer(no_args_is_help=True, help="Create, list and revoke API tokens.")
db_app = typer.Typer(no_args_is_help=True, help="Database migrations (conveyor init runs them too).")
app.add_typer(token_app, name="token")
app.add_typer(db_app, name="db")
app.add_typer(bpmn_app, name="bpmn")
app.add_typer(process_app, name="process")
app.add_typer(incidents_app, name="incidents")
app.add_typer(history_app, name="history")
app.add_typer(exceptions_app, name="exceptions")
app.add_typer(tasks_app, name="tasks")
app.command("worker")(worker)
app.add_typer(config_app, name="config")
app.add_typer(inventory_app, name="inventory")
app.add_typer(orders_app, name="orders")  # with cancel, payment-method, address, edit (cli_order_changes)
app.add_typer(refunds_app, name="refunds")
app.add_typer(returns_app, name="returns")
app.command("payments")(payments)
app.command("carrier-performance")(carrier_performance)
app.command()(demo)


def _say(message: str) -> None:
    """A message for the human, on stderr."""
    typer.echo(message, err=True)


def _runtime(*, check_database: bool = True) -> Runtime:
    """The runtime from CONVEYOR_* settings; by default, fails early if the database does not answer."""
    runtime = build_runtime(load_settings())
    if check_database:
        try:
            require_database(runtime)
        except DatabaseNotReady:
            runtime.close()
            raise
    return runtime


def _version(value: bool) -> None:
    if value:
        typer.echo(f"conveyor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Conveyor: order management on BPMN workflows. Configure with CONVEYOR_* variables."""


@app.command()
def init() -> None:
    """Create or migrate the database and print a first admin token (only if none exists)."""
    runtime = _runtime(check_database=False)  # init creates a missing SQLite directory first
    try:
        report = initialize(runtime)
    finally:
        runtime.close()
    database = runtime.engine.url.render_as_string(hide_password=True)
    before, after = report.revision_before, report.revision_after
    was = "" if before == after else f" (was {before or 'empty'})"
    _say(f"Database {database} is at revision {after}{was}.")
    for step in report.steps:
        if step.startswith(("deployed", "loaded")):
            _say(step[0].upper() + step[1:] + ".")
    if report.admin_token is None:
        _say("An admin token already exists; make another with")
        _say("  conveyor token create --role admin --name NAME")
        return
    token = report.admin_token.token
    _say(f"Created the first admin token (id {token.id}, name '{token.name}').")
    _say("It is shown once; store it now:")
    typer.echo(report.admin_token.secret)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on [default: CONVEYOR_HOST]")] = None,
    port: Annotated[
        int | None, typer.Option(help="TCP port [default: CONVEYOR_PORT]", min=1, max=65535)
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="In-process worker threads [default: CONVEYOR_WORKERS; 0: none]", min=0)
    ] = None,
    processes: Annotated[
        int, typer.Option(help="API server processes (uvicorn workers), to use several CPU cores", min=1)
    ] = 1,
) -> None:
    """Serve the API (with /docs) and run workers (jobs, timers, retries) until interrupted."""
    import uvicorn

    from conveyor.bootstrap import check_readiness
    from conveyor.entrypoints.api import create_app

    settings = load_settings()
    runtime = build_runtime(settings)
    try:
        check_readiness(runtime)
    except DatabaseNotReady as err:
        _say(f"warning: {err.detail}")
    bind_host, bind_port = host or settings.host, port or settings.port
    _say(f"Serving Conveyor on http://{bind_host}:{bind_port} (API docs at /docs); Ctrl+C stops it.")
    pool = start_background_workers(runtime, workers)
    try:
        if processes > 1:  # each API process builds its app from the same CONVEYOR_* settings
            uvicorn.run(
                "conveyor.entrypoints.api:create_app",
                factory=True,
                workers=processes,
                host=bind_host,
                port=bind_port,
                log_config=None,
                access_log=False,
                server_header=False,
            )
        else:
            uvicorn.run(
                create_app(settings, runtime=runtime),
                host=bind_host,
                port=bind_port,
                log_config=None,
                access_log=False,
                server_header=False,
            )
    finally:
        if pool is not None:
            pool.stop()  # finish the jobs being run, release the claimed ones


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(r.value for r in Role)}")],
    name: Annotated[str, typer.Option(help="Who or what uses the token, e.g. 'shopify-sync'")],
    groups: Annotated[
        str | None, typer.Option(help="Task groups besides the role, comma-separated, e.g. 'quality,packing'")
    ] = None,
) -> None:
    """Issue an API token; its secret is printed once, alone on stdout."""
    chosen = api_tokens.parse_role(role)
    chosen_groups = api_tokens.parse_groups(groups)
    runtime = _runtime()
    try:
        issued = api_tokens.issue_token(runtime.unit_of_work(), name=name, role=chosen, groups=chosen_groups)
    finally:
        runtime.close()
    token = issued.token
    in_groups = f" in groups {', '.join(token.groups)}" if token.groups else ""
    _say(f"Created token {token.id} '{token.name}' with role {token.role.value}{in_groups}.")
    _say("It is shown once; store it now:")
    typer.echo(issued.secret)


def _token_row(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "role": token.role.value,
        "groups": ",".join(token.groups),
        "created_at": token.created_at.isoformat(),
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


@token_app.command("list")
def token_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array instead of a table.")] = False,
    include_revoked: Annotated[bool, typer.Option("--all", help="Include revoked tokens.")] = False,
) -> None:
    """List API tokens (never their secrets)."""
    runtime = _runtime()
    try:
        tokens = api_tokens.list_tokens(runtime.unit_of_work(), include_revoked=include_revoked)
    finally:
        runtime.close()
    rows = [_token_row(token) for token in tokens]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    header = ("ID", "NAME", "ROLE", "CREATED", "LAST USED", "REVOKED")
    table = [header] + [
        (
            str(r["id"]),
            r["name"],
            r["role"],
            r["created_at"][:19],
            (r["last_used_at"] or "-")[:19],
            (r["revoked_at"] or "-")[:19],
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for line in table:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (see `conveyor token list`)")],
) -> None:
    """Revoke a token: requests with it are refused from now on."""
    runtime = _runtime()
    try:
        token = api_tokens.revoke_token(runtime.unit_of_work(), token_id)
    finally:
        runtime.close()
    _say(f"Revoked token {token.id} '{token.name}'.")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    runtime = _runtime()
    try:
        schema.upgrade(runtime.engine, revision)
        _say(f"Database is at revision {schema.current_revision(runtime.engine)}.")
    finally:
        runtime.close()


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, or 'base' for empty")],
) -> None:
    """Undo migrations down to REVISION (data in dropped tables is lost)."""
    runtime = _runtime()
    try:
        schema.downgrade(runtime.engine, revision)
        _say(f"Database is at revision {schema.current_revision(runtime.engine) or 'base (empty)'}.")
    finally:
        runtime.close()


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision (or 'none') and whether it is the newest."""
    runtime = _runtime()
    try:
        current = schema.current_revision(runtime.engine)
    finally:
        runtime.close()
    head = schema.head_revision()
    typer.echo(current or "none")
    _say("up to date" if current == head else f"behind: the newest revision is {head}; run `conveyor init`")


def main() -> None:
    """Console-script entry point (``conveyor``)."""
    app()
