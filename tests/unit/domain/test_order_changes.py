"""When an order can still be cancelled, re-addressed or edited; edits and settings as read from input."""

from __future__ import annotations

import pytest

from conveyor.domain.order_changes import (
    AddressChangeRefused,
    InvalidOrderChange,
    LineChange,
    OrderNotCancellable,
    OrderNotEditable,
    OrderState,
    check_address_change,
    check_cancellable,
    check_editable,
    clean_reason,
    is_duration,
    read_line_changes,
    read_order_change_settings,
)
from conveyor.domain.problems import Problems, problems_of


@pytest.mark.parametrize(
    "status", ["received", "awaiting_payment_method", "backordered", "picking", "packed"]
)
def test_an_order_not_handed_over_can_be_cancelled(status: str) -> None:
    check_cancellable(OrderState("O1", status, ("packed",), has_label=True))


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (OrderState("O1", "shipped"), "handed over"),
        (OrderState("O1", "partially_shipped"), "handed over"),
        (OrderState("O1", "packed", ("handed_over",)), "handed over"),
        (OrderState("O1", "delivered"), "handed over"),
        (OrderState("O1", "cancelled"), "already cancelled"),
    ],
)
def test_cancelling_after_hand_over_or_twice_is_a_conflict_naming_why(state: OrderState, reason: str) -> None:
    with pytest.raises(OrderNotCancellable, match=reason) as refused:
        check_cancellable(state)
    assert refused.value.code == "order_not_cancellable"


def test_the_address_is_re_planned_before_the_label_intercepted_after_it_refused_after_hand_over() -> None:
    assert check_address_change(OrderState("O1", "picking")) == "reallocate"
    assert check_address_change(OrderState("O1", "packed", ("label_created",), has_label=True)) == "intercept"
    with pytest.raises(AddressChangeRefused, match="handed over"):
        check_address_change(OrderState("O1", "shipped", ("in_transit",), has_label=True))


def test_lines_can_change_until_picking_starts() -> None:
    check_editable(OrderState("O1", "awaiting_quality_check"))
    check_editable(OrderState("O1", "picking"))
    for state in (OrderState("O1", "picking", picking_started=True), OrderState("O1", "packed")):
        with pytest.raises(OrderNotEditable, match="Picking"):
            check_editable(state)


def test_an_edit_reads_the_wanted_quantity_per_sku() -> None:
    data = {"lines": [{"sku": "A", "quantity": 3}, {"sku": "B", "remove": True}, {"sku": "C", "quantity": 1}]}
    assert read_line_changes(data, {"A", "B", "C"}) == (
        LineChange("A", 3),
        LineChange("B", 0),
        LineChange("C", 1),
    )


def test_every_problem_of_an_edit_is_named_at_once() -> None:
    data = {
        "lines": [
            {"sku": "NOPE", "quantity": 1},
            {"sku": "A", "quantity": 0},
            {"sku": "B", "quantity": "2"},
            {"sku": "B", "quantity": 1},
            {"quantity": 1},
            "A",
        ]
    }
    with pytest.raises(InvalidOrderChange) as refused:
        read_line_changes(data, {"A", "B"})
    assert [p.path for p in problems_of(refused.value)] == [
        "lines[0].sku",
        "lines[1].quantity",
        "lines[2].quantity",
        "lines[3].sku",
        "lines[4].sku",
        "lines[5]",
    ]
    for empty in ({"lines": []}, {}, {"lines": "A"}):
        with pytest.raises(InvalidOrderChange):
            read_line_changes(empty, {"A"})


def test_a_reason_is_trimmed_required_and_bounded() -> None:
    assert clean_reason("  moved  ") == "moved"
    assert clean_reason(None, required=False) == ""
    for bad in ("", "   ", None, 3, "x" * 501):
        with pytest.raises(InvalidOrderChange):
            clean_reason(bad)


def test_the_settings_take_iso_durations_and_name_every_bad_field() -> None:
    problems = Problems()
    settings = read_order_change_settings({"payment_method_wait": "PT12H"}, ("order_changes",), problems)
    assert (
        settings is not None and settings.payment_method_wait == "PT12H" and settings.backorder_wait == "P14D"
    )
    assert (
        read_order_change_settings({"backorder_wait": "2 weeks", "other": 1}, ("order_changes",), problems)
        is None
    )
    assert sorted(p.path for p in problems.items) == ["order_changes.backorder_wait", "order_changes.other"]
    assert [is_duration(v) for v in ("P3D", "P2W", "PT1H30M", "P", "PT", "3D", 3)] == [
        True, True, True, False, False, False, False,
    ]  # fmt: skip
