"""Site-plan benchmarks: georeferencing a 10,000 × 7,000 px plan, and serving its raster tiles.

- georeference + write: a 10,000 × 7,000 px RGB PNG plan (a drawing: white, black grid lines, grey
  blocks), fitted from 6 control points (affine, and second order) and written as the EPSG:3857 COG
  (``plant_plans.georef.fit`` + ``write_cog``: read, warp, COG with overviews), against rasterio
  copying the same PNG to a plain GeoTIFF (read + write, no warp, no overviews). Goal: under 10 s.
- warp alone, ours vs GDAL: ``georef.warp`` (inverse mapping in NumPy: source pixels exact every
  32 output pixels, interpolated between, one gather of the RGBA pixels as uint32, one thread) against
  GDAL's warper (``rasterio.warp.reproject``, nearest, 2 threads, the same uint32 pixels; affine
  transform or GCPs), affine and poly2 — the measurement the issue asked for before choosing.
- tiles: the 3 × 3 tiles around the plan's centre at zooms native − 3 … native + 1, each fetched
  through Django's request handler (session, scope, window read, PNG, ETag), against reading the same
  window straight from the COG with rasterio (open, one windowed read into 256 × 256, nearest), timed
  alternately. Goal: within 2×.

Run alone: ``python -m tests.bench.bench_plan_rasters`` (a throwaway database with one enterprise; ``--tiles``
for the tile figures only), or as part of ``python -m tests.bench --only plans``.
"""

from __future__ import annotations

import math
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pyproj
import rasterio
import rasterio.warp
from rasterio.errors import NotGeoreferencedWarning

from tests.bench.harness import HEADER, Figure, compare

WIDTH, HEIGHT = 10_000, 7_000
SITE = (121.33, 30.81)
PIXEL_M = 0.2
ROTATION_DEG = 20.0


