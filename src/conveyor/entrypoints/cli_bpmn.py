"""``conveyor bpmn check`` and ``conveyor bpmn run``: a model's problems, and a dry run in memory.

``run`` loads every file given (.bpmn and .dmn) into one library, starts the
process and plays the part of the outside world: service tasks without a
handler complete (or return ``--mock`` data, or throw ``--fail`` BPMN errors),
user tasks get their ``--answers``, ``--message``s are delivered once something
waits for them, and a simulated clock jumps to the next timer when nothing else
can move. It prints one JSON object (see PRODUCT.md) and exits 0 (completed or
waiting), 1 (failed: an incident) or 2 (invalid model or arguments).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from conveyor.engine.api import Engine
from conveyor.engine.bpmn import check_bpmn, parse_bpmn
from conveyor.engine.bpmn.model import Event, Trigger
from conveyor.engine.errors import BpmnError, EngineError, ModelError, Problem
from conveyor.engine.runtime import FormError, HandlerContext, Handlers, Instance, ModelLibrary

bpmn_app = typer.Typer(no_args_is_help=True, help="Check BPMN/DMN models and run them in memory.")

#: a simulated clock stops after this many timer firings (a cycle or loop could go on forever)
MAX_TIMER_FIRINGS = 1000
#: ... and after this many completed user tasks, jobs and messages (a cycle through a user task)
MAX_ACTIONS = 10_000
INVALID = 2


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(INVALID)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise _fail(f"cannot read {path}: {err.strerror or err}") from err


def _problems_of(path: Path) -> list[Problem]:
    source = _read(path)
    if path.suffix.lower() == ".dmn":
        from conveyor.engine.dmn import parse_dmn

        try:
            parse_dmn(source, file=str(path))
        except ModelError as err:
            return list(err.problems)
        return []
    return check_bpmn(source, file=str(path))


# --- check ----------------------------------------------------------------------------------------


@bpmn_app.command("check")
def check(
    files: Annotated[list[Path], typer.Argument(help="BPMN (or DMN) files to validate")],
    output: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Validate models: every problem with its element id, name, line and a hint."""
    if output not in ("table", "json"):
        raise _fail(f"--format must be table or json, not {output!r}")
    problems = [problem for path in files for problem in _problems_of(path)]
    errors = sum(1 for p in problems if p.severity == "error")
    if output == "json":
        typer.echo(json.dumps({"problems": [p.as_dict() for p in problems], "errors": errors}, indent=2))
    elif sys.stdout.isatty():
        _print_table(problems, files)
    else:
        for problem in problems:
            typer.echo(str(problem))
        typer.echo(f"{len(files)} file(s) checked: {errors} error(s), {len(problems) - errors} warning(s)")
    raise typer.Exit(1 if errors else 0)


def _print_table(problems: list[Problem], files: list[Path]) -> None:
    console = Console()
    if not problems:
        console.print(f"[green]{len(files)} file(s) checked: no problems[/green]")
        return
    table = Table("file:line", "severity", "element", "problem", "hint")
    for p in problems:
        where = f"{p.file or ''}:{p.line or ''}"
        element = (p.element_id or "") + (f" '{p.element_name}'" if p.element_name else "")
        colour = "red" if p.severity == "error" else "yellow"
        table.add_row(where, f"[{colour}]{p.severity}[/{colour}]", element, p.message, p.hint or "")
    console.print(table)


# --- run ------------------------------------------------------------------------------------------


def _json_value(text: str, what: str) -> Any:
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError:
        if what.startswith("--var"):
            return text  # a bare word is a string: --var channel=web
        raise _fail(f"{what}: {text!r} is not JSON") from None


def _pairs(items: list[str], option: str, *, value_required: bool = True) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for item in items:
        name, sep, value = item.partition("=")
        if not name or (value_required and not sep):
            raise _fail(f"{option} expects NAME=VALUE, got {item!r}")
        found.append((name, value if sep else None))
    return found


