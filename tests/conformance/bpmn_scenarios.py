"""Play one third-party BPMN model through the in-memory engine, the way its own test suite would.

A ``Scenario`` says which files to load together, which process to start (or which
message/signal starts it) and how the outside world behaves: user-task answers,
service-task mocks and BPMN errors, messages and signals to deliver once something
waits for them. ``play`` drives ``conveyor.engine.Engine`` through it and returns an
``Outcome``: the model's refusal (the parse problems), or what the instances did.

The world is simulated much as ``conveyor bpmn run`` does it: pending messages and
signals are delivered first, in order, each once a subscriber exists; then open user
tasks are completed with their answer (``"wait"`` keeps one open, ``Later`` answers
once a timer has fired); service tasks without a mock complete; and when nothing else
can move, a simulated clock jumps to the next timer. With ``restore_every_step`` every
instance is saved to plain data and rebuilt from it between any two of those steps --
the outcome must not change.

Used by ``test_bpmn_run.py`` and by ``scripts/conformance_table.py``.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from conveyor.engine.api import Engine
from conveyor.engine.errors import BpmnError, EngineError, ModelError
from conveyor.engine.runtime import HandlerContext, Handlers, Instance, ModelLibrary

#: the simulated clock starts here (a fixed instant keeps outcomes reproducible)
EPOCH = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
#: a scenario that needs more outside actions than this is looping: stop and say so
MAX_STEPS = 400


@dataclass(frozen=True)
class Send:
    """A message (or, with ``signal=True``, a signal) the outside world delivers."""

    name: str
    correlation_key: Any = None
    variables: Mapping[str, Any] = field(default_factory=dict)
    signal: bool = False
    after_timers: int = 0  # held back until this many timers have fired


@dataclass(frozen=True)
class Later:
    """A user-task answer given only once a timer has fired after the task opened."""

    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """How to run a model and how the world around it behaves (see module docs)."""

    files: tuple[str, ...]
    process: str | None = None
    variables: Mapping[str, Any] = field(default_factory=dict)
    start_message: str | None = None
    start_signal: str | None = None
    answers: Mapping[str, Any] = field(default_factory=dict)
    mocks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    fails: Mapping[str, str] = field(default_factory=dict)
    sends: tuple[Send, ...] = ()
    max_timers: int = 50


@dataclass
class InstanceOutcome:
    """What one instance did: its end state, the nodes it completed in order, its variables."""

    id: str
    process_id: str
    state: str
    path: list[str]
    variables: dict[str, Any]
    waiting: list[tuple[str, str]]
    incidents: list[tuple[str, str]]


@dataclass
class Outcome:
    """``refused`` (``problems`` say why), ``descriptive`` (nothing to run), ``error`` (an engine
    error escaped), or ``played``."""

    kind: str
    problems: list[str] = field(default_factory=list)
    error: str | None = None
    instances: list[InstanceOutcome] = field(default_factory=list)
    undelivered: list[str] = field(default_factory=list)
    stuck: bool = False

    @property
    def main(self) -> InstanceOutcome:
        return self.instances[0]

    def of(self, process_id: str) -> list[InstanceOutcome]:
        return [i for i in self.instances if i.process_id == process_id]

    @property
    def summary(self) -> str:
        if self.kind == "refused":
            return "refused: " + "; ".join(self.problems)
        if self.kind == "descriptive":
            return "no executable process"
        if self.kind == "error":
            return f"error: {self.error}"
        main = self.main
        text = f"{main.state} at {main.path[-1] if main.path else '(start)'}"
        if main.incidents:
            text += " -- incident: " + "; ".join(f"{node}: {error}" for node, error in main.incidents)
        return text


def load(root: Path, files: tuple[str, ...]) -> ModelLibrary:
    """Parse every file (``.bpmn``/``.xml`` and ``.dmn``) into one library; ``ModelError`` if any is bad."""
    from conveyor.engine.bpmn import parse_bpmn
    from conveyor.engine.dmn import parse_dmn

    library = ModelLibrary()
    problems = []
    for name in files:
        source = (root / name).read_bytes()
        try:
            if name.endswith(".dmn"):
                library.add_decisions(parse_dmn(source, file=name))
            else:
                library.add_definitions(parse_bpmn(source, file=name))
        except ModelError as err:
            problems.extend(err.problems)
    if problems:
        raise ModelError(problems, file=files[0])
    return library


def _handlers(scenario: Scenario) -> Handlers:
    handlers = Handlers(missing="complete")
    for node, data in scenario.mocks.items():
        handlers.register_for_node(node, _returning(dict(data)))
    for node, code in scenario.fails.items():
        handlers.register_for_node(node, _throwing(code))
    return handlers


def _returning(data: dict[str, Any]) -> Any:
    def handler(_ctx: HandlerContext) -> dict[str, Any]:
        return dict(data)

    return handler


def _throwing(code: str) -> Any:
    def handler(ctx: HandlerContext) -> None:
        raise BpmnError(code, f"the conformance scenario fails {ctx.node_id} with {code}")

    return handler


class _World:
    """The outside world of one scenario: answers user tasks, delivers messages, moves the clock."""

    def __init__(self, scenario: Scenario, engine: Engine, restore: bool) -> None:
        self.scenario = scenario
        self.engine = engine
        self.restore = restore
        self.clock = EPOCH
        self.visits: dict[str, int] = {}
        self.decided: dict[tuple[str, int], Any] = {}
        self.pending = list(scenario.sends)
        self.timers = 0
        self.opened: dict[tuple[str, int], int] = {}

    def answer(self, instance_id: str, wait_id: int, node: str) -> Any:
        """The data for this visit of user task ``node``, or ``None`` to leave it open."""
        key = (instance_id, wait_id)
        if key not in self.decided:
            entry = self.scenario.answers.get(node, {})
            if isinstance(entry, list):
                visit = self.visits.get(node, 0)
                self.visits[node] = visit + 1
                entry = entry[visit] if visit < len(entry) else {}
            self.decided[key] = None if entry == "wait" else entry
            self.opened[key] = self.timers
        decided = self.decided[key]
        if isinstance(decided, Later):
            return dict(decided.data) if self.timers > self.opened[key] else None
        return None if decided is None else dict(decided)

    def step(self) -> bool:
        """Do one thing the world would do; False when nothing is left to do but the clock."""
        engine, now = self.engine, self.clock
        if self.pending and self.timers >= self.pending[0].after_timers and self._deliver(self.pending[0]):
            self.pending.pop(0)
            return True
        for instance in engine.active():
            for wait in instance.waits:
                if wait.kind == "userTask":
                    data = self.answer(instance.id, wait.id, wait.node)
                    if data is None:
                        continue
                    instance.complete_user_task(wait.id, data, now=now)
                    engine.pump(now)
                    return True
                if wait.kind == "job":
                    instance.complete_job(wait.id, None, now=now)
                    engine.pump(now)
                    return True
        return False

    def _deliver(self, send: Send) -> bool:
        if send.signal:
            return self.engine.broadcast_signal(send.name, send.variables, now=self.clock) > 0
        return self.engine.deliver_message(send.name, send.correlation_key, send.variables, now=self.clock)

    def save_and_restore(self) -> None:
        if not self.restore:
            return
        engine = self.engine
        for instance_id, instance in list(engine.instances.items()):
            engine.instances[instance_id] = Instance.from_state(
                engine.library, instance.to_state(), engine.handlers
            )


_PLAYED: dict[tuple[str, str, bool, float | None], Outcome] = {}


def play(
    root: Path, scenario: Scenario, *, restore_every_step: bool = False, time_limit: float | None = None
) -> Outcome:
    """Run ``scenario`` against the models under ``root`` (see module docs).

    Outcomes are remembered for the session (keyed by the scenario's full text): the run
    test, the CLI comparison and the conformance page all ask for the same runs. Treat
    the returned outcome as read-only. With ``time_limit`` (seconds; POSIX main thread
    only) a run that does not finish in time is stopped and reported as an ``error``.
    """
    key = (str(root), repr(scenario), restore_every_step, time_limit)
    if key not in _PLAYED:
        if time_limit is None:
            _PLAYED[key] = _play(root, scenario, restore_every_step)
        else:
            _PLAYED[key] = _within(time_limit, lambda: _play(root, scenario, restore_every_step))
    return _PLAYED[key]


class _TimeUp(BaseException):
    """Not an ``Exception``: the engine turns those into incidents and would carry on."""


def _within(seconds: float, run: Callable[[], Outcome]) -> Outcome:
    """``run()``, stopped by SIGALRM after ``seconds``; any timer already set (pytest-timeout's)
    is put back with what was left of it."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return run()

    def time_up(_signum: int, _frame: object) -> None:
        raise _TimeUp

    previous = signal.signal(signal.SIGALRM, time_up)
    left, interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        return run()
    except _TimeUp:
        return Outcome("error", error=f"did not finish within {seconds:g} s (stopped)")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if left:
            signal.setitimer(signal.ITIMER_REAL, max(left - (time.monotonic() - started), 0.001), interval)


def _play(root: Path, scenario: Scenario, restore_every_step: bool) -> Outcome:
    try:
        library = load(root, scenario.files)
    except ModelError as err:
        problems = [p for p in err.problems if p.severity == "error"]
        return Outcome("refused", problems=[f"{p.element_id}: {p.message} [{p.code}]" for p in problems])
    if not library.process_ids():
        return Outcome("descriptive")
    engine = Engine(library, _handlers(scenario))
    world = _World(scenario, engine, restore_every_step)
    stuck = False
    try:
        _start(engine, scenario, world.clock)
        world.save_and_restore()
        steps = timers = 0
        while any(i.state == "active" for i in engine.active()):
            if steps >= MAX_STEPS:
                stuck = True
                break
            steps += 1
            if world.step():
                world.save_and_restore()
                continue
            due = engine.next_timer()
            if due is None or timers >= scenario.max_timers:
                break
            world.clock = max(world.clock, due)
            timers += engine.fire_due_timers(world.clock)
            world.timers = timers
            world.save_and_restore()
    except EngineError as err:
        return Outcome("error", error=f"{type(err).__name__}: {err}")
    return Outcome(
        "played",
        instances=[_describe(engine, i) for i in engine.instances.values()],
        undelivered=[s.name for s in world.pending],
        stuck=stuck,
    )


def _start(engine: Engine, scenario: Scenario, now: dt.datetime) -> None:
    if scenario.start_signal is not None:
        if not engine.broadcast_signal(scenario.start_signal, scenario.variables, now=now):
            raise NoStart(f"no process starts with signal {scenario.start_signal!r}")
    elif scenario.start_message is not None:
        engine.start_by_message(scenario.start_message, scenario.variables, now=now)
    else:
        process = scenario.process or engine.library.process_ids()[0]
        engine.start(process, scenario.variables, now=now)


class NoStart(EngineError):
    code = "conformance_no_start"


def _describe(engine: Engine, instance: Instance) -> InstanceOutcome:
    path = [
        r.event.node
        for r in engine.history
        if r.instance_id == instance.id and r.event.kind == "node.completed"
    ]
    return InstanceOutcome(
        id=instance.id,
        process_id=instance.process_id,
        state=instance.state,
        path=path,
        variables={k: _plain(v) for k, v in instance.variables.items()},
        waiting=[
            (w.node, w.kind)
            for w in instance.waits
            if w.kind != "incident" and not w.boundary and not w.event_subprocess
        ],
        incidents=[(i.node, i.error) for i in instance.incidents],
    )


def _plain(value: Any) -> Any:
    """Values as a test compares them: decimals that are whole become ints."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
