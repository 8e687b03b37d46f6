"""Coordinates of plant plans: EPSG CRSs, GCJ-02 and BD-09 of Chinese web maps, plant construction grids.

Everything is vectorised over NumPy arrays (scalars work too) and in (x, y) order: longitude then
latitude, easting then northing (pyproj's ``always_xy``), whatever axis order the EPSG definition
declares (EPSG:4490 and the CGCS2000 Gauss–Krüger CRSs declare latitude/northing first).

CRS codes (:func:`parse_crs`)
=============================

``4326``, ``"EPSG:4326"``, ``"urn:ogc:def:crs:EPSG::4326"``, ``"http://www.opengis.net/def/crs/EPSG/0/4326"``,
``"CRS84"`` (= EPSG:4326 in lon/lat), and the two Chinese pseudo-CRSs ``"GCJ02"`` (AMap, Tencent; also
``"GCJ-02"``) and ``"BD09"`` (Baidu; also ``"BD-09"``), both longitude/latitude in degrees, and ``"GRID"``:
an enterprise's plant construction grid (A, B in metres), which :func:`transform` converts only when it is
given the grid (:class:`ConstructionGrid`; hazmap keeps one per enterprise). A code that names no CRS
raises :class:`~plant_plans.errors.CRSError` (a ``ValueError``; HTTP 400). CGCS2000
(EPSG:4490) and WGS 84 (EPSG:4326) are the same at map precision: PROJ's only operation between them is
a "ballpark" no-op (coordinates.md §1).

GCJ-02 and BD-09
================

Not in PROJ (OSGeo/PROJ#982, *wontfix*). The forward offsets are the published open-source
formulas (eviltransform, coord-convert, PRCoords): GCJ-02 adds a non-linear offset of 265–606 m
computed on the Krasovsky ellipsoid (a = 6,378,245 m, e² = 0.00669342162296594323) with polynomials
centred on (105° E, 35° N); BD-09 rotates and shifts GCJ-02 (x_pi = π·3000/180, offsets 0.0065° and
0.006°). There is no closed-form inverse: :func:`gcj02_to_wgs84` and :func:`bd09_to_gcj02` iterate
the forward formula to a fixed point, to better than 1e-9° (≈ 0.1 mm; the round trip is far below 1 mm).

*Outside China* the GCJ-02 offset is not applied (points come back unchanged), by the rectangle
coord-convert uses: 72.004–137.8347° E, 0.8293–55.8271° N (:func:`out_of_china`). BD-09's own
rotation is applied everywhere, as in those libraries.

**Caveat — Taiwan, Hong Kong, Macau and the neighbours.** The test is a rectangle: it counts Taiwan,
Hong Kong and Macau as inside, and also parts of Mongolia, Korea, Japan, Vietnam and other neighbours.
Tencent serves mainland China, Hong Kong and Macau in GCJ-02 but **Taiwan (and abroad) in WGS 84**
(lbs.qq.com/faq/latlngFaq); AMap and Baidu differ again outside the mainland. A Taiwan point taken
from Tencent must therefore be given as EPSG:4326, not GCJ02, or it is shifted by hundreds of metres.
hazmap's plants are in the mainland; this module does not guess.

Construction grids (建筑坐标, A–B)
================================

:class:`ConstructionGrid`: the A axis at azimuth α (clockwise from the survey grid's X = north), the
origin at survey (X₀, Y₀), optional grid coordinates (A₀, B₀) of that origin and a scale k.
coordinates.md §4: X = X₀ + k·((A−A₀)·cos α − (B−B₀)·sin α), Y = Y₀ + k·((A−A₀)·sin α + (B−B₀)·cos α),
X northing and Y easting of a projected survey CRS (e.g. EPSG:4547, CGCS2000 3° GK CM 114° E). It is
done as one PROJ pipeline: an ``affine`` step to (easting, northing), then the inverse projection.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyproj
from pyproj.exceptions import CRSError as PyprojCRSError

from plant_plans.errors import CRSError, gettext_noop

GCJ02 = "GCJ02"
BD09 = "BD09"
GRID = "GRID"  # an enterprise's construction grid: converted with that grid only
WGS84 = "EPSG:4326"

# GCJ-02 constants (the Krasovsky 1940 ellipsoid) and BD-09's, as in eviltransform / coord-convert / PRCoords.
KRASOVSKY_A_M = 6378245.0
KRASOVSKY_E2 = 0.00669342162296594323
BD_X_PI = math.pi * 3000.0 / 180.0
BD_DLON_DEG = 0.0065
BD_DLAT_DEG = 0.006
# coord-convert's rectangle; see the module docstring for what it gets wrong.
CHINA_LON_DEG = (72.004, 137.8347)
CHINA_LAT_DEG = (0.8293, 55.8271)

INVERSE_TOLERANCE_DEG = 1e-10  # ≈ 0.01 mm: the iteration stops when a step moves less than this
INVERSE_MAX_STEPS = 30

_PSEUDO = {"GCJ02": GCJ02, "GCJ-02": GCJ02, "BD09": BD09, "BD-09": BD09, "GRID": GRID}
_EPSG_FORMS = (
    re.compile(r"^(?:EPSG:)?(\d{4,6})$", re.IGNORECASE),
    re.compile(r"^urn:ogc:def:crs:EPSG:[\d.]*:(\d{4,6})$", re.IGNORECASE),
    re.compile(r"^https?://www\.opengis\.net/def/crs/EPSG/0/(\d{4,6})$", re.IGNORECASE),
)
_CRS84 = {"CRS84", "OGC:CRS84", "HTTP://WWW.OPENGIS.NET/DEF/CRS/OGC/1.3/CRS84"}


# --- CRS codes ------------------------------------------------------------------------------------


def parse_crs(code: str | int) -> str:
    """The canonical form of a CRS code: ``"EPSG:n"``, ``"GCJ02"``, ``"BD09"`` or ``"GRID"``; :class:`CRSError`
    otherwise.

    Only horizontal CRSs are accepted: geographic 2D (degrees) or projected (any linear unit).
    """
    text = str(code).strip()
    if text.upper() in _PSEUDO:
        return _PSEUDO[text.upper()]
    if text.upper() in _CRS84:
        return WGS84
    for form in _EPSG_FORMS:
        match = form.match(text)
        if match:
            epsg = int(match.group(1))
            _epsg_crs(epsg)  # raises when it does not exist or is not horizontal
            return f"EPSG:{epsg}"
    raise CRSError(
        gettext_noop(
            "“%(code)s” is not a CRS code: give EPSG:<number> (e.g. EPSG:4326, EPSG:4547), GCJ02, BD09 or GRID."
        ),
        code=text[:60],
    )


@lru_cache(maxsize=256)
def _epsg_crs(epsg: int) -> pyproj.CRS:
    try:
        crs = pyproj.CRS.from_epsg(epsg)
    except PyprojCRSError:
        raise CRSError(gettext_noop("There is no CRS EPSG:%(epsg)d."), epsg=epsg) from None
    if not (crs.is_projected or (crs.is_geographic and len(crs.axis_info) == 2)):
        raise CRSError(
            gettext_noop("EPSG:%(epsg)d (%(name)s) is not a horizontal CRS: give a geographic 2D or projected CRS."),
            epsg=epsg,
            name=crs.name,
        )
    return crs


def pyproj_crs(code: str | int) -> pyproj.CRS:
    """The pyproj CRS of an EPSG code (:func:`parse_crs` forms); GCJ02 and BD09 are not CRSs of PROJ."""
    canonical = parse_crs(code)
    if canonical in (GCJ02, BD09, GRID):
        raise CRSError(
            gettext_noop("%(code)s is not a CRS PROJ knows; convert it with to_wgs84 first."), code=canonical
        )
    return _epsg_crs(int(canonical.split(":")[1]))


@lru_cache(maxsize=256)
def _transformer(source: str, target: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(pyproj_crs(source), pyproj_crs(target), always_xy=True)


NO_GRID = gettext_noop(
    "GRID is the enterprise's construction grid, and this enterprise has none defined: define its origin, "
    "azimuth and survey CRS first, or give the coordinates in another CRS."
)


def transform(
    x, y, source: str | int, target: str | int, grid: ConstructionGrid | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Points (x, y) from CRS ``source`` to ``target`` (codes as :func:`parse_crs`), in (x, y) order.

    GCJ02 and BD09 go through WGS 84; GRID is the construction grid ``grid`` (:class:`CRSError` without one).
    Points that cannot be transformed (outside the CRS's domain) come back as inf or NaN, as pyproj returns
    them; callers check with ``np.isfinite``.
    """
    source, target = parse_crs(source), parse_crs(target)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if source == target:
        return x.copy(), y.copy()
    if GRID in (source, target) and grid is None:
        raise CRSError(NO_GRID)
    if source == GRID:
        return grid.to_crs(x, y, target)
    if target == GRID:
        return grid.from_crs(x, y, source)
    if source == GCJ02:
        x, y = gcj02_to_wgs84(x, y)
        source = WGS84
    elif source == BD09:
        x, y = bd09_to_wgs84(x, y)
        source = WGS84
    if target in (GCJ02, BD09):
        lon, lat = (x, y) if source == WGS84 else _transformer(source, WGS84).transform(x, y)
        return wgs84_to_gcj02(lon, lat) if target == GCJ02 else wgs84_to_bd09(lon, lat)
    if source == target:
        return x, y
    return tuple(np.asarray(v, dtype=float) for v in _transformer(source, target).transform(x, y))


