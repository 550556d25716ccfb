"""Money keeps exact amounts in one currency and never loses a cent."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conveyor.domain.errors import CurrencyMismatch, InvalidMoney, UnknownCurrency
from conveyor.domain.money import Money, total


def test_amounts_keep_the_currencys_minor_units():
    assert Money.parse("12.5", "USD").as_string() == "12.50"
    assert Money.parse("1250", "JPY").as_string() == "1250"
    assert Money.parse("1.25", "KWD").as_string() == "1.250"
    assert Money.parse("12.50", "USD").minor_units == 1250


def test_parse_refuses_more_decimals_than_the_currency_allows_naming_the_value():
    with pytest.raises(InvalidMoney, match=r"12\.505 has more decimals than USD allows \(2\)"):
        Money.parse("12.505", "USD")
    with pytest.raises(InvalidMoney, match="JPY allows"):
        Money.parse("100.5", "JPY")


def test_trailing_zeros_beyond_the_minor_units_are_not_extra_decimals():
    assert Money.parse("12.500", "USD") == Money.parse("12.5", "USD")


def test_parse_refuses_floats_and_non_numbers():
    with pytest.raises(InvalidMoney, match="decimal string"):
        Money.parse(12.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(InvalidMoney, match="'twelve' is not a number"):
        Money.parse("twelve", "USD")
    with pytest.raises(InvalidMoney, match="floats cannot hold cents"):
        Money(12.5, "USD")  # type: ignore[arg-type]


def test_absurdly_large_or_infinite_amounts_are_refused():
    with pytest.raises(InvalidMoney, match="too large"):
        Money.parse("1e30", "USD")
    with pytest.raises(InvalidMoney, match="is not an amount of money"):
        Money.parse("Infinity", "USD")
    assert Money.parse("999999999999999.99", "USD").minor_units == 99999999999999999


def test_unknown_currency_is_refused_by_name():
    with pytest.raises(UnknownCurrency, match="'XYZ'"):
        Money.parse("1", "XYZ")


def test_arithmetic_combines_only_one_currency():
    assert Money.parse("1.10", "EUR") + Money.parse("2.20", "EUR") == Money.parse("3.30", "EUR")
    assert Money.parse("2.00", "EUR") * 3 == Money.parse("6.00", "EUR")
    with pytest.raises(CurrencyMismatch, match="one currency"):
        Money.parse("1", "EUR") + Money.parse("1", "USD")
    with pytest.raises(CurrencyMismatch):
        _ = Money.parse("1", "EUR") < Money.parse("1", "USD")


def test_rates_round_half_up_to_the_minor_unit():
    assert Money.parse("10.05", "EUR").scaled(Decimal("0.5")) == Money.parse("5.03", "EUR")


def test_allocation_gives_leftover_cents_to_the_largest_remainders():
    parts = Money.parse("100.00", "USD").allocate([1, 1, 1])
    assert [p.as_string() for p in parts] == ["33.34", "33.33", "33.33"]
    parts = Money.parse("0.10", "USD").allocate([1, 2])
    assert [p.as_string() for p in parts] == ["0.03", "0.07"]


def test_allocation_refuses_weights_that_cannot_share():
    with pytest.raises(InvalidMoney):
        Money.parse("1", "USD").allocate([0, 0])
    with pytest.raises(InvalidMoney):
        Money.parse("1", "USD").allocate([1, -1])


def test_total_of_nothing_is_zero_in_the_currency():
    assert total([], "GBP") == Money.zero("GBP")


@settings(max_examples=80, deadline=None)
@given(
    cents=st.integers(min_value=-10_000_000, max_value=10_000_000),
    weights=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(any),
    currency=st.sampled_from(["USD", "JPY", "KWD"]),
)
def test_allocated_parts_always_sum_to_the_whole(cents, weights, currency):
    whole = Money.from_minor(cents, currency)
    parts = whole.allocate(weights)
    assert total(parts, currency) == whole
    assert all(part.is_zero for part, weight in zip(parts, weights, strict=True) if weight == 0)
    exact = [abs(cents) * w / sum(weights) for w in weights]
    assert all(abs(abs(p.minor_units) - e) < 1 for p, e in zip(parts, exact, strict=True))
