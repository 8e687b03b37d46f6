"""Fires: pool fire (solid flame), jet fire (point source) and BLEVE fireball; heat flux in W/m².

Pool fire — the solid-flame model of the TNO *Yellow Book* (CPR 14E, 3rd ed. 2005, chapter 6):
burning rate (Burgess, eq. 6.67; or Babrauskas, eq. 6.66 with Table 6.5), flame length with wind
(Thomas, eqs. 6.12–6.14), flame tilt (eqs. 6.16, 6.68–6.70), surface emissive power with soot
(eqs. 6.19–6.20), view factor of a tilted cylinder (Mudan, Appendix 6.1 eqs. 6.A.14–6.A.15),
atmospheric transmissivity (Bagster, eq. 6.29), heat flux q = SEP·F·τ (eq. 6.4).

Jet fire — point source: q = τ·Fs·Qm·ΔHc / (4π r²) (CCPS, *Guidelines for Consequence Analysis of
Chemical Releases*, 1999, chapter 3) with the fraction of heat radiated
Fs = 0.21·e^(−0.00323·uj) + 0.11 (Chamberlain 1987, used by the Yellow Book's jet-fire model).

BLEVE fireball — CCPS (1999), chapter 3: Dmax = 5.8 M^{1/3}, duration 0.45 M^{1/3} (M < 30 000 kg) or
2.6 M^{1/6}, centre height 0.75 Dmax, surface emissive power E = Frad·M·ΔHc / (π Dmax² t) with
Frad = 0.27 P^0.32 (P in MPa; Roberts 1982), view factor of a sphere (D/2)²/r².
"""

from __future__ import annotations

import math

import numpy as np

from dispersion.constants import G
from dispersion.errors import DispersionInputError, require_positive, require_range

SOOT_EMISSIVE_POWER = 20e3  # W/m², emissive power of soot (Yellow Book eq. 6.20)
AIR_KINEMATIC_VISCOSITY = 1.5e-5  # m²/s, air at about 20 °C

# Yellow Book Table 6.5 (Babrauskas 1983): m∞ (kg/(m²·s)), kβ (1/m); hazmap keys by CAS number.
BABRAUSKAS = {
    "71-43-2": (0.085, 2.7),  # benzene
    "67-56-1": (0.015, None),  # methanol (no diameter dependence)
    "8006-61-9": (0.055, 2.1),  # gasoline
    "74-82-8": (0.078, 1.1),  # LNG (methane)
}


def burning_rate_burgess(
    heat_of_combustion: float,
    heat_of_vaporisation: float,
    liquid_heat_capacity: float,
    boiling_point_k: float,
    ambient_temperature_k: float,
) -> float:
    """Burning rate (kg/(m²·s)) of a large pool: m″ = 0.001·ΔHc / (ΔHv + Cp·(Tb − Ta)) — Yellow Book eq. 6.67.

    For a liquid boiling below ambient temperature (a liquefied gas) the sensible-heat term is dropped.
    """
    hc = require_positive("heat_of_combustion", heat_of_combustion, "J/kg")
    hv = require_positive("heat_of_vaporisation", heat_of_vaporisation, "J/kg")
    sensible = max(0.0, liquid_heat_capacity * (boiling_point_k - ambient_temperature_k))
    return 0.001 * hc / (hv + sensible)


def burning_rate_babrauskas(m_infinity: float, k_beta: float | None, diameter_m: float) -> float:
    """Burning rate (kg/(m²·s)) of a pool of diameter D: m″ = m∞·(1 − e^(−kβ·D)) — Yellow Book eq. 6.66, Table 6.5."""
    d = require_positive("pool_diameter_m", diameter_m, "m")
    if k_beta is None:
        return m_infinity
    return m_infinity * (1.0 - math.exp(-k_beta * d))


def thomas_flame_length(diameter_m: float, burning_rate: float, air_density: float, wind_speed_10m: float) -> float:
    """Mean flame length (m) of a pool fire — Thomas (1963), Yellow Book eqs. 6.12–6.14.

    With wind: L/D = 55·(m″/(ρa √(gD)))^0.67·(u*)^−0.21, u* = uw/uc (1 when uw < uc), uc = (g m″ D/ρa)^{1/3};
    in still air (uw = 0): L/D = 42·(m″/(ρa √(gD)))^0.61.
    """
    d = require_positive("pool_diameter_m", diameter_m, "m")
    m = require_positive("burning_rate", burning_rate, "kg/(m²·s)")
    rho = require_positive("air_density", air_density, "kg/m³")
    group = m / (rho * math.sqrt(G * d))
    if wind_speed_10m <= 0:
        return d * 42.0 * group**0.61
    characteristic = (G * m * d / rho) ** (1 / 3)
    scaled = max(wind_speed_10m / characteristic, 1.0)
    return d * 55.0 * group**0.67 * scaled**-0.21


