"""A worker process for the multi-process tests: ``python worker_process.py URL [--concurrency N]``.

Its handlers record every run in ``handler_runs`` (unique on instance and node,
so a job run twice cannot go unnoticed); ``slow`` sleeps so the test can kill
the process while it holds claimed jobs. It stops cleanly on SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from sqlalchemy import text

from conveyor.adapters.db.engine import build_engine, build_session_factory
from conveyor.engine.runtime import HandlerContext
from conveyor.services.unit_of_work import SqlUnitOfWork
from conveyor.services.workers import WorkerPool, run_until_signalled
from conveyor.services.workflow import HandlerRegistry, Workflow, WorkflowSettings


def record(context: HandlerContext, uow: SqlUnitOfWork) -> dict[str, Any]:
    uow.session.execute(
        text("INSERT INTO handler_runs (instance_id, node_id, worker) VALUES (:i, :n, :w)"),
        {"i": context.instance_id, "n": context.node_id, "w": str(os.getpid())},
    )
    return {context.node_id: "done"}


def slow(context: HandlerContext, uow: SqlUnitOfWork) -> dict[str, Any]:
    time.sleep(120)
    return record(context, uow)


def registry() -> HandlerRegistry:
    handlers = HandlerRegistry()
    handlers.register("branch", record, async_=True)
    handlers.register("after_join", record)
    handlers.register("slow", slow, async_=True)
    return handlers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--lock-seconds", type=float, default=300)
    args = parser.parse_args()
    engine = build_engine(args.url)
    settings = WorkflowSettings(job_lock_seconds=args.lock_seconds, poll_seconds=0.05, job_batch=10)
    workflow = Workflow(build_session_factory(engine), settings=settings, registry=registry())
    run_until_signalled(WorkerPool(workflow, args.concurrency))
    engine.dispose()


if __name__ == "__main__":
    main()
