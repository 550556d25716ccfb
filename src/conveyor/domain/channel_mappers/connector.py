"""A channel's connector settings: which platform's payloads it takes and how it talks back.

Part of the channel's entry in the configuration document::

    channels:
      - code: shop
        name: Shopify store
        currency: USD
        process: order-fulfillment
        connector:
          platform: shopify                 # shopify | woocommerce | generic
          secret_env: SHOP_WEBHOOK_SECRET   # the secret itself stays in the environment
          unmapped_sku_category: system     # optional: exception category of a held order
          push:                             # optional: status and tracking back to the platform
            url: https://shop.example.com/conveyor-hook
            events: [order.*, shipment.*]

``push`` becomes a webhook subscription (``POST /channels/{code}/push-subscription``):
deliveries are signed with the Standard Webhooks scheme and the subscription's
own secret, shown once when it is created.

Secrets are never part of the document (so ``config export`` never prints
one): the connector names the environment variable that holds it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from conveyor.domain.identifiers import is_code
from conveyor.domain.problems import PathPart, Problems, did_you_mean
from conveyor.domain.webhooks import check_filters

PLATFORMS = ("shopify", "woocommerce", "generic")
DEFAULT_PUSH_EVENTS = ("order.*", "shipment.*")
CONNECTOR_FIELDS = frozenset({"platform", "secret_env", "unmapped_sku_category", "push"})
PUSH_FIELDS = frozenset({"url", "events"})
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")

Loc = tuple[PathPart, ...]


@dataclass(frozen=True, slots=True)
class PushTarget:
    """Where a channel's order status and tracking events go (a webhook subscription)."""

    url: str
    events: tuple[str, ...] = DEFAULT_PUSH_EVENTS


@dataclass(frozen=True, slots=True)
class ChannelConnector:
    platform: str
    secret_env: str
    unmapped_sku_category: str | None = None  # None: the exception register's category for the type
    push: PushTarget | None = None


def _env_name(raw: Any, loc: Loc, problems: Problems) -> str:
    if not isinstance(raw, str) or not ENV_NAME.match(raw):
        problems.add(loc, f"must be the name of an environment variable holding the secret, got {raw!r}")
        return ""
    return raw


def _known_fields(raw: Mapping[str, Any], fields: frozenset[str], loc: Loc, problems: Problems) -> None:
    for key in raw:
        if key == "secret":
            problems.add(
                (*loc, "secret"),
                "secrets are not stored in the configuration: put the secret in an "
                "environment variable and name it in secret_env",
            )
        elif key not in fields:
            problems.add((*loc, str(key)), f"unknown field{did_you_mean(str(key), fields)}")


def read_connector(raw: Any, loc: Loc, problems: Problems) -> ChannelConnector | None:
    """The connector at ``loc`` (``channels[0].connector``); every problem recorded under its path."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.add(loc, "must be an object with platform and secret_env")
        return None
    start = len(problems)
    _known_fields(raw, CONNECTOR_FIELDS, loc, problems)
    platform = raw.get("platform")
    if platform not in PLATFORMS:
        hint = did_you_mean(str(platform), PLATFORMS) if isinstance(platform, str) else ""
        problems.add((*loc, "platform"), f"must be one of {', '.join(PLATFORMS)}, got {platform!r}{hint}")
    secret_env = _env_name(raw.get("secret_env"), (*loc, "secret_env"), problems)
    category = raw.get("unmapped_sku_category")
    if category is not None and (not isinstance(category, str) or not is_code(category)):
        problems.add((*loc, "unmapped_sku_category"), f"must be an exception category code, got {category!r}")
    push = _read_push(raw.get("push"), (*loc, "push"), problems)
    if len(problems) > start:
        return None
    return ChannelConnector(str(platform), secret_env, None if category is None else str(category), push)


def _read_push(raw: Any, loc: Loc, problems: Problems) -> PushTarget | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.add(loc, "must be an object with url and events")
        return None
    _known_fields(raw, PUSH_FIELDS, loc, problems)
    url = raw.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        problems.add((*loc, "url"), f"must be an http(s) URL, got {url!r}")
    events = raw.get("events", list(DEFAULT_PUSH_EVENTS))
    if not isinstance(events, list):
        problems.add((*loc, "events"), f"must be a list of event types, got {events!r}")
        events = []
    else:
        nested = Problems()
        check_filters(events, nested, "events")
        problems.extend(nested.items, *loc)
    return PushTarget(str(url), tuple(str(e) for e in events))


def connector_to_mapping(connector: ChannelConnector) -> dict[str, Any]:
    """The connector as it is written in the configuration document (no secrets: only their names)."""
    data: dict[str, Any] = {"platform": connector.platform, "secret_env": connector.secret_env}
    if connector.unmapped_sku_category is not None:
        data["unmapped_sku_category"] = connector.unmapped_sku_category
    if connector.push is not None:
        data["push"] = {"url": connector.push.url, "events": list(connector.push.events)}
    return data
