"""Live inventory of a tank from its level: level → filled volume (tank geometry) → mass (liquid density).

The filled share of a tank's volume at a filled share f of its liquid height:

- vertical cylinder (fixed-roof, floating-roof and refrigerated tanks): f;
- horizontal cylinder: the circular segment's share of the circle, (θ − sin θ) / 2π with
  θ = 2 arccos(1 − 2f) (the area of a circular segment, any geometry handbook);
- sphere: the spherical cap's share of the sphere, f² (3 − 2f) (cap volume π h² (3r − h) / 3).

Mass = capacity (m³) × filled share × the substance's liquid density (kg/m³). The density is the one
stored with the substance; for liquefied gases under pressure it is the density near the normal
boiling point, which overstates the mass of a warm tank by a few per cent.
"""

from __future__ import annotations

import math

VERTICAL = ("fixed_roof", "internal_floating", "external_floating", "refrigerated")


def volume_share(level_share: float, tank_type: str) -> float | None:
    """Filled share of the volume at ``level_share`` of the liquid height (both 0…1); None for an unknown shape."""
    f = min(max(level_share, 0.0), 1.0)
    if tank_type in VERTICAL:
        return f
    if tank_type == "horizontal":
        theta = 2.0 * math.acos(1.0 - 2.0 * f)
        return (theta - math.sin(theta)) / (2.0 * math.pi)
    if tank_type == "sphere":
        return f * f * (3.0 - 2.0 * f)
    return None


def level_share(
    value: float, unit: str, tank_type: str, height_m: float | None, diameter_m: float | None
) -> float | None:
    """The level as a share of the tank's liquid height: % of span, or metres of a height (vertical) or diameter."""
    if unit == "%":
        return value / 100.0
    depth = height_m if tank_type in VERTICAL else diameter_m
    if not depth:
        return None
    if unit == "m":
        return value / depth
    if unit == "mm":
        return value / 1000.0 / depth
    return None


def inventory_kg(
    value: float,
    unit: str,
    tank_type: str,
    capacity_m3: float | None,
    density_kg_m3: float | None,
    height_m: float | None = None,
    diameter_m: float | None = None,
) -> float | None:
    """Mass in a tank whose level reads ``value`` ``unit``; None when the tank or substance lacks a figure."""
    if not capacity_m3 or not density_kg_m3 or not math.isfinite(value):
        return None
    share = level_share(value, unit, tank_type, height_m, diameter_m)
    if share is None:
        return None
    volume = volume_share(share, tank_type)
    return None if volume is None else capacity_m3 * volume * density_kg_m3
