"""Channel-filtered webhook subscriptions: a channel's status push carries its own orders' events only.

Two sales channels each push to their own loopback receiver (which verifies
every request with the Standard Webhooks reference library). Orders are placed
and shipped on both through the API and the bundled process; each receiver
must get exactly its channel's events, and replays must respect the filter.
The expected events are computed here from the outbox and the orders each
channel placed, not with the code under test.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from webhook_receiver import Receiver, serving

from conveyor.adapters.db.delivery_tables import dispatch_cursors, webhook_subscriptions
from conveyor.adapters.db.outbox_tables import outbox
from conveyor.bootstrap import Runtime
from conveyor.domain import webhooks as rules
from conveyor.domain.auth import Role
from conveyor.services import configuration, webhooks
from conveyor.services.dispatcher import Dispatcher
from conveyor.services.webhooks import DeliverySettings
from conveyor.services.workflow import workflow_for

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "e2e"))
from order_flow_support import ShopApi, draft, shop_api

__all__ = ["shop_api"]

PUSH_SECRET_ENV = "PUSH_FILTER_TEST_SECRET"
#: channel A pushes every event type (the most a leak could show), channel B order and shipment events
EVENTS = {"shop-a": ["*"], "shop-b": ["order.*", "shipment.*"]}


@pytest.fixture
def receivers() -> Iterator[dict[str, Receiver]]:
    with serving() as first, serving() as second:
        yield {"shop-a": first, "shop-b": second}


class Shop:
    """Two channels with push subscriptions to their own receivers, and what each channel placed."""

    def __init__(self, api: ShopApi, receivers: dict[str, Receiver], batch: int) -> None:
        self.api = api
        self.receivers = receivers
        self.order_channel: dict[str, str] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        # a small intake batch: the filtered subscriptions pass over many batches of the other's events
        self.dispatcher = Dispatcher(
            workflow_for(api.runtime),
            name="channel-filter-test",
            settings=DeliverySettings(webhook_allow_loopback=True, dispatch_batch=batch),
        )
        for code, receiver in receivers.items():
            connector = {"platform": "generic", "secret_env": PUSH_SECRET_ENV,
                         "push": {"url": receiver.url, "events": EVENTS[code]}}  # fmt: skip
            body = {"code": code, "name": code, "currency": "EUR", "connector": connector}
            api.post("/channels", body, Role.ADMIN, expect=201)
        api.receive("BER-1", "MUG-STONE", 100, bin_location="A-3")

    def subscribe(self, code: str) -> dict[str, Any]:
        created = self.api.post(f"/channels/{code}/push-subscription", {}, Role.INTEGRATION, expect=201)
        self.receivers[code].secrets.append(created["secret"])
        self.subscriptions[code] = created["subscription"]
        return dict(created["subscription"])

    def place(self, code: str, external_id: str, ship: bool = False) -> str:
        placed = self.api.post(
            "/orders", draft(external_id, [("MUG-STONE", 1)], channel=code), Role.INTEGRATION, expect=201
        )
        self.order_channel[placed["id"]] = code
        if ship:
            [pick_list] = self.api.order(placed["id"])["pick_lists"]
            self.api.post(
                f"/pick-lists/{pick_list['id']}/confirm", {"picked": {"MUG-STONE": 1}}, Role.WAREHOUSE
            )
            assert self.api.order(placed["id"])["status"] == "shipped"
        return str(placed["id"])

    def dispatch(self) -> None:
        for _ in range(500):
            if self.dispatcher.run_once() == 0:
                return
        raise AssertionError("the dispatcher never became idle")

    def channel_of(self, event: dict[str, Any]) -> str | None:
        data = event.get("data") or {}
        if isinstance(data.get("channel"), str):
            return str(data["channel"])
        return self.order_channel.get(str(event.get("subject")))

    def outbox(self) -> list[dict[str, Any]]:
        with self.api.runtime.session_factory() as session:
            from conveyor.services import outbox as feed

            return feed.read(session, limit=100_000)

    def expected(self, code: str, *, after: int, upto: int | None = None) -> set[str]:
        """Ids of the events channel ``code``'s push should carry, by this test's own reckoning."""
        return {
            e["id"]
            for e in self.outbox()
            if e["sequence"] > after
            and (upto is None or e["sequence"] <= upto)
            and rules.matches(EVENTS[code], e["type"])
            and self.channel_of(e) == code
        }

    def cursor(self, code: str) -> int:
        name = webhooks.cursor_name(self.subscriptions[code]["id"])
        with self.api.runtime.session_factory() as session:
            return int(
                session.execute(
                    select(dispatch_cursors.c.position).where(dispatch_cursors.c.consumer == name)
                ).scalar_one()
            )

    def high(self) -> int:
        with self.api.runtime.session_factory() as session:
            return int(session.execute(select(func.max(outbox.c.sequence))).scalar_one())


@pytest.fixture
def shop(shop_api: ShopApi, receivers: dict[str, Receiver], monkeypatch: pytest.MonkeyPatch) -> Shop:
    monkeypatch.setenv("CONVEYOR_WEBHOOK_ALLOW_LOOPBACK", "true")
    monkeypatch.setenv(PUSH_SECRET_ENV, "whsec_" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3")
    return Shop(shop_api, receivers, batch=4)


def test_each_channel_push_receives_only_its_own_orders_events_signed_and_replays_keep_the_filter(
    shop: Shop, receivers: dict[str, Receiver]
) -> None:
    early = {code: shop.place(code, f"{code}-early") for code in ("shop-a", "shop-b")}  # before any push
    start = dict.fromkeys(EVENTS, 0)
    for code in EVENTS:
        start[code] = shop.high()
        view = shop.subscribe(code)
        assert view["channels"] == [code]
    mapping = shop.api.client.put(
        "/api/v1/channels/shop-a/sku-mappings/MUG-1",
        json={"sku": "MUG-STONE"},
        headers=shop.api.headers(Role.INTEGRATION),
    )
    assert mapping.status_code == 200, mapping.text  # channel_sku_mapping.saved: its data names shop-a
    a1 = shop.place("shop-a", "A-1", ship=True)
    shop.place("shop-a", "A-2")
    b1 = shop.place("shop-b", "B-1", ship=True)
    for n in range(3):
        shop.place("shop-b", f"B-more-{n}")

    shop.dispatch()

    for code, receiver in receivers.items():
        accepted = receiver.accepted()
        assert accepted, f"{code} received nothing"
        assert all(r.verified for r in receiver.received)  # signed with that subscription's secret
        assert {shop.channel_of(e) for e in accepted} == {code}
        assert len(accepted) == len({e["id"] for e in accepted})  # no failures here: each event once
        assert {e["id"] for e in accepted} == shop.expected(code, after=start[code])
        assert shop.cursor(code) == shop.high()  # past the other channel's events: no stall
        for subject in {e.get("subject") for e in accepted} - {None}:  # order per subject unchanged
            sequences = [e["sequence"] for e in accepted if e.get("subject") == subject]
            assert sequences == sorted(sequences)
    got_a = receivers["shop-a"].accepted()
    assert {"order.created", "pick_list.created", "shipment.handed_over", "channel_sku_mapping.saved"} <= {
        e["type"] for e in got_a
    }
    assert a1 in {e.get("subject") for e in got_a} and b1 not in {e.get("subject") for e in got_a}
    created = {e.get("subject") for e in got_a if e["type"] == "order.created"}
    assert early["shop-a"] not in created  # placed before the subscription existed
    assert not any(e["type"].startswith(("webhook.", "process_instance.", "task.")) for e in got_a)
    assert "shipment.handed_over" in {e["type"] for e in receivers["shop-b"].accepted()}

    # replay since a sequence: channel A's events after it again, none of B's
    after = min(e["sequence"] for e in got_a if e.get("subject") == a1)
    seen = {code: len(r.received) for code, r in receivers.items()}
    headers = shop.api.headers(Role.INTEGRATION)
    base = f"/api/v1/webhooks/{shop.subscriptions['shop-a']['id']}"
    replayed = shop.api.client.post(f"{base}/replay", json={"after": after}, headers=headers)
    assert replayed.status_code == 202, replayed.text
    again = shop.expected("shop-a", after=after, upto=shop.cursor("shop-a"))
    assert replayed.json()["deliveries"] == len(again)
    shop.dispatch()
    assert {r.event["id"] for r in receivers["shop-a"].received[seen["shop-a"] :]} == again
    assert len(receivers["shop-b"].received) == seen["shop-b"]

    # replay since 0 on B also sends B's events from before its subscription, still only B's
    seen = {code: len(r.received) for code, r in receivers.items()}
    base = f"/api/v1/webhooks/{shop.subscriptions['shop-b']['id']}"
    replayed = shop.api.client.post(f"{base}/replay", json={"after": 0}, headers=headers)
    everything_b = shop.expected("shop-b", after=0, upto=shop.cursor("shop-b"))
    assert replayed.json()["deliveries"] == len(everything_b)
    shop.dispatch()
    resent = [r.event for r in receivers["shop-b"].received[seen["shop-b"] :]]
    assert {e["id"] for e in resent} == everything_b
    assert early["shop-b"] in {e.get("subject") for e in resent if e["type"] == "order.created"}
    assert early["shop-a"] not in {e.get("subject") for e in resent}
    assert len(receivers["shop-a"].received) == seen["shop-a"]


def test_asking_again_returns_the_push_subscription_and_filters_one_made_before_the_filter(
    shop: Shop, receivers: dict[str, Receiver]
) -> None:
    created = shop.subscribe("shop-a")
    again = shop.api.post("/channels/shop-a/push-subscription", {}, Role.INTEGRATION)
    assert again["secret"] is None
    assert again["subscription"]["id"] == created["id"] and again["subscription"]["channels"] == ["shop-a"]
    with shop.api.runtime.unit_of_work() as uow:  # as a subscription made before channels existed
        uow.session.execute(webhook_subscriptions.update().values(channels=None))
        uow.commit()
    fixed = shop.api.post("/channels/shop-a/push-subscription", {}, Role.INTEGRATION)["subscription"]
    assert fixed["id"] == created["id"] and fixed["channels"] == ["shop-a"]


# --- the API ------------------------------------------------------------------------------------------


@pytest.fixture
def integrator(issue_token: Callable[[Role], str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(Role.INTEGRATION)}"}


def _count(runtime: Runtime) -> int:
    with runtime.session_factory() as session:
        return int(session.execute(select(func.count()).select_from(webhook_subscriptions)).scalar_one())


@pytest.mark.parametrize(
    ("channels", "path"),
    [
        (["web", "nope"], "channels[1]"),
        (["web", ""], "channels[1]"),
        (["no-such-shop"], "channels[0]"),
    ],
)
def test_an_unknown_channel_is_a_422_naming_it_and_nothing_is_written(
    client: TestClient,
    integrator: dict[str, str],
    migrated_runtime: Runtime,
    channels: list[str],
    path: str,
) -> None:
    configuration.load_default_configuration(migrated_runtime.unit_of_work())
    body = {"url": "https://hooks.example.com/conveyor", "event_types": ["order.*"], "channels": channels}
    response = client.post("/api/v1/webhooks", json=body, headers=integrator)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "invalid_input"
    assert [e["path"] for e in problem["errors"]] == [path]
    assert _count(migrated_runtime) == 0
    with migrated_runtime.session_factory() as session:
        assert session.execute(select(func.count()).select_from(outbox)).scalar_one() == 0


def test_channels_are_set_shown_changed_and_cleared_over_the_api(
    client: TestClient, integrator: dict[str, str], migrated_runtime: Runtime
) -> None:
    configuration.load_default_configuration(migrated_runtime.unit_of_work())
    body = {"url": "https://hooks.example.com/conveyor", "event_types": ["order.*"]}
    plain = client.post("/api/v1/webhooks", json=body, headers=integrator).json()
    assert plain["channels"] is None  # every event
    created = client.post(
        "/api/v1/webhooks", json={**body, "channels": ["web", "marketplace", "web"]}, headers=integrator
    )
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["channels"] == ["web", "marketplace"]
    one = client.get(f"/api/v1/webhooks/{hook['id']}", headers=integrator).json()
    assert one["channels"] == ["web", "marketplace"]

    url = f"/api/v1/webhooks/{hook['id']}"
    bad = client.patch(url, json={"channels": ["web", "webb"], "description": "x"}, headers=integrator)
    assert bad.status_code == 422
    assert [e["path"] for e in bad.json()["errors"]] == ["channels[1]"]
    assert "did you mean 'web'" in bad.json()["detail"]
    unchanged = client.get(url, headers=integrator).json()
    assert unchanged["channels"] == ["web", "marketplace"] and unchanged["description"] is None
    not_a_list = client.patch(url, json={"channels": "web"}, headers=integrator)
    assert not_a_list.status_code == 422 and "channels" in str(not_a_list.json()["errors"])

    changed = client.patch(url, json={"channels": ["wholesale"]}, headers=integrator)
    assert changed.status_code == 200 and changed.json()["channels"] == ["wholesale"]
    cleared = client.patch(url, json={"channels": None}, headers=integrator).json()
    assert cleared["channels"] is None
    assert client.patch(url, json={"channels": ["web"]}, headers=integrator).json()["channels"] == ["web"]
    assert client.patch(url, json={"channels": []}, headers=integrator).json()["channels"] is None

    events = client.get("/api/v1/events", params={"type": "webhook.*"}, headers=integrator).json()["items"]
    assert events[1]["data"]["channels"] == ["web", "marketplace"]
    assert ["channels"] in [e["data"].get("changed") for e in events if e["type"] == "webhook.updated"]


def test_the_channels_of_a_batch_take_one_order_look_up_and_are_remembered(shop: Shop) -> None:
    shop.place("shop-a", "A-1")
    shop.place("shop-b", "B-1")
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        statements.append(statement)

    engine = shop.api.runtime.engine
    with shop.api.runtime.session_factory() as session:
        rows = webhooks.fetch_events(
            session, after=0, upto=None, filters=["*"], limit=None, with_channel=True
        )
        event.listen(engine, "before_cursor_execute", seen)
        try:
            channels = webhooks.EventChannels()
            found = channels.resolve(session, rows)
            lookups = [s for s in statements if "FROM orders" in s]
            statements.clear()
            assert channels.resolve(session, rows) == found
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    assert len(lookups) == 1  # the whole batch's subjects in one query
    assert statements == []  # known events are not looked up again
    documents = {e["sequence"]: e for e in shop.outbox()}
    assert found == {sequence: shop.channel_of(documents[sequence]) for sequence in found}
    assert {"shop-a", "shop-b", None} == set(found.values())


def test_a_batch_of_only_other_channels_events_moves_the_cursor_and_does_not_look_idle(shop: Shop) -> None:
    subscription = shop.subscribe("shop-a")
    start = shop.cursor("shop-a")
    for n in range(3):
        shop.place("shop-b", f"B-{n}")
    a1 = shop.place("shop-a", "A-1")
    dispatcher = Dispatcher(
        workflow_for(shop.api.runtime),
        settings=DeliverySettings(webhook_allow_loopback=True, dispatch_batch=2),
    )
    now = dispatcher.clock()
    assert dispatcher.take_in(now) == 2  # its own webhook.created and B's first event: both passed over
    assert shop.cursor("shop-a") > start
    assert webhooks.list_deliveries(shop.api.runtime.unit_of_work(), subscription["id"]) == []
    polls = 1
    while dispatcher.take_in(now):  # a dispatcher polls again at once while this is not 0
        polls += 1
    assert polls > 3 and shop.cursor("shop-a") == shop.high()
    deliveries = webhooks.list_deliveries(shop.api.runtime.unit_of_work(), subscription["id"], limit=1000)
    assert deliveries and {d["subject"] for d in deliveries} == {a1}
    assert shop.expected("shop-a", after=start) == {d["event_id"] for d in deliveries}
