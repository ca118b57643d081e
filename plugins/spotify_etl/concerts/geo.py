"""Points on Earth and great-circle distances. Pure: nothing here reads or writes data."""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088  # the mean Earth radius (IUGG)


@dataclass(frozen=True)
class Point:
    """A latitude and longitude in degrees."""

    latitude: float
    longitude: float

    def as_dict(self) -> dict[str, float]:
        return {"latitude": self.latitude, "longitude": self.longitude}

    def __str__(self) -> str:
        """Write "LAT,LON" with up to 4 decimals (about 10 m), as --near takes it."""
        return ",".join(f"{v:.4f}".rstrip("0").rstrip(".") for v in (self.latitude,
                                                                    self.longitude))


def great_circle_km(a: Point, b: Point) -> float:
    """Return the great-circle (haversine) distance between two points, in km."""
    phi1, phi2 = math.radians(a.latitude), math.radians(b.latitude)
    d_phi = phi2 - phi1
    d_lambda = math.radians(b.longitude - a.longitude)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def parse_point(text: str) -> Point:
    """Parse "LAT,LON" (degrees); raise ValueError saying what is wrong."""
    parts = [part.strip() for part in str(text).split(",")]
    if len(parts) != 2:
        raise ValueError(f"{text!r} is not LATITUDE,LONGITUDE (e.g. 51.5074,-0.1278)")
    try:
        latitude, longitude = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError(f"{text!r} is not LATITUDE,LONGITUDE (e.g. 51.5074,-0.1278)") from None
    return checked_point(latitude, longitude)


def checked_point(latitude: float, longitude: float) -> Point:
    """Return the point, or raise ValueError naming the coordinate out of range."""
    if not (math.isfinite(latitude) and -90 <= latitude <= 90):
        raise ValueError(f"latitude must be between -90 and 90, got {latitude:g}")
    if not (math.isfinite(longitude) and -180 <= longitude <= 180):
        raise ValueError(f"longitude must be between -180 and 180, got {longitude:g}")
    return Point(latitude, longitude)