def _load(files: list[Path]) -> ModelLibrary:
    library = ModelLibrary()
    problems: list[Problem] = []
    for path in files:
        source = _read(path)
        try:
            if path.suffix.lower() == ".dmn":
                from conveyor.engine.dmn import parse_dmn

                library.add_decisions(parse_dmn(source, file=str(path)))
            else:
                library.add_definitions(parse_bpmn(source, file=str(path)))
        except ModelError as err:
            problems.extend(err.problems)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        for problem in errors:
            typer.echo(str(problem), err=True)
        raise typer.Exit(INVALID)
    return library


def _handlers(mocks: list[str], fails: list[str]) -> Handlers:
    handlers = Handlers(missing="complete")
    for node, raw in _pairs(mocks, "--mock"):
        data = _json_value(raw or "", f"--mock {node}")
        if not isinstance(data, dict):
            raise _fail(f"--mock {node}: the value must be a JSON object of variables")
        handlers.register_for_node(node, _returning(data))
    for node, code in _pairs(fails, "--fail"):

        def throw(ctx: HandlerContext, code: str | None = code) -> None:
            raise BpmnError(code or "", f"--fail {ctx.node_id}={code}")

        handlers.register_for_node(node, throw)
    return handlers


def _returning(data: dict[str, Any]) -> Any:
    def handler(_ctx: HandlerContext) -> dict[str, Any]:
        return dict(data)

    return handler


class _Answers:
    """``--answers``: ``{node: data}``, ``{node: [data per visit]}``, ``"wait"`` keeps it open."""

    def __init__(self, path: Path | None) -> None:
        self.entries: dict[str, Any] = {}
        self.visits: dict[str, int] = {}
        self.decided: dict[tuple[str, int], tuple[bool, dict[str, Any]]] = {}
        if path is not None:
            data = _json_value(_read(path).decode("utf-8", "replace"), "--answers")
            if not isinstance(data, dict):
                raise _fail("--answers must hold a JSON object {node id: data}")
            self.entries = data

    def next(self, instance_id: str, wait_id: int, node: str) -> tuple[bool, dict[str, Any]]:
        """(complete?, data) for this visit (one open task) of user task ``node``."""
        key = (instance_id, wait_id)
        if key not in self.decided:
            self.decided[key] = self._decide(node)
        return self.decided[key]

    def _decide(self, node: str) -> tuple[bool, dict[str, Any]]:
        entry = self.entries.get(node)
        if isinstance(entry, list):
            visit = self.visits.get(node, 0)
            self.visits[node] = visit + 1
            entry = entry[visit] if visit < len(entry) else None
        if entry == "wait":
            return False, {}
        if entry is not None and not isinstance(entry, dict):
            raise _fail(f"--answers for {node!r} must be an object, a list of objects or \"wait\"")
        return True, dict(entry or {})


def _choose_process(library: ModelLibrary, wanted: str | None) -> str:
    ids = library.process_ids()
    if wanted is not None:
        if wanted not in ids:
            raise _fail(f"no executable process {wanted!r} (found: {', '.join(ids) or 'none'})")
        return wanted
    if not ids:
        raise _fail("the files hold no executable process")
    return ids[0]


def _start_event(
    library: ModelLibrary, process_id: str, messages: list[list[Any]], variables: dict[str, Any]
) -> str | None:
    """Where to start: the none start event; else a message start event whose ``--message``
    was given (its payload joins the variables); else the first start event (a timer or
    signal start, as if it had fired)."""
    compiled = library.process(process_id)
    first = compiled.starts.get(process_id)
    node = compiled.nodes.get(first) if first else None
    if isinstance(node, Event) and node.trigger is Trigger.NONE:
        return None
    starts = [s for s in library.start_events() if s.process_id == process_id]
    for start in starts:
        for pending in messages:
            if start.message_name == pending[0] and not pending[2]:
                payload = dict(pending[1])
                payload.pop("correlation_key", None)
                variables.update(payload)
                pending[2] = True
                return start.node
    return starts[0].node if starts else None


