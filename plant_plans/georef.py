"""Georeferencing raster plans: a transform fitted to control points, its residuals, and the warped COG.

Fitting (:func:`fit`)
=====================

A control point is a pixel of the image (``col``, ``row``: GDAL's convention, from the top-left corner,
the first pixel's centre at (0.5, 0.5)) and the same place on the map (``x``, ``y`` in any CRS
:func:`plant_plans.coords.parse_crs` accepts: EPSG codes, GCJ02, BD09). The map points are taken to a
local metric CRS: an azimuthal equidistant projection on WGS 84 centred on the points' centroid, whose
scale error is below 1e-7 within 5 km of it, so that metres in it are metres on the ground. Then, by
least squares (``numpy.linalg.lstsq``) on pixel coordinates centred on the points and scaled to about ±1:

- ``affine`` (≥ 3 points): E = a₀ + a₁u + a₂v, N = b₀ + b₁u + b₂v;
- ``poly2`` (≥ 6 points): the second-order polynomial adding u², uv, v² (GDAL's ``-order 2``).

Refused (:class:`~plant_plans.errors.ControlPointError`): too few points, points (nearly) on one
line in the image or on the map (the spread across the best line under 1 % of the spread along it),
six or more points on one conic for ``poly2``, two points at the same pixel (< 1 px) or at the same
place (< 1 cm), points outside the image, map points spread over more than 50 km (a CRS or an x/y
order mistaken), and a ``poly2`` that folds the plan over itself inside the image.

The report gives, for each point, the residual on the map (fitted minus given, metres east and
north) and in the image (the pixel the transform puts the given map point at, minus the given pixel),
and their root mean squares. With exactly 3 (affine) or 6 (poly2) points the residuals are zero and
say nothing (``redundancy`` 0): add points to check the fit.

Warping (:func:`write_cog`)
===========================

The plan is warped by inverse mapping in NumPy (:func:`warp`: nearest neighbour at the plan's own
resolution, each RGBA pixel moved as one 32-bit value; measured against GDAL's warper through
``rasterio.warp.reproject`` with the same transform, NumPy took 0.6× its CPU time: see
tests/bench/bench_plans.py) to EPSG:3857 — the CRS of web map tiles, so a tile is a window of the
file — and written as a Cloud-Optimized GeoTIFF by GDAL's COG driver (256 px blocks, ZSTD, averaged
overviews down to one block, an alpha band that is 0 outside the plan). ``poly2`` is inverted
exactly (Newton's method), not by a second fitted polynomial as GDAL's GCP transformer does. The
output pixel keeps the plan's area per pixel. The
file appears only when complete
(written beside it and renamed), so a failure leaves nothing behind.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyproj
import rasterio
import rasterio.shutil
import shapely
from rasterio.control import GroundControlPoint
from rasterio.enums import ColorInterp
from rasterio.transform import Affine

from plant_plans import coords, images
from plant_plans.errors import ControlPointError, gettext_noop

AFFINE = "affine"
POLY2 = "poly2"
KINDS = {AFFINE: 3, POLY2: 6}  # the fewest points of each kind
COLLINEAR_RATIO = 0.01  # spread across the best line / spread along it, below which points are "on one line"
CONIC_CONDITION = 1e-6  # smallest / largest singular value of the poly2 design matrix below which it is degenerate
DUPLICATE_PIXELS = 1.0
DUPLICATE_M = 0.01
MAX_EXTENT_M = 50_000.0
MAX_OUTPUT_FACTOR = 4.0  # the warped raster may hold at most this many times the plan's pixels
WEB_MERCATOR = "EPSG:3857"
ORIGIN_3857_M = 20037508.342789244  # π · 6,378,137 m
COG_OPTIONS = {
    "COMPRESS": "ZSTD",
    "LEVEL": "1",
    "BLOCKSIZE": "256",
    "OVERVIEWS": "AUTO",
    "OVERVIEW_RESAMPLING": "AVERAGE",
    "NUM_THREADS": "ALL_CPUS",
    "BIGTIFF": "IF_SAFER",
}
WARP_STEP = 32  # output pixels between exactly transformed ones, along and across rows


@dataclass(frozen=True)
class ControlPoint:
    """A pixel of the plan (``col``, ``row``) and the same place on the map (``x``, ``y`` in the fit's CRS)."""

    col: float
    row: float
    x: float
    y: float


@dataclass(frozen=True)
class Fit:
    """A fitted transform from plan pixels to a local metric CRS, and its residuals.

    ``local_crs`` is the PROJ string of the local CRS (azimuthal equidistant on WGS 84 at the points'
    centroid); ``coefficients`` (2 × 3 or 2 × 6) give easting and northing in it from the normalised
    pixel coordinates u = (col − ``centre[0]``)/``spread``, v = (row − ``centre[1]``)/``spread``.
    """

    kind: str
    crs: str
    width: int
    height: int
    local_crs: str
    centre: tuple[float, float]
    spread: float
    coefficients: np.ndarray
    points: tuple[ControlPoint, ...]
    residuals_m: np.ndarray  # (n, 2): fitted minus given map point, metres east and north
    residuals_px: np.ndarray  # (n, 2): pixel of the given map point minus the given pixel, columns and rows
    local_points: np.ndarray = field(repr=False)  # (n, 2): the given map points in the local CRS

    @property
    def rms_m(self) -> float:
        """Root mean square of the map residuals, metres."""
        return float(np.sqrt(np.mean(np.sum(self.residuals_m**2, axis=1))))

    @property
    def rms_px(self) -> float:
        """Root mean square of the image residuals, pixels."""
        return float(np.sqrt(np.mean(np.sum(self.residuals_px**2, axis=1))))

    @property
    def redundancy(self) -> int:
        """Points beyond the fewest the transform needs: 0 means the residuals say nothing."""
        return len(self.points) - KINDS[self.kind]

    def pixel_to_local(self, col, row) -> tuple[np.ndarray, np.ndarray]:
        """Easting, northing (metres, local CRS) of pixel coordinates."""
        terms = _terms(self.kind, *self._normalise(col, row))
        east, north = np.tensordot(self.coefficients, terms, axes=(1, 0))
        return east, north

    def pixel_to_crs(self, col, row, crs: str = coords.WGS84) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) in ``crs`` (default lon/lat) of pixel coordinates."""
        east, north = self.pixel_to_local(col, row)
        lon, lat = _local(self.local_crs).transform(east, north, direction=pyproj.enums.TransformDirection.INVERSE)
        return coords.transform(lon, lat, coords.WGS84, crs)

    def local_to_pixel(self, east, north) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates of local easting, northing: exact for affine, Newton's method for poly2."""
        east, north = np.asarray(east, dtype=float), np.asarray(north, dtype=float)
        linear = self.coefficients[:, 1:3]
        inverse = np.linalg.inv(linear)
        du = east - self.coefficients[0, 0]
        dv = north - self.coefficients[1, 0]
        u = inverse[0, 0] * du + inverse[0, 1] * dv
        v = inverse[1, 0] * du + inverse[1, 1] * dv
        if self.kind == POLY2:
            for _ in range(20):
                (fe, fn), jacobian = self._value_and_jacobian(u, v)
                re_, rn = east - fe, north - fn
                det = jacobian[0, 0] * jacobian[1, 1] - jacobian[0, 1] * jacobian[1, 0]
                step_u = (jacobian[1, 1] * re_ - jacobian[0, 1] * rn) / det
                step_v = (-jacobian[1, 0] * re_ + jacobian[0, 0] * rn) / det
                u, v = u + step_u, v + step_v
                if np.all(np.abs(step_u) < 1e-12) and np.all(np.abs(step_v) < 1e-12):
                    break
        return u * self.spread + self.centre[0], v * self.spread + self.centre[1]

    def _normalise(self, col, row) -> tuple[np.ndarray, np.ndarray]:
        col, row = np.asarray(col, dtype=float), np.asarray(row, dtype=float)
        return (col - self.centre[0]) / self.spread, (row - self.centre[1]) / self.spread

    def _value_and_jacobian(self, u: np.ndarray, v: np.ndarray):
        """The polynomial and its derivatives by u and v (per unit of u, v) at (u, v)."""
        c = self.coefficients
        value = np.tensordot(c, _terms(self.kind, u, v), axes=(1, 0))
        one, zero = np.ones_like(u), np.zeros_like(u)
        d_du = np.stack([zero, one, zero, 2 * u, v, zero]) if self.kind == POLY2 else np.stack([zero, one, zero])
        d_dv = np.stack([zero, zero, one, zero, u, 2 * v]) if self.kind == POLY2 else np.stack([zero, zero, one])
        jacobian = np.array(
            [
                [np.tensordot(c[0], d_du, axes=(0, 0)), np.tensordot(c[0], d_dv, axes=(0, 0))],
                [np.tensordot(c[1], d_du, axes=(0, 0)), np.tensordot(c[1], d_dv, axes=(0, 0))],
            ]
        )
        return value, jacobian

    def jacobian_determinant(self, col, row) -> np.ndarray:
        """det ∂(E, N)/∂(col, row) in m²/px²: the ground area of a pixel, negative unless the plan is mirrored."""
        _value, jacobian = self._value_and_jacobian(*self._normalise(col, row))
        return (jacobian[0, 0] * jacobian[1, 1] - jacobian[0, 1] * jacobian[1, 0]) / self.spread**2

    @property
    def pixel_size_m(self) -> float:
        """Ground size of a pixel at the image centre, metres (√ of its area)."""
        return float(math.sqrt(abs(self.jacobian_determinant(self.width / 2, self.height / 2))))

    def affine(self) -> Affine:
        """The affine pixel → local transform (affine fits only), as rasterio's ``Affine``."""
        if self.kind != AFFINE:
            raise ValueError("only an affine fit has an affine transform")
        (e0, e1, e2), (n0, n1, n2) = self.coefficients / np.array([1.0, self.spread, self.spread])
        cx, cy = self.centre
        return Affine(e1, e2, e0 - e1 * cx - e2 * cy, n1, n2, n0 - n1 * cx - n2 * cy)

    def gcps(self, per_side: int = 9) -> list[GroundControlPoint]:
        """A ``per_side`` × ``per_side`` grid of GCPs over the image, from the fitted transform (local CRS)."""
        cols, rows = np.meshgrid(np.linspace(0, self.width, per_side), np.linspace(0, self.height, per_side))
        east, north = self.pixel_to_local(cols.ravel(), rows.ravel())
        return [
            GroundControlPoint(row=float(r), col=float(c), x=float(e), y=float(n))
            for c, r, e, n in zip(cols.ravel(), rows.ravel(), east, north, strict=True)
        ]

    def report(self) -> dict:
        """The residual report as plain values (what the API answers)."""
        points = []
        for number, (point, (dx, dy), (dc, dr)) in enumerate(
            zip(self.points, self.residuals_m, self.residuals_px, strict=True), start=1
        ):
            points.append(
                {
                    "number": number,
                    "col": point.col,
                    "row": point.row,
                    "x": point.x,
                    "y": point.y,
                    "dx_m": _round(dx),
                    "dy_m": _round(dy),
                    "residual_m": _round(math.hypot(dx, dy)),
                    "dcol_px": _round(dc),
                    "drow_px": _round(dr),
                    "residual_px": _round(math.hypot(dc, dr)),
                }
            )
        return {
            "transform": self.kind,
            "crs": self.crs,
            "points": points,
            "rms_m": _round(self.rms_m),
            "rms_px": _round(self.rms_px),
            "redundancy": self.redundancy,
            "pixel_size_m": _round(self.pixel_size_m),
            "corners_lonlat": self.corners_lonlat(),
        }

    def corners_lonlat(self) -> list[list[float]]:
        """Longitude, latitude (degrees, WGS 84) of the image's top-left, top-right, bottom-right and
        bottom-left corners: where a map draws the plan before its COG is written."""
        lon, lat = self.pixel_to_crs([0, self.width, self.width, 0], [0, 0, self.height, self.height])
        return [[round(float(x), 8), round(float(y), 8)] for x, y in zip(lon, lat, strict=True)]


