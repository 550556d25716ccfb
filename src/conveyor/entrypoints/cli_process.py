"""``conveyor process`` (deploy, list, show, migrate), ``conveyor incidents`` (list, retry),
``conveyor history prune`` and ``conveyor worker``.

Lists print a table, or JSON with ``--json``; ``process show KEY`` prints the
source of a version (stdout) so it can be redirected to a file; ``process
migrate`` prints one line per instance moved or refused (with the reasons) and
exits 4 when any was refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from conveyor.adapters.workflow.definitions import DefinitionStore
from conveyor.bootstrap import Runtime, build_runtime
from conveyor.config import load_settings
from conveyor.services.workers import WorkerPool, run_until_signalled
from conveyor.services.workflow import WorkflowSettings, queries, workflow_for
from conveyor.services.workflow.maintenance import prune_history

process_app = typer.Typer(
    no_args_is_help=True, help="Deploy BPMN/DMN models, list versions, migrate instances."
)
incidents_app = typer.Typer(no_args_is_help=True, help="Incidents: stuck tokens an operator retries.")
history_app = typer.Typer(no_args_is_help=True, help="Workflow history housekeeping.")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _runtime() -> Runtime:
    return build_runtime(load_settings())


def _say(message: str) -> None:
    typer.echo(message, err=True)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    lines = [header, *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def _json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


@process_app.command("deploy")
def process_deploy(
    files: Annotated[
        list[Path], typer.Argument(help="One or more .bpmn / .dmn files", exists=True, dir_okay=False)
    ],
) -> None:
    """Validate and deploy models; unchanged files add no version."""
    runtime = _runtime()
    try:
        workflow = workflow_for(runtime)
        for file in files:
            for deployed in workflow.deploy(file.read_bytes(), file_name=file.name, deployed_by="cli"):
                d = deployed.definition
                what = "deployed" if deployed.created else "unchanged, still"
                _say(f"{file.name}: {d.kind} {d.key} {what} version {d.version}")
    finally:
        runtime.close()


@process_app.command("list")
def process_list(as_json: JsonFlag = False) -> None:
    """Deployed processes and decisions, each version with its instance counts."""
    runtime = _runtime()
    try:
        with runtime.session_factory() as session:
            store = DefinitionStore(session)
            counts = store.instance_counts()
            rows: list[dict[str, Any]] = [
                {
                    "key": d.key,
                    "kind": d.kind,
                    "version": d.version,
                    "name": d.name,
                    "deployed_at": d.deployed_at.isoformat(),
                    "instances": counts.get((d.key, d.version), {}),
                }
                for d in store.all()
            ]
    finally:
        runtime.close()
    if as_json:
        _json(rows)
        return
    _table(
        ("KEY", "KIND", "VERSION", "DEPLOYED", "INSTANCES"),
        [
            (
                r["key"],
                r["kind"],
                str(r["version"]),
                r["deployed_at"][:19],
                ", ".join(f"{state} {n}" for state, n in sorted(r["instances"].items())) or "-",
            )
            for r in rows
        ],
    )


@process_app.command("show")
def process_show(
    key: Annotated[str, typer.Argument(help="Process or decision id")],
    version: Annotated[int | None, typer.Option(help="A version (default: the latest)")] = None,
) -> None:
    """Print the source of a deployed version."""
    from conveyor.errors import NotFound

    runtime = _runtime()
    try:
        with runtime.session_factory() as session:
            row = DefinitionStore(session).get(key, version)
    finally:
        runtime.close()
    if row is None or row.source is None:
        raise NotFound(f"No deployed {key!r}" + (f" version {version}" if version else ""))
    when = f"{row.deployed_at:%Y-%m-%d %H:%M}"
    _say(f"{row.kind} {row.key} version {row.version} (sha256 {row.checksum[:12]}, deployed {when})")
    typer.echo(row.source, nl=False)


@process_app.command("diagram")
def process_diagram_command(
    key: Annotated[str, typer.Argument(help="Process id")],
    version: Annotated[int | None, typer.Option(help="A version (default: the latest)")] = None,
    instance: Annotated[
        str | None, typer.Option(help="Highlight this instance's path (completed, active, incidents)")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the SVG to this file (default: stdout)")
    ] = None,
) -> None:
    """Draw a deployed process version (its BPMNDI shapes and edges) as SVG."""
    from conveyor.services.workflow.diagram import process_diagram

    runtime = _runtime()
    try:
        with runtime.session_factory() as session:
            svg = process_diagram(session, key, version, instance_id=instance)
    finally:
        runtime.close()
    if output is None:
        typer.echo(svg)
        return
    output.write_text(svg, encoding="utf-8")
    _say(f"wrote {output} ({len(svg)} bytes)")


@process_app.command("migrate")
def process_migrate(
    key: Annotated[str, typer.Argument(help="Process id")],
    from_version: Annotated[int, typer.Option("--from", help="Version the instances are on")],
    to_version: Annotated[int, typer.Option("--to", help="Version to move them to")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only report what would happen")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Move waiting instances from one version to another when their nodes exist there."""
    runtime = _runtime()
    try:
        report = workflow_for(runtime).migrate(key, from_version, to_version, dry_run=dry_run)
    finally:
        runtime.close()
    if as_json:
        _json(report.as_dict())
    else:
        verb = "would move" if dry_run else "moved"
        for instance_id in report.moved:
            typer.echo(f"{verb} {instance_id}")
        for instance_id, reasons in report.refused.items():
            typer.echo(f"refused {instance_id}: {'; '.join(reasons)}")
        change = f"{key} v{from_version} -> v{to_version}"
        _say(f"{len(report.moved)} {verb}, {len(report.refused)} refused ({change})")
    if report.refused:
        raise typer.Exit(4)