def flame_tilt(diameter_m: float, wind_speed_10m: float, kinematic_viscosity: float = AIR_KINEMATIC_VISCOSITY) -> float:
    """Tilt (rad) of a pool-fire flame from the vertical — Yellow Book eqs. 6.16, 6.68–6.70.

    tanθ/cosθ = 0.666·Fr^0.333·Re^0.117, Fr = u²/(gD), Re = uD/ν; solved: sinθ = (√(4c²+1) − 1)/(2c).
    """
    d = require_positive("pool_diameter_m", diameter_m, "m")
    if wind_speed_10m <= 0:
        return 0.0
    froude = wind_speed_10m**2 / (G * d)
    reynolds = wind_speed_10m * d / kinematic_viscosity
    c = 0.666 * froude**0.333 * reynolds**0.117
    return math.asin((math.sqrt(4 * c * c + 1) - 1) / (2 * c))


def surface_emissive_power(
    burning_rate: float,
    heat_of_combustion: float,
    diameter_m: float,
    flame_length_m: float,
    radiative_fraction: float = 0.4,
    soot_fraction: float = 0.8,
) -> float:
    """Surface emissive power (W/m²) of a pool fire's flame — Yellow Book eqs. 6.19–6.20.

    SEPmax = Fs·m″·ΔHc / (1 + 4L/D); SEPact = SEPmax·(1 − s) + SEPsoot·s with SEPsoot = 20 kW/m² and s the
    fraction of the flame covered by soot (0.8 for sooty hydrocarbons, 0 for clean-burning fuels).
    """
    fs = require_range("radiative_fraction", radiative_fraction, 0.0, 1.0, "fraction")
    s = require_range("soot_fraction", soot_fraction, 0.0, 1.0, "fraction")
    sep_max = fs * burning_rate * heat_of_combustion / (1.0 + 4.0 * flame_length_m / diameter_m)
    return sep_max * (1.0 - s) + SOOT_EMISSIVE_POWER * s


def cylinder_view_factor(length_over_radius: float, distance_over_radius, tilt_rad: float):
    """View factors (Fv, Fh) from a tilted cylindrical flame to a vertical and a horizontal target at ground level.

    Mudan's closed form, Yellow Book Appendix 6.1 eqs. 6.A.14–6.A.15, with a = L/R, b = X/R (X from the flame
    axis at ground level, b > 1) and θ the tilt towards the target (negative: away from it). Accepts an
    array of b. Where the tilted flame overhangs the target (b − a·sinθ ≤ 1) the closed form does not
    apply; those entries are NaN and the caller treats the target as engulfed.
    """
    a = float(length_over_radius)
    b = np.asarray(distance_over_radius, dtype=float)
    s, c = math.sin(tilt_rad), math.cos(tilt_rad)
    valid = (b > 1.0) & (b - a * s > 1.0)
    bb = np.where(valid, b, 2.0)
    big_a = np.sqrt(a * a + (bb + 1) ** 2 - 2 * a * (bb + 1) * s)
    big_b = np.sqrt(a * a + (bb - 1) ** 2 - 2 * a * (bb - 1) * s)
    big_c = np.sqrt(1 + (bb * bb - 1) * c * c)
    big_d = np.sqrt((bb - 1) / (bb + 1))
    big_e = a * c / (bb - a * s)
    big_f = np.sqrt(bb * bb - 1)
    arcs = np.arctan((a * bb - big_f**2 * s) / (big_f * big_c)) + np.arctan(big_f * s / big_c)
    atan_ab = np.arctan(big_a * big_d / big_b)
    fv = (
        -big_e * np.arctan(big_d)
        + big_e * (a * a + (bb + 1) ** 2 - 2 * bb * (1 + a * s)) / (big_a * big_b) * atan_ab
        + c / big_c * arcs
    ) / math.pi
    fh = (
        np.arctan(1 / big_d)
        + s / big_c * arcs
        - (a * a + (bb + 1) ** 2 - 2 * (bb + 1 + a * bb * s)) / (big_a * big_b) * atan_ab
    ) / math.pi
    return np.where(valid, fv, np.nan), np.where(valid, fh, np.nan)


