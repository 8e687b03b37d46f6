"""Small geometry helpers shared by the models and the demo park (GEOS geometries, EPSG:4326)."""

from __future__ import annotations

import math

from django.contrib.gis.geos import GEOSGeometry

# About 0.1 m at these latitudes: drawings that share an edge with their container are not refused.
WITHIN_TOLERANCE_DEG = 1e-6
METRES_PER_DEGREE = 111_320.0  # of latitude, and of longitude at the equator (spherical mean radius)


def lies_within(inner: GEOSGeometry, outer: GEOSGeometry) -> bool:
    """True when ``inner`` lies inside ``outer``, allowing ~0.1 m for shared, redrawn edges."""
    return outer.buffer(WITHIN_TOLERANCE_DEG).covers(inner)


def lies_near(inner: GEOSGeometry, outer: GEOSGeometry, tolerance_m: float) -> bool:
    """True when ``inner`` lies inside ``outer`` or less than about ``tolerance_m`` metres outside it.

    The tolerance becomes degrees of longitude at ``outer``'s latitude (more degrees than the same metres
    of latitude), so the check is generous north and south: by 1/cos φ, ≈ 16 % at 30° N. Callers that
    need the exact distance measure it in metres first (``plant_plans.vector.SiteCheck``).
    """
    latitude = outer.centroid.y
    degrees = tolerance_m / (METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.01))
    return outer.buffer(max(degrees, WITHIN_TOLERANCE_DEG)).covers(inner)
