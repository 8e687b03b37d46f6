"""Zones as shapely geometries: built in a local metric frame at the source, reprojected to EPSG:4326.

The local frame is the azimuthal equidistant projection centred on the source (``+proj=aeqd``,
WGS 84 ellipsoid; :func:`local_crs`): x east, y north, in metres. A point of the frame at distance
r and azimuth α from the source is the end of the geodesic of length r leaving the source at
azimuth α, which is how :func:`to_wgs84` reprojects, with ``pyproj.Geod.fwd`` on whole coordinate
arrays (the same result as a ``pyproj.Transformer`` from the aeqd CRS, without building a
transformer for every source).

Footprints of dispersion models are described along the wind: x downwind, y crosswind (left of
the wind positive), and rotated to the bearing the wind blows towards.

Wind-direction uncertainty: ALOHA draws "confidence lines" around a toxic or flammable footprint,
the area the footprint stays within about 95 % of the time, wider the lower the wind speed (NOAA,
ALOHA help, "Confidence lines"). ALOHA's exact rule is not published in the material available to
us; hazmap draws the same kind of envelope from the standard deviation of the wind direction:
σθ = max(σA of the stability class, atan(σv/u)) with σA near the middle of the ranges of the EPA
σA stability criteria (EPA-454/R-99-005, *Meteorological Monitoring Guidance for Regulatory
Modeling Applications*: A ≥ 22.5°, B 17.5–22.5°, C 12.5–17.5°, D 7.5–12.5°, E 3.8–7.5°, F < 3.8°;
hazmap takes A 25°, B 20°, C 15°, D 10°, E 5.6°, F 3°) and a lateral
turbulence of σv = 0.5 m/s for meander in light winds; the envelope is the footprint swept through
±2σθ about the mean wind (a full circle when 2σθ ≥ 180°).
"""

from __future__ import annotations

import math

import numpy as np
import pyproj
import shapely
from shapely.geometry import MultiPolygon, Polygon

GEOD = pyproj.Geod(ellps="WGS84")
SIGMA_A_DEG = {"A": 25.0, "B": 20.0, "C": 15.0, "D": 10.0, "E": 5.6, "F": 3.0}
SIGMA_V_M_S = 0.5
CIRCLE_POINTS = 96


def local_crs(lon: float, lat: float) -> pyproj.CRS:
    """The azimuthal equidistant CRS centred on (lon, lat), WGS 84, metres."""
    return pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs")


def local_to_lonlat(east, north, lon: float, lat: float) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes (°) of local coordinates (m east, m north of the source at lon, lat)."""
    east = np.asarray(east, dtype=float)
    north = np.asarray(north, dtype=float)
    distance = np.hypot(east, north)
    azimuth = np.degrees(np.arctan2(east, north))
    lons, lats, _ = GEOD.fwd(np.full(distance.shape, lon), np.full(distance.shape, lat), azimuth, distance)
    return np.asarray(lons), np.asarray(lats)


def to_wgs84(geometry, lon: float, lat: float):
    """Reproject a geometry, or an array of geometries in one pass, from the local frame of the source at
    (lon, lat) to EPSG:4326, in (lon, lat) order."""

    def transform(coords: np.ndarray) -> np.ndarray:
        lons, lats = local_to_lonlat(coords[:, 0], coords[:, 1], lon, lat)
        return np.column_stack([lons, lats])

    return shapely.transform(geometry, transform)


def along_wind_to_local(x, y, downwind_bearing_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Local (east, north) of points at x downwind and y crosswind (positive to the left) of the source."""
    beta = math.radians(downwind_bearing_deg)
    de, dn = math.sin(beta), math.cos(beta)  # unit vector downwind
    le, ln = -dn, de  # unit vector to the left of the wind
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    return x * de + y * le, x * dn + y * ln