def _round(value: float) -> float:
    return round(float(value), 4) + 0.0  # no "-0.0"


def _terms(kind: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    one = np.ones_like(u)
    if kind == AFFINE:
        return np.stack([one, u, v])
    return np.stack([one, u, v, u * u, u * v, v * v])


@lru_cache(maxsize=64)
def _local(proj: str) -> pyproj.Transformer:
    """WGS 84 lon/lat → the local CRS ``proj`` (metres)."""
    return pyproj.Transformer.from_crs("EPSG:4326", pyproj.CRS(proj), always_xy=True)


def local_crs_at(lon: float, lat: float) -> str:
    """The PROJ string of the azimuthal equidistant CRS on WGS 84 centred on (lon, lat)."""
    return f"+proj=aeqd +lat_0={lat:.9f} +lon_0={lon:.9f} +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"


def fit(
    points: Sequence[ControlPoint],
    crs: str | int = coords.WGS84,
    kind: str = AFFINE,
    width: int | None = None,
    height: int | None = None,
    grid: coords.ConstructionGrid | None = None,
) -> Fit:
    """Fit a ``kind`` transform to ``points`` (map coordinates in ``crs``) of a ``width`` × ``height`` image;
    ``grid`` is the construction grid the points are in when ``crs`` is ``"GRID"`` (A, B in metres).

    Raises :class:`ControlPointError` (see the module docstring) or :class:`~plant_plans.errors.CRSError`.
    """
    if kind not in KINDS:
        raise ControlPointError(gettext_noop("transform must be affine or poly2, not “%(kind)s”."), kind=str(kind)[:40])
    crs = coords.parse_crs(crs)
    needed = KINDS[kind]
    if len(points) < needed:
        raise ControlPointError(
            gettext_noop("The %(kind)s transform needs at least %(needed)d control points; %(given)d given."),
            kind=kind,
            needed=needed,
            given=len(points),
        )
    pixels = np.array([(p.col, p.row) for p in points], dtype=float)
    given = np.array([(p.x, p.y) for p in points], dtype=float)
    if not (np.all(np.isfinite(pixels)) and np.all(np.isfinite(given))):
        raise ControlPointError(gettext_noop("Every control point needs finite numbers col, row, x and y."))
    if width is not None and height is not None:
        for number, (col, row) in enumerate(pixels, start=1):
            if not (0 <= col <= width and 0 <= row <= height):
                raise ControlPointError(
                    gettext_noop(
                        "Control point %(number)d (col %(col)g, row %(row)g) lies outside the %(width)d × "
                        "%(height)d image."
                    ),
                    number=number,
                    col=col,
                    row=row,
                    width=width,
                    height=height,
                )
    lon, lat = coords.to_wgs84(given[:, 0], given[:, 1], crs, grid)
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90))
    if np.any(bad):
        raise ControlPointError(
            gettext_noop("Control point %(number)d (%(x)g, %(y)g) is not a place in %(crs)s."),
            number=int(np.argmax(bad)) + 1,
            x=given[bad][0, 0],
            y=given[bad][0, 1],
            crs=crs,
        )
    local_crs = local_crs_at(float(np.mean(lon)), float(np.mean(lat)))
    east, north = _local(local_crs).transform(lon, lat)
    local = np.column_stack([east, north])
    _check_spread(pixels, local)
    centre = (float(np.mean(pixels[:, 0])), float(np.mean(pixels[:, 1])))
    spread = float(max(np.ptp(pixels[:, 0]), np.ptp(pixels[:, 1])) / 2) or 1.0
    u, v = (pixels[:, 0] - centre[0]) / spread, (pixels[:, 1] - centre[1]) / spread
    design = _terms(kind, u, v).T
    if kind == POLY2:
        singular = np.linalg.svd(design, compute_uv=False)
        if singular[-1] < CONIC_CONDITION * singular[0]:
            raise ControlPointError(
                gettext_noop(
                    "The control points lie on one conic (a circle, an ellipse or two lines), which a "
                    "second-order transform cannot be fitted to: add points off it, or use affine."
                )
            )
    coefficients, *_ = np.linalg.lstsq(design, local, rcond=None)
    coefficients = coefficients.T  # (2, terms)
    zero = np.zeros((len(points), 2))
    provisional = Fit(
        kind, crs, int(width or 0), int(height or 0), local_crs, centre, spread, coefficients, tuple(points),
        zero, zero, local,
    )  # fmt: skip
    fitted_east, fitted_north = provisional.pixel_to_local(pixels[:, 0], pixels[:, 1])
    back_col, back_row = provisional.local_to_pixel(east, north)
    result = dataclasses.replace(
        provisional,
        residuals_m=np.column_stack([fitted_east - east, fitted_north - north]),
        residuals_px=np.column_stack([back_col - pixels[:, 0], back_row - pixels[:, 1]]),
    )
    if width and height:
        _check_folding(result)
    return result


