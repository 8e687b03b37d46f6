"""Raster tiles of site plans (/tiles/plans/{id}/{z}/{x}/{y}.png) and their TileJSON.

A tile's pixels are checked against the COG read independently: at zooms finer than the plan, each
tile pixel centre is placed in the full-resolution COG by its EPSG:3857 coordinates (the slippy-map
tile formulas of the OpenStreetMap wiki) and must carry that COG pixel; at a coarser zoom the same is
done in the overview GDAL reads from (the one whose pixel is the largest not larger than the tile's).
Tiles are decoded by GDAL's PNG driver.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import rasterio
from django.test import Client
from rasterio.errors import NotGeoreferencedWarning

from tests.plant_plans.fixtures import written_plan
from tests.tiles.conftest import tile_box_3857, tile_of

ORIGIN = math.pi * 6378137.0


def english(**options) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", **options)


def decode(data: bytes) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.MemoryFile(data) as memory, memory.open() as image:
            assert (image.driver, image.count, image.width, image.height) == ("PNG", 4, 256, 256)
            return image.read()


def expected_tile(path, z: int, x: int, y: int) -> np.ndarray:
    """The tile computed from the COG by hand: nearest COG pixel of each tile pixel centre, in the overview
    with the largest pixel not larger than the tile's (full resolution when none is)."""
    left, _bottom, right, top = tile_box_3857(z, x, y)
    size = (right - left) / 256
    with rasterio.open(path) as cog:
        factors = [f for f in cog.overviews(1) if cog.transform.a * f <= size * (1 + 1e-9)]
        level = len(factors) - 1  # -1: full resolution
    options = {"overview_level": level} if level >= 0 else {}
    with rasterio.open(path, **options) as cog:
        pixels = cog.read()
        transform = cog.transform
    centres = (np.arange(256) + 0.5) * size
    xs, ys = left + centres, top - centres
    cols = np.floor((xs - transform.c) / transform.a).astype(int)
    rows = np.floor((ys - transform.f) / transform.e).astype(int)
    tile = np.zeros((4, 256, 256), dtype=np.uint8)
    inside_c = (cols >= 0) & (cols < pixels.shape[2])
    inside_r = (rows >= 0) & (rows < pixels.shape[1])
    block = pixels[:, rows[inside_r]][:, :, cols[inside_c]]
    tile[:, np.flatnonzero(inside_r)[:, None], np.flatnonzero(inside_c)[None, :]] = block
    return tile


@pytest.fixture
def plan(plan_world, tmp_path):
    written, _image = written_plan(tmp_path, plan_world["enterprises"][0])
    return written


def centre_tile(plan, z: int) -> tuple[int, int, int]:
    lon, lat = plan.bounds.centroid.coords
    return tile_of(lon, lat, z)


def get(client, plan, z, x, y, **extra):
    return client.get(f"/tiles/plans/{plan.pk}/{z}/{x}/{y}.png", **extra)


@pytest.mark.parametrize("zoom_below_native", [-2, -1, 0, 3])
def test_tile_pixels_are_the_cogs(plan, plan_world, zoom_below_native):
    """Native zoom 17 for the 2 m/px test plan: 19 and 18 read the full resolution, 17 and 14 overviews or it."""
    client = english()
    client.force_login(plan_world["users"]["operator"])
    z = plan.max_zoom - zoom_below_native
    checked = 0
    for dx, dy in ((0, 0), (1, 0), (0, 1), (-1, -1)):
        _z, x, y = centre_tile(plan, z)
        response = get(client, plan, z, x + dx, y + dy)
        if response.status_code == 204:
            continue
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        tile = decode(response.content)
        expected = expected_tile(plan.path(plan.cog_path), z, x + dx, y + dy)
        mismatched = np.any(tile != expected, axis=0)
        # a tile pixel whose centre falls on a COG pixel edge may go either way (float rounding): allow 0.5 %
        assert mismatched.mean() <= 0.005, (z, dx, dy, mismatched.mean())
        assert tile[3].any()
        checked += 1
    assert checked >= 1


