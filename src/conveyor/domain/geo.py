"""Where things are: latitude/longitude and the great-circle distance between them.

Distances decide which warehouse ships an order, so they are computed the same
way everywhere: the haversine formula on a sphere of the Earth's mean radius
(good to about 0.5 %, far finer than the choice between warehouses needs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from conveyor.domain.errors import InvalidCoordinates
from conveyor.domain.problems import Problems

EARTH_MEAN_RADIUS_KM = 6371.0088


@dataclass(frozen=True, slots=True)
class Coordinates:
    """A point on the Earth in decimal degrees (WGS 84)."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        problems = Problems()
        for name, value, limit in (("lat", self.lat, 90), ("lon", self.lon, 180)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                problems.add(name, f"must be a number of degrees, got {value!r}")
            elif not -limit <= value <= limit:
                problems.add(name, f"must be between -{limit} and {limit}, got {value}")
        problems.raise_if_any(InvalidCoordinates, "Invalid coordinates")

    def distance_km(self, other: Coordinates) -> float:
        return distance_km(self, other)


def distance_km(a: Coordinates, b: Coordinates) -> float:
    """Great-circle distance in kilometres (haversine)."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlon = math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_MEAN_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