def _check_spread(pixels: np.ndarray, local: np.ndarray) -> None:
    """Refuse duplicated points, points on one line, and map points too far apart."""
    n = len(pixels)
    for i in range(n):
        for j in range(i + 1, n):
            if math.dist(pixels[i], pixels[j]) < DUPLICATE_PIXELS:
                raise ControlPointError(
                    gettext_noop("Control points %(first)d and %(second)d are at the same pixel: remove one."),
                    first=i + 1,
                    second=j + 1,
                )
            if math.dist(local[i], local[j]) < DUPLICATE_M:
                raise ControlPointError(
                    gettext_noop(
                        "Control points %(first)d and %(second)d are at the same place on the map: remove one "
                        "or correct it."
                    ),
                    first=i + 1,
                    second=j + 1,
                )
    extent = float(np.max(np.ptp(local, axis=0)))
    if extent > MAX_EXTENT_M:
        raise ControlPointError(
            gettext_noop(
                "The control points spread over %(km).0f km on the map; a plant plan covers at most "
                "%(limit).0f km: check the CRS, and that x is the longitude or easting and y the latitude or "
                "northing."
            ),
            km=extent / 1000,
            limit=MAX_EXTENT_M / 1000,
        )
    for name, values in (("image", pixels), ("map", local)):
        singular = np.linalg.svd(values - values.mean(axis=0), compute_uv=False)
        if singular[1] < COLLINEAR_RATIO * singular[0]:
            message = (
                gettext_noop("The control points lie (nearly) on one line in the image: spread them over the plan.")
                if name == "image"
                else gettext_noop("The control points lie (nearly) on one line on the map: spread them over the plan.")
            )
            raise ControlPointError(message)


