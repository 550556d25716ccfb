"""Carrier rates and the rule that picks the service for a parcel."""

import pytest

from conveyor.domain.carriers import Carrier, CarrierService, WeightBand, select_service
from conveyor.domain.catalog import Product
from conveyor.domain.errors import InvalidCarrier, NoCarrierServiceFits
from conveyor.domain.money import Money
from conveyor.domain.parcel import Parcel, pack


def eur(text):
    return Money.parse(text, "EUR")


def bands(*pairs):
    return tuple(WeightBand(limit, eur(price)) for limit, price in pairs)


ECONOMY = CarrierService(
    "economy", "Economy",
    zones={"DE": "domestic", "AT": "eu", "FR": "eu", "*": "world"},
    rates={"domestic": bands((1000, "4.00"), (5000, "6.00"), (20000, "12.00")),
           "eu": bands((2000, "9.00"), (10000, "15.00")),
           "world": bands((2000, "25.00"))},
    transit_days={"domestic": 3, "eu": 6, "world": 14},
)
EXPRESS = CarrierService(
    "express", "Express",
    zones={"DE": "domestic", "AT": "eu", "US-HI": "remote"},
    rates={"domestic": bands((5000, "9.50")), "eu": bands((5000, "19.00")), "remote": bands((5000, "80.00"))},
    transit_days={"domestic": 1, "eu": 2, "remote": 5},
)
PARCELS = Carrier("parcels", "Parcels Inc", (ECONOMY,))
SWIFT = Carrier("swift", "Swift Couriers", (EXPRESS,))


def test_rate_is_the_first_weight_band_that_holds_the_parcel():
    assert ECONOMY.price_for("domestic", 1000) == eur("4.00")
    assert ECONOMY.price_for("domestic", 1001) == eur("6.00")
    assert ECONOMY.price_for("domestic", 20001) is None


def test_zone_is_the_most_specific_destination_match():
    assert EXPRESS.zone_for("US", "HI") == "remote"
    assert EXPRESS.zone_for("US", "CA") is None
    assert ECONOMY.zone_for("JP") == "world"
    assert ECONOMY.zone_for("AT") == "eu"


def test_cheapest_service_wins_when_no_delivery_promise_is_made():
    quote = select_service([PARCELS, SWIFT], Parcel(800), country="DE")
    assert (quote.carrier, quote.service, quote.price) == ("parcels", "economy", eur("4.00"))
    assert quote.transit_days == 3


def test_a_cheaper_service_too_slow_for_the_promise_loses_to_a_faster_one():
    quote = select_service([PARCELS, SWIFT], Parcel(800), country="DE", promised_days=2)
    assert (quote.carrier, quote.service) == ("swift", "express")


def test_equal_prices_go_to_the_faster_service_then_the_code():
    slow = CarrierService("slow", "Slow", {"DE": "z"}, {"z": bands((5000, "5.00"))}, {"z": 4})
    fast = CarrierService("fast", "Fast", {"DE": "z"}, {"z": bands((5000, "5.00"))}, {"z": 2})
    twin = CarrierService("fast", "Fast too", {"DE": "z"}, {"z": bands((5000, "5.00"))}, {"z": 2})
    assert select_service([Carrier("a", "A", (slow, fast))], Parcel(100), country="DE").service == "fast"
    carriers = [Carrier("b", "B", (twin,)), Carrier("a", "A", (fast,))]
    chosen = select_service(carriers, Parcel(100), country="DE")
    assert chosen.carrier == "a"


def test_no_fitting_service_names_the_destination_and_the_weight():
    with pytest.raises(NoCarrierServiceFits, match=r"30000 g to DE") as caught:
        select_service([PARCELS, SWIFT], Parcel(30000), country="DE")
    assert caught.value.extra["destination"] == "DE"
    with pytest.raises(NoCarrierServiceFits, match=r"to JP within 5 day\(s\); the fastest service takes 14"):
        select_service([PARCELS, SWIFT], Parcel(500), country="JP", promised_days=5)


def test_inactive_carriers_are_not_offered():
    retired = Carrier("swift", "Swift", (EXPRESS,), active=False)
    with pytest.raises(NoCarrierServiceFits):
        select_service([retired], Parcel(100), country="DE")


def test_dimensional_weight_charges_a_light_bulky_parcel_by_its_size():
    bulky = Parcel(500, (400, 300, 200))  # 24,000 cm3 / 5000 = 4.8 kg
    by_size = CarrierService(
        "dim", "Dim", ECONOMY.zones, ECONOMY.rates, ECONOMY.transit_days, volumetric_divisor=5000
    )
    assert by_size.chargeable_weight(bulky) == 4800
    assert by_size.price_for("domestic", by_size.chargeable_weight(bulky)) == eur("6.00")
    assert ECONOMY.chargeable_weight(bulky) == 500


def test_a_service_with_a_zone_without_rates_is_refused():
    with pytest.raises(InvalidCarrier, match=r"rates\.eu: zone 'eu' has no weight bands"):
        CarrierService("bad", "Bad", {"AT": "eu"}, {}, {"eu": 2})


def test_parcel_weight_is_the_products_plus_packaging():
    shirt = Product("TS-1", "Shirt", "apparel", eur("10.00"), 200, (300, 250, 20))
    mug = Product("MUG-1", "Mug", "kitchen", eur("8.00"), 350, (120, 90, 100))
    parcel = pack([(shirt, 2), (mug, 1)], tare_grams=100)
    assert parcel.weight_grams == 2 * 200 + 350 + 100
    assert parcel.dimensions_mm == (300, 250, 20 * 2 + 90)
