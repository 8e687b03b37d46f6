"""Neutrally buoyant Gaussian dispersion: the continuous plume and the instantaneous puff.

Equations from Crowl & Louvar, *Chemical Process Safety* (3rd ed.), chapter 5 (the plume and the puff
from a source at height Hr, with reflection at the ground: an image source at −H). Concentrations
in kg/m³; x downwind, y crosswind, z height, all in metres; H the release height (m); u the wind
speed (m/s) at the release height.
All functions accept NumPy arrays and broadcast.
"""

from __future__ import annotations

import numpy as np

from dispersion.sigmas import briggs_sigma_y, briggs_sigma_z, puff_sigma_y, puff_sigma_z

TWO_PI_3_2 = (2.0 * np.pi) ** 1.5


def plume_concentration_sigmas(rate_kg_s: float, wind_m_s: float, y, z, height_m: float, sigma_y, sigma_z):
    """Mean concentration (kg/m³) of a continuous point release with ground reflection, for given σy, σz (m).

    ⟨C⟩ = Qm / (2π σy σz u) · exp(−y²/2σy²) · [exp(−(z−H)²/2σz²) + exp(−(z+H)²/2σz²)]
    (Crowl & Louvar, chapter 5, plume from a continuous source at height Hr; TNO Yellow Book, chapter 4).
    """
    vertical = np.exp(-((z - height_m) ** 2) / (2 * sigma_z**2)) + np.exp(-((z + height_m) ** 2) / (2 * sigma_z**2))
    crosswind = np.exp(-(np.asarray(y, dtype=float) ** 2) / (2 * sigma_y**2))
    return rate_kg_s / (2 * np.pi * sigma_y * sigma_z * wind_m_s) * crosswind * vertical


def plume_concentration(rate_kg_s: float, wind_m_s: float, x, y, z, height_m: float, stability: str, surface: str):
    """Mean concentration (kg/m³) of a continuous release at (x, y, z) with Briggs σy(x), σz(x); zero for x ≤ 0."""
    x = np.asarray(x, dtype=float)
    xs = np.where(x > 0, x, 1.0)
    sy = briggs_sigma_y(xs, stability, surface)
    sz = briggs_sigma_z(xs, stability, surface)
    return np.where(x > 0, plume_concentration_sigmas(rate_kg_s, wind_m_s, y, z, height_m, sy, sz), 0.0)


def plume_ground_centreline(rate_kg_s: float, wind_m_s: float, x, height_m: float, stability: str, surface: str):
    """Ground-level centreline concentration (kg/m³) of a continuous release: the plume equation at y = z = 0.

    ⟨C⟩(x, 0, 0) = Qm / (π σy σz u) · exp(−H²/2σz²).
    """
    x = np.asarray(x, dtype=float)
    sy = briggs_sigma_y(x, stability, surface)
    sz = briggs_sigma_z(x, stability, surface)
    return rate_kg_s / (np.pi * sy * sz * wind_m_s) * np.exp(-(height_m**2) / (2 * sz**2))


def puff_concentration(mass_kg: float, wind_m_s: float, t, x, y, z, height_m: float, stability: str):
    """Concentration (kg/m³) of an instantaneous release at time t (s), with ground reflection.

    ⟨C⟩ = Qm* / ((2π)^{3/2} σx σy σz) · exp(−(x−ut)²/2σx²) · exp(−y²/2σy²) · [exp(−(z−H)²/2σz²) + exp(−(z+H)²/2σz²)],
    with σx = σy and σz evaluated at the distance travelled by the puff centre, ut (Crowl & Louvar, chapter 5,
    puff from an instantaneous source at height Hr).
    """
    travelled = np.maximum(wind_m_s * np.asarray(t, dtype=float), 1e-3)
    sy = puff_sigma_y(travelled, stability)
    sz = puff_sigma_z(travelled, stability)
    along = np.exp(-((np.asarray(x) - travelled) ** 2) / (2 * sy**2))
    vertical = np.exp(-((z - height_m) ** 2) / (2 * sz**2)) + np.exp(-((z + height_m) ** 2) / (2 * sz**2))
    return mass_kg / (TWO_PI_3_2 * sy * sy * sz) * along * np.exp(-(np.asarray(y) ** 2) / (2 * sy**2)) * vertical


def puff_ground_peak(mass_kg: float, x, height_m: float, stability: str):
    """Peak ground-level centreline concentration (kg/m³) as the puff passes x: the puff equation at ut = x, y = z = 0.

    ⟨C⟩max(x) = 2 Qm* / ((2π)^{3/2} σy² σz) · exp(−H²/2σz²).
    """
    x = np.asarray(x, dtype=float)
    sy = puff_sigma_y(x, stability)
    sz = puff_sigma_z(x, stability)
    return 2.0 * mass_kg / (TWO_PI_3_2 * sy * sy * sz) * np.exp(-(height_m**2) / (2 * sz**2))


def crosswind_half_width(sigma_y, centreline, threshold):
    """Half-width (m) where a Gaussian crosswind profile exceeds ``threshold``: σy·√(2 ln(C₀/Cₜ)), 0 where C₀ ≤ Cₜ."""
    ratio = np.asarray(centreline, dtype=float) / threshold
    return np.where(ratio > 1.0, sigma_y * np.sqrt(2.0 * np.log(np.maximum(ratio, 1.0))), 0.0)
