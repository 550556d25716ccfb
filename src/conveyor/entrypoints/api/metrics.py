"""``GET /metrics``: Prometheus text format, for a scraper holding an API token (any role).

Two kinds of figures:

- per API process, counted by ``HttpMetricsMiddleware``:
  ``conveyor_http_requests_total{method,route,status}`` and the histogram
  ``conveyor_http_request_duration_seconds{method,route}`` (``route`` is the
  route's template, ``/api/v1/orders/{order_id}``, so ids never become labels;
  a path no route matched is ``unmatched``);
- read from the database at each scrape (the same in every process,
  ``services.metrics``): instances by process and state, jobs due / locked /
  scheduled by kind, open incidents by process, open user tasks, the outbox
  (events kept, last sequence, each consumer's backlog) and webhook deliveries
  by status.

Each app has its own registry, so several apps in one Python process (tests)
never share counters.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conveyor.bootstrap import Runtime
from conveyor.domain.auth import Principal
from conveyor.entrypoints.api.security import authenticate
from conveyor.services import metrics

router = APIRouter(tags=["metrics"])
#: seconds; the default buckets plus finer ones below 25 ms, where most API calls land
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class DatabaseCollector(Collector):
    """Reads ``services.metrics.snapshot`` at each scrape and reports it as gauges."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.runtime.session_factory() as session:
            found = metrics.snapshot(session, datetime.now(UTC))
        instances = GaugeMetricFamily(
            "conveyor_process_instances",
            "Process instances by process and state",
            labels=["process", "state"],
        )
        for (process, state), count in sorted(found.instances.items()):
            instances.add_metric([process, state], count)
        yield instances
        for name, text, values in (
            ("conveyor_jobs_due", "Jobs due now that no live worker lock holds", found.jobs_due),
            ("conveyor_jobs_locked", "Jobs held by a worker whose lock has not expired", found.jobs_locked),
            ("conveyor_jobs_scheduled", "Jobs due later (timers, retries in backoff)", found.jobs_scheduled),
        ):
            family = GaugeMetricFamily(name, text, labels=["kind"])
            for kind, count in sorted(values.items()):
                family.add_metric([kind], count)
            yield family
        open_incidents = GaugeMetricFamily(
            "conveyor_incidents_open", "Open incidents by process", labels=["process"]
        )
        for process, count in sorted(found.incidents_open.items()):
            open_incidents.add_metric([process], count)
        yield open_incidents
        tasks = GaugeMetricFamily("conveyor_user_tasks_open", "Open user tasks by state", labels=["state"])
        for state, count in sorted(found.tasks_open.items()):
            tasks.add_metric([state], count)
        yield tasks
        yield GaugeMetricFamily(
            "conveyor_outbox_events", "Events kept in the outbox", value=found.outbox_events
        )
        yield GaugeMetricFamily(
            "conveyor_outbox_last_sequence",
            "The outbox's highest sequence number",
            value=found.outbox_last_sequence,
        )
        backlog = GaugeMetricFamily(
            "conveyor_outbox_backlog", "Outbox events a consumer has not taken in yet", labels=["consumer"]
        )
        for consumer, count in sorted(found.outbox_backlog.items()):
            backlog.add_metric([consumer], count)
        yield backlog
        deliveries = GaugeMetricFamily(
            "conveyor_webhook_deliveries", "Webhook deliveries by status", labels=["status"]
        )
        for status, count in sorted(found.webhook_deliveries.items()):
            deliveries.add_metric([status], count)
        yield deliveries


class HttpMetrics:
    """The per-process HTTP counters of one app, in that app's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "conveyor_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "conveyor_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            ["method", "route"],
            buckets=BUCKETS,
            registry=registry,
        )


class HttpMetricsMiddleware:
    """Pure ASGI middleware: counts every HTTP request and times it (labels: route templates)."""

    def __init__(self, app: ASGIApp, http_metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = http_metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            template = route_template(scope)
            method = scope.get("method", "GET")
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.duration.labels(method, template).observe(time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    """The matched route's path with its parameters as ``{name}`` ("unmatched" when none matched).

    Built from the request path and the path parameters the router extracted, so it is the
    full path whatever prefixes the route was included under.
    """
    if scope.get("route") is None:
        return "unmatched"
    params = {str(value): name for name, value in (scope.get("path_params") or {}).items()}
    segments = str(scope.get("path", "")).split("/")
    return "/".join(f"{{{params[s]}}}" if s in params else s for s in segments)


def install_metrics(app: FastAPI, runtime: Runtime) -> None:
    """Give ``app`` its registry, the HTTP middleware, the database collector and ``GET /metrics``."""
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(runtime))
    app.state.metrics_registry = registry
    app.add_middleware(HttpMetricsMiddleware, http_metrics=HttpMetrics(registry))
    app.include_router(router)


@router.get(
    "/metrics",
    summary="Prometheus metrics (text format); any API token",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
def read_metrics(request: Request, _: Annotated[Principal, Depends(authenticate)]) -> Response:
    registry: CollectorRegistry = request.app.state.metrics_registry
    return Response(content=generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
