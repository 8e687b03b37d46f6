"""Dispersion coefficients σy, σz (m) of the Gaussian plume and puff, as functions of downwind distance x (m).

* Plume (continuous release): Briggs (1973) formulas for open country (rural) and urban surfaces,
  as tabulated by Crowl & Louvar, *Chemical Process Safety* (3rd ed.), Table 5-2, and by ALOHA's
  technical documentation (NOAA TM NOS OR&R 43, 2013, Table 13). They are fitted for
  100 m < x < 10 km; hazmap uses them down to 1 m and states when a footprint leaves that range.
* Puff (instantaneous release): σx = σy = a·x^b and σz = c·x^d (Slade 1968), Crowl & Louvar
  Table 5-3 / CCPS *Guidelines for Consequence Analysis of Chemical Releases* (1999).

All functions accept NumPy arrays.
"""

from __future__ import annotations

import numpy as np

from dispersion.errors import require_choice
from dispersion.weather import STABILITY_CLASSES, SURFACES

VALID_FROM_M = 100.0
VALID_TO_M = 10_000.0

# σ = a·x·(1 + b·x)^c, per class A..F
_BRIGGS = {
    ("rural", "y"): [(0.22, 1e-4, -0.5), (0.16, 1e-4, -0.5), (0.11, 1e-4, -0.5), (0.08, 1e-4, -0.5),
                     (0.06, 1e-4, -0.5), (0.04, 1e-4, -0.5)],
    ("rural", "z"): [(0.20, 0.0, 0.0), (0.12, 0.0, 0.0), (0.08, 2e-4, -0.5), (0.06, 1.5e-3, -0.5),
                     (0.03, 3e-4, -1.0), (0.016, 3e-4, -1.0)],
    ("urban", "y"): [(0.32, 4e-4, -0.5), (0.32, 4e-4, -0.5), (0.22, 4e-4, -0.5), (0.16, 4e-4, -0.5),
                     (0.11, 4e-4, -0.5), (0.11, 4e-4, -0.5)],
    ("urban", "z"): [(0.24, 1e-3, 0.5), (0.24, 1e-3, 0.5), (0.20, 0.0, 0.0), (0.14, 3e-4, -0.5),
                     (0.08, 1.5e-3, -0.5), (0.08, 1.5e-3, -0.5)],
}  # fmt: skip

# puff: σy = a·x^b, σz = c·x^d, per class A..F
_PUFF = [(0.18, 0.92, 0.60, 0.75), (0.14, 0.92, 0.53, 0.73), (0.10, 0.92, 0.34, 0.71),
         (0.06, 0.92, 0.15, 0.70), (0.04, 0.92, 0.10, 0.65), (0.02, 0.89, 0.05, 0.61)]  # fmt: skip


def _briggs(axis: str, x, stability: str, surface: str):
    require_choice("stability", stability, STABILITY_CLASSES)
    require_choice("surface", surface, SURFACES)
    a, b, c = _BRIGGS[(surface, axis)][STABILITY_CLASSES.index(stability)]
    x = np.asarray(x, dtype=float)
    return a * x * (1.0 + b * x) ** c


def briggs_sigma_y(x, stability: str, surface: str = "rural"):
    """Crosswind σy (m) of a plume at downwind distance x (m): Briggs (1973), Crowl & Louvar Table 5-2."""
    return _briggs("y", x, stability, surface)


def briggs_sigma_z(x, stability: str, surface: str = "rural"):
    """Vertical σz (m) of a plume at downwind distance x (m): Briggs (1973), Crowl & Louvar Table 5-2."""
    return _briggs("z", x, stability, surface)


def puff_sigma_y(x, stability: str):
    """Crosswind (and downwind) σy = σx (m) of a puff whose centre has travelled x (m): Crowl & Louvar Table 5-3."""
    require_choice("stability", stability, STABILITY_CLASSES)
    a, b, _, _ = _PUFF[STABILITY_CLASSES.index(stability)]
    return a * np.asarray(x, dtype=float) ** b


def puff_sigma_z(x, stability: str):
    """Vertical σz (m) of a puff whose centre has travelled x (m): Crowl & Louvar Table 5-3."""
    require_choice("stability", stability, STABILITY_CLASSES)
    _, _, c, d = _PUFF[STABILITY_CLASSES.index(stability)]
    return c * np.asarray(x, dtype=float) ** d
