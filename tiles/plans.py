"""Raster tiles of georeferenced site plans: ``/tiles/plans/{id}/{z}/{x}/{y}.png`` and ``/tiles/plans/{id}.json``.

A plan's COG is in EPSG:3857 (``plant_plans.georef``), so a WebMercatorQuad tile is a window of it:
one ``rasterio`` read of that window into 256 × 256 pixels (nearest neighbour; GDAL picks the overview
of the resolution asked for), placed in a transparent tile where the window leaves the COG. The tile
is an RGBA PNG (written with ``zlib`` here: GDAL's PNG driver, through a MemoryFile, took ≈ 10 ms more
per tile); a tile wholly outside the plan is 204 No Content.

Scope as everywhere (``geo.scope``): a plan the user may not see is a 404, as is one not written yet.
Caching follows ``tiles.http``: a content ETag (``If-None-Match`` → 304), and ``private`` caching — for
a day when the tile URL carries the plan's current version (``?v=``, in the TileJSON's URL; it changes
whenever the COG is written again), else for ``STATIC_MAX_AGE_S``.
"""

from __future__ import annotations

import hashlib
import math
import os
import struct
import threading
import zlib
from collections import OrderedDict
from urllib.parse import urlencode

import numpy as np
import rasterio
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from rasterio.enums import Resampling
from rasterio.windows import Window

from geo.models import SitePlan
from geo.scope import scoped
from tiles import grid, http
from tiles.views import answers

PNG_TYPE = "image/png"
PNG_LEVEL = 1  # zlib level: a plan tile is mostly flat colour; level 6 halves the bytes at 1.7× the time
VERSIONED_MAX_AGE_S = 86_400
MAX_OPEN = 8  # COGs each thread keeps open
TILE = grid.TILE_PIXELS
TILEJSON_FIELDS = ("cog_path", "written_at", "name", "opacity", "bounds", "min_zoom", "max_zoom", "enterprise__name")


_open = threading.local()


def open_cog(path) -> rasterio.DatasetReader:
    """The COG at ``path``, kept open for this thread (GDAL datasets are not shared between threads).

    A thread keeps its ``MAX_OPEN`` most recently read COGs; one written again (a new file, renamed
    over the old) is a new entry, as the key holds the file's inode and modification time.
    """
    status = os.stat(path)
    key = (os.fspath(path), status.st_ino, status.st_mtime_ns)
    cache: OrderedDict = getattr(_open, "datasets", None) or OrderedDict()
    _open.datasets = cache
    dataset = cache.get(key)
    if dataset is None:
        with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"):
            dataset = rasterio.open(path)
        cache[key] = dataset
        while len(cache) > MAX_OPEN:
            cache.popitem(last=False)[1].close()
    cache.move_to_end(key)
    return dataset


def read_tile(path, tile: grid.Tile) -> np.ndarray | None:
    """The (4, 256, 256) RGBA pixels of ``tile`` from the EPSG:3857 COG at ``path``; None when it misses the COG.

    The tile pixels whose whole extent lies inside the COG are read as one window (fractional, so the
    pixels are the COG's own at the level GDAL picks); the rest stay transparent.
    """
    cog = open_cog(path)
    left, _bottom, right, top = tile.bounds_3857()
    size = (right - left) / TILE  # metres of one tile pixel
    c_left, c_bottom, c_right, c_top = cog.bounds
    col0 = max(0, math.ceil((c_left - left) / size - 1e-9))
    col1 = min(TILE, math.floor((c_right - left) / size + 1e-9))
    row0 = max(0, math.ceil((top - c_top) / size - 1e-9))
    row1 = min(TILE, math.floor((top - c_bottom) / size + 1e-9))
    if col0 >= col1 or row0 >= row1:
        return None
    resolution = cog.transform.a
    window = Window(
        (left + col0 * size - c_left) / resolution,
        (c_top - (top - row0 * size)) / resolution,
        (col1 - col0) * size / resolution,
        (row1 - row0) * size / resolution,
    )
    pixels = np.zeros((4, TILE, TILE), dtype=np.uint8)
    pixels[:, row0:row1, col0:col1] = cog.read(
        window=window, out_shape=(4, row1 - row0, col1 - col0), resampling=Resampling.nearest
    )
    return pixels


