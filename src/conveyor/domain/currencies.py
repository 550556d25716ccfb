"""ISO 4217 minor units: how many decimals an amount in each currency may have.

The table covers the currencies sellers commonly price in. A currency that is
not listed is refused by name rather than guessed at: a wrong number of
decimals would silently round prices.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from conveyor.domain.errors import UnknownCurrency

_TWO = (
    "AED ARS AUD BDT BGN BRL CAD CHF CNY COP CZK DKK DZD EGP EUR GBP GEL HKD HUF IDR ILS INR KES KZT "
    "LKR MAD MXN MYR NGN NOK NZD PEN PHP PKR PLN QAR RON RSD RUB SAR SEK SGD THB TRY TWD UAH USD UYU "
    "ZAR"
)
_ZERO = "CLP ISK JPY KRW PYG RWF UGX VND XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"

MINOR_UNITS: Mapping[str, int] = MappingProxyType(
    dict.fromkeys(_TWO.split(), 2) | dict.fromkeys(_ZERO.split(), 0) | dict.fromkeys(_THREE.split(), 3)
)


def minor_units(currency: str) -> int:
    """The number of decimals ``currency`` allows; raises ``UnknownCurrency`` for others."""
    try:
        return MINOR_UNITS[currency]
    except (KeyError, TypeError) as err:
        raise UnknownCurrency(
            f"Unknown currency {currency!r}: use an ISO 4217 code such as 'USD', 'EUR' or 'JPY'",
            currency=str(currency),
        ) from err
