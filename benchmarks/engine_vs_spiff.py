#!/usr/bin/env python3
"""Conveyor's engine against SpiffWorkflow on the same models, in one run, in memory.

    .venv/bin/python benchmarks/engine_vs_spiff.py [--seconds 1.0] [--repeat 3] [--write docs/benchmarks.md]

Models: ``../shared/bench/bench-order.bpmn`` (process ``order``) with total=1500 (takes
the quality-check user task) and total=500, and chains of 10, 100 and 400 service
tasks (a user task after every 10) written by ``../shared/bench/make_chain.py`` into
a temporary folder.

SpiffWorkflow side: ``../shared/bench/spiff_baseline.py`` run as a subprocess with this
interpreter (needs ``spiffworkflow==3.2.0``, the ``bench`` extra). It turns each
service task into a ``pass`` script task and times N instances itself; N is chosen
from a short calibration run so that one measurement lasts about ``--seconds``.

Conveyor side, the same loop shape: the model is parsed once; each instance is
started with the variables, then its open user tasks are completed (no data) until
it is done; every service task calls a registered no-op handler (the stand-in for
Spiff's ``pass``); history and effects are drained at each wait, as a persisted
runtime would hand them on. No persistence on either side.

Each figure is the best of ``--repeat`` measurements of at least ``--seconds`` by the
wall clock (``time.perf_counter``; Spiff's figure is the one its script prints). On a
shared machine the wall clock also measures the neighbours, so the table adds CPU-time
figures: ours from ``time.process_time``, Spiff's from the child process's CPU time
(``getrusage``) for N instances less that of a run of one (the least of each over the
rounds), per extra instance.
µs/step is wall-clock time per instance divided by the flow nodes one instance completes.
The run ends with one JSON line per model and variant (see the issue for the shape).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conveyor.engine.bpmn import parse_bpmn
from conveyor.engine.bpmn.model import NodeKind
from conveyor.engine.runtime import Handlers, Instance, ModelLibrary

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / ".." / "shared" / "bench"
NOW = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
TARGET_RATIO = 30.0
TARGET_STEP_GROWTH = 1.5


@dataclass(frozen=True, eq=False)
class Case:
    model: str  # file name, as reported
    path: Path
    process: str
    variant: str
    variables: dict[str, Any]


@dataclass
class Result:
    case: Case
    conveyor: float  # instances/s, wall clock
    spiff: float | None
    steps: int  # flow nodes completed by one instance
    conveyor_cpu: float  # instances per CPU second
    spiff_cpu: float | None

    @property
    def ratio(self) -> float | None:
        return self.conveyor / self.spiff if self.spiff else None

    @property
    def cpu_ratio(self) -> float | None:
        return self.conveyor_cpu / self.spiff_cpu if self.spiff_cpu else None

    @property
    def us_per_step(self) -> float:
        return 1e6 / self.conveyor / self.steps


def cases(chain_dir: Path) -> list[Case]:
    order = BENCH / "bench-order.bpmn"
    found = [Case("bench-order.bpmn", order, "order", f"total={t}", {"total": t}) for t in (1500, 500)]
    for steps in (10, 100, 400):
        path = chain_dir / f"chain-{steps}.bpmn"
        with path.open("w", encoding="utf-8") as out:
            subprocess.run(
                [sys.executable, str(BENCH / "make_chain.py"), str(steps), "--every", "10"],
                check=True,
                stdout=out,
            )
        found.append(Case(f"chain-{steps}.bpmn", path, "chain", f"steps={steps}", {}))
    return found


# --- Conveyor -------------------------------------------------------------------------------------


def conveyor_runner(case: Case) -> tuple[Callable[[], int], int]:
    """A function that runs one instance to its end, and how many nodes one instance completes."""
    definitions = parse_bpmn(case.path.read_bytes(), file=case.path.name)
    library = ModelLibrary()
    library.add_definitions(definitions)
    handlers = Handlers()
    for node in definitions.processes[case.process].all_nodes.values():
        if node.kind is NodeKind.SERVICE_TASK:
            handlers.register_for_node(node.id, _no_op)

    def run_one() -> int:
        """Run one instance; return how many history events it produced."""
        instance = Instance.start(library, case.process, case.variables, now=NOW, handlers=handlers)
        events = len(instance.drain_history())
        instance.drain_effects()
        while instance.state == "active":
            waits = [w for w in instance.waits if w.kind == "userTask"]
            if not waits:
                raise SystemExit(f"{case.model} {case.variant}: stuck, waiting on {instance.waits}")
            for wait in waits:
                instance.complete_user_task(wait.id, None, now=NOW)
            events += len(instance.drain_history())
            instance.drain_effects()
        return events

    return run_one, _nodes_completed(library, case, handlers)


def _nodes_completed(library: ModelLibrary, case: Case, handlers: Handlers) -> int:
    instance = Instance.start(library, case.process, case.variables, now=NOW, handlers=handlers)
    history = instance.drain_history()
    while instance.state == "active":
        for wait in [w for w in instance.waits if w.kind == "userTask"]:
            instance.complete_user_task(wait.id, None, now=NOW)
        history += instance.drain_history()
    return sum(1 for event in history if event.kind == "node.completed")


def _no_op(_context: object) -> None:
    return None


def measure(run_one: Callable[[], object], seconds: float) -> tuple[float, float]:
    """Instances/s over one measurement of at least ``seconds``: by the wall clock
    (``perf_counter``, the headline figure) and by this process's CPU time."""
    count, started, cpu = 0, time.perf_counter(), time.process_time()
    while True:
        run_one()
        count += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            break
    return count / elapsed, count / max(time.process_time() - cpu, 1e-9)


