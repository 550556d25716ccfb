"""Offline geocoding of addresses without coordinates, from the bundled GeoNames city list."""

from __future__ import annotations

import pytest

from conveyor.adapters.geocoding import AddressNotLocated, OfflineGeocoder, normalise_place
from conveyor.domain.addresses import Address
from conveyor.domain.geo import Coordinates, distance_km


@pytest.fixture(scope="module")
def geocoder() -> OfflineGeocoder:
    return OfflineGeocoder()


def _address(city: str, country: str, **extra: object) -> Address:
    return Address(name="Ada Lovelace", line1="1 Main Street", city=city, country=country, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("city", "country", "lat", "lon"),
    [("Berlin", "DE", 52.52, 13.40), ("Lyon", "FR", 45.75, 4.85), ("Austin", "US", 30.27, -97.74)],
)
def test_a_real_city_is_placed_within_a_few_kilometres(
    geocoder: OfflineGeocoder, city: str, country: str, lat: float, lon: float
) -> None:
    located = geocoder.locate(_address(city, country))
    assert distance_km(located, Coordinates(lat, lon)) < 5


def test_case_accents_and_local_names_do_not_matter(geocoder: OfflineGeocoder) -> None:
    munich = geocoder.locate(_address("München", "DE"))
    assert geocoder.locate(_address("munich", "DE")) == munich
    assert geocoder.locate(_address("FRANKFURT-AM-MAIN", "DE")) == geocoder.locate(
        _address("Frankfurt am Main", "DE")
    )
    assert normalise_place("Saint-Étienne") == "saint etienne"


def test_the_country_decides_between_cities_of_the_same_name(geocoder: OfflineGeocoder) -> None:
    paris_france = geocoder.locate(_address("Paris", "FR"))
    paris_texas = geocoder.locate(_address("Paris", "US"))
    assert paris_france.lon > 0 > paris_texas.lon


def test_an_address_with_coordinates_keeps_them(geocoder: OfflineGeocoder) -> None:
    own = Coordinates(1.5, 2.5)
    assert geocoder.locate(_address("Nowhere Special", "DE", coordinates=own)) == own


def test_a_misspelt_city_fails_clearly_naming_the_field_and_a_suggestion(geocoder: OfflineGeocoder) -> None:
    with pytest.raises(AddressNotLocated) as refused:
        geocoder.locate(_address("Berlni", "DE"))
    assert refused.value.code == "address_not_located"
    assert refused.value.errors[0]["loc"] == ["city"]
    assert "did you mean 'Berlin'" in refused.value.detail
