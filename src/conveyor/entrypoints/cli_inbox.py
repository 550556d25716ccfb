"""``conveyor exceptions`` (list, show, summary, update, resolve, classify) and ``conveyor tasks``
(list, show, claim, unclaim, delegate, complete, comment, comments, escalate).

Who acts: with ``--token SECRET`` (or ``CONVEYOR_TOKEN``) the CLI acts as that
token's principal, with its role and groups, exactly as the API would; without
one it acts as the local operator (admin rights; the name is ``--user``, or
``CONVEYOR_USER``, or the login name), since whoever runs it can reach the
database anyway. Lists print a table, or JSON with ``--json``. Errors print
``error [code]: ...`` with each field problem, and exit with the error
table's code (403 -> 5, 409 -> 4, 422 -> 2).
"""

from __future__ import annotations

import getpass
import json
from datetime import datetime
from typing import Annotated, Any

import typer

from conveyor.bootstrap import Runtime, build_runtime
from conveyor.config import load_settings
from conveyor.domain.auth import Principal, Role
from conveyor.errors import InvalidInput
from conveyor.services import api_tokens, task_inbox
from conveyor.services import exceptions as register
from conveyor.services.exceptions import UNSET, ExceptionFilter
from conveyor.services.task_inbox import TaskFilter
from conveyor.services.workflow import workflow_for

exceptions_app = typer.Typer(
    no_args_is_help=True, help="The exception register: what went wrong, and its fix."
)
tasks_app = typer.Typer(no_args_is_help=True, help="The task inbox: user tasks from every process.")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
TokenOption = Annotated[
    str | None, typer.Option("--token", envvar="CONVEYOR_TOKEN", help="Act as this API token's holder")
]
UserOption = Annotated[
    str | None, typer.Option("--user", envvar="CONVEYOR_USER", help="Your name when acting without a token")
]


def _runtime() -> Runtime:
    return build_runtime(load_settings())


def _say(message: str) -> None:
    typer.echo(message, err=True)


def _json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "-"
    return str(value)


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    lines = [header, *[tuple(_text(c) for c in row) for row in rows]]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def _principal(runtime: Runtime, token: str | None, user: str | None) -> Principal:
    if token:
        return api_tokens.authenticate(runtime.unit_of_work(), token)
    return Principal(token_id=0, name=(user or getpass.getuser() or "operator").strip(), role=Role.ADMIN)


