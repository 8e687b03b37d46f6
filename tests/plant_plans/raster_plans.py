"""Plans made for the tests by rasterio (GDAL's PNG driver), with a known pixel → map transform.

The plan is white with black 5 × 5 px dots on a 9 × 7 grid; ``truth`` places pixel (col, row) on the
map through a local azimuthal equidistant CRS at (121.33° E, 30.81° N): 0.2 m/px at 10,000 px across,
rotated 20° (the image's columns point 20° north of east), plus, for ``poly2``, a bend of 10 m · fx · fy
east and 15 m · fx² north (fx, fy: column and row as fractions of the width and height).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj
import rasterio
from rasterio.errors import NotGeoreferencedWarning

from plant_plans import georef

SITE = (121.33, 30.81)
ROTATION_DEG = 20.0
DOT_HALF = 2  # a dot covers rows and columns int(r) − 2 … int(r) + 2: its centre is at int(r) + 0.5


@dataclass(frozen=True)
class Plan:
    path: Path
    width: int
    height: int
    kind: str
    dots: np.ndarray  # (n, 2) pixel centres (col, row) of the dots

    @property
    def pixel_m(self) -> float:
        return 0.2 * 10_000 / self.width

    def local(self, col, row) -> tuple[np.ndarray, np.ndarray]:
        """Easting, northing (m) in the local CRS of pixel (col, row)."""
        col, row = np.asarray(col, dtype=float), np.asarray(row, dtype=float)
        a, s = math.radians(ROTATION_DEG), self.pixel_m
        east = s * math.cos(a) * col + s * math.sin(a) * row - 1000.0
        north = s * math.sin(a) * col - s * math.cos(a) * row + 700.0
        if self.kind == "poly2":
            fx, fy = col / self.width, row / self.height
            east = east + 10.0 * fx * fy
            north = north + 15.0 * fx * fx
        return east, north

    def truth(self, col, row) -> tuple[np.ndarray, np.ndarray]:
        """Longitude, latitude (WGS 84) of pixel (col, row)."""
        return _to_wgs84().transform(*self.local(col, row))

    def pixel_of(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """The pixel the truth puts (lon, lat) at (Newton's method on ``truth``)."""
        east, north = _to_wgs84().transform(lon, lat, direction=pyproj.enums.TransformDirection.INVERSE)
        col, row = np.full_like(east, self.width / 2), np.full_like(east, self.height / 2)
        for _ in range(30):
            e, n = self.local(col, row)
            h = 1e-3
            e_c, n_c = self.local(col + h, row)
            e_r, n_r = self.local(col, row + h)
            j11, j12, j21, j22 = (e_c - e) / h, (e_r - e) / h, (n_c - n) / h, (n_r - n) / h
            det = j11 * j22 - j12 * j21
            de, dn = east - e, north - n
            col, row = col + (j22 * de - j12 * dn) / det, row + (-j21 * de + j11 * dn) / det
        return col, row

    def control_points(self, fractions) -> list[georef.ControlPoint]:
        """Control points at these fractions of the image, with their true lon/lat."""
        points = []
        for fx, fy in fractions:
            col, row = fx * self.width, fy * self.height
            lon, lat = self.truth(col, row)
            points.append(georef.ControlPoint(col, row, float(lon), float(lat)))
        return points


def _to_wgs84() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(pyproj.CRS(georef.local_crs_at(*SITE)), "EPSG:4326", always_xy=True)


def make_plan(folder: Path, width: int = 1000, height: int = 700, kind: str = "affine", driver: str = "PNG") -> Plan:
    """Write the dotted plan with rasterio (``driver``: PNG, JPEG or GTiff) and return it with its truth."""
    image = np.full((3, height, width), 255, dtype=np.uint8)
    dots = []
    for col in np.linspace(width * 0.05, width * 0.95, 9):
        for row in np.linspace(height * 0.05, height * 0.95, 7):
            c, r = int(col), int(row)
            image[:, r - DOT_HALF : r + DOT_HALF + 1, c - DOT_HALF : c + DOT_HALF + 1] = 0
            dots.append((c + 0.5, r + 0.5))
    suffix = {"PNG": "png", "JPEG": "jpg", "GTiff": "tif"}[driver]
    path = folder / f"plan-{kind}.{suffix}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver=driver, width=width, height=height, count=3, dtype="uint8") as dataset:
            dataset.write(image)
    return Plan(path, width, height, kind, np.array(dots))


CORNERS_AND_MORE = [
    (0.02, 0.03),
    (0.97, 0.05),
    (0.5, 0.95),
    (0.1, 0.9),
    (0.95, 0.97),
    (0.4, 0.4),
    (0.2, 0.15),
    (0.7, 0.7),
]
