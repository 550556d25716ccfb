#!/usr/bin/env python3
"""Orders per second: ``POST /orders`` over HTTP to pick list created, bulk placement, import, commit ceiling.

    .venv/bin/python benchmarks/orders.py [-n 300] [--bulk 500] [--clients 8] [--postgres URL] [--profile]
        [--batched 5000] [--batch-size 500] [--http-workers 2] [--import-orders 20000]

Per database (a fresh SQLite file; with ``--postgres URL`` or
``CONVEYOR_TEST_POSTGRES_URL`` also a fresh PostgreSQL schema), in one run:

- ``commit ceiling``: the database's raw rate of small write transactions
  (one INSERT + COMMIT each, through the same SQLAlchemy engine): no order
  path can beat it, since each order is at least one such transaction;
- ``http``: the API on a real uvicorn server on loopback, ``--clients``
  threads posting authenticated orders; each request returns once the
  bundled ``order-fulfillment`` process has verified payment, reserved stock
  and created the pick list (checked after the run: one open pick list per
  order);
- ``bulk``: the single placement path (``orders.place_order``) in a loop in
  one thread, one transaction per order;
- ``bulk batched``: ``order_batch.place_orders`` in batches of
  ``--batch-size`` (what ``conveyor orders import`` and the API's group
  commit use), with the CPU milliseconds per order;
- ``http workers``: with ``--http-workers N`` (N > 1) the API also runs as N
  uvicorn worker processes (``uvicorn --workers N``) and is measured the same
  way;
- ``import``: ``conveyor orders import`` of ``--import-orders`` generated
  orders (a JSONL file) in a child process: orders placed per second and the
  child's peak resident memory, next to the peak of an import a tenth the
  size (flat memory: the two peaks are close).

Prints a table, then one JSON line per measurement. ``--profile`` prints the
top functions of the bulk run (cProfile) to show where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import create_engine, text

from conveyor.bootstrap import Runtime, build_runtime, initialize
from conveyor.config import Settings
from conveyor.domain.auth import Role
from conveyor.entrypoints.api import create_app
from conveyor.services import api_tokens, inventory, order_batch, orders
from conveyor.services.workflow import workflow_for

SKUS = ("TEE-BLK-M", "MUG-STONE", "SPEAKER-MINI")


def draft(n: int, prefix: str) -> dict[str, Any]:
    return {
        "channel": "web",
        "external_id": f"{prefix}-{n}",
        "currency": "EUR",
        "customer": {"name": f"Bench customer {n}"},
        "shipping_address": {
            "name": "Bench",
            "line1": "Alexanderplatz 1",
            "city": "Berlin",
            "country": "DE",
            "coordinates": {"lat": 52.52, "lon": 13.41},
        },
        "lines": [{"sku": SKUS[n % len(SKUS)], "quantity": 1}],
        "payment_token": "tok_visa",
    }


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


@contextmanager
def postgres_url(base: str) -> Iterator[str]:
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield admin.url.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def prepare(url: str) -> tuple[Runtime, str]:
    runtime = build_runtime(Settings(database_url=url, log_level="WARNING", log_format="json"))
    initialize(runtime)  # schema, default configuration, bundled processes
    for warehouse in ("BER-1", "LYS-1"):
        for sku in SKUS:
            inventory.receive_stock(runtime.unit_of_work(), warehouse=warehouse, sku=sku, quantity=1_000_000)
    token = api_tokens.issue_token(runtime.unit_of_work(), name="bench", role=Role.INTEGRATION)
    return runtime, token.secret


def commit_ceiling(runtime: Runtime, seconds: float = 1.5) -> float:
    with runtime.engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_commit (at TEXT)"))
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        with runtime.engine.begin() as connection:
            connection.execute(text("INSERT INTO bench_commit (at) VALUES (:at)"), {"at": str(time.time())})
        done += 1
    rate = done / (time.perf_counter() - started)
    with runtime.engine.begin() as connection:
        connection.execute(text("DROP TABLE bench_commit"))
    return rate


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_rate(runtime: Runtime, secret: str, count: int, clients: int, prefix: str = "HTTP") -> float:
    port = _free_port()
    config = uvicorn.Config(
        create_app(runtime.settings, runtime=runtime),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    base, headers = f"http://127.0.0.1:{port}/api/v1/orders", {"Authorization": f"Bearer {secret}"}
    local = threading.local()

    def post(n: int) -> int:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=300)
        return client.post(base, json=draft(n, prefix), headers=headers).status_code

    post(-1)  # warm up: model cache, geocoder, connections
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        statuses = list(pool.map(post, range(count)))
    elapsed = time.perf_counter() - started
    server.should_exit = True
    thread.join(timeout=30)
    failed = [s for s in statuses if s != 201]
    if failed:
        raise SystemExit(f"{len(failed)} of {count} orders failed over HTTP (statuses {sorted(set(failed))})")
    return count / elapsed


def bulk_rate(runtime: Runtime, count: int, profile: bool) -> tuple[float, float]:
    """Orders per second (wall clock), and CPU milliseconds per order (what a busy machine does not hide)."""
    workflow = workflow_for(runtime)
    orders.place_order(runtime.unit_of_work, workflow, channel="web", draft=_no_channel(draft(-1, "BULK")))
    profiler = cProfile.Profile() if profile else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    for n in range(count):
        orders.place_order(runtime.unit_of_work, workflow, channel="web", draft=_no_channel(draft(n, "BULK")))
    if profiler:
        profiler.disable()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if profiler:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(15)
    return count / elapsed, 1000 * cpu / count


def _no_channel(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "channel"}


def batched_rate(
    runtime: Runtime, count: int, batch_size: int, profile: bool
) -> tuple[float, float, dict[str, int]]:
    """``place_orders`` in batches: orders per second and CPU milliseconds per order."""
    workflow = workflow_for(runtime)
    warm = [order_batch.OrderRequest("web", _no_channel(draft(n, "WARM"))) for n in range(10)]
    order_batch.place_orders(runtime.unit_of_work, workflow, warm)
    stats = order_batch.BatchStats()
    profiler = cProfile.Profile() if profile else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    for start in range(0, count, batch_size):
        requests = [
            order_batch.OrderRequest("web", _no_channel(draft(n, "BATCH")))
            for n in range(start, min(start + batch_size, count))
        ]
        order_batch.place_orders(runtime.unit_of_work, workflow, requests, stats=stats)
    if profiler:
        profiler.disable()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if profiler:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(20)
    return count / elapsed, 1000 * cpu / count, {"batched": stats.batched, "single": stats.single}


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children still running, from /proc."""
    total = 0.0
    for each in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def http_workers_rate(
    url: str, secret: str, count: int, clients: int, workers: int, prefix: str = ""
) -> tuple[float, float]:
    """The API as ``workers`` uvicorn processes (``uvicorn --workers``), posting like ``http_rate``:
    orders per second, and the server's CPU milliseconds per request (all its processes)."""
    port = _free_port()
    environment = {**os.environ, "CONVEYOR_DATABASE_URL": url, "CONVEYOR_LOG_LEVEL": "WARNING"}
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "conveyor.entrypoints.api:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=environment)
    try:
        base, headers = f"http://127.0.0.1:{port}/api/v1/orders", {"Authorization": f"Bearer {secret}"}
        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        local = threading.local()

        def post(n: int) -> int:
            client = getattr(local, "client", None)
            if client is None:
                client = local.client = httpx.Client(timeout=300)
            return client.post(base, json=draft(n, prefix or f"HTTPW{workers}"), headers=headers).status_code

        with ThreadPoolExecutor(max_workers=clients) as pool:
            list(pool.map(post, range(-clients, 0)))  # warm every worker up
            cpu, started = _cpu_seconds(server.pid), time.perf_counter()
            statuses = list(pool.map(post, range(count)))
            elapsed, cpu = time.perf_counter() - started, _cpu_seconds(server.pid) - cpu
    finally:
        server.terminate()
        server.wait(timeout=60)
    failed = [s for s in statuses if s != 201]
    if failed:
        raise SystemExit(f"{len(failed)} of {count} orders failed over HTTP (statuses {sorted(set(failed))})")
    return count / elapsed, 1000 * cpu / count


