"""Source terms: how fast, how much and in what state a substance leaves its containment.

Equations and their sources (Crowl & Louvar, *Chemical Process Safety*, 3rd ed., chapter 4 "Source
Models"; TNO *Yellow Book*, CPR 14E, 3rd ed. 2005, chapters 2 and 3; CCPS, *Guidelines for
Consequence Analysis of Chemical Releases*, 1999; EPA, *Risk Management Program Guidance for
Offsite Consequence Analysis* (RMP OCA), 1999/2009):

* liquid through a hole (Bernoulli, with the liquid head and the pressure above the liquid);
* gas through a hole, choked and subsonic (isentropic nozzle with a discharge coefficient);
* flashing of a liquefied gas: the flash fraction (through a hole in the wall it flows as liquid);
* pool area (in a dike, or spread unconfined to 1 cm as RMP OCA assumes), evaporation of a
  non-boiling pool (Mackay & Matsugu);
* draining time of a tank and release duration from the inventory.

Inputs in SI units: m, m², Pa (absolute unless the name says gauge), K, kg, kg/m³, J/kg.
"""

from __future__ import annotations

import math

from dispersion.constants import P_ATM, G, R
from dispersion.errors import DispersionInputError, require_positive, require_range

LIQUID_DISCHARGE_COEFFICIENT = 0.61  # sharp-edged orifice, Reynolds number > 30 000 (Crowl & Louvar, chapter 4)
GAS_DISCHARGE_COEFFICIENT = 0.62  # sharp-edged orifice, as in the Yellow Book's worked examples (YB chapter 2)
UNCONFINED_POOL_DEPTH_M = 0.01  # RMP OCA guidance, chapter 3: an undiked liquid spreads to 1 cm
SCHMIDT_NUMBER = 0.8  # typical vapour in air, used with Mackay–Matsugu when no better value is known


def hole_area(diameter_m: float) -> float:
    """Area (m²) of a circular hole of ``diameter_m`` (m)."""
    d = require_positive("hole_diameter_m", diameter_m, "m")
    return math.pi * d * d / 4.0


def liquid_discharge(
    discharge_coefficient: float,
    area_m2: float,
    liquid_density: float,
    liquid_head_m: float,
    pressure_above_liquid_pa: float = P_ATM,
    ambient_pressure_pa: float = P_ATM,
) -> float:
    """Mass flow (kg/s) of liquid through a hole — Bernoulli with the head: Qm = Cd·A·√(2ρ(P − Pa + ρ g hL)).

    Crowl & Louvar, chapter 4 ("flow of liquid through a hole in a tank"); TNO Yellow Book eqs. 2.194–2.196.
    ``liquid_head_m`` is the height of liquid above the hole; ``pressure_above_liquid_pa`` the absolute
    pressure in the vapour space (atmospheric for an open or vented tank).
    """
    cd = require_range("discharge_coefficient", discharge_coefficient, 0.1, 1.0, "dimensionless")
    area = require_positive("hole_area_m2", area_m2, "m²")
    rho = require_positive("liquid_density", liquid_density, "kg/m³")
    head = require_range("liquid_head_m", liquid_head_m, 0.0, 1000.0, "m")
    driving = pressure_above_liquid_pa - ambient_pressure_pa + rho * G * head
    if driving <= 0:
        raise DispersionInputError(
            "liquid_head_m", liquid_head_m, "a liquid level above the hole or a pressure above the liquid"
        )
    return cd * area * math.sqrt(2.0 * rho * driving)


def choked_pressure_ratio(gamma: float) -> float:
    """Critical ratio of downstream to upstream pressure at which gas flow chokes: (2/(γ+1))^{γ/(γ−1)}."""
    return (2.0 / (gamma + 1.0)) ** (gamma / (gamma - 1.0))


def gas_discharge(
    discharge_coefficient: float,
    area_m2: float,
    upstream_pressure_pa: float,
    upstream_temperature_k: float,
    molar_mass: float,
    gamma: float,
    ambient_pressure_pa: float = P_ATM,
) -> tuple[float, bool]:
    """Mass flow (kg/s) of gas through a hole and whether it is choked — isentropic nozzle.

    Choked (Pa/P0 ≤ (2/(γ+1))^{γ/(γ−1)}): Qm = Cd·A·P0·√(γM/(RT0)·(2/(γ+1))^{(γ+1)/(γ−1)});
    subsonic: Qm = Cd·A·P0·√(2M/(RT0)·γ/(γ−1)·[(Pa/P0)^{2/γ} − (Pa/P0)^{(γ+1)/γ}]).
    Crowl & Louvar, chapter 4 ("flow of gases or vapours through holes"); TNO Yellow Book eqs. 2.22–2.26.
    """
    cd = require_range("discharge_coefficient", discharge_coefficient, 0.1, 1.0, "dimensionless")
    area = require_positive("hole_area_m2", area_m2, "m²")
    p0 = require_positive("pressure_pa", upstream_pressure_pa, "Pa absolute")
    t0 = require_positive("temperature_k", upstream_temperature_k, "K")
    m = require_positive("molar_mass", molar_mass, "kg/mol")
    g = require_range("heat_capacity_ratio", gamma, 1.0 + 1e-6, 1.7, "cp/cv")
    if p0 <= ambient_pressure_pa:
        raise DispersionInputError(
            "pressure_pa", upstream_pressure_pa, f"an absolute pressure above {ambient_pressure_pa:g} Pa"
        )
    ratio = ambient_pressure_pa / p0
    if ratio <= choked_pressure_ratio(g):
        flux = p0 * math.sqrt(g * m / (R * t0) * (2.0 / (g + 1.0)) ** ((g + 1.0) / (g - 1.0)))
        return cd * area * flux, True
    flux = p0 * math.sqrt(2.0 * m / (R * t0) * g / (g - 1.0) * (ratio ** (2.0 / g) - ratio ** ((g + 1.0) / g)))
    return cd * area * flux, False


