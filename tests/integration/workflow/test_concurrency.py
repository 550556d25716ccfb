"""Concurrency: parallel branches completed by concurrent workers join once; a stale write is refused;
a killed worker's jobs are finished by another exactly once; SIGTERM stops a worker cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from worker_process import registry as process_registry
from workflow_helpers import Clock
from workflow_models import bpmn, flaky_service, parallel_jobs, race

from conveyor.adapters.workflow.instances import InstanceStore, StaleInstance
from conveyor.bootstrap import Runtime
from conveyor.engine.errors import NotWaiting
from conveyor.errors import Conflict as ConflictError
from conveyor.errors import NotFound
from conveyor.services.workers import Worker
from conveyor.services.workflow import Workflow, WorkflowSettings, queries

HERE = Path(__file__).parent
HANDLER_RUNS = (
    "CREATE TABLE IF NOT EXISTS handler_runs "
    "(instance_id VARCHAR(100) NOT NULL, node_id VARCHAR(200) NOT NULL, "
    "worker VARCHAR(50), UNIQUE (instance_id, node_id))"
)


def _create_handler_runs(runtime: Runtime) -> None:
    with runtime.engine.begin() as connection:
        connection.execute(text(HANDLER_RUNS))
        connection.execute(text("DELETE FROM handler_runs"))  # a PostgreSQL schema may be reused


@pytest.fixture
def recording(migrated_runtime: Runtime, clock: Clock) -> Iterator[Workflow]:
    """A workflow whose handlers record each run in ``handler_runs`` (unique per instance and node).

    The table is dropped afterwards: a PostgreSQL test schema may be reused by later tests, and
    must stay exactly the migrated schema for the migration tests."""
    _create_handler_runs(migrated_runtime)
    settings = WorkflowSettings(job_lock_seconds=2, retry_backoff_seconds=0)
    registry = process_registry()
    yield Workflow(migrated_runtime.session_factory, settings=settings, registry=registry, clock=clock)
    with migrated_runtime.engine.begin() as connection:
        connection.execute(text("DROP TABLE handler_runs"))


def _start_many(workflow: Workflow, process: str, count: int) -> list[str]:
    return workflow.transaction(lambda ctx: [workflow.start_in(ctx, process).id for _ in range(count)])


def test_two_workers_completing_parallel_branches_at_once_join_exactly_once(
    recording: Workflow, clock: Clock, sql: Callable[..., list[Any]]
) -> None:
    recording.deploy(parallel_jobs().replace("PT0.01S", "PT0S"))
    ids = _start_many(recording, "parallel", 10)
    workers = [Worker(recording, name=f"w{n}") for n in range(2)]
    clock.advance(seconds=1)

    def work(worker: Worker) -> None:
        for _ in range(40):
            if worker.run_once(clock.now, limit=1) == 0 and worker.run_once(clock.now, limit=1) == 0:
                return

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sql("SELECT count(*) FROM process_instances WHERE state = 'completed'")[0][0] == len(ids)
    assert sql("SELECT count(*) FROM handler_runs WHERE node_id = 'ship'")[0][0] == len(ids)
    joins = sql(
        "SELECT count(*) FROM workflow_history_entries WHERE event = 'node.completed' AND node_id = 'join'"
    )
    assert joins[0][0] == len(ids)


def test_a_step_on_a_stale_revision_is_refused(workflow: Workflow) -> None:
    workflow.deploy(flaky_service())
    started = workflow.start("flaky")
    with workflow.session_factory() as session:
        stale = InstanceStore(session).load(started.id, lock=False)
    assert stale is not None
    workflow.set_variables(started.id, {"note": "changed meanwhile"})
    with workflow.session_factory() as session, pytest.raises(StaleInstance):
        InstanceStore(session).save(stale, variables={}, now=workflow.clock(), ended=False)


def _slow_model() -> str:
    return bpmn(
        """<bpmn:process id="slow" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:serviceTask id="work" conveyor:handler="slow"/>
  <bpmn:endEvent id="end"/>
  <bpmn:sequenceFlow id="a" sourceRef="start" targetRef="work"/>
  <bpmn:sequenceFlow id="b" sourceRef="work" targetRef="end"/>
