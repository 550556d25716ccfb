"""Payments: the per-order payment ledger and the built-in sandbox provider.

The ledger records what happened with the customer's money (authorizations,
captures, voids, refunds) and enforces the rules finance relies on: capture
at most what is authorized and not yet captured or voided; void only the
uncaptured remainder; a refund never exceeds what was captured minus what was
already refunded.

The sandbox provider stands in for a real one in development, tests and the
demo. Its outcome depends only on the card token, like a real provider's
test mode: ``tok_visa``/``tok_mastercard``/``tok_amex`` succeed,
``tok_decline`` and ``tok_insufficient_funds`` are declined, ``tok_error``
fails as a provider outage would (worth retrying), anything else is declined
as an invalid token.

Refund failure modes, for tests and demos of the refund process:
``tok_refund_error`` pays like ``tok_visa`` but every refund fails as an
outage (the refund is retried, then becomes an incident);
``tok_refund_declined`` pays but the provider refuses refunds (the card was
closed: the refund fails for good); and ``fail_next_refunds(n)`` makes the
next ``n`` refunds of any card fail as outages (a retry then succeeds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from conveyor.domain.errors import (
    InvalidMoney,
    PaymentDeclined,
    PaymentProviderError,
    PaymentStateConflict,
    RefundExceedsCaptured,
)
from conveyor.domain.money import Money, total


class PaymentEntryKind(StrEnum):
    AUTHORIZATION = "authorization"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"


@dataclass(frozen=True, slots=True)
class PaymentEntry:
    kind: PaymentEntryKind
    amount: Money
    transaction_id: str
    at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PaymentLedger:
    order_id: str
    currency: str
    entries: tuple[PaymentEntry, ...] = field(default=())

    def _sum(self, kind: PaymentEntryKind) -> Money:
        return total((entry.amount for entry in self.entries if entry.kind is kind), self.currency)

    @property
    def authorized(self) -> Money:
        return self._sum(PaymentEntryKind.AUTHORIZATION)

    @property
    def captured(self) -> Money:
        return self._sum(PaymentEntryKind.CAPTURE)

    @property
    def voided(self) -> Money:
        return self._sum(PaymentEntryKind.VOID)

    @property
    def refunded(self) -> Money:
        return self._sum(PaymentEntryKind.REFUND)

    @property
    def capturable(self) -> Money:
        """Authorized and neither captured nor voided."""
        return self.authorized - self.captured - self.voided

    @property
    def refundable(self) -> Money:
        return self.captured - self.refunded

    @property
    def balance(self) -> Money:
        """What the merchant holds of the customer's money: captured minus refunded."""
        return self.captured - self.refunded

    def _append(
        self, kind: PaymentEntryKind, amount: Money, transaction_id: str, at: datetime, reason: str
    ) -> PaymentLedger:
        if amount.currency != self.currency:
            raise PaymentStateConflict(f"The payment is in {self.currency}, not {amount.currency}")
        if amount.amount <= 0:
            raise InvalidMoney(f"A {kind.value} must be above zero, got {amount}")
        return replace(self, entries=(*self.entries, PaymentEntry(kind, amount, transaction_id, at, reason)))

    def record_authorization(self, amount: Money, *, transaction_id: str, at: datetime) -> PaymentLedger:
        return self._append(PaymentEntryKind.AUTHORIZATION, amount, transaction_id, at, "")

    def record_capture(self, amount: Money, *, transaction_id: str, at: datetime) -> PaymentLedger:
        if amount > self.capturable:
            raise PaymentStateConflict(
                f"Cannot capture {amount}: only {self.capturable} is authorized and not yet captured",
                capturable=self.capturable.as_string(),
            )
        return self._append(PaymentEntryKind.CAPTURE, amount, transaction_id, at, "")

    def record_void(self, *, transaction_id: str, at: datetime) -> PaymentLedger:
        """Release the whole uncaptured remainder of the authorization."""
        if self.capturable.is_zero:
            raise PaymentStateConflict("Nothing to void: no authorized amount is left uncaptured")
        return self._append(PaymentEntryKind.VOID, self.capturable, transaction_id, at, "")

    def record_refund(
        self, amount: Money, *, transaction_id: str, at: datetime, reason: str = ""
    ) -> PaymentLedger:
        if amount > self.refundable:
            raise RefundExceedsCaptured(
                f"Cannot refund {amount}: {self.captured} was captured and {self.refunded} already refunded, "
                f"so at most {self.refundable} can be refunded",
                refundable=self.refundable.as_string(),
            )
        return self._append(PaymentEntryKind.REFUND, amount, transaction_id, at, reason)


