"""Vapour cloud explosions: TNT equivalence with the Kinney–Graham blast curve, and the Chinese textbook radii.

* TNT equivalence (TNO Yellow Book eq. 5.1; Crowl & Louvar, chapter 6; RMP OCA guidance, chapter 5):
  W_TNT = η·M·ΔHc / E_TNT, with the yield η (0.01–0.10; RMP OCA uses 0.10 for its worst case,
  hazmap defaults to 0.03 for a what-if scenario) and E_TNT = 4.68 MJ/kg.
* Peak side-on overpressure of a free-air TNT burst at scaled distance z = r / W^{1/3} (m/kg^{1/3}),
  Kinney & Graham (1985):
  ps/pa = 808·[1 + (z/4.5)²] / (√(1 + (z/0.048)²)·√(1 + (z/0.32)²)·√(1 + (z/1.35)²)).
  A cloud on the ground bursts as a hemisphere: its blast equals a free-air charge of twice the
  mass (the ground-reflection factor, 2 by default; Chinese practice uses 1.8).
* The method common in Chinese safety evaluation (安全评价) for a vapour cloud explosion
  (蒸气云爆炸, TNT 当量法), as given in the textbook 《安全评价》 (国家安全生产监督管理局编) and reproduced
  in safety pre-evaluation reports:
  W_TNT = 1.8·a·W_f·Q_f / Q_TNT with a = 0.04, Q_TNT = 4.52 MJ/kg; death radius
  R₀.₅ = 13.6·(W_TNT/1000)^0.37; serious-injury and slight-injury radii where the overpressure
  ΔP/P₀ = 0.137·Z⁻³ + 0.119·Z⁻² + 0.269·Z⁻¹ − 0.019 (Z = R·(P₀/E)^{1/3}, E = W_TNT·Q_TNT)
  falls to 44 000 Pa and 17 000 Pa; property-damage radius R = K·W_TNT^{1/3} / [1 + (3175/W_TNT)²]^{1/6}
  with K = 5.6. These constants are configurable (``dispersion/data/thresholds.json``) because they
  were taken from secondary reproductions, not from the textbook itself.

The TNO multi-energy method is not implemented: its blast curves (Yellow Book, chapter 5) are
published only as charts, and hazmap ships no curve it cannot cite. A vapour cloud explosion is
evaluated by TNT equivalence, which ``Release`` offers as the only method.
"""

from __future__ import annotations

import math

import numpy as np

from dispersion.constants import E_TNT, P_ATM
from dispersion.errors import DispersionInputError, require_positive, require_range

KINNEY_GRAHAM_RANGE = (0.05, 40.0)  # m/kg^{1/3}, where the fit reproduces the TNT curve
CN_Q_TNT = 4.52e6  # J/kg
CN_YIELD = 0.04
CN_GROUND_FACTOR = 1.8


def tnt_equivalent_mass(
    fuel_mass_kg: float, heat_of_combustion: float, yield_factor: float, e_tnt: float = E_TNT
) -> float:
    """Mass of TNT (kg) with the blast of a vapour cloud: W = η·M·ΔHc / E_TNT (Yellow Book eq. 5.1)."""
    m = require_positive("fuel_mass_kg", fuel_mass_kg, "kg")
    hc = require_positive("heat_of_combustion", heat_of_combustion, "J/kg")
    eta = require_range("yield_factor", yield_factor, 1e-4, 1.0, "fraction of the heat of combustion")
    e = require_range("tnt_blast_energy", e_tnt, 1e6, 1e7, "J/kg")
    return eta * m * hc / e


def kinney_graham_ratio(scaled_distance):
    """Peak side-on overpressure over ambient pressure at scaled distance z (m/kg^{1/3}) — Kinney & Graham (1985)."""
    z = np.asarray(scaled_distance, dtype=float)
    return (
        808.0
        * (1.0 + (z / 4.5) ** 2)
        / (np.sqrt(1.0 + (z / 0.048) ** 2) * np.sqrt(1.0 + (z / 0.32) ** 2) * np.sqrt(1.0 + (z / 1.35) ** 2))
    )


def tnt_overpressure(distance_m, tnt_mass_kg: float, ground_factor: float = 2.0, ambient_pressure_pa: float = P_ATM):
    """Peak side-on overpressure (Pa) at ``distance_m`` from a TNT charge of ``tnt_mass_kg`` (× ``ground_factor``)."""
    w = require_positive("tnt_mass_kg", tnt_mass_kg, "kg") * ground_factor
    z = np.maximum(np.asarray(distance_m, dtype=float), 1e-6) / w ** (1 / 3)
    return kinney_graham_ratio(z) * ambient_pressure_pa


