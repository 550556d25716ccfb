"""Webhook signatures over the raw body: Shopify, WooCommerce and Standard Webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from conveyor.domain import signatures
from conveyor.domain.signatures import InvalidSignature

BODY = b'{"id": 450789469, "total_price": "409.94"}'


def _hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@pytest.mark.parametrize(("platform", "header"), [("shopify", "X-Shopify-Hmac-Sha256"),
                                                  ("woocommerce", "X-WC-Webhook-Signature")])  # fmt: skip
def test_hmac_platforms_accept_their_header_in_any_case_and_refuse_anything_else(
    platform: str, header: str
) -> None:
    good = _hmac("s3cret", BODY)
    assert signatures.hmac_sha256_base64("s3cret", BODY) == good
    signatures.verify(platform, BODY, {header: good}, "s3cret", now=0)
    signatures.verify(platform, BODY, {header.lower(): good}, "s3cret", now=0)
    for headers in ({}, {header: ""}, {header: _hmac("other", BODY)}, {header: "not base64 ü"}):
        with pytest.raises(InvalidSignature):
            signatures.verify(platform, BODY, headers, "s3cret", now=0)
    with pytest.raises(InvalidSignature):
        signatures.verify(platform, BODY + b" ", {header: good}, "s3cret", now=0)  # one byte more
    with pytest.raises(InvalidSignature):
        signatures.verify(platform, BODY, {header: good}, "", now=0)  # no secret: nothing verifies


SECRET = "whsec_" + base64.b64encode(b"a-32-byte-secret-for-the-tests!!").decode()


def _standard(at: datetime, body: bytes = BODY, message_id: str = "msg_1") -> dict[str, str]:
    signature = Webhook(SECRET).sign(message_id, at, body.decode())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def test_standard_webhooks_signed_by_the_reference_library_verify() -> None:
    at = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    headers = _standard(at)
    signatures.verify("generic", BODY, headers, SECRET, now=at.timestamp() + 60)
    # several signatures (a key rotation): one matching is enough
    rotated = {**headers, "webhook-signature": "v1,bm9wZQ== " + headers["webhook-signature"]}
    signatures.verify("generic", BODY, rotated, SECRET, now=at.timestamp())


def test_standard_webhooks_refuse_stale_tampered_or_incomplete_messages() -> None:
    at = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    headers = _standard(at)
    with pytest.raises(InvalidSignature, match="away from now"):
        signatures.verify("generic", BODY, headers, SECRET, now=at.timestamp() + 301)
    with pytest.raises(InvalidSignature):
        signatures.verify("generic", BODY.replace(b"409.94", b"1.00"), headers, SECRET, now=at.timestamp())
    with pytest.raises(InvalidSignature):
        signatures.verify("generic", BODY, {**headers, "webhook-id": "msg_2"}, SECRET, now=at.timestamp())
    for missing in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        partial = {k: v for k, v in headers.items() if k != missing}
        with pytest.raises(InvalidSignature, match=missing):
            signatures.verify("generic", BODY, partial, SECRET, now=at.timestamp())
    with pytest.raises(InvalidSignature):
        signatures.verify(
            "generic", BODY, {**headers, "webhook-timestamp": "soon"}, SECRET, now=at.timestamp()
        )
