"""POST /api/v1/channels/{code}/orders: platform payloads, signature-checked, mapped, placed or held.

The payloads are the platforms' own (../shared/conformance/payloads); the
signatures are computed the way each platform signs (Standard Webhooks with
its reference library).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from order_flow_support import ShopApi, shop_api  # noqa: F401  (the fixture)
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from conveyor.adapters.db.channel_tables import channel_orders
from conveyor.adapters.db.order_tables import orders
from conveyor.domain.auth import Role
from conveyor.services import outbox

SHOPIFY_SECRET = "shpss_test_secret_0123456789"
WOO_SECRET = "woo-test-secret"
GENERIC_SECRET = "whsec_" + base64.b64encode(b"conveyor-generic-test-secret-32b").decode()

PUSH_URL = "https://shop.example.com/conveyor/status"
CHANNELS = [
    {"code": "shopify-us", "name": "Shopify US", "currency": "USD",
     "connector": {"platform": "shopify", "secret_env": "TEST_SHOPIFY_SECRET",
                   "push": {"url": PUSH_URL, "events": ["order.*", "shipment.*"]}}},
    {"code": "woo-us", "name": "WooCommerce US", "currency": "USD",
     "connector": {"platform": "woocommerce", "secret_env": "TEST_WOO_SECRET",
                   "unmapped_sku_category": "customer_change"}},
    {"code": "direct", "name": "Our own shop", "currency": "EUR",
     "connector": {"platform": "generic", "secret_env": "DIRECT_SECRET"}},
]  # fmt: skip


@pytest.fixture
def shop(shop_api: ShopApi, monkeypatch: pytest.MonkeyPatch) -> ShopApi:  # noqa: F811
    monkeypatch.setenv("TEST_SHOPIFY_SECRET", SHOPIFY_SECRET)
    monkeypatch.setenv("TEST_WOO_SECRET", WOO_SECRET)
    monkeypatch.setenv("DIRECT_SECRET", GENERIC_SECRET)
    for channel in CHANNELS:
        shop_api.post("/channels", channel, Role.ADMIN, expect=201)
    return shop_api


def _raw(shared_dir: Path, platform: str, name: str) -> bytes:
    path = shared_dir / "conformance" / "payloads" / platform / name
    if not path.is_file():
        pytest.skip(f"{path} is missing (the conformance payloads are not in this workspace)")
    return path.read_bytes()


def _hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _deliver(shop: ShopApi, channel: str, body: bytes, headers: dict[str, str]) -> Any:
    return shop.client.post(
        f"/api/v1/channels/{channel}/orders",
        content=body,
        headers={"Content-Type": "application/json", **headers},
    )


def _shopify(shop: ShopApi, body: bytes, secret: str = SHOPIFY_SECRET) -> Any:
    return _deliver(shop, "shopify-us", body, {"X-Shopify-Hmac-Sha256": _hmac(secret, body)})


def _woo(shop: ShopApi, body: bytes) -> Any:
    return _deliver(shop, "woo-us", body, {"X-WC-Webhook-Signature": _hmac(WOO_SECRET, body)})


def _map_ipods(shop: ShopApi) -> None:
    for platform_sku, sku in (("IPOD2008GREEN", "TEE-BLK-M"), ("IPOD2008RED", "TEE-BLK-L"),
                              ("variant:457924702", "HOODIE-GRY-M")):  # fmt: skip
        response = shop.client.put(
            f"/api/v1/channels/shopify-us/sku-mappings/{platform_sku}", json={"sku": sku},
            headers=shop.headers(Role.INTEGRATION),
        )  # fmt: skip
        assert response.status_code == 200, response.text


def _count(shop: ShopApi, table: Any) -> int:
    with shop.runtime.session_factory() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def _events(shop: ShopApi, *types: str) -> list[dict[str, Any]]:
    with shop.runtime.session_factory() as session:
        return outbox.read(session, types=list(types), limit=1000)


def test_the_shopify_order_is_placed_with_three_lines_totalling_409_94_usd_and_redelivery_returns_it(
    shop: ShopApi, shared_dir: Path
) -> None:
    _map_ipods(shop)
    body = _raw(shared_dir, "shopify", "order.json")
    first = _shopify(shop, body)
    assert first.status_code == 201, first.text
    delivery = first.json()
    assert delivery["outcome"] == "created"
    order = delivery["order"]
    assert (order["channel"], order["external_id"], order["currency"]) == ("shopify-us", "450789469", "USD")
    assert order["total"] == "409.94"
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [
        ("TEE-BLK-M", 1), ("TEE-BLK-L", 1), ("HOODIE-GRY-M", 1),
    ]  # fmt: skip
    assert delivery["channel_order"]["payment_status"] == "authorized"
    assert delivery["channel_order"]["state"] == "placed"

    again = _shopify(shop, body)
    assert again.status_code == 200, again.text
    assert again.json()["outcome"] == "existing"
    assert again.json()["order"]["id"] == order["id"]
    assert again.json()["channel_order"]["deliveries"] == 2
    assert _count(shop, orders) == 1
    assert len(_events(shop, "order.created")) == 1
    (received,) = _events(shop, "channel_order.received")
    assert received["subject"] == order["id"]
    assert received["data"]["payment_status"] == "authorized"


def test_the_woocommerce_order_response_is_placed_with_two_lines_totalling_29_35(
    shop: ShopApi, shared_dir: Path
) -> None:
    for key, sku in (("product:93", "MUG-STONE"), ("Bar3", "KNIFE-CHEF")):
        shop.client.put(f"/api/v1/channels/woo-us/sku-mappings/{key}", json={"sku": sku},
                        headers=shop.headers(Role.MANAGER))  # fmt: skip
    response = _woo(shop, _raw(shared_dir, "woocommerce", "wc_v3_order_create_response.json"))
    assert response.status_code == 201, response.text
    order = response.json()["order"]
    assert order["total"] == "29.35"
    assert [(line["sku"], line["quantity"], line["unit_price"]) for line in order["lines"]] == [
        ("MUG-STONE", 2, "3.00"), ("KNIFE-CHEF", 1, "12.00"),
    ]  # fmt: skip
    assert order["customer"]["email"] == "john.doe@example.com"
    assert response.json()["channel_order"]["payment_status"] == "paid"


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Shopify-Hmac-Sha256": "bm90IHRoZSBzaWduYXR1cmU="}, {"X-Shopify-Hmac-Sha256": ""}],
    ids=["missing", "wrong", "empty"],
)
def test_a_bad_signature_is_401_and_nothing_is_stored(
    shop: ShopApi, shared_dir: Path, headers: dict[str, str]
) -> None:
    _map_ipods(shop)
    before = len(_events(shop, "*"))
    response = _deliver(shop, "shopify-us", _raw(shared_dir, "shopify", "order.json"), headers)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid_signature"
    assert (_count(shop, orders), _count(shop, channel_orders)) == (0, 0)
    assert len(_events(shop, "*")) == before


def test_a_body_signed_with_another_secret_or_changed_after_signing_is_refused(
    shop: ShopApi, shared_dir: Path
) -> None:
    body = _raw(shared_dir, "shopify", "order.json")
    assert _shopify(shop, body, secret="someone-else").status_code == 401
    signature = _hmac(SHOPIFY_SECRET, body)
    tampered = body.replace(b'"409.94"', b'"1.00"', 1)
    response = _deliver(shop, "shopify-us", tampered, {"X-Shopify-Hmac-Sha256": signature})
    assert response.status_code == 401
    assert _count(shop, channel_orders) == 0


def test_an_unknown_sku_holds_the_order_with_an_exception_until_a_mapping_releases_it(
    shop: ShopApi, shared_dir: Path
) -> None:
    body = _raw(shared_dir, "woocommerce", "wc_v3_order_create_response.json")
    held = _woo(shop, body)
    assert held.status_code == 202, held.text
    assert held.json()["outcome"] == "held" and held.json()["order"] is None
    channel_order = held.json()["channel_order"]
    assert channel_order["state"] == "held"
    assert [item["path"] for item in channel_order["unmapped"]] == ["line_items[0]", "line_items[1]"]
    assert "product:93" in channel_order["reason"] and "Bar3" in channel_order["reason"]
    assert _count(shop, orders) == 0
    (recorded,) = [
        e
        for e in _events(shop, "exception.recorded")
        if e["data"].get("exception_type") == "channel.unmapped_sku"
    ]
    assert recorded["data"]["category"] == "customer_change"  # the connector's configured category
    assert channel_order["exception_id"] is not None

    # the held payload is listed (and readable whole), and a re-delivery does not hold it twice
    listed = shop.get("/channels/woo-us/held-orders")
    assert [row["id"] for row in listed["data"]] == [channel_order["id"]]
    one = shop.get(f"/channels/woo-us/held-orders/{channel_order['id']}")
    assert one["payload"]["id"] == 727
    again = _woo(shop, body)
    assert again.status_code == 202 and again.json()["channel_order"]["id"] == channel_order["id"]
    assert _count(shop, channel_orders) == 1

    release = f"/api/v1/channels/woo-us/held-orders/{channel_order['id']}/release"
    refused = shop.client.post(release, headers=shop.headers(Role.SUPPORT))
    assert refused.status_code == 409, refused.text
    assert {e["path"] for e in refused.json()["errors"]} == {"line_items[0]", "line_items[1]"}

    for key, sku in (("product:93", "MUG-STONE"), ("Bar3", "KNIFE-CHEF")):
        shop.client.put(f"/api/v1/channels/woo-us/sku-mappings/{key}", json={"sku": sku},
                        headers=shop.headers(Role.SUPPORT))  # fmt: skip
    assert [m["platform_key"] for m in shop.get("/channels/woo-us/sku-mappings")["data"]] == [
        "Bar3",
        "product:93",
    ]
    released = shop.client.post(release, headers=shop.headers(Role.SUPPORT))
    assert released.status_code == 201, released.text
    assert released.json()["order"]["total"] == "29.35"
    assert released.json()["channel_order"]["state"] == "placed"
    assert shop.get("/channels/woo-us/held-orders")["data"] == []
    (resolved,) = [
        e for e in _events(shop, "exception.resolved") if e["data"]["id"] == channel_order["exception_id"]
    ]
    assert resolved["data"]["status"] == "resolved"
    assert len(_events(shop, "channel_order.released")) == 1
    # once placed, a re-delivery of the platform order returns the order
    assert _woo(shop, body).status_code == 200


def test_malformed_payloads_are_422_naming_the_json_path_and_store_nothing(
    shop: ShopApi, shared_dir: Path
) -> None:
    request_body = _raw(shared_dir, "woocommerce", "wc_v3_order_create_request.json")
    response = _woo(shop, request_body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "invalid_channel_payload"
    assert {"id", "currency", "line_items[0].subtotal", "total"} <= {e["path"] for e in problem["errors"]}

    not_json = b"{this is not json"
    response = _woo(shop, not_json)
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "body"
    assert (_count(shop, orders), _count(shop, channel_orders)) == (0, 0)


def test_the_generic_format_is_signed_with_standard_webhooks_and_checked_by_the_reference_library(
    shop: ShopApi,
) -> None:
    payload = {
        "id": "A-1001", "currency": "EUR", "payment_status": "paid",
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "shipping_address": {"name": "Ada Lovelace", "line1": "Unter den Linden 1", "postal_code": "10117",
                             "city": "Berlin", "country": "DE"},
        "lines": [{"sku": "TEE-BLK-M", "quantity": 2, "unit_price": "24.90"}],
        "shipping": "4.99", "total": "54.79",
    }  # fmt: skip
    body = json.dumps(payload)
    signer = Webhook(GENERIC_SECRET)
    message_id, now = "msg_2x7", int(time.time())
    from datetime import UTC, datetime

    signature = signer.sign(message_id, datetime.fromtimestamp(now, UTC), body)
    headers = {"webhook-id": message_id, "webhook-timestamp": str(now), "webhook-signature": signature}
    response = _deliver(shop, "direct", body.encode(), headers)
    assert response.status_code == 201, response.text
    assert response.json()["order"]["total"] == "54.79"
    stale = {**headers, "webhook-timestamp": str(now - 3600)}
    assert _deliver(shop, "direct", body.encode(), stale).status_code == 401


def test_a_channel_without_a_connector_or_secret_is_refused_before_anything_is_stored(
    shop: ShopApi, shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = _raw(shared_dir, "shopify", "order.json")
    response = _deliver(shop, "web", body, {"X-Shopify-Hmac-Sha256": _hmac(SHOPIFY_SECRET, body)})
    assert response.status_code == 404
    assert "connector" in response.json()["detail"]
    monkeypatch.delenv("TEST_SHOPIFY_SECRET")
    response = _shopify(shop, body)
    assert response.status_code == 500
    assert "TEST_SHOPIFY_SECRET" in response.json()["detail"]
    assert _count(shop, channel_orders) == 0


def test_a_connector_is_validated_by_path_and_exported_without_secrets(shop: ShopApi) -> None:
    bad = {"code": "bad", "name": "Bad", "currency": "EUR",
           "connector": {"platform": "shopfy", "secret_env": "not a name", "secret": "hunter2",
                         "push": {"url": "ftp://x", "events": ["Order created"]}}}  # fmt: skip
    response = shop.client.post("/api/v1/channels", json=bad, headers=shop.headers(Role.ADMIN))
    assert response.status_code == 422, response.text
    paths = {e["path"] for e in response.json()["errors"]}
    assert {"connector.platform", "connector.secret_env", "connector.secret", "connector.push.url"} <= {
        p.split("bad.", 1)[-1].split("channels[0].", 1)[-1] for p in paths
    }
    exported = shop.client.get("/api/v1/config", headers=shop.headers(Role.ADMIN))
    assert exported.status_code == 200
    assert SHOPIFY_SECRET not in exported.text
    assert "TEST_SHOPIFY_SECRET" in exported.text


def test_a_mapping_to_a_sku_we_do_not_sell_is_refused(shop: ShopApi) -> None:
    response = shop.client.put(
        "/api/v1/channels/shopify-us/sku-mappings/IPOD2008GREEN", json={"sku": "NOPE"},
        headers=shop.headers(Role.INTEGRATION),
    )  # fmt: skip
    assert response.status_code == 404
    assert response.json()["errors"][0]["path"] == "sku"
    forbidden = shop.client.put(
        "/api/v1/channels/shopify-us/sku-mappings/IPOD2008GREEN", json={"sku": "TEE-BLK-M"},
        headers=shop.headers(Role.VIEWER),
    )  # fmt: skip
    assert forbidden.status_code == 403


def test_the_push_target_becomes_one_webhook_subscription_for_the_channel(shop: ShopApi) -> None:
    path = "/api/v1/channels/shopify-us/push-subscription"
    created = shop.client.post(path, headers=shop.headers(Role.INTEGRATION))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["subscription"]["url"] == "https://shop.example.com/conveyor/status"
    assert body["subscription"]["event_types"] == ["order.*", "shipment.*"]
    assert body["subscription"]["channels"] == ["shopify-us"]  # its own orders' events only
    again = shop.client.post(path, headers=shop.headers(Role.INTEGRATION))
    assert again.status_code == 200 and again.json()["secret"] is None
    assert again.json()["subscription"]["id"] == body["subscription"]["id"]
    listed = shop.get("/webhooks", Role.ADMIN)
    rows = listed["data"] if isinstance(listed, dict) else listed
    assert [row["id"] for row in rows] == [body["subscription"]["id"]]
    assert rows[0]["channels"] == ["shopify-us"]
    # a channel without a push target says what to configure
    missing = shop.client.post(
        "/api/v1/channels/woo-us/push-subscription", headers=shop.headers(Role.INTEGRATION)
    )
    assert missing.status_code == 404
    assert "connector.push" in missing.json()["detail"]


DOCS = Path(__file__).resolve().parents[2] / "docs" / "channels.md"


def _docs_block(language: str, after: str) -> str:
    text = DOCS.read_text()
    start = text.index(after)
    match = re.search(rf"```{language}\n(.*?)```", text[start:], re.S)
    assert match is not None
    return match.group(1)


def test_the_documented_generic_example_is_placed_as_documented(shop: ShopApi) -> None:
    example = json.loads(_docs_block("json", "## The generic format"))
    body = json.dumps(example)
    signer = Webhook(GENERIC_SECRET)
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    headers = {"webhook-id": "msg_docs", "webhook-timestamp": str(int(now.timestamp()))}
    headers["webhook-signature"] = signer.sign("msg_docs", now, body)
    response = _deliver(shop, "direct", body.encode(), headers)
    assert response.status_code == 201, response.text
    order = response.json()["order"]
    assert (order["external_id"], order["total"]) == ("A-1001", example["total"])
    assert order["amounts"]["discount"] == "5.00"


def test_the_documented_python_sender_runs(shop: ShopApi, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    def post(url: str, *, content: bytes, headers: dict[str, str]) -> Any:
        return shop.client.post(url.removeprefix("http://127.0.0.1:8000"), content=content, headers=headers)

    monkeypatch.setattr(httpx, "post", post)
    printed: list[tuple[Any, ...]] = []
    namespace: dict[str, Any] = {"print": lambda *args: printed.append(args)}
    exec(
        compile(_docs_block("python", "## Signatures, with an example that runs"), str(DOCS), "exec"),
        namespace,
    )
    assert printed == [(201, "created")]


@pytest.mark.parametrize("mapped", [True, False], ids=["placed", "held"])
def test_concurrent_deliveries_of_one_platform_order_store_it_once(
    shop: ShopApi, shared_dir: Path, mapped: bool
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from conveyor.services import channel_orders as service
    from conveyor.services.workflow import workflow_for

    if mapped:
        _map_ipods(shop)
    body = _raw(shared_dir, "shopify", "order.json")
    headers = {"X-Shopify-Hmac-Sha256": _hmac(SHOPIFY_SECRET, body)}
    workflow = workflow_for(shop.runtime)

    def deliver(_: int) -> service.ChannelDelivery:
        return service.receive_order(
            shop.runtime.unit_of_work, workflow, channel_code="shopify-us", body=body, headers=headers,
            env={"TEST_SHOPIFY_SECRET": SHOPIFY_SECRET},
        )  # fmt: skip

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(deliver, range(4)))
    assert _count(shop, channel_orders) == 1
    assert _count(shop, orders) == (1 if mapped else 0)
    assert len({r.channel_order["id"] for r in results}) == 1
    if mapped:
        assert sorted(r.outcome for r in results) == ["created", "existing", "existing", "existing"]
        assert len({r.order_id for r in results}) == 1
    else:
        assert {r.outcome for r in results} == {"held"}
        assert len(_events(shop, "exception.recorded")) == 1


def test_a_category_the_exception_register_does_not_know_still_holds_the_order_under_the_default(
    shop: ShopApi, shared_dir: Path
) -> None:
    channel = {"code": "woo-eu", "name": "WooCommerce", "currency": "USD",
               "connector": {"platform": "woocommerce", "secret_env": "TEST_WOO_SECRET",
                             "unmapped_sku_category": "mystery"}}  # fmt: skip
    shop.post("/channels", channel, Role.ADMIN, expect=201)
    body = _raw(shared_dir, "woocommerce", "wc_v3_order_create_response.json")
    response = _deliver(shop, "woo-eu", body, {"X-WC-Webhook-Signature": _hmac(WOO_SECRET, body)})
    assert response.status_code == 202, response.text
    (recorded,) = _events(shop, "exception.recorded")
    assert recorded["data"]["category"] == "system"  # the register's category for channel.unmapped_sku


def test_status_and_tracking_reach_the_platform_through_the_push_subscription(
    shop: ShopApi, shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from conveyor.services.dispatcher import Dispatcher
    from conveyor.services.webhooks import DeliverySettings
    from conveyor.services.workflow import workflow_for

    received: list[tuple[dict[str, str], bytes]] = []

    class Platform(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Platform)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("CONVEYOR_WEBHOOK_ALLOW_LOOPBACK", "true")
        url = f"http://127.0.0.1:{server.server_address[1]}/conveyor/status"
        channel = {"code": "shopify-push", "name": "Shopify with push", "currency": "USD",
                   "connector": {"platform": "shopify", "secret_env": "TEST_SHOPIFY_SECRET",
                                 "push": {"url": url, "events": ["order.*", "shipment.*"]}}}  # fmt: skip
        shop.post("/channels", channel, Role.ADMIN, expect=201)
        subscription = shop.post("/channels/shopify-push/push-subscription", {}, Role.INTEGRATION, expect=201)
        for key, sku in (
            ("IPOD2008GREEN", "TEE-BLK-M"),
            ("IPOD2008RED", "TEE-BLK-L"),
            ("IPOD2008BLACK", "MUG-STONE"),
        ):
            shop.client.put(f"/api/v1/channels/shopify-push/sku-mappings/{key}", json={"sku": sku},
                            headers=shop.headers(Role.INTEGRATION))  # fmt: skip
        body = _raw(shared_dir, "shopify", "order.json")
        response = _deliver(
            shop, "shopify-push", body, {"X-Shopify-Hmac-Sha256": _hmac(SHOPIFY_SECRET, body)}
        )
        assert response.status_code == 201, response.text
        order_id = response.json()["order"]["id"]
        dispatcher = Dispatcher(
            workflow_for(shop.runtime),
            name="push-test",
            settings=DeliverySettings(webhook_allow_loopback=True),
        )
        for _ in range(50):
            if dispatcher.run_once() == 0:
                break
    finally:
        server.shutdown()
    assert received, "the platform received nothing"
    verifier = Webhook(subscription["secret"])
    types = []
    for headers, payload in received:
        event = verifier.verify(payload, headers)  # raises unless signed with the subscription's secret
        if event.get("subject") == order_id:
            types.append(event["type"])
    assert "order.created" in types


def test_a_body_above_the_limit_is_refused_before_it_is_read_whole(shop: ShopApi) -> None:
    from conveyor.services.channel_orders import MAX_BODY_BYTES

    huge = b"{" + b" " * MAX_BODY_BYTES + b"}"
    response = _deliver(shop, "shopify-us", huge, {"X-Shopify-Hmac-Sha256": _hmac(SHOPIFY_SECRET, huge)})
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "body"
    assert _count(shop, channel_orders) == 0