def tnt_distance(
    overpressure_pa: float, tnt_mass_kg: float, ground_factor: float = 2.0, ambient_pressure_pa: float = P_ATM
) -> float:
    """Distance (m) at which the TNT overpressure falls to ``overpressure_pa`` (inverse of :func:`tnt_overpressure`).

    Raises for an overpressure outside the curve's range (z from 0.05 to 40 m/kg^{1/3}).
    """
    w = require_positive("tnt_mass_kg", tnt_mass_kg, "kg") * ground_factor
    target = require_positive("overpressure_pa", overpressure_pa, "Pa") / ambient_pressure_pa
    low, high = KINNEY_GRAHAM_RANGE
    if not kinney_graham_ratio(high) <= target <= kinney_graham_ratio(low):
        raise DispersionInputError(
            "overpressure_pa",
            overpressure_pa,
            f"{kinney_graham_ratio(high) * ambient_pressure_pa:.0f} to "
            f"{kinney_graham_ratio(low) * ambient_pressure_pa:.0f} Pa (Kinney–Graham, z from 0.05 to 40 m/kg^1/3)",
        )
    for _ in range(80):  # bisection on log z; the ratio falls monotonically with z
        middle = math.sqrt(low * high)
        if kinney_graham_ratio(middle) > target:
            low = middle
        else:
            high = middle
    return math.sqrt(low * high) * w ** (1 / 3)


def cn_tnt_equivalent_mass(
    fuel_mass_kg: float,
    heat_of_combustion: float,
    yield_factor: float = CN_YIELD,
    q_tnt: float = CN_Q_TNT,
    ground_factor: float = CN_GROUND_FACTOR,
) -> float:
    """TNT mass (kg) of the Chinese textbook method: W_TNT = 1.8·a·W_f·Q_f / Q_TNT (a = 0.04, Q_TNT = 4.52 MJ/kg)."""
    return ground_factor * tnt_equivalent_mass(fuel_mass_kg, heat_of_combustion, yield_factor, q_tnt)


def cn_death_radius(tnt_mass_kg: float) -> float:
    """Death radius (m) of the Chinese textbook method: R₀.₅ = 13.6·(W_TNT/1000)^0.37."""
    return 13.6 * (require_positive("tnt_mass_kg", tnt_mass_kg, "kg") / 1000.0) ** 0.37


def cn_overpressure_ratio(scaled_distance):
    """ΔP/P₀ = 0.137·Z⁻³ + 0.119·Z⁻² + 0.269·Z⁻¹ − 0.019 of the Chinese textbook method (valid 0.3 ≤ Z ≤ 12)."""
    z = np.asarray(scaled_distance, dtype=float)
    return 0.137 / z**3 + 0.119 / z**2 + 0.269 / z - 0.019


def cn_injury_radius(
    tnt_mass_kg: float, overpressure_pa: float, q_tnt: float = CN_Q_TNT, ambient_pressure_pa: float = P_ATM
) -> float:
    """Radius (m) where the textbook overpressure falls to ``overpressure_pa`` (44 kPa serious, 17 kPa slight)."""
    energy = require_positive("tnt_mass_kg", tnt_mass_kg, "kg") * q_tnt
    target = require_positive("overpressure_pa", overpressure_pa, "Pa") / ambient_pressure_pa
    low, high = 0.3, 12.0
    if not cn_overpressure_ratio(high) <= target <= cn_overpressure_ratio(low):
        raise DispersionInputError(
            "overpressure_pa", overpressure_pa, "an overpressure within the fit's range 0.3 ≤ Z ≤ 12"
        )
    for _ in range(80):
        middle = 0.5 * (low + high)
        if cn_overpressure_ratio(middle) > target:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high) * (energy / ambient_pressure_pa) ** (1 / 3)


def cn_property_damage_radius(tnt_mass_kg: float, k: float = 5.6) -> float:
    """Property-damage radius (m) of the Chinese textbook method: R = K·W^{1/3} / [1 + (3175/W)²]^{1/6}, K = 5.6."""
    w = require_positive("tnt_mass_kg", tnt_mass_kg, "kg")
    return k * w ** (1 / 3) / (1.0 + (3175.0 / w) ** 2) ** (1 / 6)