def _check_folding(result: Fit) -> None:
    """A poly2 must keep the orientation of every part of the image (no fold); an affine cannot fold."""
    if result.kind != POLY2:
        return
    cols, rows = np.meshgrid(np.linspace(0, result.width, 17), np.linspace(0, result.height, 17))
    det = result.jacobian_determinant(cols, rows)
    if not (np.all(det > 0) or np.all(det < 0)):
        raise ControlPointError(
            gettext_noop(
                "The second-order transform folds the plan over itself inside the image: add or correct "
                "control points, or use affine."
            )
        )


# --- the warped COG ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutputGrid:
    """The EPSG:3857 raster the plan is warped to, and the plan's outline on the map (EPSG:4326)."""

    transform: Affine
    width: int
    height: int
    outline: shapely.Polygon

    @property
    def resolution_m(self) -> float:
        return self.transform.a


def outline(result: Fit, crs: str = WEB_MERCATOR, per_side: int = 32) -> shapely.Polygon:
    """The image's border (densified) on the map in ``crs``."""
    w, h = result.width, result.height
    t = np.linspace(0, 1, per_side, endpoint=False)
    cols = np.concatenate([t * w, np.full(per_side, w), w - t * w, np.zeros(per_side)])
    rows = np.concatenate([np.zeros(per_side), t * h, np.full(per_side, h), h - t * h])
    x, y = result.pixel_to_crs(cols, rows, crs)
    return shapely.Polygon(np.column_stack([x, y]))


