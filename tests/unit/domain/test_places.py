"""Coordinates, distances and addresses, with errors that name the field."""

import pytest

from conveyor.domain.addresses import Address
from conveyor.domain.errors import InvalidAddress, InvalidCoordinates
from conveyor.domain.geo import Coordinates, distance_km

BERLIN = Coordinates(52.52, 13.405)
MUNICH = Coordinates(48.137, 11.575)


def test_great_circle_distance_between_berlin_and_munich_is_about_504_km():
    assert distance_km(BERLIN, MUNICH) == pytest.approx(504, abs=3)
    assert distance_km(BERLIN, BERLIN) == 0


def test_coordinates_out_of_range_name_the_field():
    with pytest.raises(InvalidCoordinates, match="lat: must be between -90 and 90") as caught:
        Coordinates(91, 0)
    assert caught.value.errors[0]["path"] == "lat"
    with pytest.raises(InvalidCoordinates, match="lon: must be between -180 and 180"):
        Coordinates(0, 181)


def test_an_address_reports_every_broken_field_at_once():
    with pytest.raises(InvalidAddress) as caught:
        Address.from_mapping(
            {"name": "", "line1": "Main St 1", "city": "Berlin", "country": "de", "email": "nope",
             "coordinates": {"lat": 100, "lon": 0}, "postcode": "10115"}
        )
    paths = {error["path"] for error in caught.value.errors}
    assert paths == {"name", "country", "email", "coordinates.lat", "postcode"}
    assert "write it in capitals" in caught.value.detail


def test_unknown_field_suggests_the_known_one():
    with pytest.raises(InvalidAddress, match="did you mean 'postal_code'"):
        Address.from_mapping({"name": "A", "line1": "B", "city": "C", "country": "DE", "postal_cod": "1"})


def test_a_valid_address_round_trips_through_its_mapping():
    address = Address.from_mapping(
        {"name": "Ada", "line1": "Main St 1", "city": "Berlin", "country": "DE", "postal_code": "10115",
         "coordinates": {"lat": 52.5, "lon": 13.4}}
    )
    assert Address.from_mapping(address.as_mapping()) == address


def test_geocoding_adds_coordinates_and_keeps_the_rest():
    address = Address("Ada", "Main St 1", "Berlin", "DE", postal_code="10115")
    placed = address.with_coordinates(BERLIN)
    assert placed.coordinates == BERLIN and placed.postal_code == "10115" and address.coordinates is None
