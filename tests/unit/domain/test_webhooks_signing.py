"""Standard Webhooks signatures (checked with the reference library), filters, retry delays, address rules."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from conveyor.domain import webhooks as rules
from conveyor.domain.problems import Problems


def test_the_reference_library_verifies_our_signature() -> None:
    secret = rules.generate_secret()
    assert secret.startswith("whsec_") and len(rules.secret_key(secret)) == 24
    body = '{"specversion":"1.0","id":"4c1e","type":"order.created","data":{"total":"9.90"}}'
    now = int(time.time())
    headers = rules.headers(secret, "msg_4c1e", now, body)
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers) == {
        "specversion": "1.0",
        "id": "4c1e",
        "type": "order.created",
        "data": {"total": "9.90"},
    }
    rules.verify(secret, "msg_4c1e", now, body, headers["webhook-signature"])


def test_a_changed_body_or_another_secret_fails_verification() -> None:
    secret, other = rules.generate_secret(), rules.generate_secret()
    now = int(time.time())
    headers = rules.headers(secret, "msg_1", now, '{"a":1}')
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify('{"a":2}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify('{"a":1}', headers)
    with pytest.raises(rules.InvalidSignature):
        rules.verify(other, "msg_1", now, '{"a":1}', headers["webhook-signature"])


def test_the_reference_libraries_signature_matches_ours_for_a_known_vector() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    at = datetime.fromtimestamp(1614265330, tz=UTC)
    body = '{"test": 2432232314}'
    expected = Webhook(secret).sign("msg_p5jXN8AQM9LWM0D4loKWxJek", at, body)
    assert rules.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected


@pytest.mark.parametrize(
    ("filters", "event_type", "expected"),
    [
        (["*"], "order.created", True),
        (["order.*"], "order.created", True),
        (["order.*"], "orders.created", False),
        (["order.*"], "shipment.handed_over", False),
        (["shipment.handed_over"], "shipment.handed_over", True),
        (["shipment.handed_over"], "shipment.delivered", False),
        (["order.created", "shipment.*"], "shipment.delivered", True),
    ],
)
def test_event_type_filters(filters: list[str], event_type: str, expected: bool) -> None:
    assert rules.matches(filters, event_type) is expected


def test_bad_filters_are_named_by_position() -> None:
    problems = Problems()
    rules.check_filters(["order.*", "Order Created", "order.**"], problems)
    assert [p.path for p in problems.items] == ["event_types[1]", "event_types[2]"]
    empty = Problems()
    rules.check_filters([], empty)
    assert [p.path for p in empty.items] == ["event_types"]


def test_retry_delays_grow_exponentially_with_full_jitter_and_a_cap() -> None:
    rng = random.Random(7)
    for attempt, ceiling in ((1, 5.0), (2, 10.0), (3, 20.0), (10, 600.0)):
        delays = [rules.retry_delay(attempt, base=5, cap=600, rng=rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8 and min(delays) < ceiling * 0.2  # spread over the whole range


@pytest.mark.parametrize(
    ("address", "loopback", "private", "refused"),
    [
        ("127.0.0.1", False, False, True),
        ("127.0.0.1", True, False, False),
        ("::1", True, False, False),
        ("::ffff:127.0.0.1", False, False, True),
        ("10.1.2.3", True, False, True),
        ("10.1.2.3", False, True, False),
        ("169.254.169.254", True, True, True),
        ("0.0.0.0", True, True, True),
        ("93.184.216.34", False, False, False),
    ],
)
def test_address_policy(address: str, loopback: bool, private: bool, refused: bool) -> None:
    assert (rules.AddressPolicy(loopback, private).refusal(address) is not None) is refused


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "is required"),
        ("ftp://example.com/x", "http or https"),
        ("http:///path", "names no host"),
        ("https://user:pw@example.com/", "credentials"),
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://localhost/hook", "loopback"),
        ("http://169.254.169.254/latest", "link-local"),
    ],
)
def test_bad_urls_are_refused_with_a_reason(url: str, message: str) -> None:
    problems = Problems()
    rules.check_url(url, problems, rules.AddressPolicy())
    assert problems and message in problems.items[0].message
    assert problems.items[0].path == "url"


def test_redirects_are_followed_only_within_one_origin() -> None:
    assert rules.same_origin("https://a.example/x", "https://a.example/y?z=1")
    assert not rules.same_origin("https://a.example/x", "https://b.example/x")
    assert not rules.same_origin("https://a.example/x", "http://a.example/x")
    assert not rules.same_origin("https://a.example/x", "https://a.example:8443/x")
