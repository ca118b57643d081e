"""The sandbox's places: a handful of real cities, each with a few real music venues.

Coordinates are the venues' real positions (to about 100 m), time zones their IANA names, so
distances and local dates come out as they would for real concerts. Two cities sit at the ends
of the time-zone range (Auckland, Honolulu): a concert's local date and its UTC date differ there.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class City:
    """A city: its centre (where a person "near London" stands) and its time zone."""

    name: str
    country: str
    country_code: str
    state: str | None
    state_code: str | None
    latitude: float
    longitude: float
    timezone: str


@dataclass(frozen=True)
class Venue:
    """A real venue of a city."""

    name: str
    city: City
    address: str
    postal_code: str
    latitude: float
    longitude: float
    locality: str | None = None  # a district with its own name (Brooklyn), else the city

    @property
    def id(self) -> str:
        """Return a Ticketmaster-looking venue id, stable per venue name."""
        digest = int(hashlib.sha1(self.name.encode()).hexdigest(), 16)
        code = ""
        for _ in range(8):
            digest, digit = divmod(digest, 62)
            code += BASE62[digit]
        return "KovZ" + code


LONDON = City("London", "Great Britain", "GB", None, None, 51.5074, -0.1278, "Europe/London")
BERLIN = City("Berlin", "Germany", "DE", None, None, 52.5200, 13.4050, "Europe/Berlin")
PARIS = City("Paris", "France", "FR", None, None, 48.8566, 2.3522, "Europe/Paris")
NEW_YORK = City("New York", "United States Of America", "US", "New York", "NY", 40.7128,
                -74.0060, "America/New_York")
LOS_ANGELES = City("Los Angeles", "United States Of America", "US", "California", "CA",
                   34.0522, -118.2437, "America/Los_Angeles")
MEXICO_CITY = City("Mexico City", "Mexico", "MX", "Ciudad de México", "CDMX", 19.4326,
                   -99.1332, "America/Mexico_City")
SYDNEY = City("Sydney", "Australia", "AU", "New South Wales", "NSW", -33.8688, 151.2093,
              "Australia/Sydney")
AUCKLAND = City("Auckland", "New Zealand", "NZ", None, None, -36.8485, 174.7633,
                "Pacific/Auckland")
HONOLULU = City("Honolulu", "United States Of America", "US", "Hawaii", "HI", 21.3069,
                -157.8583, "Pacific/Honolulu")
CITIES = (LONDON, BERLIN, PARIS, NEW_YORK, LOS_ANGELES, MEXICO_CITY, SYDNEY, AUCKLAND, HONOLULU)

VENUES = (
    Venue("O2 Academy Brixton", LONDON, "211 Stockwell Road", "SW9 9SL", 51.4650, -0.1150),
    Venue("Roundhouse", LONDON, "Chalk Farm Road", "NW1 8EH", 51.5434, -0.1517),
    Venue("Eventim Apollo", LONDON, "45 Queen Caroline Street", "W6 9QH", 51.4910, -0.2244),
    Venue("Alexandra Palace", LONDON, "Alexandra Palace Way", "N22 7AY", 51.5942, -0.1310),
    Venue("Columbiahalle", BERLIN, "Columbiadamm 13-21", "10965", 52.4845, 13.3895),
    Venue("Tempodrom", BERLIN, "Möckernstraße 10", "10963", 52.5009, 13.3808),
    Venue("Uber Eats Music Hall", BERLIN, "Uber-Platz 2", "10243", 52.5060, 13.4430),
    Venue("L'Olympia", PARIS, "28 Boulevard des Capucines", "75009", 48.8702, 2.3284),
    Venue("Zénith Paris - La Villette", PARIS, "211 Avenue Jean Jaurès", "75019", 48.8940,
          2.3935),
    Venue("Le Bataclan", PARIS, "50 Boulevard Voltaire", "75011", 48.8631, 2.3708),
    Venue("Terminal 5", NEW_YORK, "610 W 56th St", "10019", 40.7697, -73.9926),
    Venue("Brooklyn Steel", NEW_YORK, "319 Frost St", "11222", 40.7193, -73.9388, "Brooklyn"),
    Venue("Radio City Music Hall", NEW_YORK, "1260 6th Ave", "10020", 40.7600, -73.9799),
    Venue("The Wiltern", LOS_ANGELES, "3790 Wilshire Blvd", "90010", 34.0617, -118.3086),
    Venue("Hollywood Bowl", LOS_ANGELES, "2301 N Highland Ave", "90068", 34.1122, -118.3391),
    Venue("Greek Theatre", LOS_ANGELES, "2700 N Vermont Ave", "90027", 34.1196, -118.2966),
    Venue("Auditorio Nacional", MEXICO_CITY, "Paseo de la Reforma 50", "11560", 19.4246,
          -99.1950),
    Venue("Palacio de los Deportes", MEXICO_CITY, "Av. Río Churubusco s/n", "08010", 19.4052,
          -99.0966),
    Venue("Hordern Pavilion", SYDNEY, "1 Driver Ave", "2021", -33.8913, 151.2247,
          "Moore Park"),
    Venue("Enmore Theatre", SYDNEY, "118-132 Enmore Rd", "2042", -33.8995, 151.1738, "Newtown"),
    Venue("Spark Arena", AUCKLAND, "42-80 Mahuhu Crescent", "1010", -36.8476, 174.7793),
    Venue("Auckland Town Hall", AUCKLAND, "301-305 Queen Street", "1010", -36.8526, 174.7639),
    Venue("Neal S. Blaisdell Arena", HONOLULU, "777 Ward Ave", "96814", 21.2966, -157.8500),
    Venue("Hawaii Theatre", HONOLULU, "1130 Bethel St", "96813", 21.3113, -157.8617),
)


def city_named(name: str) -> City:
    """Return a sandbox city by name (case-insensitive); raise KeyError naming the choices."""
    for city in CITIES:
        if city.name.lower() == name.strip().lower():
            return city
    raise KeyError(f"No sandbox city {name!r}; choose one of {', '.join(c.name for c in CITIES)}")
