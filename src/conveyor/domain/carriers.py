"""Carriers, their services, rates and the rule that picks one for a parcel.

A service maps destinations to zones (``"US-CA"`` a region, ``"DE"`` a
country, ``"*"`` everywhere else; the most specific wins), prices each zone by
weight bands (the first band whose ``max_weight_grams`` holds the parcel) and
promises a number of transit days per zone.

Dimensional weight is optional per service: with ``volumetric_divisor`` set
(5000 is common: cm^3 per kg) and the parcel's size known, the charged weight
is the larger of the real weight and ``volume_mm3 / divisor`` grams.

Selection: of the services that serve the destination, price the parcel and
meet the promised delivery days, the cheapest wins; equal prices go to the
faster one, then by carrier and service code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from conveyor.domain.countries import COUNTRY_CODES
from conveyor.domain.errors import InvalidCarrier, NoCarrierServiceFits
from conveyor.domain.identifiers import CODE_RULE, is_code
from conveyor.domain.money import Money
from conveyor.domain.parcel import Parcel
from conveyor.domain.problems import Problems

REST_OF_WORLD = "*"


@dataclass(frozen=True, slots=True)
class WeightBand:
    max_weight_grams: int
    price: Money


@dataclass(frozen=True, slots=True)
class CarrierService:
    code: str
    name: str
    zones: Mapping[str, str]
    rates: Mapping[str, tuple[WeightBand, ...]]
    transit_days: Mapping[str, int]
    volumetric_divisor: int | None = None

    def __post_init__(self) -> None:
        service_problems(self).raise_if_any(InvalidCarrier, f"Invalid carrier service {self.code!r}")

    def zone_for(self, country: str, region: str = "") -> str | None:
        """The zone of a destination: region first, then country, then rest of world."""
        for key in (f"{country}-{region}" if region else None, country, REST_OF_WORLD):
            if key is not None and key in self.zones:
                return self.zones[key]
        return None

    def chargeable_weight(self, parcel: Parcel) -> int:
        volume = parcel.volume_mm3
        if self.volumetric_divisor is None or volume is None:
            return parcel.weight_grams
        return max(parcel.weight_grams, math.ceil(volume / self.volumetric_divisor))

    def price_for(self, zone: str, weight_grams: int) -> Money | None:
        """The rate of the first band that holds ``weight_grams``; None when too heavy."""
        for band in self.rates.get(zone, ()):
            if weight_grams <= band.max_weight_grams:
                return band.price
        return None


@dataclass(frozen=True, slots=True)
class Carrier:
    code: str
    name: str
    services: tuple[CarrierService, ...] = field(default=())
    active: bool = True

    def __post_init__(self) -> None:
        problems = Problems()
        if not is_code(self.code):
            problems.add("code", f"{self.code!r} is not a carrier code: {CODE_RULE}")
        if not isinstance(self.name, str) or not self.name.strip():
            problems.add("name", "is required")
        seen: set[str] = set()
        for index, service in enumerate(self.services):
            if service.code in seen:
                problems.add(("services", index, "code"), f"service {service.code!r} appears twice")
            seen.add(service.code)
        problems.raise_if_any(InvalidCarrier, f"Invalid carrier {self.code!r}")


@dataclass(frozen=True, slots=True)
class Quote:
    carrier: str
    service: str
    zone: str
    price: Money
    transit_days: int
    chargeable_weight_grams: int


def quotes(carriers: Iterable[Carrier], parcel: Parcel, *, country: str, region: str = "") -> list[Quote]:
    """Every active service's price for ``parcel`` to the destination, cheapest first."""
    found: list[Quote] = []
    for carrier in carriers:
        if not carrier.active:
            continue
        for service in carrier.services:
            zone = service.zone_for(country, region)
            if zone is None:
                continue
            weight = service.chargeable_weight(parcel)
            price = service.price_for(zone, weight)
            if price is not None:
                days = service.transit_days[zone]
                found.append(Quote(carrier.code, service.code, zone, price, days, weight))
    found.sort(key=lambda q: (q.price, q.transit_days, q.carrier, q.service))
    return found


def select_service(
    carriers: Iterable[Carrier],
    parcel: Parcel,
    *,
    country: str,
    region: str = "",
    promised_days: int | None = None,
) -> Quote:
    """The cheapest service that delivers within ``promised_days`` (tie: faster, then codes)."""
    every = quotes(carriers, parcel, country=country, region=region)
    fitting = [q for q in every if promised_days is None or q.transit_days <= promised_days]
    if fitting:
        return fitting[0]
    place = f"{country}-{region}" if region else country
    within = f" within {promised_days} day(s)" if promised_days is not None else ""
    fastest = min((q.transit_days for q in every), default=None)
    hint = f"; the fastest service takes {fastest} day(s)" if fastest is not None else ""
    raise NoCarrierServiceFits(
        f"No carrier service delivers a parcel of {parcel.weight_grams} g to {place}{within}{hint}",
        destination=place,
        weight_grams=parcel.weight_grams,
        promised_days=promised_days,
    )


def _is_zone_key(key: str) -> bool:
    country, dash, region = key.partition("-")
    return key == REST_OF_WORLD or (country in COUNTRY_CODES and (not dash or bool(region)))


def service_problems(service: CarrierService) -> Problems:
    """Every problem with a service's zones, bands and transit days."""
    problems = Problems()
    if not is_code(service.code):
        problems.add("code", f"{service.code!r} is not a service code: {CODE_RULE}")
    for key in service.zones:
        if not _is_zone_key(key):
            problems.add(("zones", key), "must be a country code ('DE'), country-region ('US-CA') or '*'")
    currencies: set[str] = set()
    for zone in sorted(set(service.zones.values())):
        bands = service.rates.get(zone)
        if not bands:
            problems.add(("rates", zone), f"zone {zone!r} has no weight bands")
            continue
        limits = [band.max_weight_grams for band in bands]
        if any(limit <= 0 for limit in limits) or limits != sorted(set(limits)):
            problems.add(("rates", zone), "weight bands must have increasing max_weight_grams above 0")
        currencies.update(band.price.currency for band in bands)
        days = service.transit_days.get(zone)
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            problems.add(("transit_days", zone), f"zone {zone!r} needs a whole number of transit days")
    if len(currencies) > 1:
        problems.add("rates", f"all rates of a service must be in one currency, found {sorted(currencies)}")
    if service.volumetric_divisor is not None and service.volumetric_divisor <= 0:
        problems.add("volumetric_divisor", "must be above 0 (5000 is common)")
    return problems