class SandboxOutcome(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"
    ERROR = "error"


SANDBOX_TOKENS: Mapping[str, tuple[SandboxOutcome, str]] = MappingProxyType({
    "tok_visa": (SandboxOutcome.APPROVED, ""),
    "tok_mastercard": (SandboxOutcome.APPROVED, ""),
    "tok_amex": (SandboxOutcome.APPROVED, ""),
    "tok_decline": (SandboxOutcome.DECLINED, "card_declined"),
    "tok_insufficient_funds": (SandboxOutcome.DECLINED, "insufficient_funds"),
    "tok_error": (SandboxOutcome.ERROR, "processing_error"),
    "tok_refund_error": (SandboxOutcome.APPROVED, ""),
    "tok_refund_declined": (SandboxOutcome.APPROVED, ""),
})  # fmt: skip
"""Test card token -> (outcome, reason)."""

REFUND_TOKENS: Mapping[str, tuple[SandboxOutcome, str]] = MappingProxyType({
    "tok_refund_error": (SandboxOutcome.ERROR, "refund_processing_error"),
    "tok_refund_declined": (SandboxOutcome.DECLINED, "card_closed"),
})  # fmt: skip
"""Card token -> the outcome of its refunds (any other paying token's refunds succeed)."""


class SandboxPaymentProvider:
    """The built-in provider: deterministic outcomes by token, transaction ids by order and step."""

    name = "sandbox"

    def __init__(self) -> None:
        self._refund_failures = 0

    def fail_next_refunds(self, count: int) -> None:
        """Make the next ``count`` refunds fail as provider outages (a test's transient failure)."""
        self._refund_failures = max(count, 0)

    def outcome(self, token: str) -> tuple[SandboxOutcome, str]:
        return SANDBOX_TOKENS.get(token, (SandboxOutcome.DECLINED, "invalid_token"))

    def authorize(self, ledger: PaymentLedger, *, token: str, amount: Money, at: datetime) -> PaymentLedger:
        outcome, reason = self.outcome(token)
        if outcome is SandboxOutcome.ERROR:
            raise PaymentProviderError(
                f"The sandbox provider failed to authorize {amount} for order {ledger.order_id} ({reason}); "
                "try again later", reason=reason, token=token,
            )  # fmt: skip
        if outcome is SandboxOutcome.DECLINED:
            raise PaymentDeclined(
                f"The card was declined ({reason}) for {amount} on order {ledger.order_id}",
                reason=reason, token=token,
            )  # fmt: skip
        return ledger.record_authorization(amount, transaction_id=self._id(ledger, "auth"), at=at)

    def capture(self, ledger: PaymentLedger, *, at: datetime, amount: Money | None = None) -> PaymentLedger:
        """Capture ``amount`` (default: everything still capturable)."""
        amount = ledger.capturable if amount is None else amount
        return ledger.record_capture(amount, transaction_id=self._id(ledger, "cap"), at=at)

    def void(self, ledger: PaymentLedger, *, at: datetime) -> PaymentLedger:
        return ledger.record_void(transaction_id=self._id(ledger, "void"), at=at)

    def refund(
        self,
        ledger: PaymentLedger,
        *,
        amount: Money,
        at: datetime,
        reason: str = "",
        token: str | None = None,
    ) -> PaymentLedger:
        """Refund ``amount`` to the card ``token`` paid with (failure modes in the module docstring)."""
        outcome, why = REFUND_TOKENS.get(token or "", (SandboxOutcome.APPROVED, ""))
        if self._refund_failures > 0:
            self._refund_failures -= 1
            outcome, why = SandboxOutcome.ERROR, "refund_processing_error"
        if outcome is SandboxOutcome.ERROR:
            raise PaymentProviderError(
                f"The sandbox provider failed to refund {amount} for order {ledger.order_id} ({why}); "
                "try again later", reason=why,
            )  # fmt: skip
        if outcome is SandboxOutcome.DECLINED:
            raise PaymentDeclined(
                f"The provider refused to refund {amount} on order {ledger.order_id} ({why})", reason=why
            )
        return ledger.record_refund(amount, transaction_id=self._id(ledger, "ref"), at=at, reason=reason)

    @staticmethod
    def _id(ledger: PaymentLedger, step: str) -> str:
        return f"sbx_{step}_{ledger.order_id}_{len(ledger.entries) + 1}"
