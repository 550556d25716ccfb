"""Orders are built from what a channel sent, with an error per broken field."""

from datetime import UTC, datetime

import pytest

from conveyor.domain.errors import InvalidOrder
from conveyor.domain.money import Money
from conveyor.domain.order_drafts import order_from_draft
from conveyor.domain.order_status import OrderStatus, StatusProjection
from conveyor.domain.orders import OrderTotals

PLACED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ADDRESS = {"name": "Ada Lovelace", "line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117",
           "country": "DE"}


def draft(**changes):
    base = {
        "external_id": "A-1001",
        "currency": "EUR",
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "shipping_address": ADDRESS,
        "lines": [
            {"sku": "TS-1", "quantity": 2, "unit_price": "19.99"},
            {"sku": "MUG-1", "quantity": 1, "unit_price": "8.00"},
        ],
        "shipping": "4.99",
        "tax": "0",
    }
    base.update(changes)
    return base


def build(data, **options):
    return order_from_draft(data, order_id="o-1", channel="web", placed_at=PLACED, **options)


def paths(caught):
    return [error["path"] for error in caught.value.errors]


def test_a_valid_draft_becomes_an_order_with_totals_that_add_up():
    order = build(draft(discount="2.00", total="50.97"))
    assert order.totals.subtotal == Money.parse("47.98", "EUR")
    assert order.totals.total == Money.parse("50.97", "EUR")
    assert [line.line_no for line in order.lines] == [1, 2]
    assert order.billing_address == order.shipping_address
    assert order.status is OrderStatus.RECEIVED and order.units == 3


def test_zero_and_negative_quantities_name_their_lines():
    lines = [
        {"sku": "TS-1", "quantity": 1, "unit_price": "1.00"},
        {"sku": "TS-2", "quantity": 0, "unit_price": "1.00"},
        {"sku": "TS-3", "quantity": -4, "unit_price": "1.00"},
    ]
    with pytest.raises(InvalidOrder) as caught:
        build(draft(lines=lines))
    assert paths(caught) == ["lines[1].quantity", "lines[2].quantity"]
    assert "lines[2].quantity: must be at least 1, got -4" in caught.value.detail


def test_a_price_with_more_decimals_than_the_currency_allows_names_the_field():
    lines = [{"sku": "TS-1", "quantity": 1, "unit_price": "19.999"}]
    expected = r"lines\[0\]\.unit_price: 19\.999 has more decimals than EUR allows"
    with pytest.raises(InvalidOrder, match=expected):
        build(draft(lines=lines))


def test_a_price_written_as_a_float_is_refused():
    with pytest.raises(InvalidOrder) as caught:
        build(draft(shipping=4.99))
    assert paths(caught) == ["shipping"]


def test_unknown_sku_is_named_when_the_catalog_is_given():
    with pytest.raises(InvalidOrder) as caught:
        build(draft(), known_skus={"TS-1"})
    assert paths(caught) == ["lines[1].sku"]
    assert caught.value.errors[0]["type"] == "unknown_sku"


def test_every_broken_field_is_reported_together():
    data = draft(currency="EURO", shipping_address={**ADDRESS, "country": "Germany"}, customer={"name": ""})
    data["lines"] = []
    data["colour"] = "red"
    with pytest.raises(InvalidOrder) as caught:
        build(data)
    assert set(paths(caught)) == {"colour", "currency", "customer.name", "shipping_address.country", "lines"}


def test_a_stated_total_that_does_not_add_up_is_refused():
    with pytest.raises(InvalidOrder, match=r"total: is 10\.00 EUR but .* make 52\.97 EUR"):
        build(draft(total="10.00"))


def test_a_line_without_a_price_takes_the_catalog_price():
    lines = [{"sku": "TS-1", "quantity": 3}]
    order = build(draft(lines=lines), catalog_prices={"TS-1": Money.parse("5.00", "EUR")})
    assert order.totals.subtotal == Money.parse("15.00", "EUR")


def test_order_totals_compute_from_lines_shipping_tax_and_discount():
    order = build(draft())
    totals = OrderTotals.compute(order.lines, shipping=Money.parse("1", "EUR"), tax=Money.parse("2", "EUR"),
                                 discount=Money.parse("0.5", "EUR"))
    assert totals.total == Money.parse("50.48", "EUR")


def test_status_follows_the_workflows_milestones():
    projection = StatusProjection()
    milestones = ["order.created", "payment.authorized", "inventory.reserved", "pick_list.created"]
    assert projection.project(milestones) is OrderStatus.PICKING
    assert projection.project([*milestones, "shipment.handed_over"]) is OrderStatus.SHIPPED


def test_waiting_at_the_quality_check_shows_awaiting_quality_check():
    projection = StatusProjection()
    status = projection.project(["order.created", "inventory.reserved"], waiting_at=["quality_check"])
    assert status is OrderStatus.AWAITING_QUALITY_CHECK


def test_a_cancelled_order_stays_cancelled_whatever_comes_later():
    projection = StatusProjection()
    milestones = ["order.created", "order.cancelled", "pick_list.created"]
    assert projection.project(milestones) is OrderStatus.CANCELLED


def test_a_new_step_in_a_model_needs_only_a_new_mapping_entry():
    by_event = {"fraud.review_requested": OrderStatus.ON_HOLD}
    projection = StatusProjection(by_event=by_event, by_waiting_node={})
    assert projection.project(["fraud.review_requested"]) is OrderStatus.ON_HOLD
    assert OrderStatus.AWAITING_QUALITY_CHECK.label == "Awaiting quality check"
