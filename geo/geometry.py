"""Small geometry helpers shared by the models and the demo park (GEOS geometries, EPSG:4326)."""

from __future__ import annotations

from django.contrib.gis.geos import GEOSGeometry

# About 0.1 m at these latitudes: drawings that share an edge with their container are not refused.
WITHIN_TOLERANCE_DEG = 1e-6


def lies_within(inner: GEOSGeometry, outer: GEOSGeometry) -> bool:
    """True when ``inner`` lies inside ``outer``, allowing ~0.1 m for shared, redrawn edges."""
    return outer.buffer(WITHIN_TOLERANCE_DEG).covers(inner)
