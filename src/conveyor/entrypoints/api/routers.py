"""Which routers the API mounts, and which of them are public.

Everything in ``PROTECTED_ROUTERS`` is mounted under ``/api/v1`` behind
``authenticate``. A router in ``PUBLIC_API_ROUTERS`` is mounted under
``/api/v1`` without it (it must check callers itself, e.g. by a webhook
signature); the test ``test_every_api_route_requires_a_token_unless_allowlisted``
keeps that list deliberate. ``ROOT_ROUTERS`` sit outside ``/api/v1`` (probes).
"""

from __future__ import annotations

from fastapi import APIRouter

from conveyor.entrypoints.api.routes import (
    carrier_exceptions,
    carrier_manifests,
    carriers,
    categories,
    channel_orders,
    channels,
    config,
    demand_signals,
    events,
    exceptions,
    health,
    incidents,
    inventory,
    me,
    messages,
    notifications,
    order_changes,
    orders,
    pick_lists,
    process_instances,
    processes,
    products,
    refunds,
    returns,
    shipments,
    signals,
    tasks,
    tokens,
    warehouses,
    webhooks,
)

API_PREFIX = "/api/v1"

PROTECTED_ROUTERS: list[APIRouter] = [me.router, tokens.router]
PROTECTED_ROUTERS += [categories.router, products.router, warehouses.router, channels.router, carriers.router]
PROTECTED_ROUTERS += [inventory.router, config.router]
PROTECTED_ROUTERS += [m.router for m in (processes, process_instances, tasks, incidents, messages, signals)]
PROTECTED_ROUTERS += [orders.router, pick_lists.router, shipments.router]
PROTECTED_ROUTERS += [order_changes.router]
PROTECTED_ROUTERS += [events.router]
PROTECTED_ROUTERS += [webhooks.router, carrier_manifests.router, demand_signals.router]
PROTECTED_ROUTERS += [refunds.router, returns.router, carrier_exceptions.router]
PROTECTED_ROUTERS += [channel_orders.router]
PROTECTED_ROUTERS += [exceptions.router]
PROTECTED_ROUTERS += [notifications.router]
PUBLIC_API_ROUTERS: list[APIRouter] = [channel_orders.public_router]  # signature-checked webhooks
ROOT_ROUTERS: list[APIRouter] = [health.router]
