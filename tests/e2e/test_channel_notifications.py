"""From a platform's webhook to the customer's inbox: a Shopify order, the customer-notifications
process started by its order.created event, and the email at a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from order_flow_support import ShopApi, shop_api  # noqa: F401  (the fixture)

from conveyor.domain.auth import Role
from conveyor.services.dispatcher import Dispatcher
from conveyor.services.notifications import deliver_due_notifications, load_smtp_settings
from conveyor.services.webhooks import DeliverySettings
from conveyor.services.workflow import workflow_for

SECRET = "shopify-notify-secret"


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_a_shopify_order_reaches_the_customer_as_an_order_received_email(
    shop_api: ShopApi,  # noqa: F811
    shared_dir: Path,
    smtp: tuple[Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = shared_dir / "conformance" / "payloads" / "shopify" / "order.json"
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    monkeypatch.setenv("NOTIFY_SHOPIFY_SECRET", SECRET)
    channel = {"code": "shopify-us", "name": "Shopify US", "currency": "USD",
               "notification_milestones": ["received"],
               "connector": {"platform": "shopify", "secret_env": "NOTIFY_SHOPIFY_SECRET"}}  # fmt: skip
    shop_api.post("/channels", channel, Role.ADMIN, expect=201)
    for key, sku in (
        ("IPOD2008GREEN", "TEE-BLK-M"),
        ("IPOD2008RED", "TEE-BLK-L"),
        ("IPOD2008BLACK", "MUG-STONE"),
    ):
        shop_api.client.put(f"/api/v1/channels/shopify-us/sku-mappings/{key}", json={"sku": sku},
                            headers=shop_api.headers(Role.INTEGRATION))  # fmt: skip
    body = path.read_bytes()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    response = shop_api.client.post(
        "/api/v1/channels/shopify-us/orders", content=body,
        headers={"Content-Type": "application/json", "X-Shopify-Hmac-Sha256": signature},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    order_id = response.json()["order"]["id"]

    dispatcher = Dispatcher(
        workflow_for(shop_api.runtime), name="e2e-dispatcher", settings=DeliverySettings()
    )
    for _ in range(50):  # until idle: order.created starts customer-notifications, which queues the email
        if dispatcher.run_once() == 0:
            break
    inbox, port = smtp
    settings = load_smtp_settings(host="127.0.0.1", port=port, from_address="Shop <shop@example.com>")
    assert deliver_due_notifications(shop_api.runtime.session_factory, settings=settings) == 1

    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["bob.norman@hostmail.com"]
    message = message_from_bytes(bytes(envelope.content), policy=default_policy)  # type: ignore[arg-type]
    assert message["Subject"] == "We received your order 450789469"
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert "Hello Bob Norman," in text.get_content()
    assert "Total: 409.94 USD" in text.get_content()
    listed = shop_api.get("/notifications", Role.SUPPORT, order_id=order_id)["data"]
    assert [(n["status"], n["event_type"]) for n in listed] == [("sent", "order.created")]