def output_grid(result: Fit) -> OutputGrid:
    """The EPSG:3857 grid covering the plan with as many square pixels per area as the plan has."""
    border = outline(result)
    resolution = math.sqrt(border.area / (result.width * result.height))
    left, bottom, right, top = border.bounds
    width, height = math.ceil((right - left) / resolution), math.ceil((top - bottom) / resolution)
    if width * height > MAX_OUTPUT_FACTOR * result.width * result.height:
        raise ControlPointError(
            gettext_noop(
                "The transform stretches the plan too much to be drawn (%(mpx).0f Mpx): check the control points."
            ),
            mpx=width * height / 1e6,
        )
    transform = Affine(resolution, 0.0, left, 0.0, -resolution, top)
    return OutputGrid(transform, width, height, outline(result, coords.WGS84))


@dataclass(frozen=True)
class Cog:
    """A written plan COG: its path, grid, outline (EPSG:4326) and zoom levels for tiles."""

    path: Path
    width: int
    height: int
    resolution_m: float
    outline: shapely.Polygon
    min_zoom: int
    max_zoom: int


def native_zoom(resolution_m: float) -> int:
    """The WebMercatorQuad zoom whose pixel is no larger than ``resolution_m`` (metres of EPSG:3857)."""
    return max(0, min(24, math.ceil(math.log2(2 * ORIGIN_3857_M / (256 * resolution_m)))))