def local_to_along_wind(east, north, downwind_bearing_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`along_wind_to_local`: (x downwind, y left) of local (east, north) points."""
    beta = math.radians(downwind_bearing_deg)
    de, dn = math.sin(beta), math.cos(beta)
    east = np.asarray(east, dtype=float)
    north = np.asarray(north, dtype=float)
    return east * de + north * dn, -east * dn + north * de


def plume_polygon(x: np.ndarray, half_width: np.ndarray, downwind_bearing_deg: float) -> Polygon:
    """Polygon (local frame) bounded by ±half_width(x) along the wind; empty when no half-width is positive.

    ``x`` increases along the wind and the profile is closed by the caller (zero half-width at its
    ends, or a blunt end); the outline runs out along the left edge and back along the right edge.
    """
    x = np.asarray(x, dtype=float)
    b = np.asarray(half_width, dtype=float)
    if not (b > 0).any():
        return Polygon()
    px = np.concatenate([x, x[::-1]])
    py = np.concatenate([b, -b[::-1]])
    east, north = along_wind_to_local(px, py, downwind_bearing_deg)
    polygon = Polygon(np.column_stack([east, north]))
    return polygon if polygon.is_valid else shapely.make_valid(polygon).buffer(0)


def circle(radius_m: float, centre_east: float = 0.0, centre_north: float = 0.0) -> Polygon:
    """A circle (local frame) of ``radius_m`` as a polygon of 96 vertices; empty for a radius ≤ 0."""
    if radius_m <= 0:
        return Polygon()
    angles = np.linspace(0.0, 2.0 * np.pi, CIRCLE_POINTS, endpoint=False)
    return Polygon(np.column_stack([centre_east + radius_m * np.sin(angles), centre_north + radius_m * np.cos(angles)]))


def directional_polygon(downwind_m: float, crosswind_m: float, upwind_m: float, downwind_bearing_deg: float) -> Polygon:
    """A closed outline (local frame) reaching ``downwind_m``, ``crosswind_m`` and ``upwind_m`` from the source.

    The radius varies as r(φ) = r_c + (r_d − r_c)·cos φ downwind of the crosswind line and
    r_c + (r_u − r_c)·|cos φ| upwind of it (φ from the downwind direction): an interpolation between
    the three computed distances, used for tilted pool-fire flames.
    """
    if max(downwind_m, crosswind_m, upwind_m) <= 0:
        return Polygon()
    phi = np.linspace(0.0, 2.0 * np.pi, CIRCLE_POINTS, endpoint=False)
    cos = np.cos(phi)
    r = np.where(
        cos >= 0, crosswind_m + (downwind_m - crosswind_m) * cos, crosswind_m + (upwind_m - crosswind_m) * -cos
    )
    r = np.maximum(r, 0.0)
    east, north = along_wind_to_local(r * cos, r * np.sin(phi), downwind_bearing_deg)
    polygon = Polygon(np.column_stack([east, north]))
    return polygon if polygon.is_valid else shapely.make_valid(polygon).buffer(0)


def confidence_half_angle_deg(wind_speed_m_s: float, stability: str, sigma_v_m_s: float = SIGMA_V_M_S) -> float:
    """Half-angle (°) of the wind-direction envelope: 2σθ, σθ = max(σA(class), atan(σv/u)); at most 180°."""
    sigma = max(SIGMA_A_DEG[stability], math.degrees(math.atan(sigma_v_m_s / wind_speed_m_s)))
    return min(2.0 * sigma, 180.0)


def _rotate_coords(coords: np.ndarray, angle_deg: float) -> np.ndarray:
    a = math.radians(-angle_deg)
    cos, sin = math.cos(a), math.sin(a)
    return np.column_stack([coords[:, 0] * cos - coords[:, 1] * sin, coords[:, 0] * sin + coords[:, 1] * cos])


def rotate(geometry: shapely.Geometry, angle_deg: float) -> shapely.Geometry:
    """Rotate a local-frame geometry about the source by ``angle_deg`` (clockwise, as bearings turn)."""
    a = math.radians(-angle_deg)
    cos, sin = math.cos(a), math.sin(a)
    return shapely.transform(
        geometry, lambda c: np.column_stack([c[:, 0] * cos - c[:, 1] * sin, c[:, 0] * sin + c[:, 1] * cos])
    )


def envelope(footprint: shapely.Geometry, half_angle_deg: float, downwind_bearing_deg: float) -> shapely.Geometry:
    """The area the footprint can cover when the wind turns ±``half_angle_deg`` about its mean direction (local frame).

    Like ALOHA's confidence lines: straight lines from the source enclosing the footprint turned to
    both extremes, closed by the arc through its farthest point (the convex hull of the turned
    footprints and that arc); a full disc when the half-angle reaches 180°.
    """
    if footprint.is_empty:
        return footprint
    coords = shapely.get_coordinates(footprint)
    reach = float(np.max(np.hypot(coords[:, 0], coords[:, 1])))
    if half_angle_deg >= 180.0:
        return circle(reach)
    steps = max(2, math.ceil(half_angle_deg / 2.0))
    phi = np.radians(
        np.linspace(downwind_bearing_deg - half_angle_deg, downwind_bearing_deg + half_angle_deg, 2 * steps + 1)
    )
    arc = np.column_stack([reach * np.sin(phi), reach * np.cos(phi)])
    turned = [_rotate_coords(coords, angle) for angle in (-half_angle_deg, half_angle_deg)]
    points = np.vstack([[[0.0, 0.0]], arc, coords, *turned])
    return shapely.convex_hull(shapely.linestrings(points))


def extent_along_wind(geometry: shapely.Geometry, downwind_bearing_deg: float) -> tuple[float, float]:
    """Maximum distance (m) of a local-frame geometry from the source, and its width (m) across the wind."""
    if geometry.is_empty:
        return 0.0, 0.0
    coords = shapely.get_coordinates(geometry)
    _, y = local_to_along_wind(coords[:, 0], coords[:, 1], downwind_bearing_deg)
    return float(np.max(np.hypot(coords[:, 0], coords[:, 1]))), float(np.max(y) - np.min(y))


def as_multipolygon(geometry: shapely.Geometry) -> MultiPolygon:
    """A (possibly empty) geometry as a MultiPolygon, the type ``geo.ConsequenceZone.area`` stores."""
    if geometry.is_empty:
        return MultiPolygon()
    if isinstance(geometry, MultiPolygon):
        return geometry
    if isinstance(geometry, Polygon):
        return MultiPolygon([geometry])
    polygons = [g for g in getattr(geometry, "geoms", []) if isinstance(g, Polygon) and not g.is_empty]
    return MultiPolygon(polygons)
