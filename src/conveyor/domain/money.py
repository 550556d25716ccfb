"""Money: a Decimal amount in one currency, never a float.

An amount never has more decimals than its currency's ISO 4217 minor units
(12.50 USD, 1250 JPY, 1.250 KWD), so what is stored, shown and summed is
exactly what the customer was charged. Arithmetic only combines amounts of one
currency; anything that divides (shares, rates) goes through ``allocate`` or
``scaled``, which say how the leftover minor units are handled.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from conveyor.domain.currencies import minor_units
from conveyor.domain.errors import CurrencyMismatch, InvalidMoney

MAX_INTEGER_DIGITS = 15
"""Amounts stay below 10^15 (a quadrillion): room for any order, and exact in every database."""


def _exponent(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of one currency, with at most the currency's minor units of decimals."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        places = minor_units(self.currency)
        if not isinstance(self.amount, Decimal):
            raise InvalidMoney(
                f"An amount of money must be a Decimal or a decimal string, not {type(self.amount).__name__} "
                f"({self.amount!r}): floats cannot hold cents exactly",
                value=repr(self.amount),
            )
        if not self.amount.is_finite():
            raise InvalidMoney(f"{self.amount} is not an amount of money", value=str(self.amount))
        if self.amount and self.amount.adjusted() >= MAX_INTEGER_DIGITS:
            raise InvalidMoney(
                f"{self.amount} is too large: at most {MAX_INTEGER_DIGITS} digits before the decimal point",
                value=str(self.amount),
            )
        unit = Decimal(1).scaleb(-places)
        if -_exponent(self.amount) > places and self.amount != self.amount.quantize(unit):
            raise InvalidMoney(
                f"{self.amount} has more decimals than {self.currency} allows ({places})",
                value=str(self.amount),
                currency=self.currency,
            )
        object.__setattr__(self, "amount", self.amount.quantize(unit))

    # --- construction ---------------------------------------------------------

    @classmethod
    def parse(cls, value: str | int | Decimal, currency: str) -> Money:
        """``Money.parse("12.50", "USD")``; refuses floats, non-numbers and extra decimals."""
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise InvalidMoney(
                f"Write the amount {value!r} as a decimal string such as '12.50'", value=repr(value)
            )
        try:
            amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
        except InvalidOperation as err:
            raise InvalidMoney(f"{value!r} is not a number", value=str(value)) from err
        return cls(amount, currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Money:
        """From an integer count of minor units (cents): ``from_minor(1250, "USD")`` is 12.50 USD."""
        return cls(Decimal(units).scaleb(-minor_units(currency)), currency)

    # --- reading --------------------------------------------------------------

    @property
    def minor_units(self) -> int:
        """The amount as an integer count of the currency's minor units."""
        return int(self.amount.scaleb(minor_units(self.currency)))

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    def as_string(self) -> str:
        """The amount alone as the API and documents write it: ``"12.50"``."""
        return f"{self.amount:f}"

    def __str__(self) -> str:
        return f"{self.amount:f} {self.currency}"

    # --- arithmetic within one currency ----------------------------------------

    def _same_currency(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"Cannot combine {self} with {other}: amounts must be in one currency",
                currencies=[self.currency, other.currency],
            )

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, quantity: int) -> Money:
        """Times a whole quantity (a unit price times units); use ``scaled`` for rates."""
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise TypeError("Money multiplies by whole quantities only; use scaled() for rates")
        return Money(self.amount * quantity, self.currency)

    __rmul__ = __mul__

    def scaled(self, factor: Decimal) -> Money:
        """Times a rate (tax 0.19, discount 0.1), rounded half up to the minor unit."""
        places = Decimal(1).scaleb(-minor_units(self.currency))
        return Money((self.amount * factor).quantize(places, rounding=ROUND_HALF_UP), self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount >= other.amount

    # --- division without losing cents ------------------------------------------

    def allocate(self, weights: Sequence[int | Decimal]) -> list[Money]:
        """Split into parts proportional to ``weights`` whose sum is exactly this amount.

        Each part gets the floor of its exact share in minor units; the minor
        units left over go one each to the parts with the largest remainders
        (earlier parts first on equal remainders): the largest remainder method.
        """
        if not weights:
            raise InvalidMoney("Allocate an amount across at least one part")
        if any(Decimal(weight) < 0 for weight in weights):
            raise InvalidMoney(f"Allocation weights must not be negative: {list(weights)}")
        total_weight = sum((Decimal(weight) for weight in weights), Decimal(0))
        if total_weight == 0:
            raise InvalidMoney("Allocation weights must not all be zero")
        sign = -1 if self.minor_units < 0 else 1
        units = abs(self.minor_units)
        exact = [Decimal(units) * Decimal(weight) / total_weight for weight in weights]
        parts = [int(share) for share in exact]
        leftover = units - sum(parts)
        by_remainder = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
        for index in by_remainder[:leftover]:
            parts[index] += 1
        return [Money.from_minor(sign * part, self.currency) for part in parts]

    def split(self, count: int) -> list[Money]:
        """Into ``count`` parts as equal as the minor units allow (the first ones get the extra)."""
        return self.allocate([1] * count)


def total(amounts: Iterable[Money], currency: str) -> Money:
    """The sum of ``amounts`` (zero in ``currency`` when there are none)."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
