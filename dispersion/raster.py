"""Concentration, overpressure or heat-flux grids, written as GeoTIFF with rasterio.

A grid is computed in the local azimuthal equidistant frame of the source (``footprint.local_crs``):
square cells, rows from north to south, the source at the centre. The GeoTIFF carries that CRS
(GIS software reprojects it on the fly) and the unit of its values in the ``unit`` tag.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import Affine

from dispersion.errors import require_positive
from dispersion.footprint import local_crs


@dataclass(frozen=True)
class Grid:
    """Values (rows north → south) on square cells of ``cell_size_m`` centred on the source at (lon, lat)."""

    values: np.ndarray
    cell_size_m: float
    lon: float
    lat: float
    unit: str
    quantity: str

    @property
    def transform(self):
        """The affine transform of the grid in the local frame (metres east and north of the source)."""
        rows, cols = self.values.shape
        cell = self.cell_size_m
        return Affine(cell, 0.0, -cols * cell / 2.0, 0.0, -cell, rows * cell / 2.0)


def compute_grid(
    field: Callable[[np.ndarray, np.ndarray], np.ndarray],
    half_size_m: float,
    cell_size_m: float,
    lon: float,
    lat: float,
    unit: str,
    quantity: str,
) -> Grid:
    """Evaluate ``field(east, north)`` (arrays, m) at the centres of a square grid reaching ``half_size_m`` each way."""
    half = require_positive("half_size_m", half_size_m, "m")
    cell = require_positive("cell_size_m", cell_size_m, "m")
    n = max(1, int(np.ceil(2.0 * half / cell)))
    centres = (np.arange(n) + 0.5) * cell - n * cell / 2.0
    east, north = np.meshgrid(centres, centres[::-1])
    return Grid(np.asarray(field(east, north), dtype="float32"), cell, lon, lat, unit, quantity)


def write_geotiff(grid: Grid, path: str | Path) -> Path:
    """Write ``grid`` as a single-band float32 GeoTIFF (deflate) in the local aeqd CRS; returns the path."""
    path = Path(path)
    rows, cols = grid.values.shape
    profile = {
        "driver": "GTiff",
        "height": rows,
        "width": cols,
        "count": 1,
        "dtype": "float32",
        "crs": local_crs(grid.lon, grid.lat).to_wkt(),
        "transform": grid.transform,
        "compress": "deflate",
        "nodata": None,
    }
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(grid.values, 1)
        dataset.update_tags(unit=grid.unit, quantity=grid.quantity, source_lon=str(grid.lon), source_lat=str(grid.lat))
    return path