def test_tile_equals_the_window_rasterio_reads_from_the_cog(plan, plan_world):
    """What the benchmark compares with: the same window read straight from the COG with rasterio."""
    from rasterio.windows import from_bounds

    client = english()
    client.force_login(plan_world["users"]["operator"])
    z, x, y = centre_tile(plan, plan.max_zoom - 1)
    tile = decode(get(client, plan, z, x, y).content)
    with rasterio.open(plan.path(plan.cog_path)) as cog:
        box = tile_box_3857(z, x, y)
        window = from_bounds(*box, cog.transform)
        assert window.col_off >= 0 and window.row_off >= 0  # the centre tile lies inside the COG
        direct = cog.read(window=window, out_shape=(4, 256, 256), resampling=rasterio.enums.Resampling.nearest)
    assert np.mean(np.any(tile != direct, axis=0)) <= 0.005


def test_transparent_outside_and_204_beyond_the_plan(plan, plan_world):
    client = english()
    client.force_login(plan_world["users"]["operator"])
    z, x, y = centre_tile(plan, plan.max_zoom)
    far = get(client, plan, z, x + 50, y)
    assert far.status_code == 204 and far.content == b""
    z, x, y = centre_tile(plan, plan.min_zoom)  # the whole plan is a part of this tile
    small = decode(get(client, plan, z, x, y).content)
    assert small[3].any() and not small[3].all()
    assert get(client, plan, 0, 0, 0).status_code == 204  # the plan is less than one pixel of the world


def test_scope_and_errors(plan, plan_world):
    users = plan_world["users"]
    z, x, y = centre_tile(plan, plan.max_zoom)
    assert get(english(), plan, z, x, y).status_code == 401
    for name, status in (("admin", 200), ("regulator", 200), ("operator", 200), ("operator2", 404), ("elsewhere", 404)):
        client = english()
        client.force_login(users[name])
        assert get(client, plan, z, x, y).status_code == status, name
        assert client.get(f"/tiles/plans/{plan.pk}.json").status_code == status, name
    client = english(HTTP_AUTHORIZATION=f"Bearer {plan_world['token']}")
    assert get(client, plan, z, x, y).status_code == 200
    assert client.get(f"/tiles/plans/{plan.pk + 1}/{z}/{x}/{y}.png").status_code == 404
    assert client.get(f"/tiles/plans/nope/{z}/{x}/{y}.png").status_code == 404
    response = client.get(f"/tiles/plans/{plan.pk}/z/{x}/{y}.png")
    assert response.status_code == 400 and response.json()["code"] == "InvalidParameterValue"
    assert client.get(f"/tiles/plans/{plan.pk}/3/9/0.png").status_code == 404  # no column 9 at zoom 3
    assert client.post(f"/tiles/plans/{plan.pk}/{z}/{x}/{y}.png").status_code == 405


def test_plan_not_written_yet_has_no_tiles(plan_world, tmp_path):
    from geo.models import SitePlan

    plan, _image = written_plan(tmp_path, plan_world["enterprises"][0])
    SitePlan.objects.filter(pk=plan.pk).update(cog_path="")
    client = english()
    client.force_login(plan_world["users"]["operator"])
    assert client.get(f"/tiles/plans/{plan.pk}.json").status_code == 404


def test_tilejson_and_caching(plan, plan_world):
    client = english()
    client.force_login(plan_world["users"]["operator"])
    document = client.get(f"/tiles/plans/{plan.pk}.json").json()
    assert document["tilejson"] == "3.0.0" and document["scheme"] == "xyz" and document["tileSize"] == 256
    assert (document["minzoom"], document["maxzoom"]) == (plan.min_zoom, plan.max_zoom)
    assert document["opacity"] == plan.opacity and document["name"] == plan.name
    west, south, east, north = document["bounds"]
    lon, lat = plan.bounds.centroid.coords
    assert west < lon < east and south < lat < north
    url = document["tiles"][0]
    version = url.split("?v=")[1]
    z, x, y = centre_tile(plan, plan.max_zoom)
    tile_url = url.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
    current = client.get(tile_url)
    assert current["Cache-Control"] == "private, max-age=86400"
    stale = get(client, plan, z, x, y, QUERY_STRING="v=1")
    assert stale["Cache-Control"] == "private, max-age=300"
    assert current["ETag"].startswith('W/"') and current["ETag"] == stale["ETag"]
    assert client.get(tile_url, HTTP_IF_NONE_MATCH=current["ETag"]).status_code == 304
    assert version == str(int(plan.written_at.timestamp() * 1000))
    token_client = english(HTTP_AUTHORIZATION=f"Bearer {plan_world['token']}")
    with_token = token_client.get(f"/tiles/plans/{plan.pk}.json?token={plan_world['token']}").json()
    assert f"token={plan_world['token']}" in with_token["tiles"][0]