</bpmn:process>
"""
    )


def _spawn(database_url: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen(
        [sys.executable, str(HERE / "worker_process.py"), database_url, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_for(condition: Callable[[], bool], what: str, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def test_a_killed_workers_jobs_are_finished_by_another_exactly_once_after_lock_expiry(
    recording: Workflow, migrated_runtime: Runtime, sql: Callable[..., list[Any]]
) -> None:
    recording.deploy(_slow_model())
    ids = _start_many(recording, "slow", 4)
    process = _spawn(migrated_runtime.settings.database_url, "--concurrency", "1", "--lock-seconds", "30")
    try:
        _wait_for(
            lambda: sql("SELECT count(*) FROM jobs WHERE lock_owner IS NOT NULL")[0][0] == 4, "claimed jobs"
        )
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    survivor = Worker(recording, name="survivor")
    survivor.workflow.registry.register("slow", process_registry().get("branch").handler, async_=True)  # type: ignore[union-attr]
    # the dead worker's locks run on the wall clock, like every real worker's
    assert survivor.run_once(datetime.now(UTC), limit=10) == 0  # still locked by the dead worker
    after_expiry = datetime.now(UTC) + timedelta(hours=1)
    assert survivor.run_once(after_expiry, limit=10) == 4
    assert sql("SELECT count(*) FROM handler_runs")[0][0] == 4
    assert {r[0] for r in sql("SELECT DISTINCT worker FROM handler_runs")} == {str(os.getpid())}
    assert sql("SELECT count(*) FROM process_instances WHERE state = 'completed'")[0][0] == len(ids)


def test_sigterm_stops_a_worker_that_exits_cleanly_and_releases_nothing_half_done(
    recording: Workflow, migrated_runtime: Runtime, sql: Callable[..., list[Any]]
) -> None:
    recording.deploy(parallel_jobs().replace("PT0.01S", "PT0S"))
    process = _spawn(migrated_runtime.settings.database_url, "--concurrency", "2")
    ids = _start_many(recording, "parallel", 20)
    try:
        _wait_for(
            lambda: sql("SELECT count(*) FROM process_instances WHERE state = 'completed'")[0][0] == len(ids),
            "instances completed by the worker process",
        )
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    assert code == 0, process.stderr.read().decode() if process.stderr else ""
    assert sql("SELECT count(*) FROM jobs WHERE lock_owner IS NOT NULL")[0][0] == 0
    assert sql("SELECT count(*) FROM handler_runs")[0][0] == 3 * len(ids)
    with recording.session_factory() as session:
        assert queries.list_incidents(session) == []


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_three_worker_processes_drain_two_thousand_instances_each_exactly_once(
    recording: Workflow, migrated_runtime: Runtime, sql: Callable[..., list[Any]]
) -> None:
    if migrated_runtime.settings.is_sqlite:
        pytest.skip("many worker processes share one PostgreSQL; SQLite has a single writer")
    count = 2000
    recording.deploy(parallel_jobs())
    processes = [_spawn(migrated_runtime.settings.database_url, "--concurrency", "2") for _ in range(3)]
    try:
        for _ in range(count // 200):
            _start_many(recording, "parallel", 200)
        _wait_for(
            lambda: sql("SELECT count(*) FROM process_instances WHERE state = 'completed'")[0][0] == count,
            "every instance to complete",
            limit=800,
        )
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(timeout=60) for process in processes]
    assert codes == [0, 0, 0]
    assert sql("SELECT count(*) FROM handler_runs")[0][0] == 3 * count  # unique (instance, node): none twice
    assert sql("SELECT count(DISTINCT worker) FROM handler_runs WHERE node_id = 'pick'")[0][0] == 3
    joins = sql(
        "SELECT count(*) FROM workflow_history_entries WHERE event = 'node.completed' AND node_id = 'join'"
    )
    assert joins[0][0] == count
    assert sql("SELECT count(*) FROM jobs")[0][0] == 0
    assert sql("SELECT count(*) FROM incidents")[0][0] == 0


def test_a_message_and_a_timer_racing_on_an_event_based_gateway_take_exactly_one_path(
    workflow: Workflow, clock: Clock, sql: Callable[..., list[Any]]
) -> None:
    workflow.deploy(race())
    ids = [workflow.start("race", {"order_id": f"R-{n}"}).id for n in range(6)]
    clock.advance(hours=2)  # every timer is due: each instance has a timer job and a message racing
    timer_worker = Worker(workflow, name="timers")
    start = threading.Barrier(2)
    refused: list[str] = []

    def fire_timers() -> None:
        start.wait()
        while timer_worker.run_once(clock.now, limit=1):
            pass

    def send_messages() -> None:
        start.wait()
        for n in range(6):
            try:
                workflow.correlate("delivered", f"R-{n}", buffer=False)
            except (NotFound, ConflictError, NotWaiting) as err:
                refused.append(type(err).__name__)
            except Exception as err:
                refused.append(f"unexpected {type(err).__name__}: {err}")

    threads = [threading.Thread(target=fire_timers), threading.Thread(target=send_messages)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ends = sql(
        "SELECT instance_id, node_id FROM workflow_history_entries WHERE event = 'node.completed' "
        "AND node_id IN ('delivered_end', 'timeout_end')"
    )
    assert sorted(i for i, _ in ends) == sorted(ids)  # every instance took one path, none took two
    by_message = sum(1 for _, node in ends if node == "delivered_end")
    assert not [r for r in refused if r.startswith("unexpected")], refused
    assert by_message + len(refused) == 6  # every message either won or was refused
    assert sql("SELECT count(*) FROM jobs")[0][0] == 0
