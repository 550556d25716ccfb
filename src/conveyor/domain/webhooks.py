"""Webhooks: Standard Webhooks signatures, event-type filters, retry delays, target address rules.

Plain Python (the domain imports no framework). The signature scheme is the
one in https://www.standardwebhooks.com: the secret is ``whsec_`` plus the
base64 of random bytes; the signed content is ``"{id}.{timestamp}.{body}"``;
the ``webhook-signature`` header is ``v1,`` plus the base64 HMAC-SHA256 of it
(several space-separated signatures while a secret is rotated).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import random
import re
import secrets
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from conveyor.domain.problems import Problems, did_you_mean

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix, not a secret
SIGNATURE_VERSION = "v1"
SECRET_BYTES = 24
#: an event-type filter: ``*``, an exact type, or a prefix ending in ``.*`` (``order.*``)
FILTER_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$")
MAX_URL_LENGTH = 2000
MAX_FILTERS = 100
MAX_CHANNELS = 100


class InvalidSignature(ValueError):
    """A signature header that does not match the message (or no usable signature at all)."""


def generate_secret() -> str:
    """A new signing secret: ``whsec_`` and the base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (the base64-decoded part after the prefix)."""
    raw = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError as err:
        raise ValueError("a webhook secret is 'whsec_' followed by base64") from err


def is_secret(value: object) -> bool:
    if not isinstance(value, str) or not value.startswith(SECRET_PREFIX):
        return False
    try:
        return 16 <= len(secret_key(value)) <= 64
    except ValueError:
        return False


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` value of one message: ``v1,<base64 HMAC-SHA256>``."""
    content = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def verify(secret: str, message_id: str, timestamp: int, body: str, header: str) -> None:
    """Raise ``InvalidSignature`` unless one of the header's ``v1`` signatures matches."""
    expected = sign(secret, message_id, timestamp, body)
    for candidate in header.split():
        if candidate.startswith(f"{SIGNATURE_VERSION},") and hmac.compare_digest(candidate, expected):
            return
    raise InvalidSignature("no signature in the webhook-signature header matches the message")


def headers(secret: str, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for one delivery."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


# --- filters ---------------------------------------------------------------------------------


def check_filters(filters: Sequence[str], problems: Problems, field: str = "event_types") -> None:
    if not filters:
        problems.add(field, "name at least one event type, e.g. ['order.*'] or ['*'] for every event")
    if len(filters) > MAX_FILTERS:
        problems.add(field, f"at most {MAX_FILTERS} filters")
    for index, item in enumerate(filters):
        if not isinstance(item, str) or not FILTER_PATTERN.match(item):
            problems.add(
                (field, index),
                f"{item!r} is not an event type filter: use an exact type (order.created), "
                "a prefix ending in .* (order.*), or * for every event",
            )


def matches(filters: Iterable[str], event_type: str) -> bool:
    """Whether ``event_type`` passes any of the filters (``*``, exact, or ``prefix.*``)."""
    for item in filters:
        if item == "*" or item == event_type:
            return True
        if item.endswith(".*") and event_type.startswith(item[:-1]):
            return True
    return False


def check_channels(
    channels: object, known: Collection[str], problems: Problems, field: str = "channels"
) -> list[str] | None:
    """The channel filter as stored: None (every event) for null or an empty list, else the codes.

    Each code must name a sales channel in ``known``; a problem names ``channels[i]``.
    """
    if channels is None:
        return None
    if not isinstance(channels, list | tuple):
        problems.add(
            field, "must be a list of sales channel codes, e.g. ['shopify-us'] (or null: every event)"
        )
        return None
    if len(channels) > MAX_CHANNELS:
        problems.add(field, f"at most {MAX_CHANNELS} channels")
    codes: list[str] = []
    for index, code in enumerate(channels):
        if not isinstance(code, str) or not code.strip():
            problems.add((field, index), "must be a sales channel code")
        elif code not in known:
            problems.add((field, index), f"there is no sales channel {code!r}{did_you_mean(code, known)}")
        elif code not in codes:
            codes.append(code)
    return codes or None


def passes_channels(channels: Collection[str] | None, event_channel: str | None) -> bool:
    """Whether an event of ``event_channel`` (None: it belongs to no channel) passes a channel filter."""
    return not channels or (event_channel is not None and event_channel in channels)


# --- retries ---------------------------------------------------------------------------------


def retry_delay(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before the next try after ``attempt`` failed tries: exponential backoff, full jitter.

    ``uniform(0, min(cap, base * 2 ** (attempt - 1)))`` (the "full jitter" of
    the AWS architecture blog), so receivers that failed together are not
    retried together.
    """
    ceiling = min(cap, base * (2 ** max(attempt - 1, 0)))
    return (rng or random).uniform(0.0, max(ceiling, 0.0))


# --- target addresses --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Which resolved addresses a webhook may reach (server-side request forgery guard)."""

    allow_loopback: bool = False
    allow_private: bool = False

    def refusal(self, address: str) -> str | None:
        """Why ``address`` (an IP) may not be called, or None when it may."""
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return f"{address!r} is not an IP address"
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip.is_loopback:
            return None if self.allow_loopback else f"{ip} is a loopback address"
        if ip.is_link_local:
            return f"{ip} is a link-local address (cloud metadata services live there)"
        if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
            return f"{ip} is not a unicast address"
        if ip.is_private:
            return None if self.allow_private else f"{ip} is a private network address"
        return None


def check_url(url: object, problems: Problems, policy: AddressPolicy, field: str = "url") -> None:
    """Shape checks of a subscription URL (addresses are checked again at each delivery)."""
    if not isinstance(url, str) or not url.strip():
        problems.add(field, "is required: the http(s) URL that receives the events")
        return
    if len(url) > MAX_URL_LENGTH:
        problems.add(field, f"is longer than {MAX_URL_LENGTH} characters")
        return
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        problems.add(field, f"is not a URL: {err}")
        return
    if parts.scheme not in ("http", "https"):
        problems.add(field, f"must be an http or https URL, not {parts.scheme or 'no scheme'}")
        return
    if not parts.hostname:
        problems.add(field, "names no host")
        return
    if parts.username or parts.password:
        problems.add(field, "must not carry credentials; the signature authenticates Conveyor")
    if port == 0:
        problems.add(field, "port 0 is not a port")
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost"):
        host = "127.0.0.1"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return  # a name: resolved and checked at delivery time
    refusal = policy.refusal(host)
    if refusal:
        problems.add(field, f"{refusal}; webhooks may not call it (see docs/webhooks.md, 'Target addresses')")


def same_origin(first: str, second: str) -> bool:
    """Whether two absolute URLs share scheme, host and port (a redirect we may follow)."""
    a, b = urlsplit(first), urlsplit(second)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)
