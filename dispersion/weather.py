"""Weather for the dispersion models: Pasquill–Gifford stability and the power-law wind profile.

* Stability class from the wind speed at 10 m and, by day, the incoming solar radiation
  (insolation) or, by night, the cloud cover: the Pasquill–Gifford table as given by Crowl &
  Louvar, *Chemical Process Safety* (3rd ed.), Table 5-1 (after Pasquill 1961 and Gifford 1961).
  Where the table gives two classes (A–B, B–C, C–D) hazmap takes the more stable one, which gives
  longer ground-level footprints (conservative for toxic and flammable endpoints).
* Insolation from the sun's elevation as in Turner (1964): strong above 60°, moderate 35–60°,
  slight 15–35° (and below); a sky more than half covered (≥ 5 oktas) lowers it by one class.
* Wind speed at height z from the power law u(z) = u₁₀ (z/10)^p with the exponents of EPA's ISC3
  model (User's Guide for the Industrial Source Complex Dispersion Models, EPA-454/B-95-003, vol. II)
  for rural and urban surfaces.

The Gaussian models need a wind of at least 1 m/s at 10 m (the lowest speed ALOHA accepts); a
slower wind is refused rather than extrapolated.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from dispersion.constants import P_ATM, T_AMBIENT
from dispersion.errors import DispersionInputError, require_choice, require_range

STABILITY_CLASSES = ("A", "B", "C", "D", "E", "F")
SURFACES = ("rural", "urban")
INSOLATION = ("strong", "moderate", "slight")
MIN_WIND_SPEED = 1.0  # m/s at 10 m
MAX_WIND_SPEED = 50.0  # m/s at 10 m

# Crowl & Louvar Table 5-1: (upper bound of the 10 m wind speed in m/s) -> day strong, moderate,
# slight; night with thin overcast or ≥ 4/8 low cloud, night with ≤ 3/8 cloud. Pairs resolved to
# the more stable class.
_PASQUILL = (
    (2.0, ("A", "B", "B", "F", "F")),
    (3.0, ("B", "B", "C", "E", "F")),
    (5.0, ("B", "C", "C", "D", "E")),
    (6.0, ("C", "D", "D", "D", "D")),
    (math.inf, ("C", "D", "D", "D", "D")),
)

# ISC3 wind-profile exponents p by class A..F
WIND_EXPONENTS = {
    "rural": (0.07, 0.07, 0.10, 0.15, 0.35, 0.55),
    "urban": (0.15, 0.15, 0.20, 0.25, 0.30, 0.30),
}


def pasquill_stability(
    wind_speed_10m: float,
    *,
    day: bool,
    insolation: str = "moderate",
    cloud_cover_oktas: float | None = None,
    overcast: bool = False,
) -> str:
    """Pasquill–Gifford stability class (A–F) from the wind speed at 10 m (m/s) — Crowl & Louvar Table 5-1.

    By day give ``insolation`` (strong, moderate, slight); by night give ``cloud_cover_oktas``
    (0–8; ≥ 4 counts as "thinly overcast or ≥ 4/8 low cloud"). ``overcast`` (heavy overcast,
    day or night) gives D whatever the wind, as the table's footnote says.
    """
    speed = require_range("wind_speed_m_s", wind_speed_10m, 0.0, MAX_WIND_SPEED, "m/s at 10 m")
    if overcast:
        return "D"
    classes = next(row for upper, row in _PASQUILL if speed < upper)
    if day:
        require_choice("insolation", insolation, INSOLATION)
        return classes[INSOLATION.index(insolation)]
    cloud = 0.0 if cloud_cover_oktas is None else require_range("cloud_cover_oktas", cloud_cover_oktas, 0, 8, "oktas")
    return classes[3] if cloud >= 4 else classes[4]


def insolation_class(sun_elevation_deg: float, cloud_cover_oktas: float = 0.0) -> str:
    """Insolation (strong, moderate, slight) from the sun's elevation (°) and cloud cover (oktas): Turner (1964)."""
    elevation = require_range("sun_elevation_deg", sun_elevation_deg, -90.0, 90.0, "degrees")
    cloud = require_range("cloud_cover_oktas", cloud_cover_oktas, 0.0, 8.0, "oktas")
    index = 0 if elevation > 60 else 1 if elevation > 35 else 2
    if cloud >= 5:
        index = min(index + 1, 2)
    return INSOLATION[index]