def transmissivity_bagster(water_vapour_pressure_pa: float, path_length_m):
    """Atmospheric transmissivity τ = 2.02·(pw·X)^−0.09 — Yellow Book eq. 6.29 (Bagster; also Pietersen & Huerta).

    Fitted for 10⁴ < pw·X < 10⁵ Pa·m; outside that range the product is held at the nearer bound
    (τ at most 1).
    """
    product = np.clip(water_vapour_pressure_pa * np.asarray(path_length_m, dtype=float), 1e4, 1e5)
    return np.minimum(2.02 * product**-0.09, 1.0)


def pool_fire_heat_flux(
    sep: float,
    diameter_m: float,
    flame_length_m: float,
    tilt_rad: float,
    distance_from_centre_m,
    transmissivity,
):
    """Heat flux (W/m²) on a target at ground level, X from the pool centre, in the plane of the tilt.

    q = SEP·Fmax·τ (Yellow Book eq. 6.4), Fmax = √(Fv² + Fh²). Positive ``tilt_rad`` leans the flame
    towards the target (downwind), negative away (upwind), 0 gives the crosswind (vertical-cylinder)
    value. A target at or under the flame receives SEP·τ.
    """
    radius = diameter_m / 2.0
    x = np.asarray(distance_from_centre_m, dtype=float)
    fv, fh = cylinder_view_factor(flame_length_m / radius, x / radius, tilt_rad)
    f = np.sqrt(fv**2 + fh**2)
    return np.where(np.isnan(f), 1.0, np.minimum(f, 1.0)) * sep * transmissivity


def chamberlain_radiated_fraction(jet_velocity_m_s: float) -> float:
    """Fraction of the heat of combustion radiated by a jet flame: 0.21·e^(−0.00323·uj) + 0.11 (Chamberlain 1987)."""
    return 0.21 * math.exp(-0.00323 * max(jet_velocity_m_s, 0.0)) + 0.11


def point_source_heat_flux(
    rate_kg_s: float, heat_of_combustion: float, radiated_fraction: float, distance_m, transmissivity
):
    """Heat flux (W/m²) at ``distance_m`` from a point-source flame: τ·Fs·Qm·ΔHc / (4π r²) (CCPS 1999, chapter 3)."""
    r = np.maximum(np.asarray(distance_m, dtype=float), 0.1)
    return transmissivity * radiated_fraction * rate_kg_s * heat_of_combustion / (4.0 * math.pi * r * r)


def fireball_diameter(mass_kg: float) -> float:
    """Maximum fireball diameter (m): Dmax = 5.8·M^{1/3} (CCPS 1999, chapter 3)."""
    return 5.8 * require_positive("mass_kg", mass_kg, "kg") ** (1 / 3)


def fireball_duration(mass_kg: float) -> float:
    """Fireball duration (s): 0.45·M^{1/3} for M < 30 000 kg, else 2.6·M^{1/6} (CCPS 1999, chapter 3)."""
    m = require_positive("mass_kg", mass_kg, "kg")
    return 0.45 * m ** (1 / 3) if m < 30_000 else 2.6 * m ** (1 / 6)


def fireball_height(mass_kg: float) -> float:
    """Height (m) of the fireball's centre: 0.75·Dmax (CCPS 1999, chapter 3)."""
    return 0.75 * fireball_diameter(mass_kg)


def fireball_emissive_power(mass_kg: float, heat_of_combustion: float, vessel_pressure_pa: float) -> float:
    """Surface emissive power (W/m²) of a fireball: E = Frad·M·ΔHc / (π Dmax² t), Frad = 0.27·P^0.32 (P in MPa).

    CCPS 1999, chapter 3 (Roberts 1982); Frad is capped at 0.4.
    """
    p_mpa = require_positive("pressure_pa", vessel_pressure_pa, "Pa absolute") / 1e6
    if p_mpa < 0.1:
        raise DispersionInputError("pressure_pa", vessel_pressure_pa, "a vessel pressure of at least 0.1 MPa")
    f_rad = min(0.27 * p_mpa**0.32, 0.4)
    d = fireball_diameter(mass_kg)
    return f_rad * mass_kg * heat_of_combustion / (math.pi * d * d * fireball_duration(mass_kg))


def fireball_heat_flux(mass_kg: float, emissive_power: float, ground_distance_m, transmissivity):
    """Heat flux (W/m²) at a ground distance x from below the fireball: τ·E·(D/2)²/r², r = √(H² + x²)."""
    d = fireball_diameter(mass_kg)
    h = fireball_height(mass_kg)
    r2 = h * h + np.asarray(ground_distance_m, dtype=float) ** 2
    return transmissivity * emissive_power * np.minimum((d / 2.0) ** 2 / r2, 1.0)
