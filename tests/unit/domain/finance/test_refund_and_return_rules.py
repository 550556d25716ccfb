"""The refund and return rules of the domain: amounts, quantities, windows, inspections, settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from conveyor.domain.errors import InvalidConfigDocument, RefundExceedsCaptured
from conveyor.domain.money import Money
from conveyor.domain.refunds import (
    InvalidRefund,
    OrderLineFacts,
    RefundRaceLost,
    plan_refund,
    read_finance_settings,
)
from conveyor.domain.returns import (
    InvalidReturn,
    ReturnSettings,
    ReturnWindowClosed,
    ShippedLine,
    plan_return,
    read_carrier_exception_settings,
    read_inspection,
    read_return_settings,
)

EUR = "EUR"
LINES = [
    OrderLineFacts(1, "MUG", 2, Money.parse("12.50", EUR)),
    OrderLineFacts(2, "KNIFE", 1, Money.parse("64.00", EUR), refunded_quantity=1),
]


def _plan(**kw: object) -> object:
    args: dict[str, object] = {
        "currency": EUR,
        "lines": [],
        "shipping": None,
        "amount": None,
        "order_lines": LINES,
        "shipping_charged": Money.parse("4.99", EUR),
        "shipping_refunded": Money.zero(EUR),
        "ceiling": Money.parse("93.99", EUR),
        "claimed": Money.zero(EUR),
    }
    args.update(kw)
    return plan_refund(**args)  # type: ignore[arg-type]


def test_a_refund_adds_lines_partial_line_amounts_shipping_and_a_plain_amount() -> None:
    plan = _plan(lines=[{"line_no": 1, "quantity": 2, "amount": "20.00"}], shipping="4.99", amount="1.01")
    assert plan.total == Money.parse("26.00", EUR)  # type: ignore[attr-defined]


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(InvalidRefund) as caught:
        _plan(
            lines=[
                {"line_no": 1, "quantity": 3},
                {"line_no": 2, "quantity": 1},
                {"line_no": 9, "quantity": 1},
                {"line_no": 1, "quantity": 1},
            ],
            shipping="5.00",
            amount="-1",
        )
    paths = [e["path"] for e in caught.value.errors]
    assert paths == [
        "lines[0].quantity",
        "lines[1].quantity",
        "lines[2].line_no",
        "lines[3].line_no",
        "shipping",
        "amount",
    ]


def test_above_the_captured_amount_is_a_422_and_above_what_others_left_a_409() -> None:
    with pytest.raises(RefundExceedsCaptured) as too_much:
        _plan(amount="100.00")
    assert "100.00" in too_much.value.detail
    with pytest.raises(RefundRaceLost):
        _plan(amount="50.00", claimed=Money.parse("50.00", EUR))
    with pytest.raises(InvalidRefund):
        _plan()


def test_finance_settings_pick_the_channel_threshold_and_name_bad_paths() -> None:
    settings = read_finance_settings(
        {"refund_approval_threshold": "100", "channels": {"b2b": {"refund_approval_threshold": None}}}
    )
    assert settings.needs_approval(Money.parse("100.01", EUR), "web")
    assert not settings.needs_approval(Money.parse("100.00", EUR), "web")
    assert not settings.needs_approval(Money.parse("9999", EUR), "b2b")
    with pytest.raises(InvalidConfigDocument) as caught:
        read_finance_settings({"refund_approval_threshold": "-3", "typo": 1})
    assert {e["path"] for e in caught.value.errors} == {"finance.refund_approval_threshold", "finance.typo"}


NOW = datetime(2030, 1, 10, tzinfo=UTC)
SHIPPED = [
    ShippedLine(1, "MUG", 2, 2, 1, Money.parse("12.50", EUR)),
    ShippedLine(2, "KNIFE", 1, 0, 0, Money.parse("64.00", EUR)),
]


def _return(**kw: object) -> object:
    args: dict[str, object] = {
        "lines": [{"line_no": 1, "quantity": 1}],
        "reason_code": "damaged",
        "reason_text": "  cracked ",
        "shipped": SHIPPED,
        "window_starts": NOW - timedelta(days=3),
        "now": NOW,
        "settings": ReturnSettings(),
        "currency": EUR,
        "reason_codes": ["damaged", "size_fit"],
    }
    args.update(kw)
    return plan_return(**args)  # type: ignore[arg-type]


def test_a_return_of_shipped_units_inside_the_window_is_accepted() -> None:
    plan = _return()
    assert plan.value == Money.parse("12.50", EUR) and plan.reason_text == "cracked"  # type: ignore[attr-defined]


def test_never_shipped_already_returned_and_unknown_codes_are_named() -> None:
    with pytest.raises(InvalidReturn) as caught:
        _return(lines=[{"line_no": 1, "quantity": 2}, {"sku": "KNIFE", "quantity": 1}], reason_code="bored")
    paths = [e["path"] for e in caught.value.errors]
    assert paths == ["reason_code", "lines[0].quantity", "lines[1]"]
    assert "never shipped" in caught.value.errors[2]["msg"]


def test_outside_the_window_is_refused() -> None:
    with pytest.raises(ReturnWindowClosed):
        _return(window_starts=NOW - timedelta(days=31))
    assert _return(window_starts=NOW - timedelta(days=30)) is not None


def test_an_inspection_covers_every_line_once_with_known_values() -> None:
    done = read_inspection({"lines": [{"line_no": 1, "disposition": "scrap", "resolution": "refund"}]}, [1])
    assert done[0].disposition.value == "scrap"
    with pytest.raises(InvalidReturn) as caught:
        read_inspection(
            {"lines": [{"line_no": 1, "disposition": "burn"}, {"line_no": 3, "disposition": "scrap"}]}, [1, 2]
        )
    assert [e["path"] for e in caught.value.errors] == ["lines[0].disposition", "lines[1].line_no"]


def test_return_and_carrier_settings_are_read_with_defaults_and_paths() -> None:
    assert read_return_settings(None) == ReturnSettings()
    settings = read_return_settings({"auto_approve_below": None, "window_days": 14})
    assert settings.auto_approve_below is None and settings.window_days == 14
    assert not settings.auto_approves(Money.parse("0.01", EUR))
    assert ReturnSettings().auto_approve_below == Decimal("50.00")
    codes = read_carrier_exception_settings({"lost_codes": ["LOST"]})
    assert codes.kind_of("lost") == "lost" and codes.kind_of("crushed") == "damaged"
    assert codes.kind_of("weather") == "exception"
    with pytest.raises(InvalidConfigDocument) as caught:
        read_return_settings({"window_days": "soon", "parcel_wait_days": 0})
    assert {e["path"] for e in caught.value.errors} == {"returns.window_days", "returns.parcel_wait_days"}