def solar_elevation_deg(lon: float, lat: float, when: dt.datetime) -> float:
    """Elevation of the sun (°) at (lon, lat) at the timezone-aware time ``when``.

    The NOAA "general solar position" approximation (declination and equation of time from the
    fractional year), accurate to about 0.5°, enough to choose an insolation class.
    """
    if when.tzinfo is None:
        raise DispersionInputError("when", when, "a timezone-aware date and time")
    utc = when.astimezone(dt.UTC)
    day_of_year = utc.timetuple().tm_yday
    hour = utc.hour + utc.minute / 60 + utc.second / 3600
    gamma = 2 * math.pi / 365 * (day_of_year - 1 + (hour - 12) / 24)
    eqtime = 229.18 * (
        0.000075
        + 0.001868 * math.cos(gamma)
        - 0.032077 * math.sin(gamma)
        - 0.014615 * math.cos(2 * gamma)
        - 0.040849 * math.sin(2 * gamma)
    )
    decl = (
        0.006918
        - 0.399912 * math.cos(gamma)
        + 0.070257 * math.sin(gamma)
        - 0.006758 * math.cos(2 * gamma)
        + 0.000907 * math.sin(2 * gamma)
        - 0.002697 * math.cos(3 * gamma)
        + 0.00148 * math.sin(3 * gamma)
    )
    true_solar_minutes = hour * 60 + eqtime + 4 * lon
    hour_angle = math.radians(true_solar_minutes / 4 - 180)
    phi = math.radians(lat)
    cos_zenith = math.sin(phi) * math.sin(decl) + math.cos(phi) * math.cos(decl) * math.cos(hour_angle)
    return 90.0 - math.degrees(math.acos(max(-1.0, min(1.0, cos_zenith))))


def wind_speed_at(height_m: float | np.ndarray, wind_speed_10m: float, stability: str, surface: str = "rural"):
    """Wind speed (m/s) at ``height_m`` from the speed at 10 m: u = u₁₀ (z/10)^p, ISC3 exponents.

    Heights below 1 m use the speed at 1 m.
    """
    require_choice("stability", stability, STABILITY_CLASSES)
    require_choice("surface", surface, SURFACES)
    p = WIND_EXPONENTS[surface][STABILITY_CLASSES.index(stability)]
    return wind_speed_10m * (np.maximum(height_m, 1.0) / 10.0) ** p


@dataclass(frozen=True)
class Weather:
    """The weather of a scenario (SI units): wind at 10 m, where it blows from, stability, surface.

    ``wind_from_deg`` is the direction the wind comes from, clockwise from north (meteorological
    convention: 270 is a west wind, blowing towards the east). ``stability`` may be left out; it is
    then chosen from the wind speed, ``day`` and ``insolation`` / ``cloud_cover_oktas``.
    ``relative_humidity`` (0–1) sets the water vapour that absorbs thermal radiation.
    """

    wind_speed_m_s: float
    wind_from_deg: float
    stability: str | None = None
    surface: str = "rural"
    temperature_k: float = T_AMBIENT
    pressure_pa: float = P_ATM
    relative_humidity: float = 0.7
    day: bool = True
    insolation: str = "moderate"
    cloud_cover_oktas: float | None = None

    def __post_init__(self) -> None:
        speed = require_range("wind_speed_m_s", self.wind_speed_m_s, 0.0, MAX_WIND_SPEED, "m/s at 10 m")
        if speed < MIN_WIND_SPEED:
            raise DispersionInputError(
                "wind_speed_m_s",
                self.wind_speed_m_s,
                f"at least {MIN_WIND_SPEED:g} m/s at 10 m",
                f"wind speed {speed:g} m/s is below the models' valid range (at least {MIN_WIND_SPEED:g} m/s "
                "at 10 m); calm conditions cannot be modelled with a Gaussian or Britter–McQuaid model",
            )
        require_range("wind_from_deg", self.wind_from_deg, 0.0, 360.0, "degrees from north")
        if self.stability is not None:
            require_choice("stability", self.stability, STABILITY_CLASSES)
        require_choice("surface", self.surface, SURFACES)
        require_range("temperature_k", self.temperature_k, 200.0, 340.0, "K")
        require_range("pressure_pa", self.pressure_pa, 50_000.0, 110_000.0, "Pa")
        require_range("relative_humidity", self.relative_humidity, 0.0, 1.0, "fraction")
        if self.cloud_cover_oktas is not None:
            require_range("cloud_cover_oktas", self.cloud_cover_oktas, 0.0, 8.0, "oktas")

    @property
    def stability_class(self) -> str:
        """The stability class given, or the one Crowl & Louvar Table 5-1 gives for this weather."""
        if self.stability is not None:
            return self.stability
        return pasquill_stability(
            self.wind_speed_m_s, day=self.day, insolation=self.insolation, cloud_cover_oktas=self.cloud_cover_oktas
        )

    @property
    def downwind_bearing_deg(self) -> float:
        """The bearing (° clockwise from north) the wind blows towards."""
        return (self.wind_from_deg + 180.0) % 360.0

    def air_density(self) -> float:
        """Density of the ambient air (kg/m³), dry air as an ideal gas."""
        from dispersion.constants import M_AIR, R

        return self.pressure_pa * M_AIR / (R * self.temperature_k)

    def water_vapour_pressure(self) -> float:
        """Partial pressure of water vapour (Pa): relative humidity × saturation pressure over water.

        Saturation pressure by the Magnus form of Alduchov & Eskridge (1996).
        """
        celsius = self.temperature_k - 273.15
        saturation = 610.94 * math.exp(17.625 * celsius / (celsius + 243.04))
        return self.relative_humidity * saturation