def png(pixels: np.ndarray) -> bytes:
    """An RGBA PNG (ISO/IEC 15948: 8-bit truecolour with alpha, filter 0 on every row) of (4, rows, cols) pixels."""
    _bands, rows, cols = pixels.shape
    scanlines = np.zeros((rows, 1 + 4 * cols), dtype=np.uint8)
    scanlines[:, 1:] = np.moveaxis(pixels, 0, -1).reshape(rows, 4 * cols)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", cols, rows, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(scanlines.tobytes(), PNG_LEVEL))
        + chunk(b"IEND", b"")
    )


def find_plan(request: HttpRequest, plan_id: str, fields: tuple[str, ...] = ("cog_path", "written_at")) -> SitePlan:
    """The written plan ``plan_id`` the request's user may see: 401 when not signed in, 404 otherwise."""
    user = http.user_of(request)
    if not (user is not None and user.is_authenticated):
        raise http.Refused(401, "Unauthorized", _("Sign in or give an API token to read site plans."))
    plan = None
    if plan_id.isascii() and plan_id.isdigit() and len(plan_id) < 19:
        rows = scoped(SitePlan.objects.all(), user).exclude(cog_path="").filter(pk=int(plan_id))
        if any(name.startswith("enterprise__") for name in fields):
            rows = rows.select_related("enterprise")
        plan = rows.only(*fields).first()
    if plan is None:
        raise http.not_found(_("No written site plan %(id)s that you may see.") % {"id": plan_id[:40]})
    return plan


def version(plan: SitePlan) -> str:
    """The plan's tile version: when its COG was written (changes with every write)."""
    return str(int(plan.written_at.timestamp() * 1000)) if plan.written_at else "0"


@answers
def tile(request: HttpRequest, plan_id: str, z: str, x: str, y: str) -> HttpResponse:
    plan = find_plan(request, plan_id)
    address = grid.parse(z, x, y)
    pixels = read_tile(plan.path(plan.cog_path), address)
    data = b"" if pixels is None or not pixels[3].any() else png(pixels)
    current = request.GET.get("v") == version(plan)
    cache = f"private, max-age={VERSIONED_MAX_AGE_S if current else http.STATIC_MAX_AGE_S}"
    etag = 'W/"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": cache, "Vary": "Authorization, Cookie"}
    if http.matches(request.headers.get("If-None-Match", ""), etag):
        return HttpResponse(status=304, headers=headers)
    if not data:
        return HttpResponse(status=204, headers=headers)
    return HttpResponse(data, content_type=PNG_TYPE, headers=headers)


@answers
def tilejson(request: HttpRequest, plan_id: str) -> HttpResponse:
    """TileJSON 3.0.0 of a plan's raster tiles, with its bounds, zooms and default opacity."""
    plan = find_plan(request, plan_id, TILEJSON_FIELDS)
    query = {"v": version(plan)}
    if "token" in request.GET:
        query["token"] = request.GET["token"]
    base = request.build_absolute_uri(reverse("tiles:index"))
    west, south, east, north = plan.bounds.extent if plan.bounds else (-180.0, -85.0, 180.0, 85.0)
    document = {
        "tilejson": "3.0.0",
        "name": plan.name,
        "description": _("Site plan of %(enterprise)s") % {"enterprise": plan.enterprise.name},
        "scheme": "xyz",
        "tiles": [f"{base}plans/{plan.pk}/{{z}}/{{x}}/{{y}}.png?{urlencode(query)}"],
        "tileSize": TILE,
        "minzoom": plan.min_zoom or 0,
        "maxzoom": plan.max_zoom or grid.MAX_ZOOM,
        "bounds": [west, south, east, north],
        "center": [(west + east) / 2, (south + north) / 2, min(plan.max_zoom or 17, 17)],
        "opacity": plan.opacity,
    }
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-cache"
    return response
