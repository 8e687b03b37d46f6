"""Dense-gas dispersion: the Britter–McQuaid workbook correlations for continuous and instantaneous releases.

Britter, R.E. and McQuaid, J. (1988), *Workbook on the Dispersion of Dense Gases*, HSE contract
research report 17/1988, as digitised into piecewise-linear functions of α in CCPS, *Guidelines for
Consequence Analysis of Chemical Releases* (1999), p. 118 (the same fits are in Crowl & Louvar,
*Chemical Process Safety*, 3rd ed., chapter 5, and in EPA's TSCREEN, EPA-454/B-94-023).

For a continuous release of volume rate q₀ (m³/s at the source density ρ₀) in a wind u (m/s at 10 m):
D = √(q₀/u), g₀ = g(ρ₀ − ρa)/ρa, α = 0.2·log₁₀(g₀² q₀ / u⁵), and the correlations give
β = log₁₀(x/D) at which the centreline ratio Cm/C₀ falls to 0.1, 0.05, 0.02, 0.01, 0.005 and 0.002.
For an instantaneous release of volume V₀: α = 0.5·log₁₀(g₀ V₀^{1/3} / u²), β = log₁₀(x/V₀^{1/3}),
ratios 0.1 … 0.001. Between the tabulated ratios hazmap interpolates log₁₀(Cm/C₀) linearly in β.
Near the source: Cm/C₀ = 306 (x/D)⁻² / (1 + 306 (x/D)⁻²) for x/D < 30 (plume) and
3.24 / (3.24 + (x/V₀^{1/3})²) for the puff (CCPS 1999, as implemented in GasDispersion.jl).

The correlations are for an isothermal release; a release at T₀ ≠ Ta is handled as the workbook
says: the ratio C* read from the correlations gives the volume fraction
C = C*·(Ta/T₀) / (1 − C* + C*·(Ta/T₀)).

Past the last tabulated ratio the cloud is passive; :mod:`dispersion.scenario` continues it with a
Gaussian model from a virtual source that matches the concentration there.

Whether a release is dense (Britter & McQuaid 1988; Crowl & Louvar, chapter 5): continuous if
(g₀ q₀ / (u³ D))^{1/3} ≥ 0.15, instantaneous if √(g₀ V₀^{1/3}) / u ≥ 0.2.
"""

from __future__ import annotations

import math

import numpy as np

from dispersion.constants import G

# Each ratio: segments (upper α bound, slope, intercept) of β(α) = slope·α + intercept, in order.
PLUME_CORRELATIONS: dict[float, tuple[tuple[float, float, float], ...]] = {
    0.10: ((-0.55, 0.0, 1.75), (-0.14, 0.24, 1.88), (1.0, -0.50, 1.78)),
    0.05: ((-0.68, 0.0, 1.92), (-0.29, 0.36, 2.16), (-0.18, 0.0, 2.06), (1.0, -0.56, 1.96)),
    0.02: ((-0.69, 0.0, 2.08), (-0.31, 0.45, 2.39), (-0.16, 0.0, 2.25), (1.0, -0.54, 2.16)),
    0.01: ((-0.70, 0.0, 2.25), (-0.29, 0.49, 2.59), (-0.20, 0.0, 2.45), (1.0, -0.52, 2.35)),
    0.005: ((-0.67, 0.0, 2.40), (-0.28, 0.59, 2.80), (-0.15, 0.0, 2.63), (1.0, -0.48, 2.56)),
    0.002: ((-0.69, 0.0, 2.60), (-0.25, 0.39, 2.87), (-0.13, 0.0, 2.77), (1.0, -0.50, 2.71)),
}
PUFF_CORRELATIONS: dict[float, tuple[tuple[float, float, float], ...]] = {
    0.10: ((-0.44, 0.0, 0.70), (0.43, 0.26, 0.81), (1.0, 0.0, 0.93)),
    0.05: ((-0.56, 0.0, 0.85), (0.31, 0.26, 1.00), (1.0, -0.12, 1.12)),
    0.02: ((-0.66, 0.0, 0.95), (0.32, 0.36, 1.19), (1.0, -0.26, 1.38)),
    0.01: ((-0.71, 0.0, 1.15), (0.37, 0.34, 1.39), (1.0, -0.38, 1.66)),
    0.005: ((-0.52, 0.0, 1.48), (0.24, 0.26, 1.62), (1.0, -0.30, 1.75)),
    0.002: ((0.27, 0.0, 1.83), (1.0, -0.32, 1.92)),
    0.001: ((-0.10, 0.0, 2.075), (1.0, -0.27, 2.05)),
}
ALPHA_MAX = 1.0  # the fits end at α = 1; beyond, the last segment is extrapolated (stated in the result)
PLUME_NEAR_FIELD_END = 30.0  # x/D


def reduced_gravity(source_density: float, air_density: float) -> float:
    """g₀ = g (ρ₀ − ρa) / ρa (m/s²) — Britter & McQuaid (1988)."""
    return G * (source_density - air_density) / air_density


def continuous_is_dense(g0: float, q0: float, wind: float) -> bool:
    """Britter–McQuaid criterion for a continuous release: (g₀ q₀ / (u³ D))^{1/3} ≥ 0.15 with D = √(q₀/u)."""
    if g0 <= 0:
        return False
    d = math.sqrt(q0 / wind)
    return (g0 * q0 / (wind**3 * d)) ** (1 / 3) >= 0.15