def flash_fraction(
    liquid_heat_capacity: float, temperature_k: float, boiling_point_k: float, heat_of_vaporisation: float
) -> float:
    """Fraction of a superheated liquid that flashes to vapour on release to 1 atm.

    fv = 1 − exp(−Cp (T0 − Tb) / ΔHv), the integrated form of fv = Cp (T0 − Tb)/ΔHv
    (Crowl & Louvar, chapter 4, "flashing liquids"); 0 when T0 ≤ Tb.
    """
    cp = require_positive("liquid_heat_capacity", liquid_heat_capacity, "J/(kg·K)")
    hv = require_positive("heat_of_vaporisation", heat_of_vaporisation, "J/kg")
    if temperature_k <= boiling_point_k:
        return 0.0
    return 1.0 - math.exp(-cp * (temperature_k - boiling_point_k) / hv)


def tank_draining_time(
    discharge_coefficient: float,
    tank_area_m2: float,
    hole_area_m2: float,
    liquid_density: float,
    initial_head_m: float,
    gauge_pressure_pa: float = 0.0,
) -> float:
    """Time (s) for the liquid above a hole to drain from a vertical tank of constant cross-section.

    tₑ = (1/(Cd g))·(At/A)·[√(2(Pg/ρ + g hL0)) − √(2Pg/ρ)] (Crowl & Louvar, chapter 4, "flow of liquid through
    a hole in a tank", time to empty).
    """
    cd = require_range("discharge_coefficient", discharge_coefficient, 0.1, 1.0, "dimensionless")
    at = require_positive("tank_area_m2", tank_area_m2, "m²")
    a = require_positive("hole_area_m2", hole_area_m2, "m²")
    rho = require_positive("liquid_density", liquid_density, "kg/m³")
    h0 = require_positive("liquid_head_m", initial_head_m, "m")
    pg = max(gauge_pressure_pa, 0.0)
    return (at / a) / (cd * G) * (math.sqrt(2.0 * (pg / rho + G * h0)) - math.sqrt(2.0 * pg / rho))


def release_duration(inventory_kg: float, rate_kg_s: float) -> float:
    """Time (s) to release ``inventory_kg`` at a constant ``rate_kg_s``."""
    return require_positive("inventory_kg", inventory_kg, "kg") / require_positive("rate_kg_s", rate_kg_s, "kg/s")


def pool_area(spill_volume_m3: float, dike_area_m2: float | None = None) -> float:
    """Area (m²) of the pool a spill forms: the dike's area, or an unconfined pool 1 cm deep (RMP OCA guidance).

    A spill smaller than a dike can spread to still covers the smaller of the two areas.
    """
    volume = require_positive("spill_volume_m3", spill_volume_m3, "m³")
    unconfined = volume / UNCONFINED_POOL_DEPTH_M
    if dike_area_m2 is None:
        return unconfined
    return min(require_positive("dike_area_m2", dike_area_m2, "m²"), unconfined)


def pool_diameter(area_m2: float) -> float:
    """Equivalent diameter (m) of a pool of ``area_m2``: √(4A/π) (TNO Yellow Book eq. 6.64/6.65)."""
    return math.sqrt(4.0 * require_positive("pool_area_m2", area_m2, "m²") / math.pi)


def mackay_matsugu_evaporation(
    pool_diameter_m: float,
    wind_speed_10m: float,
    vapour_pressure_pa: float,
    molar_mass: float,
    liquid_temperature_k: float,
    schmidt_number: float = SCHMIDT_NUMBER,
) -> float:
    """Evaporation rate (kg/s) of a non-boiling pool — Mackay & Matsugu (1973), TNO Yellow Book eqs. 3.24–3.25.

    km = 0.004786·u₁₀^0.78·D^−0.11·Sc^−0.67 (m/s); flux = km·Pv·M/(R·T) (kg/(m²·s)); rate = flux·πD²/4.
    Refused for a boiling pool (Pv ≥ 1 atm), whose evaporation is governed by heat from the ground.
    """
    d = require_positive("pool_diameter_m", pool_diameter_m, "m")
    u = require_positive("wind_speed_m_s", wind_speed_10m, "m/s")
    pv = require_positive("vapour_pressure_pa", vapour_pressure_pa, "Pa")
    if pv >= P_ATM:
        raise DispersionInputError(
            "temperature_k",
            liquid_temperature_k,
            "a liquid temperature below its normal boiling point (a boiling pool is not modelled by Mackay–Matsugu)",
        )
    km = 0.004786 * u**0.78 * d**-0.11 * schmidt_number**-0.67
    return km * pv * molar_mass / (R * liquid_temperature_k) * math.pi * d * d / 4.0
