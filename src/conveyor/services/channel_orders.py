"""Orders that sales platforms send in their own format: verify, map, place (or hold), release.

``receive_order`` handles one webhook delivery of ``POST /channels/{code}/orders``:

1. the channel and its connector (configuration) say which platform's
   format and signature apply; the secret comes from the environment variable
   the connector names;
2. the signature is checked over the raw body (``InvalidSignature``, 401);
   nothing is stored for a request that fails it;
3. the body is parsed and mapped by the platform's mapper
   (``InvalidChannelPayload``, 422, naming the JSON path);
4. a platform order seen before (channel + platform order id) returns what
   was done the first time: the placed order, or the held payload;
5. each line's SKU is resolved through the channel's SKU mapping (identity
   when unmapped); a line that maps to nothing we sell **holds** the payload:
   it is stored raw with the reason, an exception ``channel.unmapped_sku`` is
   recorded and ``channel_order.held`` emitted, all in one transaction;
6. otherwise the order is placed through ``services.orders.place_order``
   (idempotent on channel + external id = the platform order id; it commits
   the order, its ``order.created`` event and its workflow together) and the
   delivery is linked to it in a second transaction (``channel_order.received``).
   Should that second step be lost, a re-delivery finds the order by its
   external id and writes the link then.

``release_held`` places a held payload once its SKUs map (after
``save_mapping``), resolves its exception and emits ``channel_order.released``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from conveyor.adapters.db.channel_tables import channel_orders, channel_sku_mappings
from conveyor.adapters.repositories.configuration import SqlConfiguration
from conveyor.domain import signatures
from conveyor.domain.channel_mappers import (
    ChannelConnector,
    InvalidChannelPayload,
    MappedOrder,
    Unmapped,
    map_payload,
    resolve,
)
from conveyor.domain.channels import SalesChannel
from conveyor.domain.errors import UnknownSku
from conveyor.errors import ConfigurationError, Conflict, ConveyorError, InvalidInput, NotFound
from conveyor.logs import get_logger
from conveyor.services import exceptions as exception_register
from conveyor.services.orders import PlacedOrder, ProcessStarter, place_order
from conveyor.services.stock_keeping import begin_writing
from conveyor.services.unit_of_work import SqlUnitOfWork

UNMAPPED_SKU = "channel.unmapped_sku"
log = get_logger(__name__)
MAX_BODY_BYTES = 2_000_000


@dataclass(frozen=True, slots=True)
class ChannelDelivery:
    """What became of one delivery: ``created`` / ``existing`` (an order) or ``held``."""

    outcome: str
    channel_order: dict[str, Any]
    order_id: str | None


# --- the channel and its secret ------------------------------------------------------------


def _channel(uow: SqlUnitOfWork, code: str) -> SalesChannel:
    config = SqlConfiguration(uow.session)
    channel = config.channel(code)
    if channel is None or not channel.active:
        known = ", ".join(sorted(c.code for c in config.channels() if c.active)) or "none"
        raise NotFound(
            f"There is no active sales channel {code!r} (known: {known})",
            errors=[{"loc": ["path", "code"], "path": "code", "msg": f"unknown channel {code!r}"}],
        )
    return channel


def _connector(channel: SalesChannel) -> ChannelConnector:
    if channel.connector is None:
        raise NotFound(
            f"Channel {channel.code!r} has no connector: set channels[].connector (platform, secret_env) "
            "in the configuration to receive platform orders",
            errors=[
                {"loc": ["channels", channel.code, "connector"], "path": "connector", "msg": "not configured"}
            ],
        )
    return channel.connector


def _secret(connector: ChannelConnector, env: Mapping[str, str]) -> str:
    secret = env.get(connector.secret_env, "")
    if not secret:
        raise ConfigurationError(
            f"The channel's secret is not set: export the environment variable {connector.secret_env}",
            variable=connector.secret_env,
        )
    return secret


def _parse(body: bytes) -> Any:
    if len(body) > MAX_BODY_BYTES:
        raise InvalidChannelPayload(
            f"The body is larger than {MAX_BODY_BYTES} bytes",
            errors=[{"loc": ["body"], "path": "body", "msg": "too large"}],
        )
    try:
        return json.loads(body.decode("utf-8"), parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as err:
        raise InvalidChannelPayload(
            f"The body is not JSON: {err}",
            errors=[{"loc": ["body"], "path": "body", "msg": f"not JSON: {err}"}],
        ) from err


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# --- SKU mappings ----------------------------------------------------------------------------


def _mapping(uow: SqlUnitOfWork, channel_code: str) -> dict[str, str]:
    c = channel_sku_mappings.c
    rows = uow.session.execute(select(c.platform_key, c.sku).where(c.channel_code == channel_code))
    return {row.platform_key: row.sku for row in rows}


def _resolve(uow: SqlUnitOfWork, channel_code: str, mapped: MappedOrder) -> tuple[list[str], list[Unmapped]]:
    mapping = _mapping(uow, channel_code)
    candidates = {mapping[k] for line in mapped.lines for k in line.keys if k in mapping}
    candidates |= {line.platform_sku for line in mapped.lines if line.platform_sku}
    known = SqlConfiguration(uow.session).known_skus(sorted(candidates)) if candidates else set()
    return resolve(mapped, mapping, known)


def list_mappings(uow: SqlUnitOfWork, channel_code: str) -> list[dict[str, Any]]:
    c = channel_sku_mappings.c
    with uow:
        _channel(uow, channel_code)
        rows = uow.session.execute(
            select(channel_sku_mappings).where(c.channel_code == channel_code).order_by(c.platform_key)
        )
        return [{"platform_key": r.platform_key, "sku": r.sku, "updated_at": r.updated_at} for r in rows]


def _check_key(platform_key: Any) -> str:
    if not isinstance(platform_key, str) or not platform_key.strip() or len(platform_key.strip()) > 200:
        raise InvalidInput(
            "A platform key is the platform's SKU, variant:<id> or product:<id> (1 to 200 characters)",
            errors=[{"loc": ["platform_key"], "path": "platform_key", "msg": "must be 1 to 200 characters"}],
        )
    return platform_key.strip()


def save_mapping(
    uow: SqlUnitOfWork, channel_code: str, platform_key: str, sku: str, *, now: datetime | None = None
) -> dict[str, Any]:
    """Map a platform key to one of our SKUs (insert or replace); ``channel_sku_mapping.saved``."""
    key = _check_key(platform_key)
    moment = now or datetime.now(UTC)
    c = channel_sku_mappings.c
    with uow:
        begin_writing(uow.session)
        _channel(uow, channel_code)
        if not isinstance(sku, str) or SqlConfiguration(uow.session).product(sku) is None:
            raise UnknownSku(
                f"There is no product {sku!r}: map to a SKU of the catalog",
                errors=[{"loc": ["sku"], "path": "sku", "msg": f"unknown SKU {sku!r}"}],
            )
        where = (c.channel_code == channel_code) & (c.platform_key == key)
        previous = uow.session.execute(select(c.sku).where(where)).scalar_one_or_none()
        if previous is None:
            uow.session.execute(
                insert(channel_sku_mappings).values(
                    channel_code=channel_code, platform_key=key, sku=sku, updated_at=moment
                )
            )
        else:
            uow.session.execute(update(channel_sku_mappings).where(where).values(sku=sku, updated_at=moment))
        uow.record(
            {
                "type": "channel_sku_mapping.saved",
                "channel": channel_code,
                "platform_key": key,
                "sku": sku,
                "previous_sku": previous,
                "at": moment,
            }
        )
        uow.commit()
    return {"platform_key": key, "sku": sku, "updated_at": moment}


def delete_mapping(
    uow: SqlUnitOfWork, channel_code: str, platform_key: str, *, now: datetime | None = None
) -> None:
    key = _check_key(platform_key)
    c = channel_sku_mappings.c
    with uow:
        begin_writing(uow.session)
        _channel(uow, channel_code)
        where = (c.channel_code == channel_code) & (c.platform_key == key)
        previous = uow.session.execute(select(c.sku).where(where)).scalar_one_or_none()
        if previous is None:
            raise NotFound(f"Channel {channel_code!r} has no mapping for {key!r}")
        uow.session.execute(delete(channel_sku_mappings).where(where))
        uow.record(
            {
                "type": "channel_sku_mapping.deleted",
                "channel": channel_code,
                "platform_key": key,
                "sku": previous,
                "at": now or datetime.now(UTC),
            }
        )
        uow.commit()


# --- views ------------------------------------------------------------------------------------


def _view(row: Any, *, with_payload: bool = False) -> dict[str, Any]:
    data = {
        "id": int(row.id),
        "channel": row.channel_code,
        "platform": row.platform,
        "platform_order_id": row.platform_order_id,
        "state": row.state,
        "order_id": row.order_id,
        "payment_status": row.payment_status,
        "reason": row.reason,
        "unmapped": row.unmapped,
        "exception_id": None if row.exception_id is None else int(row.exception_id),
        "deliveries": row.deliveries,
        "received_at": row.received_at,
        "updated_at": row.updated_at,
    }
    if with_payload:
        try:
            data["payload"] = json.loads(row.raw_body)
        except ValueError:
            data["payload"] = row.raw_body
    return data


def _find(uow: SqlUnitOfWork, channel_code: str, platform_order_id: str) -> Any:
    c = channel_orders.c
    query = select(channel_orders).where(
        (c.channel_code == channel_code) & (c.platform_order_id == platform_order_id)
    )
    return uow.session.execute(query).first()


def list_channel_orders(
    uow: SqlUnitOfWork,
    channel_code: str,
    *,
    state: str | None = "held",
    after: int | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    c = channel_orders.c
    with uow:
        _channel(uow, channel_code)
        query = select(channel_orders).where(c.channel_code == channel_code)
        if state is not None:
            query = query.where(c.state == state)
        if after is not None:
            query = query.where(c.id > after)
        rows = uow.session.execute(query.order_by(c.id).limit(limit))
        return [_view(row) for row in rows]


def get_channel_order(uow: SqlUnitOfWork, channel_code: str, channel_order_id: int) -> dict[str, Any]:
    with uow:
        row = _load(uow, channel_code, channel_order_id)
        return _view(row, with_payload=True)


def _load(uow: SqlUnitOfWork, channel_code: str, channel_order_id: int) -> Any:
    c = channel_orders.c
    row = uow.session.execute(
        select(channel_orders).where((c.id == channel_order_id) & (c.channel_code == channel_code))
    ).first()
    if row is None:
        raise NotFound(f"Channel {channel_code!r} has no delivered order {channel_order_id}")
    return row


# --- receiving --------------------------------------------------------------------------------


def _reason(unmapped: list[Unmapped]) -> str:
    parts = []
    for item in unmapped:
        named = item.platform_sku or ", ".join(item.keys) or "no SKU"
        target = (
            f" (mapped to unknown SKU {item.tried!r})"
            if item.tried and item.tried != item.platform_sku
            else ""
        )
        parts.append(f"{item.path}: {named}{target}")
    return "No SKU of ours for " + "; ".join(parts) + ": add a SKU mapping, then release the order"


def receive_order(
    uow_factory: Callable[[], SqlUnitOfWork],
    workflow: ProcessStarter,
    *,
    channel_code: str,
    body: bytes,
    headers: Mapping[str, str],
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> ChannelDelivery:
    """Verify, map and place (or hold) one platform delivery; see the module docstring."""
    moment = now or datetime.now(UTC)
    with uow_factory() as uow:
        channel = _channel(uow, channel_code)
    connector = _connector(channel)
    secret = _secret(connector, os.environ if env is None else env)
    signatures.verify(
        connector.platform, body, headers, secret, now=time.time() if now is None else moment.timestamp()
    )
    mapped = map_payload(connector.platform, _parse(body))

    with uow_factory() as uow:
        begin_writing(uow.session)
        existing = _find(uow, channel_code, mapped.platform_order_id)
        if existing is not None:
            uow.session.execute(
                update(channel_orders)
                .where(channel_orders.c.id == existing.id)
                .values(deliveries=channel_orders.c.deliveries + 1, updated_at=moment)
            )
            refreshed = _find(uow, channel_code, mapped.platform_order_id)
            uow.commit()
            outcome = "held" if existing.state == "held" else "existing"
            return ChannelDelivery(outcome, _view(refreshed), existing.order_id)
        skus, unmapped = _resolve(uow, channel_code, mapped)
        if unmapped:
            try:
                held = _hold(uow, channel, connector, mapped, body, unmapped, moment)
                uow.commit()
            except IntegrityError:  # a concurrent delivery of the same order held it first
                held = {}
            if held:
                return ChannelDelivery("held", held, None)
        else:
            held = None
    if held is not None:  # lost the race above: answer with what the winner stored
        with uow_factory() as uow:
            row = _find(uow, channel_code, mapped.platform_order_id)
        return ChannelDelivery("held" if row.state == "held" else "existing", _view(row), row.order_id)

    placed = place_order(uow_factory, workflow, channel=channel_code, draft=mapped.draft(skus), now=moment)
    row = _link(uow_factory, channel, mapped, body, placed, moment)
    return ChannelDelivery("created" if placed.created else "existing", row, placed.order.id)


def _hold(
    uow: SqlUnitOfWork,
    channel: SalesChannel,
    connector: ChannelConnector,
    mapped: MappedOrder,
    body: bytes,
    unmapped: list[Unmapped],
    now: datetime,
) -> dict[str, Any]:
    reason = _reason(unmapped)
    details = [item.as_dict() for item in unmapped]
    first = unmapped[0]
    summary = f"{channel.code} order {mapped.number} held: {len(unmapped)} line(s) without a SKU mapping"
    record: dict[str, Any] = {
        "type": UNMAPPED_SKU,
        "summary": summary,
        "sku": (first.tried or first.platform_sku or "")[:64] or None,
        # no reason_text: it is our own wording, not a person's, so the register's text
        # classifier must not pick the category; the type's configuration does
        "details": {
            "reason": reason,
            "channel": channel.code,
            "platform": mapped.platform,
            "platform_order_id": mapped.platform_order_id,
            "unmapped": details,
        },
        "now": now,
    }
    try:
        with uow.session.begin_nested():
            exception_id = exception_register.record_exception(
                uow, category=connector.unmapped_sku_category, **record
            )
    except InvalidInput as err:  # the connector names a category the register does not know
        if connector.unmapped_sku_category is None:
            raise
        log.warning("unmapped_sku_category_refused", channel=channel.code, error=err.detail)
        record["details"] = {**record["details"], "configured_category_refused": err.detail}
        exception_id = exception_register.record_exception(uow, category=None, **record)
    result = uow.session.execute(
        insert(channel_orders).values(
            channel_code=channel.code,
            platform=mapped.platform,
            platform_order_id=mapped.platform_order_id,
            state="held",
            order_id=None,
            payment_status=mapped.payment_status.value,
            raw_body=body.decode("utf-8"),
            reason=reason,
            unmapped=details,
            exception_id=exception_id,
            deliveries=1,
            received_at=now,
            updated_at=now,
        )
    )
    held_id = int(result.inserted_primary_key[0])  # type: ignore[attr-defined]
    uow.record(
        {
            "type": "channel_order.held",
            "id": held_id,
            "channel": channel.code,
            "platform": mapped.platform,
            "platform_order_id": mapped.platform_order_id,
            "exception_id": exception_id,
            "reason": reason,
            "unmapped": details,
            "at": now,
        }
    )
    row = uow.session.execute(select(channel_orders).where(channel_orders.c.id == held_id)).one()
    return _view(row)


def _link(
    uow_factory: Callable[[], SqlUnitOfWork],
    channel: SalesChannel,
    mapped: MappedOrder,
    body: bytes,
    placed: PlacedOrder,
    now: datetime,
) -> dict[str, Any]:
    """Record that this platform order is our ``placed.order`` (``channel_order.received``)."""
    try:
        with uow_factory() as uow:
            begin_writing(uow.session)
            existing = _find(uow, channel.code, mapped.platform_order_id)
            if existing is None:
                uow.session.execute(
                    insert(channel_orders).values(
                        channel_code=channel.code,
                        platform=mapped.platform,
                        platform_order_id=mapped.platform_order_id,
                        state="placed",
                        order_id=placed.order.id,
                        payment_status=mapped.payment_status.value,
                        raw_body=body.decode("utf-8"),
                        reason=None,
                        unmapped=[],
                        exception_id=None,
                        deliveries=1,
                        received_at=now,
                        updated_at=now,
                    )
                )
                uow.record(
                    {
                        "type": "channel_order.received",
                        "order_id": placed.order.id,
                        "channel": channel.code,
                        "platform": mapped.platform,
                        "platform_order_id": mapped.platform_order_id,
                        "number": mapped.number,
                        "payment_status": mapped.payment_status.value,
                        "at": now,
                    }
                )
            row = _find(uow, channel.code, mapped.platform_order_id)
            uow.commit()
    except IntegrityError:  # a concurrent delivery of the same order linked it first
        with uow_factory() as uow:
            row = _find(uow, channel.code, mapped.platform_order_id)
    return _view(row)


def release_held(
    uow_factory: Callable[[], SqlUnitOfWork],
    workflow: ProcessStarter,
    *,
    channel_code: str,
    channel_order_id: int,
    now: datetime | None = None,
) -> ChannelDelivery:
    """Place a held payload now that its SKUs map; 409 naming the lines that still do not."""
    moment = now or datetime.now(UTC)
    with uow_factory() as uow:
        begin_writing(uow.session)
        channel = _channel(uow, channel_code)
        row = _load(uow, channel_code, channel_order_id)
        if row.state == "placed":
            return ChannelDelivery("existing", _view(row), row.order_id)
        mapped = map_payload(row.platform, _parse(row.raw_body.encode("utf-8")))
        skus, unmapped = _resolve(uow, channel_code, mapped)
        if unmapped:
            details = [item.as_dict() for item in unmapped]
            reason = _reason(unmapped)
            uow.session.execute(
                update(channel_orders)
                .where(channel_orders.c.id == row.id)
                .values(reason=reason, unmapped=details, updated_at=moment)
            )
            uow.commit()
            raise Conflict(
                f"Channel order {channel_order_id} still has unmapped lines. {reason}",
                errors=[
                    {
                        "loc": ["payload", *_loc(item.path)],
                        "path": item.path,
                        "msg": f"no SKU mapping for {item.platform_sku or list(item.keys)}",
                    }
                    for item in unmapped
                ],
            )
    placed = place_order(uow_factory, workflow, channel=channel_code, draft=mapped.draft(skus), now=moment)
    with uow_factory() as uow:
        begin_writing(uow.session)
        row = _load(uow, channel_code, channel_order_id)
        if row.state == "held":
            uow.session.execute(
                update(channel_orders)
                .where(channel_orders.c.id == row.id)
                .values(state="placed", order_id=placed.order.id, reason=None, unmapped=[], updated_at=moment)
            )
            if row.exception_id is not None:
                _resolve_exception(uow, int(row.exception_id), placed.order.id, moment)
            uow.record(
                {
                    "type": "channel_order.released",
                    "order_id": placed.order.id,
                    "id": int(row.id),
                    "channel": channel.code,
                    "platform": row.platform,
                    "platform_order_id": row.platform_order_id,
                    "exception_id": row.exception_id,
                    "at": moment,
                }
            )
        row = _load(uow, channel_code, channel_order_id)
        uow.commit()
    return ChannelDelivery("created" if placed.created else "existing", _view(row), placed.order.id)


def _resolve_exception(uow: SqlUnitOfWork, exception_id: int, order_id: str, now: datetime) -> None:
    try:
        with uow.session.begin_nested():
            exception_register.resolve_exception(
                uow,
                exception_id,
                resolution=f"SKU mapping added; placed as order {order_id}",
                root_cause="missing SKU mapping",
                now=now,
            )
    except ConveyorError:  # already resolved or closed by a person: the release stands
        pass


def _loc(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for chunk in path.replace("]", "").split("."):
        name, *indexes = chunk.split("[")
        if name:
            parts.append(name)
        parts.extend(int(i) for i in indexes)
    return parts


# --- status and tracking back to the platform ----------------------------------------------


def push_description(channel_code: str) -> str:
    return f"channel:{channel_code} status and tracking push"


def ensure_push_subscription(
    uow_factory: Callable[[], SqlUnitOfWork], channel_code: str, *, now: datetime | None = None
) -> tuple[dict[str, Any], str | None]:
    """The webhook subscription that pushes the channel's order status and tracking to ``connector.push``.

    Created through the event dispatcher's webhook service (Standard Webhooks
    signatures, retries, delivery log) on the first call, which returns its
    secret once; later calls return the same subscription and no secret. It is
    filtered to the channel (``channels=[code]``): the platform receives its own
    orders' events only. A push subscription found without that filter (made
    before there was one) gets it.
    """
    from conveyor.services import webhooks  # the dispatcher's service; imported here, no cycle at load

    description = push_description(channel_code)
    with uow_factory() as uow:
        connector = _connector(_channel(uow, channel_code))
        if connector.push is None:
            raise NotFound(
                f"Channel {channel_code!r} has no push target: set channels[].connector.push "
                "(url, events) in the configuration",
                errors=[{"loc": ["connector", "push"], "path": "connector.push", "msg": "not configured"}],
            )
        push = connector.push
    subscriptions = webhooks.list_subscriptions(uow_factory())
    found = [s for s in subscriptions if s.get("description") == description and s.get("url") == push.url]
    if found:
        view = found[0]
        if view.get("channels") != [channel_code]:
            view, _ = webhooks.update_subscription(
                uow_factory(), view["id"], {"channels": [channel_code]}, now=now
            )
        return view, None
    view, secret = webhooks.create_subscription(
        uow_factory(),
        url=push.url,
        event_types=list(push.events),
        description=description,
        channels=[channel_code],
        now=now,
    )
    return view, secret