def instantaneous_is_dense(g0: float, v0: float, wind: float) -> bool:
    """Britter–McQuaid criterion for an instantaneous release: √(g₀ V₀^{1/3}) / u ≥ 0.2."""
    if g0 <= 0:
        return False
    return math.sqrt(g0 * v0 ** (1 / 3)) / wind >= 0.2


def plume_alpha(g0: float, q0: float, wind: float) -> float:
    """α = 0.2·log₁₀(g₀² q₀ / u⁵) of a continuous release (CCPS 1999)."""
    return 0.2 * math.log10(g0**2 * q0 / wind**5)


def puff_alpha(g0: float, v0: float, wind: float) -> float:
    """α = 0.5·log₁₀(g₀ V₀^{1/3} / u²) of an instantaneous release (CCPS 1999)."""
    return 0.5 * math.log10(g0 * v0 ** (1 / 3) / wind**2)


def beta(alpha: float, segments: tuple[tuple[float, float, float], ...]) -> float:
    """β = log₁₀(scaled distance) of one correlation curve at ``alpha`` (last segment extrapolated past α = 1)."""
    for upper, slope, intercept in segments:
        if alpha <= upper:
            return slope * alpha + intercept
    _, slope, intercept = segments[-1]
    return slope * alpha + intercept


def plume_curve(alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(β, log₁₀ Cm/C₀) points of the continuous correlation at ``alpha``, from the near-field end (x/D = 30) on."""
    near_ratio = 306.0 * PLUME_NEAR_FIELD_END**-2 / (1.0 + 306.0 * PLUME_NEAR_FIELD_END**-2)
    betas = [math.log10(PLUME_NEAR_FIELD_END)] + [beta(alpha, s) for s in PLUME_CORRELATIONS.values()]
    ratios = [near_ratio, *PLUME_CORRELATIONS]
    return np.maximum.accumulate(np.array(betas)), np.log10(np.array(ratios))


def puff_curve(alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(β, log₁₀ Cm/C₀) points of the instantaneous correlation at ``alpha``."""
    betas = [beta(alpha, s) for s in PUFF_CORRELATIONS.values()]
    return np.maximum.accumulate(np.array(betas)), np.log10(np.array(list(PUFF_CORRELATIONS)))


def plume_ratio(x_over_d, alpha: float):
    """Isothermal centreline ratio Cm/C₀ of a continuous dense release at x/D; NaN past the last correlation."""
    scaled = np.maximum(np.asarray(x_over_d, dtype=float), 1e-9)
    betas, log_ratios = plume_curve(alpha)
    near = 306.0 * scaled**-2 / (1.0 + 306.0 * scaled**-2)
    b = np.log10(scaled)
    far = 10.0 ** np.interp(b, betas, log_ratios)
    ratio = np.where(scaled < PLUME_NEAR_FIELD_END, near, far)
    return np.where(b > betas[-1], np.nan, ratio)


def puff_ratio(x_over_v, alpha: float):
    """Isothermal peak ratio Cm/C₀ of an instantaneous dense release at x/V₀^{1/3}; NaN past the last correlation."""
    scaled = np.maximum(np.asarray(x_over_v, dtype=float), 1e-9)
    betas, log_ratios = puff_curve(alpha)
    b = np.log10(scaled)
    near = np.minimum(3.24 / (3.24 + scaled**2), 1.0)
    far = 10.0 ** np.interp(b, betas, log_ratios)
    ratio = np.where(b < betas[0], np.maximum(near, 10.0 ** log_ratios[0]), far)
    return np.where(b > betas[-1], np.nan, ratio)


def non_isothermal(ratio, temperature_ratio: float):
    """Volume fraction C from the isothermal ratio C*: C = C*·T′ / (1 − C* + C*·T′), T′ = Ta/T₀ (workbook)."""
    ratio = np.asarray(ratio, dtype=float)
    return ratio * temperature_ratio / (1.0 - ratio + ratio * temperature_ratio)


def isothermal(fraction, temperature_ratio: float):
    """Inverse of :func:`non_isothermal`: the correlation ratio C* whose volume fraction is C."""
    fraction = np.asarray(fraction, dtype=float)
    return fraction / (fraction + (1.0 - fraction) * temperature_ratio)


def plume_half_width(x, d: float, g0: float, q0: float, wind: float):
    """Crosswind half-width (m) of a dense plume at x (m): Lh = Lh₀ + 2.5 Lb^{1/3} x^{2/3}.

    Britter & McQuaid (1988), with the buoyancy length Lb = g₀ q₀ / u³ and Lh₀ = D + 8 Lb, as
    implemented in GasDispersion.jl (A. E. Farrell). The plume is a top hat: uniform across this width.
    """
    lb = g0 * q0 / wind**3
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    return d + 8.0 * lb + 2.5 * lb ** (1 / 3) * x ** (2 / 3)


def puff_radius(x, v0: float, g0: float, wind: float):
    """Radius (m) of a dense puff when its centre is x (m) downwind.

    Gravity slumping R² = R₀² + 1.2 √(g₀ V₀) t with R₀ = (3V₀/4π)^{1/3}, the centre moving at 0.4 u₁₀
    (Britter & McQuaid 1988, as implemented in GasDispersion.jl).
    """
    r0 = (3.0 * v0 / (4.0 * math.pi)) ** (1 / 3)
    t = np.maximum(np.asarray(x, dtype=float), 0.0) / (0.4 * wind)
    return np.sqrt(r0**2 + 1.2 * math.sqrt(g0 * v0) * t)