def to_wgs84(x, y, source: str | int, grid: ConstructionGrid | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude (EPSG:4326, degrees) of points given in ``source`` (GRID: ``grid``'s A, B)."""
    return transform(x, y, source, WGS84, grid)


# --- GCJ-02 and BD-09 -----------------------------------------------------------------------------


def out_of_china(lon, lat) -> np.ndarray:
    """True where (lon, lat) lies outside coord-convert's rectangle around China (see the module caveat)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return ~(
        (lon >= CHINA_LON_DEG[0]) & (lon <= CHINA_LON_DEG[1]) & (lat >= CHINA_LAT_DEG[0]) & (lat <= CHINA_LAT_DEG[1])
    )


def _gcj02_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS 84 at (lon, lat), in degrees (zero outside China)."""
    x, y = lon - 105.0, lat - 35.0
    pi = math.pi
    dlat_m = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    )  # fmt: skip
    dlon_m = (
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    )  # fmt: skip
    phi = np.radians(lat)
    magic = 1.0 - KRASOVSKY_E2 * np.sin(phi) ** 2
    dlat = dlat_m * 180.0 / (KRASOVSKY_A_M * (1.0 - KRASOVSKY_E2) / (magic * np.sqrt(magic)) * pi)
    dlon = dlon_m * 180.0 / (KRASOVSKY_A_M / np.sqrt(magic) * np.cos(phi) * pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 longitude and latitude (degrees) of WGS 84 points; unchanged outside China."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _gcj02_offset(lon, lat)
    return lon + dlon, lat + dlat


def _fixed_point(forward, target_x: np.ndarray, target_y: np.ndarray, x: np.ndarray, y: np.ndarray):
    """Solve forward(x, y) = target from the guess (x, y): x ← x − (forward(x) − target) until it stops moving.

    The forward offsets change by less than 1 % of a step per step (their derivatives are ~1e-3), so a
    handful of steps reach 1e-10°.
    """
    for _ in range(INVERSE_MAX_STEPS):
        fx, fy = forward(x, y)
        dx, dy = fx - target_x, fy - target_y
        x, y = x - dx, y - dy
        if not np.any(np.abs(dx) > INVERSE_TOLERANCE_DEG) and not np.any(np.abs(dy) > INVERSE_TOLERANCE_DEG):
            break
    return x, y


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 longitude and latitude of GCJ-02 points, by iterating the forward offset (< 1e-9°)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _gcj02_offset(lon, lat)
    return _fixed_point(wgs84_to_gcj02, lon, lat, lon - dlon, lat - dlat)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 longitude and latitude of GCJ-02 points (Baidu's rotation and shift)."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * BD_X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * BD_X_PI)
    return z * np.cos(theta) + BD_DLON_DEG, z * np.sin(theta) + BD_DLAT_DEG


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 of BD-09 points: the usual one-step inverse, then iterated on the forward formula (< 1e-9°)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y = lon - BD_DLON_DEG, lat - BD_DLAT_DEG
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * BD_X_PI)
    return _fixed_point(gcj02_to_bd09, lon, lat, z * np.cos(theta), z * np.sin(theta))


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 of WGS 84 points (through GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 of BD-09 points (through GCJ-02, both inverses iterated)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


# --- construction grids -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConstructionGrid:
    """A plant construction grid (A, B) placed in a projected survey CRS (coordinates.md §4).

    ``crs``: the projected survey CRS, in metres (e.g. ``"EPSG:4547"``); ``x0_m``, ``y0_m``: survey
    northing X₀ and easting Y₀ of the grid origin; ``azimuth_deg``: α, the azimuth of the A axis,
    clockwise from the survey X axis (north); ``a0_m``, ``b0_m``: grid coordinates of that origin
    (0 when the origin is A = 0, B = 0); ``scale``: metres of survey per metre of grid (1 unless the
    design institute gives a factor).
    """

    crs: str
    x0_m: float
    y0_m: float
    azimuth_deg: float
    a0_m: float = 0.0
    b0_m: float = 0.0
    scale: float = 1.0

    def __post_init__(self) -> None:
        crs = pyproj_crs(self.crs)
        if not crs.is_projected:
            raise CRSError(
                gettext_noop("A construction grid lies in a projected survey CRS (e.g. EPSG:4547), not %(code)s."),
                code=self.crs,
            )
        if any(axis.unit_name not in ("metre", "meter") for axis in crs.axis_info):
            raise CRSError(gettext_noop("The survey CRS %(code)s is not in metres."), code=self.crs)
        values = (self.x0_m, self.y0_m, self.azimuth_deg, self.a0_m, self.b0_m, self.scale)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in values) or self.scale <= 0:
            raise CRSError(gettext_noop("A construction grid needs finite X0, Y0, azimuth, A0, B0 and a scale > 0."))

    def affine(self) -> tuple[float, float, float, float, float, float]:
        """PROJ ``affine`` coefficients (xoff, yoff, s11, s12, s21, s22) from (A, B) to (easting Y, northing X).

        easting Y = Y₀ + k·sin α·(A − A₀) + k·cos α·(B − B₀); northing X = X₀ + k·cos α·(A − A₀) − k·sin α·(B − B₀).
        """
        alpha = math.radians(self.azimuth_deg)
        k, s, c = self.scale, math.sin(alpha), math.cos(alpha)
        s11, s12, s21, s22 = k * s, k * c, k * c, -k * s
        xoff = self.y0_m - s11 * self.a0_m - s12 * self.b0_m
        yoff = self.x0_m - s21 * self.a0_m - s22 * self.b0_m
        return xoff, yoff, s11, s12, s21, s22

    def pipeline(self) -> str:
        """The PROJ pipeline from grid (A, B) in metres to longitude, latitude (degrees) of the survey datum."""
        xoff, yoff, s11, s12, s21, s22 = self.affine()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # to_proj4 warns that a PROJ string is not a full CRS
            projection = pyproj_crs(self.crs).to_proj4()
        projection = " ".join(p for p in projection.split() if p not in ("+type=crs", "+no_defs"))
        return (
            f"+proj=pipeline +step +proj=affine +xoff={xoff!r} +yoff={yoff!r} +s11={s11!r} +s12={s12!r} "
            f"+s21={s21!r} +s22={s22!r} +step +inv {projection} +step +proj=unitconvert +xy_in=rad +xy_out=deg"
        )

    def _steps(self, target: str | int) -> tuple[pyproj.Transformer, pyproj.Transformer | None]:
        grid = _pipeline_transformer(self.pipeline())
        geodetic = pyproj_crs(self.crs).geodetic_crs
        target_crs = pyproj_crs(target)
        if geodetic == target_crs:
            return grid, None
        return grid, pyproj.Transformer.from_crs(geodetic, target_crs, always_xy=True)

    def to_crs(self, a, b, target: str | int = WGS84) -> tuple[np.ndarray, np.ndarray]:
        """Grid (A, B) in metres → (x, y) of ``target`` (default EPSG:4326 lon/lat; GCJ02, BD09 too)."""
        canonical = parse_crs(target)
        if canonical in (GCJ02, BD09):
            return transform(*self.to_crs(a, b, WGS84), WGS84, canonical)
        grid, onwards = self._steps(canonical)
        x, y = grid.transform(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
        if onwards is not None:
            x, y = onwards.transform(x, y)
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

    def from_crs(self, x, y, source: str | int = WGS84) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of ``source`` → grid (A, B) in metres."""
        canonical = parse_crs(source)
        if canonical in (GCJ02, BD09):
            x, y = to_wgs84(x, y, canonical)
            canonical = WGS84
        grid, onwards = self._steps(canonical)
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if onwards is not None:
            x, y = onwards.transform(x, y, direction=pyproj.enums.TransformDirection.INVERSE)
        a, b = grid.transform(x, y, direction=pyproj.enums.TransformDirection.INVERSE)
        return np.asarray(a, dtype=float), np.asarray(b, dtype=float)


@lru_cache(maxsize=64)
def _pipeline_transformer(pipeline: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_pipeline(pipeline)
