#!/usr/bin/env python3
"""Platform orders per second through the channel connector, and the mapper alone.

    .venv/bin/python benchmarks/channel_orders.py [-n 300] [--postgres URL]

Per database (a fresh SQLite file; with ``--postgres URL`` also a fresh
PostgreSQL schema):

- ``map``: the Shopify mapper alone on the sample ``order.json`` (pure
  Python, no database), mappings per second;
- ``deliver``: ``services.channel_orders.receive_order`` in one thread for
  ``-n`` distinct Shopify orders (each a copy of the sample with its own id):
  signature check, parse, map, SKU resolution, ``place_order`` (the order and
  its ``order-fulfillment`` process up to the pick list or the quality check)
  and the delivery record, one order at a time;
- ``redeliver``: the same ``-n`` bodies again (each answered with the order
  placed before).

Reads the sample from ``../shared/conformance/payloads/shopify/order.json``.
Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import hmac
import json
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, text

from conveyor.bootstrap import build_runtime, initialize
from conveyor.config import Settings
from conveyor.domain.channel_mappers import map_payload
from conveyor.services import channel_orders, configuration
from conveyor.services.workflow import workflow_for

SAMPLE = (
    Path(__file__).resolve().parents[2] / "shared" / "conformance" / "payloads" / "shopify" / "order.json"
)
SECRET = "bench-secret"
CHANNEL = {
    "code": "shopify-bench", "name": "Shopify bench", "currency": "USD",
    "connector": {"platform": "shopify", "secret_env": "BENCH_SHOPIFY_SECRET"},
}  # fmt: skip
MAPPINGS = {"IPOD2008GREEN": "TEE-BLK-M", "IPOD2008RED": "TEE-BLK-L", "IPOD2008BLACK": "HOODIE-GRY-M"}


def _bodies(n: int) -> list[bytes]:
    sample = json.loads(SAMPLE.read_text())
    bodies = []
    for index in range(n):
        order = copy.deepcopy(sample)
        order["order"]["id"] = 10_000_000 + index
        bodies.append(json.dumps(order).encode())
    return bodies


def _sign(body: bytes) -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
    return {"x-shopify-hmac-sha256": base64.b64encode(digest).decode()}


def bench_map(rounds: int = 2000) -> dict[str, object]:
    payload = json.loads(SAMPLE.read_text(), parse_float=Decimal)
    started = time.perf_counter()
    for _ in range(rounds):
        map_payload("shopify", payload)
    elapsed = time.perf_counter() - started
    return {"measure": "map", "platform": "shopify", "n": rounds, "per_second": round(rounds / elapsed)}


def bench_deliver(url: str, kind: str, n: int) -> list[dict[str, object]]:
    runtime = build_runtime(Settings(database_url=url, log_level="WARNING", log_format="json"))
    initialize(runtime)
    configuration.apply_configuration(runtime.unit_of_work(), {"channels": [CHANNEL]})
    for key, sku in MAPPINGS.items():
        channel_orders.save_mapping(runtime.unit_of_work(), "shopify-bench", key, sku)
    workflow = workflow_for(runtime)
    bodies = _bodies(n)
    env = {"BENCH_SHOPIFY_SECRET": SECRET}
    results = []
    for measure, expected in (("deliver", "created"), ("redeliver", "existing")):
        started = time.perf_counter()
        for body in bodies:
            delivery = channel_orders.receive_order(
                runtime.unit_of_work,
                workflow,
                channel_code="shopify-bench",
                body=body,
                headers=_sign(body),
                env=env,
            )
            assert delivery.outcome == expected, delivery
        elapsed = time.perf_counter() - started
        results.append({"measure": measure, "database": kind, "n": n, "per_second": round(n / elapsed, 1),
                        "ms_per_order": round(1000 * elapsed / n, 2)})  # fmt: skip
    runtime.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=300, help="platform orders per run")
    parser.add_argument("--postgres", help="also measure on this PostgreSQL (a fresh schema is made)")
    args = parser.parse_args()
    if not SAMPLE.is_file():
        print(f"{SAMPLE} is missing", file=sys.stderr)
        return 2
    print(json.dumps(bench_map()))
    with tempfile.TemporaryDirectory() as folder:
        for line in bench_deliver(f"sqlite:///{folder}/bench.db", "sqlite", args.n):
            print(json.dumps(line))
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            separator = "&" if "?" in args.postgres else "?"
            url = f"{args.postgres}{separator}options=-csearch_path%3D{schema}"
            for line in bench_deliver(url, "postgresql", args.n):
                print(json.dumps(line))
        finally:
            with admin.connect() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