# --- SpiffWorkflow --------------------------------------------------------------------------------


CALIBRATION = 2


@dataclass
class SpiffPlan:
    """How to measure one case with spiff_baseline.py, and the best figures so far."""

    n: int  # instances per measurement
    measurements: int  # how many (one when a single instance takes longer than a measurement)
    wall: float = 0.0
    cpu_for_n: float | None = None  # least CPU seconds of a run of N instances
    cpu_for_one: float | None = None  # least CPU seconds of a run of one (start-up, warm-up, 1 instance)

    def add(self, measured: tuple[float, float] | None, baseline: tuple[float, float] | None) -> None:
        if measured is not None:
            self.wall = max(self.wall, measured[0])
            self.cpu_for_n = _least(self.cpu_for_n, measured[1])
        if baseline is not None:
            self.cpu_for_one = _least(self.cpu_for_one, baseline[1])

    def rates(self) -> tuple[float | None, float | None]:
        """Best instances/s by Spiff's own wall clock, and per CPU second: the child's CPU time
        for N instances less that of a run of one (same start-up, parsing and warm-up), per
        extra instance."""
        if self.cpu_for_n is None:
            return None, None
        if self.cpu_for_one is None or self.cpu_for_n <= self.cpu_for_one:
            return self.wall, None
        return self.wall, (self.n - 1) / (self.cpu_for_n - self.cpu_for_one)


def _least(current: float | None, new: float) -> float:
    return new if current is None else min(current, new)


def plan_spiff(case: Case, seconds: float, repeat: int) -> SpiffPlan | None:
    """Calibrate: choose N so that one measurement lasts about ``seconds`` (None if Spiff fails)."""
    calibrated = _spiff(case, CALIBRATION)
    if calibrated is None:
        return None
    rate = calibrated[0]
    n = max(CALIBRATION + 3, round(rate * seconds))
    return SpiffPlan(n, repeat if rate * seconds >= 3 else 1)


def _spiff(case: Case, n: int) -> tuple[float, float] | None:
    """(instances/s as spiff_baseline.py reports it, the child's CPU seconds), or None."""
    command = [sys.executable, str(BENCH / "spiff_baseline.py"), str(case.path), "--process", case.process]
    command += ["-n", str(n)] + [f"--var={k}={json.dumps(v)}" for k, v in case.variables.items()]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        print(f"spiff_baseline.py failed for {case.model} {case.variant}: {done.stderr.strip()[-400:]}",
              file=sys.stderr)
        return None
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return float(json.loads(done.stdout.strip().splitlines()[-1])["instances_per_s"]), cpu


# --- output ---------------------------------------------------------------------------------------


def table(results: list[Result]) -> list[str]:
    lines = [
        "| model | variant | conveyor inst/s | spiff inst/s | ratio | nodes/instance | conveyor µs/step "
        "| CPU: conveyor inst/s | CPU: spiff inst/s | CPU ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.case.model} | {r.case.variant} | {r.conveyor:,.1f} | {_num(r.spiff)} | {_times(r.ratio)} "
            f"| {r.steps} | {r.us_per_step:,.1f} | {r.conveyor_cpu:,.1f} | {_num(r.spiff_cpu)} "
            f"| {_times(r.cpu_ratio)} |"
        )
    return lines


def _num(value: float | None) -> str:
    return f"{value:,.1f}" if value else "n/a"


def _times(value: float | None) -> str:
    return f"{value:,.1f}x" if value else "n/a"


