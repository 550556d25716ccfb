"""Verifying that a sales channel's webhook really comes from its platform.

Every check runs over the **raw** request body, byte for byte, before it is
parsed: re-serialised JSON would not match the signature.

- Shopify: ``X-Shopify-Hmac-Sha256`` is base64(HMAC-SHA256(app secret, body)).
- WooCommerce: ``X-WC-Webhook-Signature`` is base64(HMAC-SHA256(webhook secret, body)).
- Conveyor's own format (``generic``): the Standard Webhooks headers
  ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``
  (``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` with the ``whsec_``
  secret), the timestamp within ``TOLERANCE_SECONDS`` of now.

A failed check raises ``InvalidSignature`` (401) without saying which part
was wrong beyond what the sender needs to fix its own setup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from conveyor.domain import webhooks
from conveyor.errors import Unauthenticated

TOLERANCE_SECONDS = 300
PLATFORM_HEADERS: Mapping[str, tuple[str, ...]] = {
    "shopify": ("x-shopify-hmac-sha256",),
    "woocommerce": ("x-wc-webhook-signature",),
    "generic": ("webhook-id", "webhook-timestamp", "webhook-signature"),
}


class InvalidSignature(Unauthenticated):
    code = "invalid_signature"
    title = "Invalid webhook signature"


def hmac_sha256_base64(secret: str, body: bytes) -> str:
    """base64 of HMAC-SHA256 over ``body``: what Shopify and WooCommerce put in their header."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value.strip()
    raise InvalidSignature(f"The {name} header is missing: the request is not signed", header=name)


def verify_hmac_header(body: bytes, headers: Mapping[str, str], header: str, secret: str) -> None:
    """Raise ``InvalidSignature`` unless ``header`` holds base64(HMAC-SHA256(secret, body))."""
    given = _header(headers, header)
    expected = hmac_sha256_base64(secret, body)
    if not hmac.compare_digest(given.encode("ascii", "replace"), expected.encode("ascii")):
        raise InvalidSignature(
            f"The {header} header does not match the body signed with the channel's secret"
        )


def verify_standard_webhook(body: bytes, headers: Mapping[str, str], secret: str, *, now: float) -> None:
    """Standard Webhooks: id, timestamp (within the tolerance of ``now``, Unix seconds) and v1 signature."""
    message_id = _header(headers, "webhook-id")
    raw_timestamp = _header(headers, "webhook-timestamp")
    signature = _header(headers, "webhook-signature")
    if not raw_timestamp.isdigit():
        raise InvalidSignature("The webhook-timestamp header must be Unix seconds")
    timestamp = int(raw_timestamp)
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise InvalidSignature(
            f"The webhook-timestamp is more than {TOLERANCE_SECONDS} s away from now "
            "(a replayed message, or a wrong clock)"
        )
    try:
        text = body.decode("utf-8")
        webhooks.verify(secret, message_id, timestamp, text, signature)
    except (UnicodeDecodeError, webhooks.InvalidSignature, ValueError) as err:
        raise InvalidSignature(
            "The webhook-signature header does not match the body signed with the channel's secret"
        ) from err


def verify(platform: str, body: bytes, headers: Mapping[str, str], secret: str, *, now: float) -> None:
    """Check one delivery's signature the way its platform signs; ``InvalidSignature`` otherwise."""
    if not secret:
        raise InvalidSignature("The channel has no secret to check signatures with")
    if platform == "shopify":
        verify_hmac_header(body, headers, "x-shopify-hmac-sha256", secret)
    elif platform == "woocommerce":
        verify_hmac_header(body, headers, "x-wc-webhook-signature", secret)
    elif platform == "generic":
        verify_standard_webhook(body, headers, secret, now=now)
    else:
        raise ValueError(f"unknown platform {platform!r}")