@incidents_app.command("list")
def incidents_list(
    state: Annotated[str, typer.Option(help="open, resolved or all")] = "open",
    as_json: JsonFlag = False,
) -> None:
    """Incidents with their node, error and attempts."""
    runtime = _runtime()
    try:
        with runtime.session_factory() as session:
            rows = queries.list_incidents(session, state=None if state == "all" else state)
    finally:
        runtime.close()
    if as_json:
        _json(rows)
        return
    _table(
        ("ID", "INSTANCE", "PROCESS", "NODE", "ATTEMPTS", "STATE", "ERROR"),
        [
            (
                str(r["id"]),
                r["instance_id"],
                f"{r['process']} v{r['version']}",
                r["node"],
                str(r["attempts"]),
                r["state"],
                r["error"].splitlines()[0][:80],
            )
            for r in rows
        ],
    )


@incidents_app.command("retry")
def incidents_retry(incident_id: Annotated[int, typer.Argument(help="The incident's id")]) -> None:
    """Run an incident's node again."""
    runtime = _runtime()
    try:
        instance_id = workflow_for(runtime).retry_incident(incident_id)
    finally:
        runtime.close()
    _say(f"Retried incident {incident_id} of instance {instance_id}.")


@history_app.command("prune")
def history_prune(
    days: Annotated[
        int | None, typer.Option(help="Age in days [default: CONVEYOR_HISTORY_RETENTION_DAYS]")
    ] = None,
) -> None:
    """Delete the history of instances that ended more than DAYS days ago."""
    keep = days if days is not None else WorkflowSettings().history_retention_days
    if keep is None:
        _say("Nothing pruned: give --days or set CONVEYOR_HISTORY_RETENTION_DAYS.")
        raise typer.Exit(2)
    runtime = _runtime()
    try:
        removed = prune_history(workflow_for(runtime), keep)
    finally:
        runtime.close()
    _say(f"Deleted {removed} history rows of instances that ended more than {keep} days ago.")


def worker(
    concurrency: Annotated[
        int | None, typer.Option(help="Worker threads [default: CONVEYOR_WORKERS]", min=1)
    ] = None,
) -> None:
    """Run workers only (jobs, timers, retries) until SIGTERM or Ctrl+C; any number may share PostgreSQL."""
    runtime = _runtime()
    workflow = workflow_for(runtime)
    count = concurrency or max(workflow.settings.workers, 1)
    _say(f"Running {count} worker thread(s); SIGTERM or Ctrl+C stops them after their current job.")
    try:
        run_until_signalled(WorkerPool(workflow, count))
    finally:
        runtime.close()
    _say("Workers stopped.")


def start_background_workers(runtime: Runtime, count: int | None = None) -> WorkerPool | None:
    """Worker threads beside the API (``conveyor serve``): ``count`` or ``CONVEYOR_WORKERS``; 0 for none."""
    workflow = workflow_for(runtime)
    threads = workflow.settings.workers if count is None else count
    if threads <= 0:
        return None
    pool = WorkerPool(workflow, threads)
    pool.start()
    _say(f"Running {threads} worker thread(s) in this process (--workers 0 or CONVEYOR_WORKERS=0: none).")
    return pool
