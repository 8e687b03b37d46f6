"""The front end's GCJ-02 formula (frontend/src/map/gcj02.ts) against PRCoords, an independent implementation.

The module is compiled by the front end's own TypeScript compiler and run by Node; the points are the
cross-check cities of the workspace's data/coordinates.md §2 and a grid over China, where the three
open-source libraries agree within about 1 cm. Here the two implementations agree to 1e-9° (0.1 mm).
"""

from __future__ import annotations

import json
import math
import subprocess
import warnings
from pathlib import Path

import numpy as np
import prcoords
import pytest

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
TSC = FRONTEND / "node_modules" / ".bin" / "tsc"

CITIES = {
    "Shanghai": (121.5, 31.2),
    "Beijing": (116.391, 39.907),
    "Urumqi": (87.617, 43.826),
    "Shenzhen": (114.058, 22.543),
}
GRID = [(lon, lat) for lon in range(75, 136, 5) for lat in range(18, 54, 5)]
OUTSIDE = {
    "Tokyo": (139.69, 35.69),
    "London": (-0.128, 51.507),
    "Moscow": (37.62, 55.76),
    "south of 0.8293°N": (110.0, 0.5),
}


@pytest.fixture(scope="module")
def gcj02(tmp_path_factory):
    """``wgs84ToGcj02`` of the TypeScript module, called through Node for a list of points."""
    if not TSC.exists():
        pytest.fail("The front end's packages are missing: run `make frontend` (npm ci in frontend/).")
    out = tmp_path_factory.mktemp("gcj02")
    compiled = subprocess.run(
        [str(TSC), "--ignoreConfig", "--strict", "--target", "es2022", "--module", "esnext", "--outDir", str(out),
         str(FRONTEND / "src" / "map" / "gcj02.ts")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    module = out / "gcj02.mjs"
    (out / "gcj02.js").rename(module)

    def convert(points: list[tuple[float, float]]) -> list[list[float]]:
        script = (
            f"import {{ wgs84ToGcj02 }} from {json.dumps(str(module))};"
            f"console.log(JSON.stringify({json.dumps(points)}.map(([lon, lat]) => wgs84ToGcj02(lon, lat))));"
        )
        done = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return convert


def test_the_front_ends_gcj02_equals_prcoords_in_the_cross_check_cities_and_over_china(gcj02):
    points = [*CITIES.values(), *GRID]
    for (lon, lat), (glon, glat) in zip(points, gcj02(points), strict=True):
        expected = prcoords.wgs_gcj((lat, lon), check_china=False)
        assert abs(glon - expected.lon) < 1e-9 and abs(glat - expected.lat) < 1e-9, (lon, lat)


def test_the_shift_in_shanghai_is_the_few_hundred_metres_the_cross_check_measured(gcj02):
    [(glon, glat)] = gcj02([CITIES["Shanghai"]])
    shift_m = prcoords.Coords(31.2, 121.5).distance(prcoords.Coords(glat, glon))
    assert 265 <= shift_m <= 606  # data/coordinates.md §2: 265–606 m in the four cities


def test_outside_chinas_box_nothing_is_shifted(gcj02):
    points = list(OUTSIDE.values())
    assert gcj02(points) == [list(p) for p in points]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PRCoords warns that it returns them as they are
        assert [tuple(reversed(prcoords.wgs_gcj((lat, lon)))) for lon, lat in points] == points


def _pixel(lon: float, lat: float, z: int) -> tuple[float, float]:
    size = 256 * 2**z
    phi = math.radians(lat)
    return (lon + 180) / 360 * size, (1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi) / 2 * size


def _lnglat(x: float, y: float, z: int) -> tuple[float, float]:
    size = 256 * 2**z
    return x / size * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / size))))


def _gcj02_pixel(x: float, y: float, z: int) -> tuple[float, float]:
    lon, lat = _lnglat(x, y, z)
    shifted = prcoords.wgs_gcj((lat, lon), check_china=False)
    return _pixel(shifted.lon, shifted.lat, z)


def affine_error_px(lon: float, lat: float, z: int) -> float:
    """The largest error, in pixels, of taking the GCJ-02 offset as affine over the tile at (lon, lat),
    as frontend/src/map/basemap.ts does: its value at the centre, its gradient from the edges' midpoints."""
    x, y = (math.floor(v / 256) * 256 + 128 for v in _pixel(lon, lat, z))
    centre = _gcj02_pixel(x, y, z)
    east, west = _gcj02_pixel(x + 128, y, z), _gcj02_pixel(x - 128, y, z)
    south, north = _gcj02_pixel(x, y + 128, z), _gcj02_pixel(x, y - 128, z)
    a, b = (east[0] - west[0]) / 256, (south[0] - north[0]) / 256
    c, d = (east[1] - west[1]) / 256, (south[1] - north[1]) / 256
    worst = 0.0
    for u in range(-128, 129, 32):
        for v in range(-128, 129, 32):
            qx, qy = _gcj02_pixel(x + u, y + v, z)
            worst = max(worst, math.hypot(qx - (centre[0] + a * u + b * v), qy - (centre[1] + c * u + d * v)))
    return worst


@pytest.mark.parametrize(("z", "most_px"), [(14, 0.08), (16, 0.02), (18, 0.005)])
def test_over_one_tile_the_offset_is_affine_to_within_a_small_fraction_of_a_pixel(z, most_px):
    # tiles every 2.5° over China's box, where the offset's sines bend it most (centre-only: up to 1 px off)
    tiles = [(lon + 0.3, lat + 0.2) for lon in np.arange(75, 135, 2.5) for lat in np.arange(18, 53, 2.5)]
    worst = max(affine_error_px(lon, lat, z) for lon, lat in tiles)
    print(f"zoom {z}: the affine tile offset is at most {worst:.4f} px off over {len(tiles)} tiles")
    assert worst <= most_px
