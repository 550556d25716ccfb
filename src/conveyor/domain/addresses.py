"""Postal addresses: where orders ship to and where warehouses are.

An address is checked for what a carrier label needs (a name, a street line, a
city, an ISO country code) and for obviously broken contact fields; every
problem names its field so a support agent can correct the address at once.
Coordinates are optional: an address without them is geocoded offline by an
adapter before allocation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from conveyor.domain.countries import COUNTRY_CODES
from conveyor.domain.errors import InvalidAddress, InvalidCoordinates
from conveyor.domain.geo import Coordinates
from conveyor.domain.problems import Problems, did_you_mean, problems_of

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{4,32}$")
_POSTAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{0,15}$")
_TEXT_LIMIT = 200
_TEXT_FIELDS = ("name", "line1", "line2", "city", "postal_code", "region", "country", "phone", "email")
_REQUIRED = frozenset({"name", "line1", "city", "country"})


@dataclass(frozen=True, slots=True)
class Address:
    name: str
    line1: str
    city: str
    country: str
    line2: str = ""
    postal_code: str = ""
    region: str = ""
    coordinates: Coordinates | None = None
    phone: str = ""
    email: str = ""

    def __post_init__(self) -> None:
        problems = address_problems({field: getattr(self, field) for field in _TEXT_FIELDS})
        problems.raise_if_any(InvalidAddress, "Invalid address")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Address:
        """From a JSON/YAML object; every problem (including unknown fields) is reported at once."""
        problems = Problems()
        known = {*_TEXT_FIELDS, "coordinates"}
        for key in data:
            if key not in known:
                problems.add(str(key), f"unknown field{did_you_mean(str(key), known)}")
        values: dict[str, Any] = {}
        for key in _TEXT_FIELDS:
            value = data.get(key, "")
            if value is None:
                value = ""
            values[key] = value.strip() if isinstance(value, str) else value
        coordinates = None
        raw = data.get("coordinates")
        if raw is not None:
            if isinstance(raw, Mapping):
                try:
                    coordinates = Coordinates(lat=raw.get("lat"), lon=raw.get("lon"))  # type: ignore[arg-type]
                except InvalidCoordinates as err:
                    problems.extend(problems_of(err), "coordinates")
            else:
                problems.add("coordinates", "must be an object with lat and lon")
        problems.extend(address_problems(values).items)
        problems.raise_if_any(InvalidAddress, "Invalid address")
        return cls(**values, coordinates=coordinates)

    def with_coordinates(self, coordinates: Coordinates) -> Address:
        """The same address once geocoded."""
        return replace(self, coordinates=coordinates)

    def as_mapping(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name, "line1": self.line1, "line2": self.line2, "city": self.city,
            "postal_code": self.postal_code, "region": self.region, "country": self.country,
            "phone": self.phone, "email": self.email,
        }  # fmt: skip
        if self.coordinates is not None:
            data["coordinates"] = {"lat": self.coordinates.lat, "lon": self.coordinates.lon}
        return data


def address_problems(values: Mapping[str, Any]) -> Problems:
    """Every problem with an address's text fields, by field name."""
    problems = Problems()
    for field in _TEXT_FIELDS:
        value = values.get(field, "")
        if not isinstance(value, str):
            problems.add(field, f"must be text, got {value!r}")
        elif field in _REQUIRED and not value.strip():
            problems.add(field, "is required")
        elif len(value) > _TEXT_LIMIT:
            problems.add(field, f"must be at most {_TEXT_LIMIT} characters")
    country, postal_code = values.get("country"), values.get("postal_code")
    phone, email = values.get("phone"), values.get("email")
    if isinstance(country, str) and country.strip() and country not in COUNTRY_CODES:
        hint = " (write it in capitals)" if country.upper() in COUNTRY_CODES else ""
        rule = "must be an ISO 3166-1 alpha-2 code such as 'DE' or 'US'"
        problems.add("country", f"{rule}, got {country!r}{hint}")
    if isinstance(postal_code, str) and postal_code and not _POSTAL_CODE.match(postal_code):
        problems.add("postal_code", f"{postal_code!r} is not a postal code")
    if isinstance(phone, str) and phone and not _PHONE.match(phone):
        problems.add("phone", f"{phone!r} is not a phone number")
    if isinstance(email, str) and email and not _EMAIL.match(email):
        problems.add("email", f"{email!r} is not an email address")
    return problems