def drawing(path: Path) -> None:
    """A plan-like PNG: white, black lines every 100 px (2 px wide), grey blocks, a thin diagonal."""
    image = np.full((3, HEIGHT, WIDTH), 255, dtype=np.uint8)
    for k in range(0, WIDTH, 100):
        image[:, :, k : k + 2] = 0
    for k in range(0, HEIGHT, 100):
        image[:, k : k + 2, :] = 0
    for i in range(20):
        r, c = 300 + (i * 331) % (HEIGHT - 900), 300 + (i * 577) % (WIDTH - 900)
        image[:, r : r + 400, c : c + 600] = 180 + i
    rows = np.arange(HEIGHT)
    image[:, rows, (rows * WIDTH // HEIGHT).clip(0, WIDTH - 1)] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver="PNG", width=WIDTH, height=HEIGHT, count=3, dtype="uint8") as out:
            out.write(image)


def truth(col, row, kind: str):
    """Longitude, latitude of pixel (col, row): 0.2 m/px rotated 20° (and a bend for poly2) at SITE."""
    from plant_plans import georef

    a = math.radians(ROTATION_DEG)
    col, row = np.asarray(col, dtype=float), np.asarray(row, dtype=float)
    east = PIXEL_M * (math.cos(a) * col + math.sin(a) * row) - 1000.0
    north = PIXEL_M * (math.sin(a) * col - math.cos(a) * row) + 700.0
    if kind == "poly2":
        east = east + 10.0 * (col / WIDTH) * (row / HEIGHT)
        north = north + 15.0 * (col / WIDTH) ** 2
    local = pyproj.CRS(georef.local_crs_at(*SITE))
    return pyproj.Transformer.from_crs(local, "EPSG:4326", always_xy=True).transform(east, north)


def control_points(kind: str):
    from plant_plans import georef

    fractions = [(0.02, 0.03), (0.97, 0.05), (0.5, 0.95), (0.1, 0.9), (0.95, 0.97), (0.4, 0.4), (0.7, 0.6)]
    points = []
    for fx, fy in fractions[: 7 if kind == "poly2" else 6]:
        lon, lat = truth(fx * WIDTH, fy * HEIGHT, kind)
        points.append(georef.ControlPoint(fx * WIDTH, fy * HEIGHT, float(lon), float(lat)))
    return points


def plain_copy(source: Path, target: Path) -> None:
    """The baseline: rasterio copies the PNG to a plain GeoTIFF (read, write; no warp, no overviews)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(source) as image:
            profile = {"driver": "GTiff", "width": image.width, "height": image.height, "count": 3, "dtype": "uint8"}
            with rasterio.open(target, "w", **profile, crs="EPSG:3857", transform=rasterio.Affine.identity()) as out:
                out.write(image.read())


def gdal_warp(rgba: np.ndarray, fit, grid) -> np.ndarray:
    """The alternative to ``georef.warp``: GDAL's warper (``rasterio.warp.reproject``), nearest, two
    threads, a pixel as one uint32 like ours; the affine transform, or for poly2 the fit's 9 × 9 GCPs
    with ``MAX_GCP_ORDER=2``."""
    from rasterio.enums import Resampling
    from rasterio.warp import reproject

    from plant_plans import georef

    packed = np.ascontiguousarray(np.moveaxis(rgba, 0, -1)).view(np.uint32)[..., 0]
    warped = np.zeros((grid.height, grid.width), dtype=np.uint32)
    source = {"src_transform": fit.affine()} if fit.kind == "affine" else {"gcps": fit.gcps(), "MAX_GCP_ORDER": 2}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        reproject(
            packed,
            warped,
            src_crs=pyproj.CRS(fit.local_crs).to_wkt(),
            dst_transform=grid.transform,
            dst_crs=georef.WEB_MERCATOR,
            resampling=Resampling.nearest,
            num_threads=2,
            init_dest_nodata=False,
            warp_mem_limit=256,
            **source,
        )
    return warped


def bench_write(folder: Path) -> Path:
    """The georeference + write figures; returns the affine COG for the tile benchmark."""
    from plant_plans import georef, images

    source = folder / "plan.png"
    started = time.perf_counter()
    drawing(source)
    print(f"plan: {WIDTH} × {HEIGHT} px PNG, {source.stat().st_size / 2**20:.1f} MiB, made in "
          f"{time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip
    compare(
        "upload check (prepare) vs plain GeoTIFF copy",
        lambda: images.prepare(source),
        lambda: plain_copy(source, folder / "plain.tif"),
        repeat=2,
        note="format, limits, decoded to the end",
    )
    cogs = {}
    for kind in ("affine", "poly2"):
        target = folder / f"plan-{kind}.tif"

        cpu = []

        def candidate(kind=kind, target=target, cpu=cpu):
            started = time.process_time()
            fit = georef.fit(control_points(kind), "EPSG:4326", kind, WIDTH, HEIGHT)
            cogs[kind] = georef.write_cog(fit, source, target)
            cpu.append(time.process_time() - started)

        figure = compare(
            f"georeference + write COG, {kind}",
            candidate,
            lambda: plain_copy(source, folder / "plain.tif"),
            repeat=2,
            note="goal < 10 s",
        )
        cog = cogs[kind]
        print(
            f"    {kind}: {figure.candidate_s:.1f} s ({statistics.median(cpu):.1f} s CPU, both threads) for "
            f"{cog.width} × {cog.height} px at {cog.resolution_m:.3f} m (EPSG:3857), "
            f"{cog.path.stat().st_size / 2**20:.1f} MiB, zooms {cog.min_zoom}–{cog.max_zoom}",
            flush=True,
        )
    rgba = images.read_rgba(source)
    for kind in ("affine", "poly2"):
        fit = georef.fit(control_points(kind), "EPSG:4326", kind, WIDTH, HEIGHT)
        grid = georef.output_grid(fit)
        cpu = {"ours": [], "gdal": []}

        def ours(fit=fit, grid=grid, cpu=cpu):
            started = time.process_time()
            georef.warp(rgba, fit, grid)
            cpu["ours"].append(time.process_time() - started)

        def gdal(fit=fit, grid=grid, cpu=cpu):
            started = time.process_time()
            gdal_warp(rgba, fit, grid)
            cpu["gdal"].append(time.process_time() - started)

        compare(
            f"warp {kind}: NumPy inverse mapping vs GDAL",
            ours,
            gdal,
            repeat=2,
            note="both nearest; GDAL with 2 threads",
        )
        print(
            f"    CPU time: NumPy {statistics.median(cpu['ours']):.2f} s, GDAL {statistics.median(cpu['gdal']):.2f} s",
            flush=True,
        )
    return cogs["affine"].path


def plan_row(cog_path: Path):
    """A SitePlan row pointing at the benchmark COG (the var dir's copy), and a superuser."""
    import shutil

    from django.conf import settings
    from django.contrib.gis.geos import Polygon
    from django.utils import timezone

    from geo.models import Enterprise, SitePlan, User
    from plant_plans import georef

    enterprise = Enterprise.objects.first()
    if enterprise is None:
        from tests.factories import enterprise as make_enterprise
        from tests.factories import region_chain

        enterprise = make_enterprise(region_chain()["park"], lon=SITE[0], lat=SITE[1])
    folder = Path(settings.VAR_DIR) / "plans" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(cog_path, folder / "plan.tif")
    with rasterio.open(folder / "plan.tif") as cog:
        west, south, east, north = rasterio.warp.transform_bounds(cog.crs, "EPSG:4326", *cog.bounds)
        resolution = cog.transform.a
    plan = SitePlan.objects.create(
        enterprise=enterprise,
        name="bench",
        source_format="png",
        folder="plans/bench",
        source_path="plans/bench/plan.png",
        width=WIDTH,
        height=HEIGHT,
        cog_path="plans/bench/plan.tif",
        bounds=Polygon.from_bbox((west, south, east, north)),
        max_zoom=georef.native_zoom(resolution),
        min_zoom=0,
        status="ready",
        written_at=timezone.now(),
    )
    user = User.objects.filter(is_superuser=True).first() or User.objects.create(username="bench", is_superuser=True)
    return plan, user


def bench_tiles(cog_path: Path) -> None:
    from django.test import Client

    plan, user = plan_row(cog_path)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    lon, lat = plan.bounds.centroid.coords
    path = plan.path(plan.cog_path)
    try:
        per_zoom = tile_figures(client, plan, path, lon, lat)
    finally:
        import shutil

        shutil.rmtree(plan.directory, ignore_errors=True)
    total_c = statistics.fmean(f.candidate_s for f in per_zoom)
    total_b = statistics.fmean(f.baseline_s for f in per_zoom)
    print(Figure("plan tiles, mean over zooms (per 9 tiles)", total_c, total_b, "goal ≤ 2×").line(), flush=True)


def tile_figures(client, plan, path, lon: float, lat: float) -> list[Figure]:
    from rasterio.enums import Resampling
    from rasterio.windows import from_bounds

    from tiles import grid
    from tiles.plans import read_tile

    per_zoom = []
    for z in range(plan.max_zoom - 3, plan.max_zoom + 2):
        n = 1 << z
        x = math.floor((lon + 180) / 360 * n)
        y = math.floor((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
        tiles = [(z, x + dx, y + dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]

        def serve(tiles=tiles):
            for z, x, y in tiles:
                response = client.get(f"/tiles/plans/{plan.pk}/{z}/{x}/{y}.png")
                assert response.status_code in (200, 204), response.status_code

        def direct(tiles=tiles):
            for z, x, y in tiles:
                with rasterio.open(path) as cog:
                    window = from_bounds(*grid.Tile(z, x, y).bounds_3857(), cog.transform)
                    cog.read(window=window, out_shape=(4, 256, 256), resampling=Resampling.nearest, boundless=False)

        for z, x, y in tiles:  # the tiles the benchmark reads lie inside the COG (no boundless reads)
            assert read_tile(path, grid.Tile(z, x, y)) is not None
        figure = compare(f"plan tiles z{z} (9 tiles) vs rasterio window", serve, direct, repeat=5, note="goal ≤ 2×")
        per_zoom.append(figure)
    return per_zoom


def load_note() -> str:
    """The machine's load, printed beside the figures: the goals assume the 2 cores are ours."""
    import os

    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def run(only_tiles: bool = False) -> None:
    """Every figure; the tile figures need Django set up with a database (``tests.bench`` does it)."""
    print(load_note(), flush=True)
    with tempfile.TemporaryDirectory(prefix="hazmap-bench-plans-") as folder:
        if only_tiles:
            from plant_plans import georef

            drawing(Path(folder) / "plan.png")
            fit = georef.fit(control_points("affine"), "EPSG:4326", "affine", WIDTH, HEIGHT)
            cog = georef.write_cog(fit, Path(folder) / "plan.png", Path(folder) / "plan.tif").path
        else:
            cog = bench_write(Path(folder))
        bench_tiles(cog)
    print(load_note(), flush=True)


def main() -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazmap.settings")
    import django

    django.setup()
    from django.test.utils import setup_databases, teardown_databases

    print(HEADER)
    state = setup_databases(verbosity=0, interactive=False)
    try:
        run(only_tiles="--tiles" in sys.argv)
    finally:
        teardown_databases(state, verbosity=0)


if __name__ == "__main__":
    main()