def _step(engine: Engine, answers: _Answers, messages: list[list[Any]], clock: dt.datetime) -> bool:
    """Do one thing the outside world would do; False when nothing could be done."""
    for instance in engine.active():
        for wait in instance.waits:
            if wait.kind == "userTask":
                go, data = answers.next(instance.id, wait.id, wait.node)
                if not go:
                    continue
                try:
                    instance.complete_user_task(wait.id, data, now=clock)
                except FormError as err:
                    raise _fail(f"--answers for {wait.node!r}: {err}") from err
                engine.pump(clock)
                return True
            if wait.kind == "job":
                instance.complete_job(wait.id, None, now=clock)
                engine.pump(clock)
                return True
    for pending in messages:
        if pending[2]:
            continue
        name, payload = pending[0], dict(pending[1])
        key = payload.pop("correlation_key", None)
        if engine.deliver_message(name, key, payload, now=clock):
            pending[2] = True
            return True
    return False


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date | dt.time | dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _report(engine: Engine, main: Instance) -> dict[str, Any]:
    tree = [i for i in engine.instances.values() if i.id == main.id or i.id.startswith(main.id + "/")]
    incidents = [{"node": inc.node, "error": inc.error} for i in tree for inc in i.incidents]
    waiting = [
        {"node": w.node, "kind": w.kind}
        for i in tree
        for w in i.waits
        if w.kind not in ("incident", "callActivity") and not w.boundary and not w.event_subprocess
    ]
    if incidents:
        state = "failed"
    elif main.state in ("completed", "terminated"):
        state = "completed"
    else:
        state = "waiting"
    path = [
        r.event.node
        for r in engine.history
        if r.instance_id == main.id and r.event.kind == "node.completed"
    ]
    return {
        "process": main.process_id,
        "state": state,
        "path": path,
        "variables": _plain(dict(main.variables)),
        "waiting": waiting,
        "incidents": incidents,
    }


@bpmn_app.command("run")
def run(
    files: Annotated[list[Path], typer.Argument(help=".bpmn and .dmn files, loaded together")],
    process: Annotated[str | None, typer.Option("--process", help="process id to start")] = None,
    var: Annotated[list[str] | None, typer.Option("--var", help="k=JSON, set at start")] = None,
    answers: Annotated[Path | None, typer.Option("--answers", help="JSON {node: data|[data, ...]}")] = None,
    message: Annotated[list[str] | None, typer.Option("--message", help="NAME[=JSON] to deliver")] = None,
    mock: Annotated[list[str] | None, typer.Option("--mock", help="NODE=JSON a service task returns")] = None,
    fail: Annotated[list[str] | None, typer.Option("--fail", help="NODE=CODE: throw a BPMN error")] = None,
    max_timers: Annotated[int, typer.Option(help="stop after this many timer firings")] = MAX_TIMER_FIRINGS,
) -> None:
    """Run a model in memory and print what happened as one JSON object."""
    variables = {name: _json_value(raw or "", f"--var {name}") for name, raw in _pairs(var or [], "--var")}
    handlers = _handlers(mock or [], fail or [])
    replies = _Answers(answers)
    messages: list[list[Any]] = []
    for name, raw in _pairs(message or [], "--message", value_required=False):
        payload = _json_value(raw, f"--message {name}") if raw else {}
        if not isinstance(payload, dict):
            raise _fail(f"--message {name}: the value must be a JSON object")
        messages.append([name, payload, False])
    library = _load(files)
    process_id = _choose_process(library, process)
    engine = Engine(library, handlers)
    clock = dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        start_event = _start_event(library, process_id, messages, variables)
        main = engine.start(process_id, variables, now=clock, instance_id="1", start_event=start_event)
        firings = actions = 0
        while main.running and actions < MAX_ACTIONS:
            if _step(engine, replies, messages, clock):
                actions += 1
                continue
            due = engine.next_timer()
            if due is None or firings >= max_timers:
                break
            clock = max(clock, due)
            firings += engine.fire_due_timers(clock)
    except EngineError as err:
        raise _fail(str(err)) from err
    if actions >= MAX_ACTIONS:
        typer.echo(f"stopped after {MAX_ACTIONS} simulated actions: does a cycle keep coming back?", err=True)
    result = _report(engine, main)
    typer.echo(json.dumps(result, indent=2))
    raise typer.Exit(1 if result["state"] == "failed" else 0)
