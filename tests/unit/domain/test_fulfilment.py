"""Pick lists in walking order, pick confirmation, and tracking a shipment."""

from datetime import UTC, datetime, timedelta

import pytest

from conveyor.domain.errors import InvalidPickConfirmation, PickListNotOpen, TrackingTransitionNotAllowed
from conveyor.domain.fulfilment import PickList, PickListStatus
from conveyor.domain.parcel import Parcel
from conveyor.domain.shipments import Shipment, ShipmentLine, ShipmentStatus, TrackingEvent, TrackingEventType

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def pick_list():
    return PickList.create(
        "pl-1", order_id="o-1", warehouse="BER",
        items=[("C", 1, "A-10"), ("A", 2, "A-2"), ("D", 1, None), ("B", 3, "a-3"), ("E", 1, "B-1")],
    )


def test_pick_list_lines_are_in_natural_bin_order_with_binless_lines_last():
    assert [(line.bin_location, line.sku) for line in pick_list().lines] == [
        ("A-2", "A"), ("a-3", "B"), ("A-10", "C"), ("B-1", "E"), (None, "D"),
    ]


def test_the_same_sku_twice_becomes_one_line():
    merged = PickList.create("pl-2", order_id="o", warehouse="W", items=[("A", 1, "X-1"), ("A", 2, "X-1")])
    assert [(line.sku, line.quantity) for line in merged.lines] == [("A", 3)]


def test_a_full_pick_confirms_the_list():
    confirmed = pick_list().confirm({"A": 2, "B": 3, "C": 1, "D": 1, "E": 1}, at=NOW)
    assert confirmed.status is PickListStatus.PICKED and confirmed.shortages == {}


def test_picking_fewer_than_asked_is_a_short_pick():
    confirmed = pick_list().confirm({"A": 2, "B": 1, "C": 0, "D": 1, "E": 1}, at=NOW)
    assert confirmed.status is PickListStatus.SHORT_PICKED
    assert confirmed.shortages == {"B": 2, "C": 1}


def test_a_confirmation_may_not_exceed_the_asked_quantity_or_skip_lines():
    with pytest.raises(InvalidPickConfirmation) as caught:
        pick_list().confirm({"A": 5, "B": 3, "C": 1, "D": 1, "Z": 1}, at=NOW)
    messages = {error["path"]: error["msg"] for error in caught.value.errors}
    assert messages == {
        "picked.A": "5 picked but only 2 asked",
        "picked.E": "is missing: confirm every line (0 when nothing was found)",
        "picked.Z": "SKU 'Z' is not on pick list pl-1",
    }


def test_a_confirmed_list_cannot_be_confirmed_again():
    confirmed = pick_list().confirm_all(at=NOW)
    with pytest.raises(PickListNotOpen):
        confirmed.confirm_all(at=NOW)


def shipment():
    return Shipment("s-1", "o-1", "BER", (ShipmentLine("A", 2),), Parcel(900))


def event(kind, minutes=0):
    return TrackingEvent(TrackingEventType(kind), NOW + timedelta(minutes=minutes))


def handed_over():
    return shipment().with_label(carrier="dhl", service="parcel", tracking_number="T1").hand_over(at=NOW)


def test_a_shipment_moves_from_hand_over_through_transit_to_delivered():
    s = handed_over()
    for minutes, kind in enumerate(["in_transit", "in_transit", "out_for_delivery", "delivered"]):
        s = s.track(event(kind, minutes))
    assert s.status is ShipmentStatus.DELIVERED and len(s.events) == 4


def test_an_exception_can_be_followed_by_delivery():
    s = handed_over().track(event("exception")).track(event("delivered", 5))
    assert s.status is ShipmentStatus.DELIVERED


def test_nothing_follows_delivered():
    delivered = handed_over().track(event("delivered"))
    expected = "delivered cannot receive the tracking event 'in_transit'"
    with pytest.raises(TrackingTransitionNotAllowed, match=expected):
        delivered.track(event("in_transit", 1))


def test_tracking_before_hand_over_is_refused_with_a_hint():
    with pytest.raises(TrackingTransitionNotAllowed, match="hand it over to the carrier first"):
        shipment().track(event("in_transit"))


def test_the_same_event_delivered_twice_is_recorded_once():
    once = handed_over().track(event("delivered"))
    assert once.track(event("delivered")) is once


def test_delivery_is_due_after_the_transit_days_from_hand_over():
    assert handed_over().delivery_due(3) == NOW + timedelta(days=3)
    assert shipment().delivery_due(3) is None