def verdicts(results: list[Result]) -> list[str]:
    """The issue's two targets, judged by the wall clock and, for a shared machine, by CPU time."""
    found = []
    order = [r for r in results if r.case.model == "bench-order.bpmn" and r.ratio]
    if order:
        wall = min(r.ratio or 0.0 for r in order)
        cpu = min((r.cpu_ratio for r in order if r.cpu_ratio), default=None)
        found.append(
            f"- bench-order.bpmn at least {TARGET_RATIO:.0f}x SpiffWorkflow's instances/s: "
            f"{_met(wall >= TARGET_RATIO)} by the wall clock (lowest {wall:.1f}x)"
            + (f", {_met(cpu >= TARGET_RATIO)} by CPU time (lowest {cpu:.1f}x)" if cpu else "")
        )
    chain = {r.case.variant: r for r in results if r.case.model.startswith("chain-")}
    if "steps=10" in chain and "steps=400" in chain:
        short, long = chain["steps=10"], chain["steps=400"]
        wall = long.us_per_step / short.us_per_step
        cpu = (short.conveyor_cpu * short.steps) / (long.conveyor_cpu * long.steps)
        found.append(
            f"- per-step cost on the 400-step chain at most {TARGET_STEP_GROWTH}x the 10-step chain's: "
            f"{_met(wall <= TARGET_STEP_GROWTH)} by the wall clock ({wall:.2f}x), "
            f"{_met(cpu <= TARGET_STEP_GROWTH)} by CPU time ({cpu:.2f}x)"
        )
    return found


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def machine() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {platform.platform()}; nproc {os.cpu_count()}; "
        f"load average {load}; Python {platform.python_version()} ({platform.python_implementation()})"
    )


def json_line(r: Result) -> str:
    line: dict[str, Any] = {
        "model": r.case.model,
        "variant": r.case.variant,
        "conveyor_instances_per_s": round(r.conveyor, 1),
        "spiff_instances_per_s": round(r.spiff, 1) if r.spiff else None,
        "ratio": round(r.ratio, 1) if r.ratio else None,
    }
    if r.case.model.startswith("chain-"):
        line["conveyor_us_per_step"] = round(r.us_per_step, 2)
    return json.dumps(line)


BEGIN, END = "<!-- engine_vs_spiff: begin -->", "<!-- engine_vs_spiff: end -->"


def write_page(path: Path, results: list[Result], args: argparse.Namespace) -> None:
    """Replace the marked results block of the page (the rest is prose kept as it is)."""
    block = [
        BEGIN,
        f"Run: {machine()}; SpiffWorkflow 3.2.0; best of {args.repeat} measurements of at least "
        f"{args.seconds:g} s each; in memory, no persistence. Written by "
        "`benchmarks/engine_vs_spiff.py --write docs/benchmarks.md`.",
        "",
        *table(results),
        "",
        "Targets:",
        "",
        *verdicts(results),
        END,
    ]
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
    else:
        before, after = "# Benchmarks\n\n## Engine against SpiffWorkflow (in memory)\n\n", "\n"
    path.write_text(before + "\n".join(block) + after, encoding="utf-8")


def run_all(found: list[Case], args: argparse.Namespace) -> list[Result]:
    """Measure every case ``--repeat`` times, in rounds over all cases, so that a burst of
    load from elsewhere spoils one round of a case rather than all its measurements."""
    runners = {case: conveyor_runner(case) for case in found}
    plans = {case: None if args.no_spiff else plan_spiff(case, args.seconds, args.repeat) for case in found}
    ours = dict.fromkeys(found, (0.0, 0.0))
    for round_number in range(args.repeat):
        for case in found:
            wall, cpu = measure(runners[case][0], args.seconds)
            ours[case] = (max(ours[case][0], wall), max(ours[case][1], cpu))
            plan = plans[case]
            if plan is not None and round_number < plan.measurements:
                plan.add(_spiff(case, plan.n), _spiff(case, 1))
        print(f"round {round_number + 1} of {args.repeat} measured", file=sys.stderr)
    results = []
    for case in found:
        plan = plans[case]
        theirs, theirs_cpu = plan.rates() if plan is not None else (None, None)
        results.append(Result(case, ours[case][0], theirs, runners[case][1], ours[case][1], theirs_cpu))
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=1.0, help="minimum length of one measurement")
    ap.add_argument("--repeat", type=int, default=3, help="measurements per figure (the best counts)")
    ap.add_argument("--no-spiff", action="store_true", help="measure Conveyor only")
    ap.add_argument("--write", type=Path, help="also write the results page (docs/benchmarks.md)")
    args = ap.parse_args()
    if not BENCH.is_dir():
        print(f"error: {BENCH} not found (the workspace's shared benchmark folder)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as chain_dir:
        results = run_all(cases(Path(chain_dir)), args)
    print(machine())
    print("\n".join(table(results)))
    print("\n".join(verdicts(results)))
    if args.write:
        write_page(args.write, results, args)
    for result in results:
        print(json_line(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
