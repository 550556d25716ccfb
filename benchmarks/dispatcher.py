"""Event dispatcher throughput: webhook deliveries to a loopback receiver, and events routed to processes.

    .venv/bin/python benchmarks/dispatcher.py                      # SQLite in a temporary folder
    .venv/bin/python benchmarks/dispatcher.py --events 2000 --url postgresql+psycopg://postgres@127.0.0.1/bench

1. Webhooks: one subscription (``order.*``) to an ``http.server`` on 127.0.0.1 that
   answers 200; N ``order.created`` events over N/10 subjects are committed, then one
   dispatcher runs until every delivery succeeded. Reports deliveries/s (intake,
   claim, signed POST, attempt log, per-subject ordering checks included).
2. Processes: a model whose message start event is ``order.created`` (start -> end)
   is deployed and N ``order.created`` events are routed, one instance each: the cost
   of routing, the processed-event record and starting and ending an instance. Reports
   events/s. (The bundled processes add their handlers' work, which the order
   benchmarks measure.)

Figures go to docs/benchmarks.md by hand (machine and date); nothing here is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import text

from conveyor.adapters.db import schema
from conveyor.bootstrap import build_runtime
from conveyor.config import load_settings
from conveyor.services import webhooks
from conveyor.services.dispatcher import Dispatcher
from conveyor.services.dispatcher import dispatch_to_processes as route
from conveyor.services.webhooks import DeliverySettings
from conveyor.services.workflow import workflow_for

ON_ORDER = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="b" targetNamespace="t">
  <bpmn:message id="m" name="order.created"/>
  <bpmn:process id="bench-on-order" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
    <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/>
    <bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>
"""


class Ok(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def record(runtime: Any, count: int, prefix: str) -> None:
    batch = 500
    for start in range(0, count, batch):
        with runtime.unit_of_work() as uow:
            for n in range(start, min(start + batch, count)):
                uow.record({"type": "order.created", "order_id": f"{prefix}-{n // 10}", "n": n})
            uow.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--url", default=None, help="database URL (default: a new SQLite file)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="parallel POSTs (1 by default: the receiver runs in this process and shares its GIL)",
    )
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    url = args.url or f"sqlite:///{Path(folder) / 'bench.db'}"
    runtime = build_runtime(load_settings(database_url=url, log_level="WARNING"))
    schema.upgrade(runtime.engine)  # no bundled processes: only the benchmark's model is deployed
    settings = DeliverySettings(
        webhook_allow_loopback=True,
        webhook_batch=100,
        dispatch_batch=500,
        webhook_concurrency=args.concurrency,
    )

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    webhooks.create_subscription(
        runtime.unit_of_work(), url=f"http://{host!s}:{port}/", event_types=["order.*"], settings=settings
    )
    workflow = workflow_for(runtime)
    dispatcher = Dispatcher(workflow, settings=settings)

    # 1. webhooks alone: no bundled process deployed yet, so routing skips every event
    record(runtime, args.events, "W")
    started = time.perf_counter()
    while dispatcher.take_in(workflow.clock()) + dispatcher.send_due(workflow.clock()):
        pass
    elapsed = time.perf_counter() - started
    with runtime.engine.connect() as connection:
        done = connection.execute(text("SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'"))
        delivered = int(done.scalar_one())
    print(
        f"webhooks: {delivered} deliveries in {elapsed:.2f}s = {delivered / elapsed:.0f}/s "
        f"({url.split(':')[0]})"
    )

    # 2. processes: a one-step model started by each order.created
    workflow.deploy(ON_ORDER, file_name="bench-on-order.bpmn")
    while route(workflow, settings) > 0:  # the events of part 1 (now routed too)
        pass
    with runtime.engine.connect() as connection:
        before = int(connection.execute(text("SELECT count(*) FROM process_instances")).scalar_one())
    record(runtime, args.events, "P")
    started = time.perf_counter()
    routed = 0
    while (step := route(workflow, settings)) > 0:
        routed += step
    elapsed = time.perf_counter() - started
    with runtime.engine.connect() as connection:
        after = int(connection.execute(text("SELECT count(*) FROM process_instances")).scalar_one())
    print(
        f"processes: {args.events} order.created in {elapsed:.2f}s = {args.events / elapsed:.0f}/s "
        f"({routed} outbox events passed, {(after - before) / elapsed:.0f} instances started/s)"
    )
    server.shutdown()
    runtime.close()


if __name__ == "__main__":
    main()
