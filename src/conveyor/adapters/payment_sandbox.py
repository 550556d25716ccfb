"""The built-in sandbox payment gateway: a provider's test mode, in process, with idempotency keys.

Outcomes follow the domain's ``SandboxPaymentProvider`` (``tok_visa`` is
approved, ``tok_decline`` declined, ``tok_error`` fails like an outage...),
and every call carries an idempotency key like a real provider's API: the
same key with the same request returns the first answer again (the same
transaction, or the same decline) without charging twice, so a handler that
is retried after a crash is safe; the same key with a different request is
refused as a conflict. Nothing leaves the process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from conveyor.domain.money import Money
from conveyor.domain.payments import PaymentLedger, SandboxPaymentProvider
from conveyor.errors import ConveyorError, InvalidInput


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"
    title = "Idempotency key reused for a different request"


@dataclass(frozen=True, slots=True)
class _Answer:
    request: tuple[object, ...]
    ledger: PaymentLedger | None
    error: ConveyorError | None


class SandboxPaymentGateway:
    """Authorize, capture, void and refund against the sandbox, each under an idempotency key."""

    name = "sandbox"

    def __init__(self, provider: SandboxPaymentProvider | None = None) -> None:
        self._provider = provider or SandboxPaymentProvider()
        self._answers: dict[str, _Answer] = {}
        self._lock = threading.Lock()

    def authorize(
        self, ledger: PaymentLedger, *, token: str, amount: Money, idempotency_key: str,
        at: datetime | None = None,
    ) -> PaymentLedger:  # fmt: skip
        request = ("authorize", ledger.order_id, token, amount)
        return self._once(idempotency_key, request, lambda now: self._provider.authorize(
            ledger, token=token, amount=amount, at=now), at)  # fmt: skip

    def capture(
        self, ledger: PaymentLedger, *, idempotency_key: str, amount: Money | None = None,
        at: datetime | None = None,
    ) -> PaymentLedger:  # fmt: skip
        request = ("capture", ledger.order_id, amount)
        return self._once(idempotency_key, request, lambda now: self._provider.capture(
            ledger, amount=amount, at=now), at)  # fmt: skip

    def void(
        self, ledger: PaymentLedger, *, idempotency_key: str, at: datetime | None = None
    ) -> PaymentLedger:
        request = ("void", ledger.order_id)
        return self._once(idempotency_key, request, lambda now: self._provider.void(ledger, at=now), at)

    def refund(
        self, ledger: PaymentLedger, *, amount: Money, idempotency_key: str, reason: str = "",
        at: datetime | None = None,
    ) -> PaymentLedger:  # fmt: skip
        request = ("refund", ledger.order_id, amount, reason)
        return self._once(idempotency_key, request, lambda now: self._provider.refund(
            ledger, amount=amount, reason=reason, at=now), at)  # fmt: skip

    def _once(
        self, key: str, request: tuple[object, ...], call: Callable[[datetime], PaymentLedger],
        at: datetime | None,
    ) -> PaymentLedger:  # fmt: skip
        if not key or not key.strip():
            raise InvalidInput("A payment call needs an idempotency key (e.g. the order id and the step)",
                               errors=[{"loc": ["idempotency_key"], "msg": "is required"}])  # fmt: skip
        with self._lock:
            answer = self._answers.get(key)
            if answer is None:
                try:
                    answer = _Answer(request, call(at or datetime.now(UTC)), None)
                except ConveyorError as err:
                    answer = _Answer(request, None, err)
                self._answers[key] = answer
        if answer.request != request:
            raise IdempotencyKeyReused(
                f"The idempotency key {key!r} was used for a different payment request; use a new key",
                errors=[{"loc": ["idempotency_key"], "msg": "already used for another request"}],
            )
        if answer.error is not None:
            raise answer.error
        assert answer.ledger is not None
        return answer.ledger