def _parse_time(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as err:
        raise InvalidInput(
            f"--{field.replace('_', '-')} must be an ISO 8601 date or date-time, got {value!r}",
            errors=[{"loc": [field], "path": field, "msg": "must be an ISO 8601 date or date-time"}],
        ) from err


# --- exceptions -------------------------------------------------------------------------


@exceptions_app.command("list")
def exceptions_list(
    category: str | None = None,
    type: Annotated[str | None, typer.Option("--type", help="e.g. pick.short")] = None,
    status: Annotated[
        list[str] | None, typer.Option(help="open, in_progress, resolved, closed (repeatable)")
    ] = None,
    severity: str | None = None,
    order: Annotated[str | None, typer.Option(help="An order id")] = None,
    sku: str | None = None,
    warehouse: str | None = None,
    carrier: str | None = None,
    owner: Annotated[str | None, typer.Option(help="Owner group or assignee")] = None,
    created_from: Annotated[str | None, typer.Option(help="ISO date-time")] = None,
    created_to: Annotated[str | None, typer.Option(help="ISO date-time")] = None,
    overdue: Annotated[bool | None, typer.Option("--overdue/--not-overdue", help="Past their SLA")] = None,
    limit: int = 50,
    cursor: Annotated[str | None, typer.Option(help="From a previous page's 'next' line")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Exception records, newest first."""
    flt = ExceptionFilter(
        category=category, type=type, status=tuple(status or ()), severity=severity, order_id=order, sku=sku,
        warehouse_code=warehouse, carrier_code=carrier, owner=owner,
        created_from=_parse_time(created_from, "created_from"),
        created_to=_parse_time(created_to, "created_to"), overdue=overdue,
    )  # fmt: skip
    runtime = _runtime()
    try:
        with runtime.session_factory() as session:
            rows, next_cursor = register.list_exceptions(session, flt, limit=limit, cursor=cursor)
    finally:
        runtime.close()
    if as_json:
        _json({"data": rows, "next_cursor": next_cursor})
        return
    _table(
        ("ID", "TYPE", "CATEGORY", "SEVERITY", "STATUS", "ORDER", "OWNER", "DUE", "SUMMARY"),
        [(r["id"], r["type"], r["category"], r["severity"],
          r["status"] + (" (overdue)" if r["overdue"] else ""), r["order_id"],
          r["assignee"] or r["owner_group"], r["due_at"], r["summary"][:60]) for r in rows],
    )  # fmt: skip
    if next_cursor:
        _say(f"next: --cursor {next_cursor}")


@exceptions_app.command("show")
def exceptions_show(
    exception_id: Annotated[int, typer.Argument(help="The record's id")], as_json: JsonFlag = False
) -> None:
    """One record with its history."""
    runtime = _runtime()
    try:
        with runtime.session_factory() as session:
            record = register.get_exception(session, exception_id)
    finally:
        runtime.close()
    if as_json:
        _json(record)
        return
    for key in ("id", "type", "category", "category_source", "severity", "status", "summary", "order_id",
                "order_line_id", "sku", "warehouse_code", "carrier_code", "process_instance_id", "task_id",
                "incident_id", "reason_code", "reason_text", "owner_group", "assignee", "due_at", "overdue",
                "resolution", "root_cause", "created_at", "resolved_at"):  # fmt: skip
        if record.get(key) is not None:
            typer.echo(f"{key:20} {_text(record[key])}")
    if record["classification"]:
        c = record["classification"]
        typer.echo(f"{'classifier':20} {c['category']} ({c['confidence']:.0%}, {c['method']})")
    typer.echo("history:")
    for entry in record["history"]:
        changes = json.dumps(entry["changes"], default=str)
        typer.echo(f"  {_text(entry['at'])}  {entry['action']:9} {entry['actor'] or '-':12} {changes}")


@exceptions_app.command("summary")
def exceptions_summary(
    by: Annotated[str, typer.Option(help="category, product, carrier, warehouse, type or week")] = "category",
    category: str | None = None,
    created_from: Annotated[str | None, typer.Option(help="ISO date-time")] = None,
    created_to: Annotated[str | None, typer.Option(help="ISO date-time")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Counts, open, overdue, resolved and mean hours to resolve, per group."""
    flt = ExceptionFilter(category=category, created_from=_parse_time(created_from, "created_from"),
                          created_to=_parse_time(created_to, "created_to"))  # fmt: skip
    runtime = _runtime()
    try:
        with runtime.session_factory() as session:
            groups = register.summarize(session, by, flt)
    finally:
        runtime.close()
    if as_json:
        _json({"by": by, "data": groups})
        return
    _table((by.upper(), "COUNT", "OPEN", "OVERDUE", "RESOLVED", "MEAN_HOURS"),
           [(g["key"], g["count"], g["open"], g["overdue"], g["resolved"], g["mean_hours_to_resolve"])
            for g in groups])  # fmt: skip


@exceptions_app.command("update")
def exceptions_update(
    exception_id: Annotated[int, typer.Argument(help="The record's id")],
    status: Annotated[str | None, typer.Option(help="open, in_progress, resolved, closed")] = None,
    assignee: Annotated[str | None, typer.Option(help="Who works on it ('' for nobody)")] = None,
    owner_group: str | None = None,
    severity: str | None = None,
    resolution: str | None = None,
    root_cause: str | None = None,
    token: TokenOption = None,
    user: UserOption = None,
) -> None:
    """Assign, move its status, set severity, resolution or root cause."""
    runtime = _runtime()
    try:
        principal = _principal(runtime, token, user)
        with runtime.unit_of_work() as uow:
            row = register.update_exception(
                uow, exception_id, actor=principal.name, status=status, severity=severity,
                assignee=assignee if assignee is not None else UNSET,
                owner_group=owner_group if owner_group is not None else UNSET,
                resolution=resolution, root_cause=root_cause,
            )  # fmt: skip
            uow.commit()
    finally:
        runtime.close()
    _say(f"Exception {exception_id} is {row['status']} (revision {row['revision']}).")


@exceptions_app.command("resolve")
def exceptions_resolve(
    exception_id: Annotated[int, typer.Argument(help="The record's id")],
    resolution: Annotated[str, typer.Option(help="What was done")],
    root_cause: Annotated[str | None, typer.Option(help="Why it happened")] = None,
    token: TokenOption = None,
    user: UserOption = None,
) -> None:
    """Resolve an open record."""
    runtime = _runtime()
    try:
        principal = _principal(runtime, token, user)
        with runtime.unit_of_work() as uow:
            register.resolve_exception(uow, exception_id, resolution=resolution, root_cause=root_cause,
                                       actor=principal.name)  # fmt: skip
            uow.commit()
    finally:
        runtime.close()
    _say(f"Exception {exception_id} resolved.")


@exceptions_app.command("classify")
def exceptions_classify(text: Annotated[str, typer.Argument(help="A free-text reason")]) -> None:
    """The category the register's classifier gives a text (with its confidence and method)."""
    runtime = _runtime()
    try:
        with runtime.session_factory() as session:
            settings, classifier = register.settings_and_classifier(session)
    finally:
        runtime.close()
    result = classifier.classify(text)
    if result is None:
        typer.echo("no category (nothing recognisable)")
        raise typer.Exit(1)
    sure = (
        ""
        if result.confidence >= settings.min_confidence
        else f" (below min_confidence {settings.min_confidence})"
    )
    typer.echo(f"{result.category} {result.confidence:.2f} {result.method}{sure}")


# --- tasks ------------------------------------------------------------------------------


@tasks_app.command("list")
def tasks_list(
    group: Annotated[str | None, typer.Option(help="Offered to this candidate group")] = None,
    mine: Annotated[bool, typer.Option("--mine", help="Mine, or unclaimed and offered to me")] = False,
    assignee: str | None = None,
    process: Annotated[str | None, typer.Option(help="The process id")] = None,
    order: Annotated[str | None, typer.Option(help="An order id (the business key)")] = None,
    due_before: Annotated[str | None, typer.Option(help="ISO date-time")] = None,
    overdue: Annotated[bool | None, typer.Option("--overdue/--not-overdue")] = None,
    priority_min: int | None = None,
    state: Annotated[str, typer.Option(help="open, created, claimed, completed, cancelled, all")] = "open",
    sort: Annotated[str, typer.Option(help="due, -due, priority, -priority, created, -created")] = "due",
    limit: int = 100,
    offset: int = 0,
    token: TokenOption = None,
    user: UserOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The inbox."""
    runtime = _runtime()
    try:
        principal = _principal(runtime, token, user) if mine else None
        flt = TaskFilter(state=state, group=group, assignee=assignee, mine=principal, process=process,
                         business_key=order, due_before=_parse_time(due_before, "due_before"),
                         overdue=overdue, priority_min=priority_min)  # fmt: skip
        with runtime.session_factory() as session:
            rows, total = task_inbox.list_tasks(session, flt, sort=sort, limit=limit, offset=offset)
    finally:
        runtime.close()
    if as_json:
        _json({"data": rows, "total": total})
        return
    _table(
        ("ID", "TASK", "PROCESS", "KEY", "GROUPS", "ASSIGNEE", "DUE", "PRIO", "STATE"),
        [(r["id"], r["name"] or r["node"], r["process"], r["business_key"], r["candidate_groups"],
          r["assignee"], r["due_at"], r["priority"], r["state"] + (" (overdue)" if r["overdue"] else ""))
         for r in rows],
    )  # fmt: skip
    if total > offset + len(rows):
        _say(f"{total} tasks match; next page: --offset {offset + len(rows)}")


@tasks_app.command("show")
def tasks_show(task_id: Annotated[int, typer.Argument(help="The task's id")]) -> None:
    """One task (JSON), with its activity and comments."""
    runtime = _runtime()
    try:
        with runtime.session_factory() as session:
            task = task_inbox.get_task(session, task_id)
            task["activity"] = task_inbox.activity(session, task_id)
            task["comments"] = task_inbox.comments(session, task_id)
    finally:
        runtime.close()
    _json(task)


@tasks_app.command("claim")
def tasks_claim(
    task_id: Annotated[int, typer.Argument()], token: TokenOption = None, user: UserOption = None
) -> None:
    """Take a task (exit 4 when someone else has it)."""
    runtime = _runtime()
    try:
        principal = _principal(runtime, token, user)
        task_inbox.claim_task(runtime.unit_of_work(), task_id, principal)
    finally:
        runtime.close()
    _say(f"Task {task_id} is now {principal.name}'s.")


@tasks_app.command("unclaim")
def tasks_unclaim(
    task_id: Annotated[int, typer.Argument()], token: TokenOption = None, user: UserOption = None
) -> None:
    """Give a claimed task back to its candidates."""
    runtime = _runtime()
    try:
        task_inbox.unclaim_task(runtime.unit_of_work(), task_id, _principal(runtime, token, user))
    finally:
        runtime.close()
    _say(f"Task {task_id} is unclaimed.")


@tasks_app.command("delegate")
def tasks_delegate(
    task_id: Annotated[int, typer.Argument()],
    to_user: Annotated[str | None, typer.Option("--to-user", help="Hand it to this user")] = None,
    to_group: Annotated[str | None, typer.Option("--to-group", help="Offer it to this group")] = None,
    token: TokenOption = None,
    user: UserOption = None,
) -> None:
    """Hand a task to a user or a group."""
    runtime = _runtime()
    try:
        task = task_inbox.delegate_task(runtime.unit_of_work(), task_id, _principal(runtime, token, user),
                                        user=to_user, group=to_group)  # fmt: skip
    finally:
        runtime.close()
    _say(f"Task {task_id} delegated to {task['assignee'] or ', '.join(task['candidate_groups'])}.")


@tasks_app.command("complete")
def tasks_complete(
    task_id: Annotated[int, typer.Argument()],
    data: Annotated[
        str, typer.Option("--data", help="The form data as JSON, e.g. '{\"passed\": true}'")
    ] = "{}",
    token: TokenOption = None,
    user: UserOption = None,
) -> None:
    """Complete a task with form data (exit 2 listing each wrong field)."""
    try:
        values = json.loads(data)
    except json.JSONDecodeError as err:
        raise InvalidInput(
            f"--data is not JSON: {err.msg} at column {err.colno}",
            errors=[{"loc": ["data"], "path": "data", "msg": f"not JSON: {err.msg}"}],
        ) from err
    if not isinstance(values, dict):
        raise InvalidInput(
            "--data must be a JSON object of field values",
            errors=[{"loc": ["data"], "msg": "must be an object"}],
        )
    runtime = _runtime()
    try:
        principal = _principal(runtime, token, user)
        task = task_inbox.complete_task(
            runtime.unit_of_work(), workflow_for(runtime), task_id, principal, values
        )
    finally:
        runtime.close()
    _say(f"Task {task_id} completed by {task['completed_by']}.")


@tasks_app.command("comment")
def tasks_comment(
    task_id: Annotated[int, typer.Argument()],
    text: Annotated[str, typer.Argument(help="The comment")],
    token: TokenOption = None,
    user: UserOption = None,
) -> None:
    """Comment on a task."""
    runtime = _runtime()
    try:
        task_inbox.add_comment(runtime.unit_of_work(), task_id, _principal(runtime, token, user), text)
    finally:
        runtime.close()
    _say(f"Comment added to task {task_id}.")


@tasks_app.command("comments")
def tasks_comments(task_id: Annotated[int, typer.Argument()], as_json: JsonFlag = False) -> None:
    """A task's comments, oldest first."""
    runtime = _runtime()
    try:
        with runtime.session_factory() as session:
            rows = task_inbox.comments(session, task_id)
    finally:
        runtime.close()
    if as_json:
        _json(rows)
        return
    for row in rows:
        typer.echo(f"{_text(row['created_at'])}  {row['author']}: {row['body']}")


@tasks_app.command("escalate")
def tasks_escalate() -> None:
    """Escalate every overdue open task now (workers do it with their maintenance)."""
    runtime = _runtime()
    try:
        escalated = task_inbox.escalate_with(runtime.session_factory)
    finally:
        runtime.close()
    _say(f"Escalated {len(escalated)} task(s){': ' + ', '.join(map(str, escalated)) if escalated else ''}.")
