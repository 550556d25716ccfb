"""The payment ledger's rules and the sandbox provider's test cards."""

from datetime import UTC, datetime

import pytest

from conveyor.domain.errors import (
    PaymentDeclined,
    PaymentProviderError,
    PaymentStateConflict,
    RefundExceedsCaptured,
)
from conveyor.domain.money import Money
from conveyor.domain.payments import PaymentLedger, SandboxPaymentProvider

NOW = datetime(2026, 3, 2, tzinfo=UTC)
SANDBOX = SandboxPaymentProvider()


def usd(text):
    return Money.parse(text, "USD")


def authorized(amount="100.00"):
    return SANDBOX.authorize(PaymentLedger("o-1", "USD"), token="tok_visa", amount=usd(amount), at=NOW)


def test_a_good_test_card_is_authorized_and_captured_in_full():
    ledger = SANDBOX.capture(authorized(), at=NOW)
    assert (ledger.authorized, ledger.captured, ledger.capturable) == (usd("100"), usd("100"), usd("0"))
    assert ledger.balance == usd("100")
    assert [e.transaction_id for e in ledger.entries] == ["sbx_auth_o-1_1", "sbx_cap_o-1_2"]


def test_the_decline_token_is_declined_and_nothing_is_recorded():
    ledger = PaymentLedger("o-1", "USD")
    with pytest.raises(PaymentDeclined, match="card_declined") as caught:
        SANDBOX.authorize(ledger, token="tok_decline", amount=usd("10"), at=NOW)
    assert caught.value.extra["reason"] == "card_declined"
    assert ledger.entries == ()


def test_the_error_token_fails_like_a_provider_outage():
    with pytest.raises(PaymentProviderError, match="try again later"):
        SANDBOX.authorize(PaymentLedger("o-1", "USD"), token="tok_error", amount=usd("10"), at=NOW)


def test_an_unknown_token_is_declined_as_invalid():
    with pytest.raises(PaymentDeclined, match="invalid_token"):
        SANDBOX.authorize(PaymentLedger("o-1", "USD"), token="tok_nonsense", amount=usd("10"), at=NOW)


def test_capture_cannot_exceed_what_is_authorized():
    with pytest.raises(PaymentStateConflict, match=r"only 100\.00 USD is authorized"):
        SANDBOX.capture(authorized(), amount=usd("100.01"), at=NOW)


def test_void_releases_the_uncaptured_remainder_only():
    ledger = SANDBOX.void(SANDBOX.capture(authorized(), amount=usd("60"), at=NOW), at=NOW)
    assert ledger.voided == usd("40") and ledger.capturable == usd("0")
    with pytest.raises(PaymentStateConflict, match="Nothing to void"):
        SANDBOX.void(ledger, at=NOW)


def test_a_refund_never_exceeds_what_was_captured_minus_earlier_refunds():
    ledger = SANDBOX.capture(authorized(), amount=usd("80"), at=NOW)
    ledger = SANDBOX.refund(ledger, amount=usd("50"), at=NOW, reason="damaged")
    assert ledger.refundable == usd("30") and ledger.balance == usd("30")
    with pytest.raises(RefundExceedsCaptured, match=r"at most 30\.00 USD can be refunded"):
        SANDBOX.refund(ledger, amount=usd("30.01"), at=NOW)
    assert SANDBOX.refund(ledger, amount=usd("30"), at=NOW).balance == usd("0")


def test_nothing_can_be_refunded_before_a_capture():
    with pytest.raises(RefundExceedsCaptured):
        SANDBOX.refund(authorized(), amount=usd("1"), at=NOW)