def warp(rgba: np.ndarray, result: Fit, grid: OutputGrid) -> np.ndarray:
    """The plan's (4, rows, cols) RGBA pixels warped onto ``grid``: (rows, cols) uint32 RGBA pixels, 0 outside.

    Inverse mapping, nearest neighbour: the centre of every ``WARP_STEP``-th output pixel along and
    across the rows is taken exactly to the plan's pixel coordinates (pyproj to the local CRS, then
    the fit's inverse: exact for affine, Newton's method for poly2); the pixels between are
    interpolated linearly (the mapping is smooth: the error is below 0.01 px for a plant), and each
    output pixel takes the plan pixel it falls in, moved as one uint32. One thread: a second one
    gained nothing measurable (NumPy holds the GIL while gathering). See tests/bench/bench_plans.py
    for the comparison with GDAL's warper.
    """
    height, width = rgba.shape[1:]
    packed = np.ascontiguousarray(np.moveaxis(rgba, 0, -1)).view(np.uint32)[..., 0]
    warped = np.zeros((grid.height, grid.width), dtype=np.uint32)
    # exact source pixel coordinates at the knots: every WARP_STEP-th output row and column (and the last)
    knot_rows = np.append(np.arange(0, grid.height, WARP_STEP), grid.height - 1).astype(float)
    knot_cols = np.append(np.arange(0, grid.width, WARP_STEP), grid.width - 1).astype(float)
    t = grid.transform
    x, y = np.meshgrid(t.c + (knot_cols + 0.5) * t.a, t.f + (knot_rows + 0.5) * t.e)
    to_local = pyproj.Transformer.from_crs(WEB_MERCATOR, pyproj.CRS(result.local_crs), always_xy=True)
    knot_c, knot_r = result.local_to_pixel(*to_local.transform(x, y))
    # … interpolated along every knot row to each output column
    columns = np.arange(grid.width, dtype=float)
    along_c = np.array([np.interp(columns, knot_cols, c) for c in knot_c], dtype=np.float32)
    along_r = np.array([np.interp(columns, knot_cols, r) for r in knot_r], dtype=np.float32)

    def strip(k: int) -> None:
        """Output rows knot_rows[k] … knot_rows[k + 1] (exclusive, but the last), interpolated across rows."""
        first, last = int(knot_rows[k]), int(knot_rows[k + 1])
        end = last + 1 if k + 2 == len(knot_rows) else last
        v = (np.arange(end - first, dtype=np.float32) / max(1, last - first))[:, None]
        cols = np.floor(along_c[k] + (along_c[k + 1] - along_c[k]) * v).astype(np.int32)
        rows = np.floor(along_r[k] + (along_r[k + 1] - along_r[k]) * v).astype(np.int32)
        inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
        warped[first:end][inside] = packed[rows[inside], cols[inside]]

    for k in range(len(knot_rows) - 1):
        strip(k)
    return warped


def write_cog(
    result: Fit,
    image_path: str | os.PathLike,
    cog_path: str | os.PathLike,
    progress: Callable[[str], None] | None = None,
) -> Cog:
    """Warp the plan at ``image_path`` with ``result`` and write it as a COG at ``cog_path`` (see the module).

    ``progress`` is called with ``"reading"``, ``"warping"``, ``"writing"`` as each stage starts.
    """
    note = progress or (lambda stage: None)
    cog_path = Path(cog_path)
    grid = output_grid(result)
    note("reading")
    rgba = images.read_rgba(image_path)
    if rgba.shape[1:] != (result.height, result.width):
        raise ControlPointError(
            gettext_noop("The control points were placed on a %(width)d × %(height)d image, not this one."),
            width=result.width,
            height=result.height,
        )
    note("warping")
    warped = warp(rgba, result, grid)
    del rgba
    note("writing")
    profile = {
        "driver": "MEM",
        "width": grid.width,
        "height": grid.height,
        "count": 4,
        "dtype": "uint8",
        "crs": WEB_MERCATOR,
        "transform": grid.transform,
        "interleave": "pixel",  # as the warped memory is; the COG driver copies from it fastest
    }
    cog_path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=".partial-", suffix=".tif", dir=cog_path.parent)
    os.close(handle)
    try:
        with rasterio.open("", "w+", **profile) as dataset:
            dataset.colorinterp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.alpha]
            dataset.write(np.moveaxis(warped.view(np.uint8).reshape(grid.height, grid.width, 4), -1, 0))
            del warped
            rasterio.shutil.copy(dataset, partial, driver="COG", **COG_OPTIONS)
        os.replace(partial, cog_path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    with rasterio.open(cog_path) as written:
        levels = len(written.overviews(1))
    max_zoom = native_zoom(grid.resolution_m)
    return Cog(
        cog_path, grid.width, grid.height, grid.resolution_m, grid.outline, max(0, max_zoom - levels - 2), max_zoom
    )
