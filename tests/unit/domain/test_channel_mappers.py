"""Channel mappers on the platforms' own payloads (../shared/conformance/payloads) and on broken ones."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from conveyor.domain.channel_mappers import InvalidChannelPayload, PaymentStatus, map_payload, resolve
from conveyor.domain.channel_mappers.common import unit_price_of
from conveyor.domain.money import Money
from conveyor.domain.order_drafts import order_from_draft


def _payload(shared_dir: Path, platform: str, name: str) -> Any:
    # parse_float=Decimal as the service does: JSON numbers are read from their text, exactly
    path = shared_dir / "conformance" / "payloads" / platform / name
    if not path.is_file():
        pytest.skip(f"{path} is missing (the conformance payloads are not in this workspace)")
    return json.loads(path.read_text(), parse_float=Decimal)


def _paths(raised: pytest.ExceptionInfo[InvalidChannelPayload]) -> set[str]:
    return {error["path"] for error in raised.value.errors}


def _order(mapped: Any, skus: list[str]) -> Any:
    from datetime import UTC, datetime

    return order_from_draft(mapped.draft(skus), order_id="ORD-1", channel="shop", placed_at=datetime.now(UTC))


def test_the_shopify_order_maps_to_three_lines_totalling_409_94_usd_authorized(shared_dir: Path) -> None:
    mapped = map_payload("shopify", _payload(shared_dir, "shopify", "order.json"))
    assert mapped.platform_order_id == "450789469"
    assert mapped.number == "#1001"
    assert mapped.currency == "USD"
    assert mapped.payment_status is PaymentStatus.AUTHORIZED
    assert [line.platform_sku for line in mapped.lines] == ["IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"]
    assert mapped.lines[0].keys == ("IPOD2008GREEN", "variant:39072856", "product:632910392")
    assert {line.unit_price for line in mapped.lines} == {Money.parse("199.00", "USD")}
    assert mapped.tax == Money.parse("11.94", "USD")
    assert mapped.total == Money.parse("409.94", "USD")
    assert mapped.customer == {
        "name": "Bob Norman",
        "email": "bob.norman@hostmail.com",
        "external_id": "207119551",
    }
    assert mapped.shipping_address["country"] == "US"
    assert mapped.shipping_address["region"] == "KY"
    assert mapped.shipping_address["postal_code"] == "40202"
    # the draft is a valid order whose totals add up to the platform's total
    order = _order(mapped, [line.platform_sku for line in mapped.lines])
    assert len(order.lines) == 3
    assert order.totals.total == Money.parse("409.94", "USD")


def test_the_shopify_order_unwrapped_as_a_webhook_sends_it_maps_the_same(shared_dir: Path) -> None:
    wrapped = _payload(shared_dir, "shopify", "order.json")
    bare, whole = map_payload("shopify", wrapped["order"]), map_payload("shopify", wrapped)
    skus = [line.platform_sku for line in whole.lines]
    assert bare.draft(skus) == whole.draft(skus)
    assert (bare.lines[0].path, whole.lines[0].path) == ("line_items[0]", "order.line_items[0]")


def test_the_woocommerce_order_response_maps_to_two_lines_totalling_29_35(shared_dir: Path) -> None:
    mapped = map_payload(
        "woocommerce", _payload(shared_dir, "woocommerce", "wc_v3_order_create_response.json")
    )
    assert mapped.platform_order_id == "727"
    assert mapped.payment_status is PaymentStatus.PAID  # status processing: paid
    assert len(mapped.lines) == 2
    first, second = mapped.lines
    assert (first.platform_sku, first.keys, first.quantity) == ("", ("product:93",), 2)
    assert first.unit_price == Money.parse("3.00", "USD")
    assert second.keys == ("Bar3", "variant:23", "product:22")
    assert second.name == "Ship Your Idea \u2013 Color: Black, Size: M Test"  # HTML entity decoded
    assert (mapped.shipping, mapped.tax, mapped.discount) == (
        Money.parse("10.00", "USD"),
        Money.parse("1.35", "USD"),
        Money.parse("0", "USD"),
    )
    order = _order(mapped, ["MUG-STONE", "KNIFE-CHEF"])
    assert order.totals.total == Money.parse("29.35", "USD")
    assert order.customer.email == "john.doe@example.com"
    assert order.shipping_address.city == "San Francisco"


def test_skus_resolve_through_the_mapping_first_then_identity(shared_dir: Path) -> None:
    mapped = map_payload(
        "woocommerce", _payload(shared_dir, "woocommerce", "wc_v3_order_create_response.json")
    )
    skus, unmapped = resolve(mapped, {"product:93": "MUG-STONE"}, {"MUG-STONE", "Bar3"})
    assert (skus, unmapped) == (["MUG-STONE", "Bar3"], [])
    skus, unmapped = resolve(mapped, {}, {"MUG-STONE"})
    assert [(u.line, u.path, u.platform_sku, u.tried) for u in unmapped] == [
        (0, "line_items[0]", "", None),
        (1, "line_items[1]", "Bar3", "Bar3"),
    ]
    skus, unmapped = resolve(mapped, {"product:93": "GONE", "variant:23": "KNIFE-CHEF"}, {"KNIFE-CHEF"})
    assert skus[1] == "KNIFE-CHEF"
    assert [(u.line, u.tried) for u in unmapped] == [(0, "GONE")]


def test_a_woocommerce_create_request_is_not_an_order_and_every_missing_field_is_named(
    shared_dir: Path,
) -> None:
    with pytest.raises(InvalidChannelPayload) as raised:
        map_payload("woocommerce", _payload(shared_dir, "woocommerce", "wc_v3_order_create_request.json"))
    assert {"id", "currency", "line_items[0].subtotal", "line_items[1].subtotal", "total"} <= _paths(raised)


def test_broken_shopify_fields_are_named_by_their_json_path(shared_dir: Path) -> None:
    payload = copy.deepcopy(_payload(shared_dir, "shopify", "order.json"))
    order = payload["order"]
    order["line_items"][1]["quantity"] = 0
    order["line_items"][2]["price"] = "199.001"
    order["financial_status"] = "payed"
    order["shipping_address"]["country_code"] = "XX"
    order["currency"] = "ZZZ"
    with pytest.raises(InvalidChannelPayload) as raised:
        map_payload("shopify", payload)
    paths = _paths(raised)
    assert {"order.line_items[1].quantity", "order.financial_status", "order.currency"} <= paths
    assert "order.shipping_address.country_code" in paths
    message = next(e["msg"] for e in raised.value.errors if e["path"] == "order.financial_status")
    assert "did you mean 'paid'" in message


def test_a_shopify_total_that_does_not_add_up_is_refused(shared_dir: Path) -> None:
    payload = _payload(shared_dir, "shopify", "order.json")
    payload["order"]["total_price"] = "410.00"
    with pytest.raises(InvalidChannelPayload) as raised:
        map_payload("shopify", payload)
    assert _paths(raised) == {"order.total_price"}
    assert "409.94" in raised.value.errors[0]["msg"]


def test_shopify_prices_with_tax_included_add_no_tax(shared_dir: Path) -> None:
    payload = _payload(shared_dir, "shopify", "order.json")
    payload["order"]["taxes_included"] = True
    payload["order"]["total_price"] = "398.00"
    mapped = map_payload("shopify", payload)
    assert mapped.tax == Money.parse("0", "USD")
    assert mapped.total == Money.parse("398.00", "USD")


def test_a_line_total_that_units_do_not_divide_rounds_the_unit_price_up_into_the_discount() -> None:
    price, rounding = unit_price_of(Money.parse("10.00", "EUR"), 3)
    assert (price, rounding) == (Money.parse("3.34", "EUR"), Money.parse("0.02", "EUR"))
    price, rounding = unit_price_of(Money.parse("1000", "JPY"), 3)
    assert (price, rounding) == (Money.parse("334", "JPY"), Money.parse("2", "JPY"))


def test_a_woocommerce_line_of_three_for_ten_keeps_the_platform_total(shared_dir: Path) -> None:
    payload = _payload(shared_dir, "woocommerce", "wc_v3_order_create_response.json")
    line = payload["line_items"][1]
    line.update({"quantity": 3, "subtotal": "10.00", "total": "9.00"})  # a 1.00 coupon on the line
    payload.update({"total": str(Decimal("6.00") + Decimal("9.00") + Decimal("10.00") + Decimal("1.35"))})
    mapped = map_payload("woocommerce", payload)
    assert mapped.lines[1].unit_price == Money.parse("3.34", "USD")
    assert mapped.discount == Money.parse("1.02", "USD")
    assert _order(mapped, ["MUG-STONE", "KNIFE-CHEF"]).totals.total == Money.parse("26.35", "USD")


GENERIC = {
    "id": "A-1001",
    "currency": "EUR",
    "payment_status": "paid",
    "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
    "shipping_address": {
        "name": "Ada Lovelace",
        "line1": "Unter den Linden 1",
        "postal_code": "10117",
        "city": "Berlin",
        "country": "DE",
    },
    "lines": [{"sku": "TEE-BLK-M", "quantity": 2, "unit_price": "24.90", "name": "T-shirt"}],
    "shipping": "4.99",
    "total": "54.79",
}


def test_the_generic_format_maps_and_checks_its_total() -> None:
    mapped = map_payload("generic", GENERIC)
    assert (mapped.platform_order_id, mapped.payment_status, mapped.total) == (
        "A-1001",
        PaymentStatus.PAID,
        Money.parse("54.79", "EUR"),
    )
    assert _order(mapped, ["TEE-BLK-M"]).totals.total == Money.parse("54.79", "EUR")


def test_the_generic_format_refuses_float_amounts_unknown_fields_and_bad_lines() -> None:
    broken = copy.deepcopy(GENERIC)
    broken["lines"] = [{"sku": "", "quantity": "two", "unit_price": Decimal("24.9"), "colour": "red"}]
    broken["shipping"] = Decimal("4.99")
    broken["gift"] = True
    with pytest.raises(InvalidChannelPayload) as raised:
        map_payload("generic", broken)
    assert {
        "lines[0].sku",
        "lines[0].quantity",
        "lines[0].unit_price",
        "lines[0].colour",
        "shipping",
        "gift",
    } <= (_paths(raised))


def test_a_payload_that_is_not_an_object_is_refused() -> None:
    for platform in ("shopify", "woocommerce", "generic"):
        with pytest.raises(InvalidChannelPayload):
            map_payload(platform, [1, 2, 3])
