"""The sandbox payment gateway: test tokens decide the outcome, idempotency keys prevent double charges."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conveyor.adapters.payment_sandbox import IdempotencyKeyReused, SandboxPaymentGateway
from conveyor.domain.errors import PaymentDeclined, PaymentProviderError, RefundExceedsCaptured
from conveyor.domain.money import Money
from conveyor.domain.payments import PaymentLedger

EUR = "EUR"


def _eur(amount: str) -> Money:
    return Money(Decimal(amount), EUR)


def _ledger() -> PaymentLedger:
    return PaymentLedger(order_id="O-1", currency=EUR)


def test_a_good_card_is_authorized_captured_and_partly_refunded() -> None:
    gateway = SandboxPaymentGateway()
    ledger = gateway.authorize(_ledger(), token="tok_visa", amount=_eur("120.00"), idempotency_key="O-1:auth")
    ledger = gateway.capture(ledger, idempotency_key="O-1:capture")
    ledger = gateway.refund(ledger, amount=_eur("20.00"), reason="damaged", idempotency_key="O-1:refund-1")
    assert (ledger.captured, ledger.refunded) == (_eur("120.00"), _eur("20.00"))
    assert ledger.balance == _eur("100.00")
    with pytest.raises(RefundExceedsCaptured):
        gateway.refund(ledger, amount=_eur("100.01"), idempotency_key="O-1:refund-2")


def test_the_decline_and_error_tokens_fail_the_way_a_provider_would() -> None:
    gateway = SandboxPaymentGateway()
    with pytest.raises(PaymentDeclined) as declined:
        gateway.authorize(_ledger(), token="tok_decline", amount=_eur("10.00"), idempotency_key="a")
    assert declined.value.extra["reason"] == "card_declined"
    with pytest.raises(PaymentProviderError):
        gateway.authorize(_ledger(), token="tok_error", amount=_eur("10.00"), idempotency_key="b")


def test_repeating_a_call_with_its_idempotency_key_charges_once_and_answers_the_same() -> None:
    gateway = SandboxPaymentGateway()
    first = gateway.authorize(_ledger(), token="tok_visa", amount=_eur("50.00"), idempotency_key="O-1:auth")
    again = gateway.authorize(_ledger(), token="tok_visa", amount=_eur("50.00"), idempotency_key="O-1:auth")
    assert again == first
    assert len(again.entries) == 1
    with pytest.raises(IdempotencyKeyReused):
        gateway.authorize(_ledger(), token="tok_visa", amount=_eur("60.00"), idempotency_key="O-1:auth")


def test_voiding_releases_the_uncaptured_remainder() -> None:
    gateway = SandboxPaymentGateway()
    ledger = gateway.authorize(_ledger(), token="tok_mastercard", amount=_eur("80.00"), idempotency_key="k1")
    ledger = gateway.capture(ledger, amount=_eur("30.00"), idempotency_key="k2")
    ledger = gateway.void(ledger, idempotency_key="k3")
    assert (ledger.voided, ledger.capturable) == (_eur("50.00"), _eur("0.00"))