def write_import_file(path: Path, count: int, prefix: str) -> None:
    with path.open("w", encoding="utf-8") as stream:
        for n in range(count):
            body = _no_channel(draft(n, prefix))
            stream.write(json.dumps(body, separators=(",", ":")) + "\n")


def _peak_kib(pid: int) -> int:
    """The process's peak resident memory (``VmHWM``, kept per address space: an exec starts afresh;
    ``ru_maxrss`` would include the parent's size at fork)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _watch_peak_memory(child: subprocess.Popen[bytes]) -> tuple[int, int]:
    """Poll the import and its workers until it exits: (its peak KiB, the largest worker's peak KiB)."""
    own = workers = 0
    while child.poll() is None:
        own = max(own, _peak_kib(child.pid))
        for worker in _children(child.pid):
            workers = max(workers, _peak_kib(worker))
        time.sleep(0.2)
    return own, workers


def import_run(url: str, count: int, batch_size: int, prefix: str, jobs: int = 1) -> dict[str, Any]:
    """``conveyor orders import`` of ``count`` generated orders in a child process: rate and peak RSS."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{prefix}.jsonl"
        write_import_file(path, count, prefix)
        environment = {**os.environ, "CONVEYOR_DATABASE_URL": url, "CONVEYOR_LOG_LEVEL": "WARNING"}
        command = [
            sys.executable, "-c", "from conveyor.entrypoints.cli import main; main()",
            "orders", "import", str(path), "--channel", "web", "--no-progress",
            "--batch-size", str(batch_size), "--jobs", str(jobs),
        ]  # fmt: skip
        out, err = Path(folder) / "out.txt", Path(folder) / "err.txt"
        with out.open("w") as stdout, err.open("w") as stderr:
            child = subprocess.Popen(command, env=environment, stdout=stdout, stderr=stderr)
            peaks = _watch_peak_memory(child)
        if child.returncode != 0:
            raise SystemExit(f"import failed ({child.returncode}): {err.read_text()[-2000:]}")
        summary = json.loads(out.read_text().strip().splitlines()[-1])
        file_mib = path.stat().st_size / 2**20
    return {
        "orders": count,
        "jobs": jobs,
        "placed": summary["placed"],
        "per_second": summary["orders_per_second"],
        "file_mib": round(file_mib, 1),
        # VmHWM (peak resident memory) of the import process and of its largest --jobs worker
        "peak_rss_mib": round(peaks[0] / 1024, 1),
        "worker_peak_rss_mib": round(peaks[1] / 1024, 1) if peaks[1] else None,
    }


def check_pick_lists(runtime: Runtime) -> tuple[int, int]:
    with runtime.engine.connect() as connection:
        placed = connection.execute(text("SELECT COUNT(*) FROM orders")).scalar_one()
        listed = connection.execute(text("SELECT COUNT(DISTINCT order_id) FROM pick_lists")).scalar_one()
    return int(placed), int(listed)


def run(database: str, url: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    runtime, secret = prepare(url)
    extra: list[dict[str, Any]] = []
    try:
        if args.http_only:
            return http_only(database, url, runtime, secret, args)
        ceiling = commit_ceiling(runtime)
        http = http_rate(runtime, secret, args.n, args.clients)
        bulk, cpu_ms = bulk_rate(runtime, args.bulk, args.profile)
        batched, batched_cpu, paths = batched_rate(runtime, args.batched, args.batch_size, args.profile)
        extra.append({
            "database": database, "measure": f"bulk batched ({args.batch_size}/tx)",
            "per_second": round(batched, 1), "orders": args.batched,
            "cpu_ms_per_order": round(batched_cpu, 3), **paths,
        })  # fmt: skip
        if args.http_workers > 0:
            rate, server_cpu = http_workers_rate(url, secret, args.n, args.clients, args.http_workers)
            extra.append({
                "database": database, "measure": f"http, {args.http_workers} uvicorn worker(s)",
                "per_second": round(rate, 1), "orders": args.n, "clients": args.clients,
                "server_cpu_ms_per_request": round(server_cpu, 2),
            })  # fmt: skip
        if args.import_orders:
            small = import_run(
                url, max(1, args.import_orders // 10), args.batch_size, "IMPSMALL", args.import_jobs
            )
            large = import_run(url, args.import_orders, args.batch_size, "IMPLARGE", args.import_jobs)
            for found in (small, large):
                measure = f"import {found['orders']} (jsonl, --jobs {found['jobs']})"
                extra.append({"database": database, "measure": measure, **found})
        placed, listed = check_pick_lists(runtime)
    finally:
        runtime.close()
    if placed != listed:
        raise SystemExit(f"{database}: {placed} orders but only {listed} have a pick list")
    return [
        *extra,
        {"database": database, "measure": "commit ceiling", "per_second": round(ceiling, 1)},
        {
            "database": database,
            "measure": "http POST /orders -> pick list",
            "per_second": round(http, 1),
            "orders": args.n,
            "clients": args.clients,
        },
        {
            "database": database,
            "measure": "bulk place_order",
            "per_second": round(bulk, 1),
            "orders": args.bulk,
            "cpu_ms_per_order": round(cpu_ms, 2),
        },
    ]


def http_only(
    database: str, url: str, runtime: Runtime, secret: str, args: argparse.Namespace
) -> list[dict[str, Any]]:
    """``--http-only``: the HTTP figures alone (server in this process, then a separate uvicorn
    process with its CPU per request), ``--repeat`` times each; then every order must have its pick list."""
    rows: list[dict[str, Any]] = []
    for run in range(args.repeat):
        rate = http_rate(runtime, secret, args.n, args.clients, prefix=f"HTTP{run}")
        rows.append({
            "database": database, "measure": "http POST /orders -> pick list", "per_second": round(rate, 1),
            "orders": args.n, "clients": args.clients, "load": round(os.getloadavg()[0], 2),
        })  # fmt: skip
    for run in range(args.repeat):
        workers = max(1, args.http_workers)
        rate, server_cpu = http_workers_rate(url, secret, args.n, args.clients, workers, prefix=f"HTTPW{run}")
        rows.append({
            "database": database, "measure": f"http, {workers} uvicorn worker(s)",
            "per_second": round(rate, 1), "orders": args.n, "clients": args.clients,
            "server_cpu_ms_per_request": round(server_cpu, 2), "load": round(os.getloadavg()[0], 2),
        })  # fmt: skip
    placed, listed = check_pick_lists(runtime)
    if placed != listed:
        raise SystemExit(f"{database}: {placed} orders but only {listed} have a pick list")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=300, help="orders over HTTP")
    parser.add_argument("--bulk", type=int, default=500, help="orders through the service layer")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("CONVEYOR_TEST_POSTGRES_URL"),
        help="also run on PostgreSQL (a fresh schema of this database)",
    )
    parser.add_argument("--profile", action="store_true", help="print where the bulk run spends its time")
    parser.add_argument("--batched", type=int, default=5000, help="orders through place_orders (batched)")
    parser.add_argument("--batch-size", type=int, default=500, help="orders per batch (bulk batched, import)")
    parser.add_argument(
        "--http-workers",
        type=int,
        default=0,
        help="also measure the API as N uvicorn worker processes (with the server's CPU per request)",
    )
    parser.add_argument(
        "--http-only", action="store_true", help="only the HTTP figures (in-process and a uvicorn process)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="with --http-only: runs of each HTTP measure")
    parser.add_argument(
        "--import-orders",
        type=int,
        default=20000,
        help="orders in the import run (0: skip; 100000: the target)",
    )
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL even if a URL is set")
    parser.add_argument("--postgres-only", action="store_true", help="skip SQLite (needs --postgres)")
    parser.add_argument("--import-jobs", type=int, default=1, help="conveyor orders import --jobs")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    if not args.postgres_only:
        with sqlite_url() as url:
            results += run("sqlite", url, args)
    if args.postgres and not args.sqlite_only:
        with postgres_url(args.postgres) as url:
            results += run("postgresql", url, args)
    print(f"{'database':<12} {'measure':<40} {'per second':>12}")
    for row in results:
        print(f"{row['database']:<12} {row['measure']:<40} {row['per_second']:>12.1f}")
    print(f"(load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    for row in results:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
