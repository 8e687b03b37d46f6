"""A release scenario from plain values to zones: source term, model choice, footprints, grid.

:func:`run` takes a :class:`Release` (what leaks, how, from what storage), a
:class:`~dispersion.weather.Weather` and the release point (lon, lat in EPSG:4326), and returns a
:class:`Result` with one :class:`Zone` per endpoint: the footprint as a shapely geometry in the
local metric frame and in EPSG:4326, its maximum distance and width, and (for toxic and flammable
clouds) the wind-direction envelope.

Choices made here, each stated in the result's ``limits`` when it applies:

* a release from a vessel keeps its initial (largest) rate until the inventory is gone; releases
  longer than one hour are cut at one hour (ALOHA's limit) and shorter than one minute become an
  instantaneous puff;
* a gas liquefied under pressure is taken to be airborne entirely, vapour and aerosol, as EPA's
  RMP OCA guidance treats such gases (no rain-out pool);
* a liquid stored at atmospheric pressure forms a pool (in its dike, or 1 cm deep unconfined) that
  evaporates by Mackay–Matsugu at the ambient temperature, for at most one hour;
* the dense-gas model (Britter–McQuaid) is chosen when the Richardson-number criteria say the
  cloud is heavier than air; past its last correlation it continues as a Gaussian plume or puff
  from a virtual source with the same concentration;
* toxic levels of another family than asked (AEGL → ERPG → IDLH) are drawn when the substance has
  none of that family shipped, and the result says so (``toxic_levels_fallback``);
* a toxic level is compared with the concentration averaged over the time it is defined for
  (AEGL 10/30/60 min, ERPG 60 min, IDLH 30 min): C·min(1, d/T) for a plume of duration d,
  min(Cpeak, dosage/T) for a puff; flammable levels with the concentration itself;
* the Gaussian models are not used beyond 10 km: a footprint that reaches farther is drawn to 10 km,
  and a level reached only within 10 m of the source is not drawn;
* explosions are centred on the release point (the drift of the cloud before ignition is not modelled).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

from dispersion import dense_gas, explosion, fire, footprint, gaussian, sigmas, source
from dispersion.constants import M_AIR, ONE_HOUR, R
from dispersion.endpoints import (
    Endpoint,
    flammable_endpoints,
    heat_flux_endpoints,
    overpressure_endpoints,
    thresholds,
    toxic_endpoints,
)
from dispersion.errors import DispersionInputError, Limit, require_choice, require_positive, require_range
from dispersion.properties import Properties, properties
from dispersion.raster import Grid, compute_grid
from dispersion.weather import Weather, wind_speed_at

KINDS = ("toxic", "flammable", "pool_fire", "jet_fire", "bleve", "vce")
STORAGES = ("atmospheric_liquid", "pressurised_liquefied", "compressed_gas", "refrigerated_liquefied")
RELEASES = ("hole", "catastrophic", "rate")
INSTANTANEOUS_BELOW_S = 60.0
VCE_CLOUD_TIME_S = 600.0  # a continuous release feeds an explosive cloud for at most 10 min (RMP OCA's release time)
GAUSSIAN_LIMIT_M = sigmas.VALID_TO_M
MIN_FOOTPRINT_M = 10.0  # footprints shorter than this are not drawn (a point source is not a model of the near field)
PROFILE_POINTS = 120
PROFILE_X = np.geomspace(1.0, GAUSSIAN_LIMIT_M, PROFILE_POINTS)  # m downwind where clouds are evaluated
SOOT_FREE = ("67-56-1", "64-17-5", "1333-74-0", "7664-41-7")  # clean-burning: methanol, ethanol, hydrogen, ammonia


@dataclass(frozen=True)
class Release:
    """What is released and how (SI units; pressures absolute).

    ``kind``: toxic, flammable (cloud), pool_fire, jet_fire, bleve, vce.
    ``release``: ``hole`` (a hole of ``hole_diameter_m`` below the liquid level), ``catastrophic``
    (the whole inventory at once) or ``rate`` (a given airborne ``rate_kg_s`` for ``duration_s``).
    ``storage`` as in ``geo.Equipment.Storage``. ``temperature_k`` is the storage temperature (default:
    ambient), ``pressure_pa`` the absolute pressure in the vessel (default for liquefied gases: the
    vapour pressure at ``temperature_k``; required for compressed gases). ``liquid_head_m`` is the liquid
    height above the hole (default: from the inventory and ``vessel_diameter_m``, hole at the bottom).
    ``standard`` chooses the overpressure and heat-flux levels (``us`` ALOHA/RMP, ``cn`` Chinese safety
    evaluation); ``toxic_family`` and ``exposure_min`` the toxic levels (AEGL 10/30/60 min, ERPG, IDLH).
    ``endpoints`` replaces the default levels.
    """

    cas: str
    kind: str = "toxic"
    release: str = "hole"
    storage: str = "pressurised_liquefied"
    inventory_kg: float | None = None
    hole_diameter_m: float | None = None
    vessel_diameter_m: float | None = None
    liquid_head_m: float | None = None
    temperature_k: float | None = None
    pressure_pa: float | None = None
    release_height_m: float = 0.0
    rate_kg_s: float | None = None
    duration_s: float | None = None
    dike_area_m2: float | None = None
    discharge_coefficient: float | None = None
    yield_factor: float = 0.03
    standard: str = "us"
    toxic_family: str = "AEGL"
    exposure_min: int = 60
    endpoints: tuple[Endpoint, ...] | None = None


@dataclass(frozen=True)
class SourceTerm:
    """What reaches the air (or burns): the airborne rate (kg/s) and duration (s), or an instantaneous mass (kg).

    ``source_fraction`` is the volume fraction of the substance in the cloud as it forms (1 for a
    release of the pure substance; the saturation fraction Pv/P above an evaporating pool).
    """

    model: str
    rate_kg_s: float
    duration_s: float
    mass_kg: float
    instantaneous: bool
    cloud_temperature_k: float
    discharge_rate_kg_s: float | None = None
    flash_fraction: float | None = None
    pool_area_m2: float | None = None
    jet_velocity_m_s: float | None = None
    vessel_pressure_pa: float | None = None
    source_fraction: float = 1.0
    limits: tuple[Limit, ...] = ()

    def as_dict(self) -> dict:
        """The source term as plain values."""
        return {
            "model": self.model,
            "rate_kg_s": self.rate_kg_s,
            "duration_s": self.duration_s,
            "mass_kg": self.mass_kg,
            "instantaneous": self.instantaneous,
            "cloud_temperature_k": self.cloud_temperature_k,
            "discharge_rate_kg_s": self.discharge_rate_kg_s,
            "flash_fraction": self.flash_fraction,
            "pool_area_m2": self.pool_area_m2,
            "jet_velocity_m_s": self.jet_velocity_m_s,
            "vessel_pressure_pa": self.vessel_pressure_pa,
            "source_fraction": self.source_fraction,
        }


@dataclass(frozen=True)
class Zone:
    """The area where one endpoint is exceeded: local frame (m about the source) and EPSG:4326 geometries."""

    endpoint: Endpoint
    local: shapely.Geometry
    area: MultiPolygon
    envelope: MultiPolygon
    max_distance_m: float
    max_width_m: float

    @property
    def reached(self) -> bool:
        """Whether the endpoint is exceeded anywhere (False: the zone is empty)."""
        return not self.area.is_empty

    def as_dict(self) -> dict:
        """The zone as plain values (geometries as GeoJSON-like mappings in EPSG:4326)."""
        return {
            "endpoint": self.endpoint.name,
            "threshold": self.endpoint.display_value,
            "threshold_unit": self.endpoint.unit,
            "severity": self.endpoint.severity,
            "max_distance_m": self.max_distance_m,
            "max_width_m": self.max_width_m,
            "area": shapely.geometry.mapping(self.area),
            "envelope": shapely.geometry.mapping(self.envelope),
        }


@dataclass
class Result:
    """Zones of one scenario, the source term, the model used, its limits and the field behind the zones.

    ``quantity`` is what the field measures (concentration in kg/m³ — for a puff its peak as it
    passes —, overpressure in Pa, heat flux in W/m²); :meth:`field` evaluates it at local (east, north)
    points and :meth:`grid` on a grid.
    """

    kind: str
    model: str
    lon: float
    lat: float
    stability: str
    downwind_bearing_deg: float
    source: SourceTerm
    zones: list[Zone]
    limits: list[Limit]
    quantity: str
    unit: str
    substance: str
    _field: Callable[[np.ndarray, np.ndarray], np.ndarray] = field(repr=False)

    def field(self, east, north) -> np.ndarray:
        """The modelled quantity (SI) at local points ``east``, ``north`` (m from the source)."""
        return self._field(np.asarray(east, dtype=float), np.asarray(north, dtype=float))

    def grid(self, cell_size_m: float | None = None, half_size_m: float | None = None) -> Grid:
        """The field on a square grid covering the largest zone (10 % margin), 200 cells across by default."""
        reach = max((z.max_distance_m for z in self.zones), default=0.0)
        half = half_size_m or max(1.1 * reach, 50.0)
        cell = cell_size_m or 2.0 * half / 200.0
        return compute_grid(self.field, half, cell, self.lon, self.lat, self.unit, self.quantity)

    def as_dict(self) -> dict:
        """The result as plain values (what an HTTP layer returns)."""
        return {
            "kind": self.kind,
            "model": self.model,
            "substance": self.substance,
            "source_point": [self.lon, self.lat],
            "stability": self.stability,
            "downwind_bearing_deg": self.downwind_bearing_deg,
            "source": self.source.as_dict(),
            "zones": [zone.as_dict() for zone in self.zones],
            "limits": [{"code": limit.code, "message": limit.message} for limit in self.limits],
        }


# ---------------------------------------------------------------- checks


def _check(release: Release, lon: float, lat: float) -> None:
    require_range("lon", lon, -180.0, 180.0, "degrees east")
    require_range("lat", lat, -85.0, 85.0, "degrees north")
    require_choice("kind", release.kind, KINDS)
    require_choice("release", release.release, RELEASES)
    require_choice("storage", release.storage, STORAGES)
    require_choice("standard", release.standard, ("us", "cn"))
    if release.storage == "refrigerated_liquefied":
        raise DispersionInputError(
            "storage",
            release.storage,
            "atmospheric_liquid, pressurised_liquefied or compressed_gas",
            "releases from refrigerated liquefied storage (boiling pools) are not modelled yet",
        )
    if release.release == "rate":
        require_positive("rate_kg_s", release.rate_kg_s, "kg/s")
        if release.duration_s is None and release.inventory_kg is None:
            raise DispersionInputError("duration_s", None, "a duration (s) or an inventory (kg) with a given rate")
    else:
        require_positive("inventory_kg", release.inventory_kg, "kg")
    if release.duration_s is not None:
        require_positive("duration_s", release.duration_s, "s")
    if release.release == "hole":
        require_positive("hole_diameter_m", release.hole_diameter_m, "m")
        if release.vessel_diameter_m is not None:
            vessel = require_positive("vessel_diameter_m", release.vessel_diameter_m, "m")
            if release.hole_diameter_m >= vessel:
                raise DispersionInputError(
                    "hole_diameter_m",
                    release.hole_diameter_m,
                    f"a hole smaller than the vessel ({vessel:g} m across); use release 'catastrophic' for a rupture",
                    f"a hole of {release.hole_diameter_m:g} m is larger than the vessel ({vessel:g} m across)",
                )
    if release.temperature_k is not None:
        require_range("temperature_k", release.temperature_k, 100.0, 800.0, "K")
    if release.pressure_pa is not None:
        require_range("pressure_pa", release.pressure_pa, 1.0, 1e8, "Pa absolute")
    if release.dike_area_m2 is not None:
        require_positive("dike_area_m2", release.dike_area_m2, "m²")
    if release.discharge_coefficient is not None:
        require_range("discharge_coefficient", release.discharge_coefficient, 0.1, 1.0, "dimensionless")
    require_range("release_height_m", release.release_height_m, 0.0, 300.0, "m")
    require_range("yield_factor", release.yield_factor, 1e-4, 1.0, "fraction")
    allowed = {
        "pool_fire": ("atmospheric_liquid",),
        "jet_fire": ("compressed_gas", "pressurised_liquefied"),
        "bleve": ("pressurised_liquefied",),
    }
    if release.kind in allowed and release.storage not in allowed[release.kind]:
        raise DispersionInputError(
            "storage", release.storage, f"{' or '.join(allowed[release.kind])} for a {release.kind}"
        )
    if release.kind == "pool_fire" and release.release == "rate":
        raise DispersionInputError("release", release.release, "hole or catastrophic for a pool fire")
    if release.kind == "jet_fire" and release.release != "hole":
        raise DispersionInputError("release", release.release, "hole for a jet fire")
    if release.kind == "bleve" and release.release != "catastrophic":
        raise DispersionInputError("release", release.release, "catastrophic for a BLEVE")


# ---------------------------------------------------------------- source term


def source_term(release: Release, weather: Weather, props: Properties) -> SourceTerm:
    """The airborne (or burning) source of ``release`` in ``weather`` for a substance with ``props``."""
    ambient = weather.temperature_k
    temperature = release.temperature_k or ambient
    limits: list[Limit] = []

    if release.release == "rate":
        rate = float(release.rate_kg_s)
        duration = release.duration_s or release.inventory_kg / rate
        return _finish(SourceTerm("given rate", rate, duration, rate * duration, False, temperature), limits)

    inventory = float(release.inventory_kg)
    if release.storage == "atmospheric_liquid":
        return _liquid_pool(release, weather, props, inventory, temperature, limits)

    if release.storage == "pressurised_liquefied":
        tb = props.require("boiling_point")
        if temperature <= tb:
            raise DispersionInputError(
                "temperature_k",
                temperature,
                f"above the normal boiling point of {props.name} ({tb:.1f} K) for storage pressurised_liquefied",
            )
        pressure = release.pressure_pa or props.vapour_pressure(temperature)
        cp = props.liquid_heat_capacity(0.5 * (tb + temperature))
        hv = props.heat_of_vaporisation(tb)
        flashed = source.flash_fraction(cp, temperature, tb, hv)
        limits.append(
            Limit(
                "all_airborne",
                "the whole release is taken as airborne, vapour and aerosol (as RMP OCA guidance treats gases "
                "liquefied under pressure); a rain-out pool is not modelled",
            )
        )
        if release.release == "catastrophic":
            return _finish(
                SourceTerm(
                    "catastrophic failure (instantaneous)",
                    0.0,
                    0.0,
                    inventory,
                    True,
                    tb,
                    flash_fraction=flashed,
                    vessel_pressure_pa=pressure,
                ),
                limits,
            )
        # A hole in the vessel wall is too short for the liquid to flash inside it: it leaves as liquid
        # driven by the vessel pressure and its head, and flashes outside (TNO Yellow Book, CPR 14E,
        # §2.5.3.5; CCPS consequence-analysis guidelines §2.1.2.2: non-equilibrium flow for L < 0.1 m).
        # The equilibrium two-phase rate, which applies to pipes longer than 0.1 m, would give several
        # times less and understate the release.
        rho_l = props.liquid_density(temperature)
        head = release.liquid_head_m
        if head is None and release.vessel_diameter_m is not None:
            head = inventory / rho_l / (math.pi * release.vessel_diameter_m**2 / 4.0)
        if head is None:
            head = 0.0
            limits.append(
                Limit("no_liquid_head", "the liquid head above the hole is not known; the vessel pressure alone drives")
            )
        area = source.hole_area(release.hole_diameter_m)
        cd = release.discharge_coefficient or source.LIQUID_DISCHARGE_COEFFICIENT
        rate = source.liquid_discharge(cd, area, rho_l, head, pressure, weather.pressure_pa)
        duration = release.duration_s or inventory / rate
        rho_v = props.gas_density(temperature, props.vapour_pressure(temperature))
        velocity = rate / (area * (1.0 / (flashed / rho_v + (1.0 - flashed) / rho_l)))
        term = SourceTerm(
            "liquefied gas through a hole (liquid in the hole, flashing outside)",
            rate,
            duration,
            rate * duration,
            False,
            tb,
            discharge_rate_kg_s=rate,
            flash_fraction=flashed,
            jet_velocity_m_s=velocity,
            vessel_pressure_pa=pressure,
        )
        return _finish(term, limits)

    # compressed gas
    if release.pressure_pa is None:
        raise DispersionInputError("pressure_pa", None, "the absolute pressure (Pa) of a compressed gas")
    pressure = float(release.pressure_pa)
    if release.release == "catastrophic":
        return _finish(
            SourceTerm(
                "catastrophic failure (instantaneous)",
                0.0,
                0.0,
                inventory,
                True,
                temperature,
                vessel_pressure_pa=pressure,
            ),
            limits,
        )
    gamma = props.heat_capacity_ratio(temperature)
    area = source.hole_area(release.hole_diameter_m)
    cd = release.discharge_coefficient or source.GAS_DISCHARGE_COEFFICIENT
    rate, choked = source.gas_discharge(cd, area, pressure, temperature, props.molar_mass, gamma, weather.pressure_pa)
    if choked:
        velocity = math.sqrt(gamma * R * (2.0 * temperature / (gamma + 1.0)) / props.molar_mass)
    else:
        velocity = rate / (area * props.gas_density(temperature, weather.pressure_pa))
    duration = release.duration_s or inventory / rate
    model = "gas through a hole (" + ("choked" if choked else "subsonic") + ")"
    return _finish(
        SourceTerm(
            model,
            rate,
            duration,
            rate * duration,
            False,
            temperature,
            discharge_rate_kg_s=rate,
            jet_velocity_m_s=velocity,
            vessel_pressure_pa=pressure,
        ),
        limits,
    )


def _liquid_pool(
    release: Release, weather: Weather, props: Properties, inventory: float, temperature: float, limits: list[Limit]
) -> SourceTerm:
    tb = props.require("boiling_point")
    if temperature >= tb or weather.temperature_k >= tb:
        raise DispersionInputError(
            "temperature_k",
            temperature,
            f"below the normal boiling point of {props.name} ({tb:.1f} K) for storage atmospheric_liquid",
        )
    rho = props.liquid_density(temperature)
    spilled = inventory
    discharge = None
    if release.release == "hole":
        head = release.liquid_head_m
        if head is None:
            if release.vessel_diameter_m is None:
                raise DispersionInputError(
                    "liquid_head_m", None, "the liquid height above the hole (m), or the vessel diameter (m)"
                )
            head = inventory / rho / (math.pi * release.vessel_diameter_m**2 / 4.0)
        cd = release.discharge_coefficient or source.LIQUID_DISCHARGE_COEFFICIENT
        discharge = source.liquid_discharge(
            cd,
            source.hole_area(release.hole_diameter_m),
            rho,
            head,
            release.pressure_pa or weather.pressure_pa,
            weather.pressure_pa,
        )
        spilled = min(inventory, discharge * (release.duration_s or ONE_HOUR))
    area = source.pool_area(spilled / rho, release.dike_area_m2)
    diameter = source.pool_diameter(area)
    pool_temperature = weather.temperature_k
    vapour_pressure = props.vapour_pressure(pool_temperature)
    evaporation = source.mackay_matsugu_evaporation(
        diameter, weather.wind_speed_m_s, vapour_pressure, props.molar_mass, pool_temperature
    )
    duration = min(release.duration_s or ONE_HOUR, spilled / evaporation)
    limits.append(Limit("pool_at_full_size", "the pool evaporates at its full size from the start (conservative)"))
    term = SourceTerm(
        "pool evaporation (Mackay–Matsugu)",
        evaporation,
        duration,
        evaporation * duration,
        False,
        pool_temperature,
        discharge_rate_kg_s=discharge,
        pool_area_m2=area,
        source_fraction=vapour_pressure / weather.pressure_pa,
    )
    return _finish(term, limits)


def _finish(term: SourceTerm, limits: list[Limit]) -> SourceTerm:
    if not term.instantaneous and term.duration_s > ONE_HOUR:
        limits.append(Limit("duration_capped", "the release lasts longer than one hour; it is modelled for one hour"))
        term = _replace(term, duration_s=ONE_HOUR, mass_kg=term.rate_kg_s * ONE_HOUR)
    if not term.instantaneous and term.duration_s < INSTANTANEOUS_BELOW_S:
        limits.append(
            Limit(
                "short_release_as_puff",
                "the release lasts less than one minute; it is modelled as an instantaneous puff",
            )
        )
        term = _replace(term, instantaneous=True)
    return _replace(term, limits=tuple(limits))


def _replace(term: SourceTerm, **changes) -> SourceTerm:
    return dataclass_replace(term, **changes)


# ---------------------------------------------------------------- dispersion


def _log_cross(x0: float, x1: float, c0: float, c1: float, target: float) -> float:
    """x between x0 and x1 where c (log-log linear between the two points) equals target."""
    if c0 <= 0 or c1 <= 0 or c0 == c1:
        return x1
    fraction = math.log(target / c0) / math.log(c1 / c0)
    return math.exp(math.log(x0) + min(max(fraction, 0.0), 1.0) * (math.log(x1) - math.log(x0)))


def _outline(x: np.ndarray, c: np.ndarray, widths: np.ndarray, threshold: float, start_at_source: bool):
    """(x, half-width) of the edge where c ≥ threshold, closed at both ends; None when never reached; truncated flag."""
    above = c >= threshold
    if not above.any():
        return None, False
    i0 = int(np.argmax(above))
    i1 = len(above) - 1 - int(np.argmax(above[::-1]))
    xs = list(x[i0 : i1 + 1])
    bs = list(widths[i0 : i1 + 1])
    truncated = i1 == len(x) - 1
    end = x[-1] if truncated else _log_cross(x[i1], x[i1 + 1], c[i1], c[i1 + 1], threshold)
    xs.append(end)
    bs.append(0.0)
    if i0 > 0:
        xs.insert(0, _log_cross(x[i0 - 1], x[i0], c[i0 - 1], c[i0], threshold))
        bs.insert(0, 0.0)
    else:
        xs.insert(0, 0.0 if start_at_source else x[0])
        bs.insert(0, 0.0 if start_at_source else bs[0])
        if not start_at_source:
            xs.insert(0, x[0])
            bs.insert(0, 0.0)
    return (np.array(xs), np.array(bs)), truncated


@dataclass
class _Cloud:
    """A dispersion solution along the wind (x downwind, m) at ground level.

    ``peak`` is the centreline concentration (kg/m³): the steady value of a plume, the highest value of
    a passing puff; ``dosage`` (kg·s/m³) is a puff's time-integrated centreline concentration;
    ``widths(centreline, threshold)`` gives the half-width (m) where the concentration exceeds the
    threshold; ``field(x, y)`` the concentration (plume) or peak concentration (puff) anywhere.
    """

    model: str
    x: np.ndarray
    peak: np.ndarray
    dosage: np.ndarray | None
    duration_s: float
    widths: Callable[[np.ndarray, float], np.ndarray]
    field: Callable[[np.ndarray, np.ndarray], np.ndarray]
    start_at_source: bool
    limits: list[Limit]

    def centreline(self, exposure_s: float | None) -> np.ndarray:
        """The centreline concentration compared with an endpoint, averaged over its exposure time when it has one.

        A plume of duration d gives C·min(1, d/T); a puff gives min(Cpeak, dosage/T).
        """
        if exposure_s is None:
            return self.peak
        if self.dosage is not None:
            return np.minimum(self.peak, self.dosage / exposure_s)
        return self.peak * min(1.0, self.duration_s / exposure_s)


def _cloud(term: SourceTerm, weather: Weather, props: Properties, height: float, stability: str) -> _Cloud:
    surface = weather.surface
    u10 = weather.wind_speed_m_s
    u = float(wind_speed_at(max(height, 10.0), u10, stability, surface))
    y0 = term.source_fraction
    molar_mass = y0 * props.molar_mass + (1.0 - y0) * M_AIR
    rho0 = weather.pressure_pa * molar_mass / (R * term.cloud_temperature_k)  # the cloud as it forms
    substance = props.gas_density(term.cloud_temperature_k, weather.pressure_pa) * y0  # kg of substance per m³ of it
    g0 = dense_gas.reduced_gravity(rho0, weather.air_density())
    pure = props.gas_density(weather.temperature_k, weather.pressure_pa)  # the pure vapour at ambient conditions
    dense = _Dense(g0, u10, u, pure * y0, weather.temperature_k / term.cloud_temperature_k, stability, surface)
    x = PROFILE_X
    ground = height <= 1.0

    if term.instantaneous:
        mass = term.mass_kg
        v0 = mass / substance
        if ground and dense_gas.instantaneous_is_dense(g0, v0, u10):
            return _dense_puff(x, mass, v0, dense)
        peak = gaussian.puff_ground_peak(mass, x, height, stability)
        sy = sigmas.puff_sigma_y(x, stability)
        dosage = mass / (np.pi * sy * sigmas.puff_sigma_z(x, stability) * u)
        dosage = dosage * np.exp(-(height**2) / (2 * sigmas.puff_sigma_z(x, stability) ** 2))

        def puff_widths(centre: np.ndarray, threshold: float) -> np.ndarray:
            return gaussian.crosswind_half_width(sy, centre, threshold)

        def puff_field(xa: np.ndarray, ya: np.ndarray) -> np.ndarray:
            xs = np.maximum(xa, 1e-3)
            value = gaussian.puff_ground_peak(mass, xs, height, stability)
            value = value * np.exp(-(ya**2) / (2 * sigmas.puff_sigma_y(xs, stability) ** 2))
            return np.where(xa > 0, value, 0.0)

        return _Cloud("gaussian_puff", x, peak, dosage, 0.0, puff_widths, puff_field, ground, [])

    rate = term.rate_kg_s
    q0 = rate / substance
    if ground and dense_gas.continuous_is_dense(g0, q0, u10):
        return _dense_plume(x, rate, q0, term.duration_s, dense)
    peak = gaussian.plume_ground_centreline(rate, u, x, height, stability, surface)
    sy = sigmas.briggs_sigma_y(x, stability, surface)

    def plume_widths(centre: np.ndarray, threshold: float) -> np.ndarray:
        return gaussian.crosswind_half_width(sy, centre, threshold)

    def plume_field(xa: np.ndarray, ya: np.ndarray) -> np.ndarray:
        return gaussian.plume_concentration(rate, u, xa, ya, 0.0, height, stability, surface)

    return _Cloud("gaussian_plume", x, peak, None, term.duration_s, plume_widths, plume_field, ground, [])


@dataclass(frozen=True)
class _Dense:
    """What the dense-gas models need besides the release: g₀, winds, source concentration, T′ = Ta/T₀."""

    g0: float
    u10: float
    u: float
    source_concentration: float  # kg/m³ of substance in the source cloud brought to ambient temperature
    temperature_ratio: float
    stability: str
    surface: str


def _virtual_distance(function: Callable[[np.ndarray], np.ndarray], target: float) -> float:
    """Distance (m) at which a falling concentration function equals ``target``, interpolated in log–log."""
    xs = np.geomspace(1e-2, 1e6, 800)
    values = function(xs)
    return float(np.exp(np.interp(math.log(target), np.log(values[::-1]), np.log(xs[::-1]))))


def _dense_plume(x, rate: float, q0: float, duration: float, dense: _Dense) -> _Cloud:
    d = math.sqrt(q0 / dense.u10)
    alpha = dense_gas.plume_alpha(dense.g0, q0, dense.u10)
    limits = []
    if alpha > dense_gas.ALPHA_MAX:
        limits.append(
            Limit("dense_alpha_extrapolated", f"α = {alpha:.2f} lies beyond the Britter–McQuaid fits (α ≤ 1)")
        )
    betas, _ = dense_gas.plume_curve(alpha)
    x_end = d * 10.0 ** betas[-1]

    def correlated(xa: np.ndarray) -> np.ndarray:
        ratio = dense_gas.plume_ratio(np.minimum(xa, x_end * (1 - 1e-9)) / d, alpha)
        return dense_gas.non_isothermal(ratio, dense.temperature_ratio) * dense.source_concentration

    c_end = float(correlated(np.array(x_end)))
    stability, surface = dense.stability, dense.surface
    virtual = _virtual_distance(
        lambda s: gaussian.plume_ground_centreline(rate, dense.u, s, 0.0, stability, surface), c_end
    )

    def centre(xa: np.ndarray) -> np.ndarray:
        passive = gaussian.plume_ground_centreline(
            rate, dense.u, np.maximum(xa - x_end + virtual, 1e-3), 0.0, stability, surface
        )
        return np.where(xa <= x_end, correlated(xa), passive)

    peak = centre(x)
    top_hat = dense_gas.plume_half_width(x, d, dense.g0, q0, dense.u10)
    sigma_y = sigmas.briggs_sigma_y(np.maximum(x - x_end + virtual, 1e-3), stability, surface)

    def widths(line: np.ndarray, threshold: float) -> np.ndarray:
        passive = gaussian.crosswind_half_width(sigma_y, line, threshold)
        return np.where(x <= x_end, np.where(line >= threshold, top_hat, 0.0), passive)

    def dense_field(xa: np.ndarray, ya: np.ndarray) -> np.ndarray:
        xs = np.maximum(xa, 1e-3)
        central = centre(xs)
        inside = np.abs(ya) <= dense_gas.plume_half_width(xs, d, dense.g0, q0, dense.u10)
        sy = sigmas.briggs_sigma_y(np.maximum(xs - x_end + virtual, 1e-3), stability, surface)
        value = np.where(xs <= x_end, np.where(inside, central, 0.0), central * np.exp(-(ya**2) / (2 * sy**2)))
        return np.where(xa > 0, value, 0.0)

    limits.append(
        Limit("dense_gas", f"heavier-than-air cloud: Britter–McQuaid plume to {x_end:.0f} m, Gaussian beyond")
    )
    return _Cloud("britter_mcquaid_plume", x, peak, None, duration, widths, dense_field, True, limits)


def _dense_puff(x, mass: float, v0: float, dense: _Dense) -> _Cloud:
    scale = v0 ** (1 / 3)
    alpha = dense_gas.puff_alpha(dense.g0, v0, dense.u10)
    limits = []
    if alpha > dense_gas.ALPHA_MAX:
        limits.append(
            Limit("dense_alpha_extrapolated", f"α = {alpha:.2f} lies beyond the Britter–McQuaid fits (α ≤ 1)")
        )
    betas, _ = dense_gas.puff_curve(alpha)
    x_end = scale * 10.0 ** betas[-1]
    stability = dense.stability

    def correlated(xa: np.ndarray) -> np.ndarray:
        ratio = dense_gas.puff_ratio(np.minimum(xa, x_end * (1 - 1e-9)) / scale, alpha)
        return dense_gas.non_isothermal(ratio, dense.temperature_ratio) * dense.source_concentration

    c_end = float(correlated(np.array(x_end)))
    virtual = _virtual_distance(lambda s: gaussian.puff_ground_peak(mass, s, 0.0, stability), c_end)

    def centre(xa: np.ndarray) -> np.ndarray:
        passive = gaussian.puff_ground_peak(mass, np.maximum(xa - x_end + virtual, 1e-3), 0.0, stability)
        return np.where(xa <= x_end, correlated(xa), passive)

    peak = centre(x)
    radius = dense_gas.puff_radius(x, v0, dense.g0, dense.u10)
    shifted = np.maximum(x - x_end + virtual, 1e-3)
    sigma_y = sigmas.puff_sigma_y(shifted, stability)
    passive_dosage = mass / (np.pi * sigma_y * sigmas.puff_sigma_z(shifted, stability) * dense.u)
    dosage = np.where(x <= x_end, peak * 2.0 * radius / (0.4 * dense.u10), passive_dosage)

    def widths(line: np.ndarray, threshold: float) -> np.ndarray:
        passive = gaussian.crosswind_half_width(sigma_y, line, threshold)
        return np.where(x <= x_end, np.where(line >= threshold, radius, 0.0), passive)

    def dense_field(xa: np.ndarray, ya: np.ndarray) -> np.ndarray:
        xs = np.maximum(xa, 1e-3)
        central = centre(xs)
        inside = np.abs(ya) <= dense_gas.puff_radius(xs, v0, dense.g0, dense.u10)
        sy = sigmas.puff_sigma_y(np.maximum(xs - x_end + virtual, 1e-3), stability)
        value = np.where(xs <= x_end, np.where(inside, central, 0.0), central * np.exp(-(ya**2) / (2 * sy**2)))
        return np.where(xa > 0, value, 0.0)

    limits.append(Limit("dense_gas", f"heavier-than-air cloud: Britter–McQuaid puff to {x_end:.0f} m, Gaussian beyond"))
    return _Cloud("britter_mcquaid_puff", x, peak, dosage, 0.0, widths, dense_field, True, limits)


def _concentration_zones(cloud: _Cloud, endpoints, weather, stability, lon, lat, props, limits) -> list[Zone]:
    bearing = weather.downwind_bearing_deg
    half_angle = footprint.confidence_half_angle_deg(weather.wind_speed_m_s, stability)
    drawn: list[tuple[Endpoint, shapely.Geometry | None, shapely.Geometry | None]] = []
    truncated_any = short_any = False
    for endpoint in endpoints:
        threshold = endpoint.value * weather.pressure_pa * props.molar_mass / (R * weather.temperature_k)
        line = cloud.centreline(endpoint.exposure_s)
        outline, truncated = _outline(cloud.x, line, cloud.widths(line, threshold), threshold, cloud.start_at_source)
        truncated_any |= truncated
        if outline is None or outline[0][-1] < MIN_FOOTPRINT_M:
            short_any |= outline is not None
            drawn.append((endpoint, None, None))
            continue
        local = footprint.plume_polygon(outline[0], outline[1], bearing)
        drawn.append((endpoint, local, footprint.envelope(local, half_angle, bearing)))
    zones = _zones(drawn, bearing, lon, lat)
    if truncated_any:
        limits.append(
            Limit("beyond_10_km", "a footprint reaches beyond 10 km, the Gaussian model's range; it is drawn to 10 km")
        )
    if short_any:
        limits.append(Limit("below_10_m", "a level reached only within 10 m of the source is not drawn"))
    reach = max((z.max_distance_m for z in zones), default=0.0)
    if 0 < reach < sigmas.VALID_FROM_M:
        limits.append(
            Limit(
                "near_field",
                "every footprint is shorter than 100 m, where the dispersion coefficients are extrapolated",
            )
        )
    return zones


def _zones(drawn, bearing: float, lon: float, lat: float) -> list[Zone]:
    """Zones from (endpoint, local footprint or None, local envelope or None), reprojected in one pass."""
    shapes = [shape for _, local, around in drawn for shape in (local, around) if shape is not None]
    projected = iter(footprint.to_wgs84(np.array(shapes, dtype=object), lon, lat)) if shapes else iter(())
    zones = []
    for endpoint, local, around in drawn:
        if local is None:
            zones.append(_empty_zone(endpoint))
            continue
        distance, width = footprint.extent_along_wind(local, bearing)
        area = footprint.as_multipolygon(next(projected))
        envelope = footprint.as_multipolygon(next(projected)) if around is not None else area
        zones.append(Zone(endpoint, local, area, envelope, distance, width))
    return zones


def _empty_zone(endpoint: Endpoint) -> Zone:
    return Zone(endpoint, Polygon(), MultiPolygon(), MultiPolygon(), 0.0, 0.0)


# ---------------------------------------------------------------- fires and explosions


def _radius(distances: np.ndarray, values: np.ndarray, threshold: float) -> float:
    """Largest distance where a (mostly falling) profile still reaches ``threshold`` (0 if never)."""
    above = values >= threshold
    if not above.any():
        return 0.0
    i = len(above) - 1 - int(np.argmax(above[::-1]))
    if i == len(values) - 1:
        return float(distances[-1])
    return _log_cross(distances[i], distances[i + 1], values[i], values[i + 1], threshold)


def _circular_zones(endpoints, radii, lon, lat, bearing) -> list[Zone]:
    drawn = [(e, footprint.circle(r) if r > 0 else None, None) for e, r in zip(endpoints, radii, strict=True)]
    return _zones(drawn, bearing, lon, lat)


def _pool_fire(release, weather, props, term, lon, lat, endpoints, limits):
    hc = props.require("heat_of_combustion")
    tb = props.require("boiling_point")
    diameter = source.pool_diameter(term.pool_area_m2)
    radius = diameter / 2.0
    if release.cas in fire.BABRAUSKAS:
        m_inf, k_beta = fire.BABRAUSKAS[release.cas]
        burning = fire.burning_rate_babrauskas(m_inf, k_beta, diameter)
    else:
        burning = fire.burning_rate_burgess(
            hc,
            props.heat_of_vaporisation(tb),
            props.liquid_heat_capacity(0.5 * (tb + weather.temperature_k)),
            tb,
            weather.temperature_k,
        )
    air = weather.air_density()
    length = fire.thomas_flame_length(diameter, burning, air, weather.wind_speed_m_s)
    tilt = fire.flame_tilt(diameter, weather.wind_speed_m_s)
    soot = 0.0 if release.cas in SOOT_FREE else 0.8
    sep = fire.surface_emissive_power(burning, hc, diameter, length, 0.4, soot)
    distances = radius + np.geomspace(0.01, 5000.0, PROFILE_POINTS)
    tau = fire.transmissivity_bagster(weather.water_vapour_pressure(), distances - radius)
    down = fire.pool_fire_heat_flux(sep, diameter, length, tilt, distances, tau)
    cross = fire.pool_fire_heat_flux(sep, diameter, length, 0.0, distances, tau)
    up = fire.pool_fire_heat_flux(sep, diameter, length, -tilt, distances, tau)
    bearing = weather.downwind_bearing_deg
    drawn = []
    for endpoint in endpoints:
        reach = [_radius(distances, profile, endpoint.value) for profile in (down, cross, up)]
        drawn.append((endpoint, footprint.directional_polygon(*reach, bearing) if max(reach) > 0 else None, None))
    zones = _zones(drawn, bearing, lon, lat)

    def heat_field(east: np.ndarray, north: np.ndarray) -> np.ndarray:
        xa, ya = footprint.local_to_along_wind(east, north, bearing)
        r = np.hypot(xa, ya)
        cos = np.where(r > 0, xa / np.maximum(r, 1e-9), 1.0)
        qd, qc, qu = (np.interp(r, distances, p, left=p[0], right=0.0) for p in (down, cross, up))
        return qc + (qd - qc) * np.maximum(cos, 0.0) + (qu - qc) * np.maximum(-cos, 0.0)

    limits.append(
        Limit(
            "pool_fire",
            f"pool {diameter:.1f} m across, flame {length:.1f} m long, tilted "
            f"{math.degrees(tilt):.0f}°, emissive power {sep / 1000:.0f} kW/m²",
        )
    )
    return "pool_fire_solid_flame", zones, heat_field


def _jet_fire(release, weather, props, term, lon, lat, endpoints, limits):
    hc = props.require("heat_of_combustion")
    fraction = fire.chamberlain_radiated_fraction(term.jet_velocity_m_s or 0.0)
    distances = np.geomspace(0.5, 5000.0, PROFILE_POINTS)
    tau = fire.transmissivity_bagster(weather.water_vapour_pressure(), distances)
    flux = fire.point_source_heat_flux(term.rate_kg_s, hc, fraction, distances, tau)
    radii = [_radius(distances, flux, e.value) for e in endpoints]
    zones = _circular_zones(endpoints, radii, lon, lat, weather.downwind_bearing_deg)
    limits.append(
        Limit(
            "point_source",
            "jet flame as a point source at the release point; its length and direction are not modelled",
        )
    )

    def heat_field(east: np.ndarray, north: np.ndarray) -> np.ndarray:
        r = np.hypot(east, north)
        return fire.point_source_heat_flux(
            term.rate_kg_s, hc, fraction, r, fire.transmissivity_bagster(weather.water_vapour_pressure(), r)
        )

    return "jet_fire_point_source", zones, heat_field


def _bleve(release, weather, props, term, lon, lat, endpoints, limits):
    hc = props.require("heat_of_combustion")
    mass = term.mass_kg
    emissive = fire.fireball_emissive_power(mass, hc, term.vessel_pressure_pa)
    d = fire.fireball_diameter(mass)
    h = fire.fireball_height(mass)
    distances = np.geomspace(0.5, 20000.0, PROFILE_POINTS)
    path = np.maximum(np.hypot(h, distances) - d / 2.0, 1.0)
    tau = fire.transmissivity_bagster(weather.water_vapour_pressure(), path)
    flux = fire.fireball_heat_flux(mass, emissive, distances, tau)
    radii = [_radius(distances, flux, e.value) for e in endpoints]
    zones = _circular_zones(endpoints, radii, lon, lat, weather.downwind_bearing_deg)
    limits.append(
        Limit(
            "fireball",
            f"fireball {d:.0f} m across, lasting {fire.fireball_duration(mass):.1f} s, "
            f"emissive power {emissive / 1000:.0f} kW/m²",
        )
    )

    def heat_field(east: np.ndarray, north: np.ndarray) -> np.ndarray:
        return np.interp(np.hypot(east, north), distances, flux)

    return "bleve_fireball", zones, heat_field


def _vce(release, weather, props, term, lon, lat, endpoints, limits):
    hc = props.require("heat_of_combustion")
    props.require("lfl")
    mass = term.mass_kg if term.instantaneous else term.rate_kg_s * min(term.duration_s, VCE_CLOUD_TIME_S)
    bearing = weather.downwind_bearing_deg
    p0 = weather.pressure_pa
    limits.append(Limit("vce_at_source", "the explosion is centred on the release point (cloud drift not modelled)"))
    if release.standard == "cn" and endpoints is None:
        cn = thresholds()["overpressure"]["cn"]
        levels = overpressure_endpoints("cn")
        w = explosion.cn_tnt_equivalent_mass(mass, hc, cn["yield_factor"], cn["q_tnt_j_kg"], cn["ground_factor"])
        radii = []
        for level, spec in zip(levels, cn["levels"], strict=True):
            if spec["rule"] == "death_radius":
                radii.append(cn["death_radius_coefficient"] * (w / 1000.0) ** cn["death_radius_exponent"])
            elif spec["rule"] == "property_damage_radius":
                radii.append(explosion.cn_property_damage_radius(w, spec["k"]))
            else:
                radii.append(
                    _safe(lambda level=level: explosion.cn_injury_radius(w, level.value, cn["q_tnt_j_kg"], p0))
                )
        energy = w * cn["q_tnt_j_kg"]
        levels = [_at_radius(level, radius, energy, p0) for level, radius in zip(levels, radii, strict=True)]
        zones = _circular_zones(levels, radii, lon, lat, bearing)

        def cn_field(east: np.ndarray, north: np.ndarray) -> np.ndarray:
            z = np.clip(np.hypot(east, north) * (p0 / energy) ** (1 / 3), 0.3, None)
            return np.maximum(explosion.cn_overpressure_ratio(z), 0.0) * p0

        limits.append(
            Limit("tnt_mass", f"{mass:.0f} kg in the cloud, {w:.0f} kg TNT equivalent (Chinese textbook method)")
        )
        return "tnt_equivalence_cn", zones, cn_field
    w = explosion.tnt_equivalent_mass(mass, hc, release.yield_factor)
    levels = list(endpoints) if endpoints is not None else overpressure_endpoints("us")
    radii = [_safe(lambda level=level: explosion.tnt_distance(level.value, w, 2.0, p0)) for level in levels]
    zones = _circular_zones(levels, radii, lon, lat, bearing)
    limits.append(
        Limit("tnt_mass", f"{mass:.0f} kg in the cloud, {w:.0f} kg TNT equivalent (yield {release.yield_factor:g})")
    )

    def us_field(east: np.ndarray, north: np.ndarray) -> np.ndarray:
        return explosion.tnt_overpressure(np.hypot(east, north), w, 2.0, p0)

    return "tnt_equivalence", zones, us_field


def _at_radius(level: Endpoint, radius: float, energy: float, p0: float) -> Endpoint:
    """A Chinese radius-rule level with the overpressure the textbook curve gives at its radius as its threshold."""
    if level.rule == "threshold":
        return level
    z = max(radius * (p0 / energy) ** (1 / 3), 0.3)
    pressure = float(explosion.cn_overpressure_ratio(z)) * p0
    return dataclass_replace(level, value=pressure, display_value=round(pressure / 1000.0, 1))


def _safe(function: Callable[[], float]) -> float:
    try:
        return function()
    except DispersionInputError:
        return 0.0


# ---------------------------------------------------------------- entry point


def default_endpoints(release: Release, props: Properties) -> list[Endpoint]:
    """The endpoints a scenario draws unless the release names its own."""
    if release.endpoints is not None:
        return list(release.endpoints)
    if release.kind == "toxic":
        return toxic_endpoints(release.cas, release.toxic_family, release.exposure_min)
    if release.kind == "flammable":
        return flammable_endpoints(props.lfl, release.cas)
    if release.kind == "vce":
        return overpressure_endpoints(release.standard)
    return heat_flux_endpoints(release.standard)


def _toxic_fallback(release: Release, endpoints: list[Endpoint], props: Properties) -> list[Limit]:
    """A limit when the toxic levels drawn are not those asked for (none shipped for the substance)."""
    if release.kind != "toxic" or release.endpoints is not None or not endpoints:
        return []
    used = endpoints[0].name.split("-")[0].split(" ")[0]  # "AEGL-3 (60 min)" → AEGL, "IDLH" → IDLH
    if used == release.toxic_family:
        return []
    asked = release.toxic_family + (f" ({release.exposure_min} min)" if release.toxic_family == "AEGL" else "")
    message = f"no {asked} values are shipped for {props.name} ({release.cas}); its {used} levels are drawn instead"
    if used == "IDLH":
        message += " (one zone: IDLH is a level for workers escaping within 30 min, not for the public)"
    return [Limit("toxic_levels_fallback", message)]


def run(release: Release, weather: Weather, lon: float, lat: float) -> Result:
    """Model ``release`` at (lon, lat) in ``weather``: source term, model, one zone per endpoint.

    Raises :class:`DispersionInputError` for input the models cannot use (it says what is valid).
    """
    _check(release, lon, lat)
    props = properties(release.cas)
    endpoints = default_endpoints(release, props)
    stability = weather.stability_class
    term = source_term(release, weather, props)
    limits = list(term.limits)
    limits.extend(_toxic_fallback(release, endpoints, props))
    bearing = weather.downwind_bearing_deg

    if release.kind in ("toxic", "flammable"):
        cloud = _cloud(term, weather, props, release.release_height_m, stability)
        limits.extend(cloud.limits)
        zones = _concentration_zones(cloud, endpoints, weather, stability, lon, lat, props, limits)

        def concentration(east: np.ndarray, north: np.ndarray) -> np.ndarray:
            xa, ya = footprint.local_to_along_wind(east, north, bearing)
            return cloud.field(xa, ya)

        return Result(
            release.kind,
            cloud.model,
            lon,
            lat,
            stability,
            bearing,
            term,
            zones,
            limits,
            "concentration",
            "kg/m3",
            props.name,
            concentration,
        )

    builders = {"pool_fire": _pool_fire, "jet_fire": _jet_fire, "bleve": _bleve, "vce": _vce}
    chosen = endpoints
    if release.kind == "vce":
        chosen = list(release.endpoints) if release.endpoints is not None else None
    model, zones, field_function = builders[release.kind](release, weather, props, term, lon, lat, chosen, limits)
    quantity, unit = ("overpressure", "Pa") if release.kind == "vce" else ("heat_flux", "W/m2")
    return Result(
        release.kind,
        model,
        lon,
        lat,
        stability,
        bearing,
        term,
        zones,
        limits,
        quantity,
        unit,
        props.name,
        field_function,
    )


__all__ = ["Release", "Result", "SourceTerm", "Zone", "default_endpoints", "run", "source_term"]
