"""A configured basemap in the real browser: beneath our layers, GCJ-02 tiles redrawn in WGS 84, failures harmless.

The test serves its own tiles from 127.0.0.1: every tile one grey with a red pixel where MARKER, a
WGS 84 point, lies in the tile's coordinates — its GCJ-02 position under ``/gcj/`` (as AMap or Tencent
would draw it), its WGS 84 position under ``/wgs/``. `hazmap demo` runs with HAZMAP_BASEMAP set to
one of them. Where the red pixel lands on the map's canvas is measured (the centroid of its redness,
as the GPU spreads it over neighbouring pixels) and compared with where the map puts the WGS 84
position of that pixel's centre. Expected values come from Python alone: PRCoords (an independent
GCJ-02 implementation, dev dependency) and the Web Mercator formula.
"""

from __future__ import annotations

import base64
import math
import struct
import threading
import warnings
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import prcoords
import pytest
import rasterio
from rasterio.io import MemoryFile

from tests.web.test_browser import Server, browser, demo, screenshot, sign_in  # noqa: F401 (browser: a fixture)

MARKER = (121.4400, 30.8200)  # lon, lat (WGS 84): in the demo park, Shanghai
GREY = (224, 224, 224)  # the tiles' colour: redness R − G = 0, so only the marker weighs
RED = (255, 0, 0)
BACKGROUND = (0xEE, 0xF1, 0xF4)  # the offline style's background (frontend/src/map/style.ts)
TOLERANCE_PX = 1.5


def pixel(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Global pixel position at zoom ``z`` (256-px tiles) of (lon, lat) on the Web Mercator grid."""
    size = 256 * 2**z
    phi = math.radians(lat)
    return (lon + 180) / 360 * size, (1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi) / 2 * size


def lnglat(x: float, y: float, z: int) -> tuple[float, float]:
    """(lon, lat) of the global pixel position (x, y) at zoom ``z``."""
    size = 256 * 2**z
    return x / size * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / size))))


def marker_pixel(kind: str, z: int) -> tuple[int, int]:
    """The global pixel (column, row) of the red marker in the tiles of ``kind`` (``gcj`` or ``wgs``) at zoom z."""
    lon, lat = MARKER
    if kind == "gcj":
        shifted = prcoords.wgs_gcj((lat, lon))
        lon, lat = shifted.lon, shifted.lat
    x, y = pixel(lon, lat, z)
    return math.floor(x), math.floor(y)


def marker_wgs84(kind: str, z: int) -> tuple[float, float]:
    """The WGS 84 (lon, lat) of the centre of the marker pixel: where the map must show it."""
    column, row = marker_pixel(kind, z)
    lon, lat = lnglat(column + 0.5, row + 0.5, z)
    if kind == "gcj":
        wgs = prcoords.gcj_wgs_bored((lat, lon))  # iterative inverse, below 1 mm (data/coordinates.md §2)
        lon, lat = wgs.lon, wgs.lat
    return lon, lat


def png(rgb: np.ndarray) -> bytes:
    """A PNG of the H×W×3 uint8 array (no filter, zlib)."""
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


class Tiles:
    """The tile server: ``/{gcj|wgs}/{z}/{x}/{y}.png``; every tile answers 500 while ``failing`` is set."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.failing = False
        tiles = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                tiles.requests.append(self.path)
                parts = self.path.removesuffix(".png").strip("/").split("/")
                if tiles.failing or len(parts) != 4 or parts[0] not in ("gcj", "wgs"):
                    self.send_response(500 if tiles.failing else 404)
                    self.send_header("Access-Control-Allow-Origin", "*")
                    self.end_headers()
                    return
                kind, (z, x, y) = parts[0], map(int, parts[1:])
                body = png(tiles.tile(kind, z, x, y))
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Access-Control-Allow-Origin", "*")  # as a basemap must, for WebGL
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def tile(self, kind: str, z: int, x: int, y: int) -> np.ndarray:
        rgb = np.empty((256, 256, 3), np.uint8)
        rgb[:] = GREY
        column, row = marker_pixel(kind, z)
        if (column // 256, row // 256) == (x, y):
            rgb[row % 256, column % 256] = RED
        return rgb

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def tiles() -> Iterator[Tiles]:
    served = Tiles()
    yield served
    served.stop()


@pytest.fixture(scope="module")
def var(tmp_path_factory):
    return tmp_path_factory.mktemp("basemap")  # one database for both servers (the park is loaded once)


@pytest.fixture(scope="module")
def gcj02_server(tiles, var) -> Iterator[Server]:
    with demo(
        var,
        HAZMAP_BASEMAP=f"{tiles.url}/gcj/{{z}}/{{x}}/{{y}}.png",
        HAZMAP_BASEMAP_COORDS="gcj02",
        HAZMAP_BASEMAP_ATTRIBUTION="测试底图 <test>",
    ) as running:
        yield running


@pytest.fixture(scope="module")
def wgs84_server(tiles, var, gcj02_server) -> Iterator[Server]:
    with demo(var, HAZMAP_BASEMAP=f"{tiles.url}/wgs/{{z}}/{{x}}/{{y}}.png") as running:
        yield running


def only_the_basemap(page) -> None:
    """Hide every layer of ours: what is left on the canvas is the background and the basemap."""
    page.evaluate(
        """() => { const map = window.hazmap.handle.map;
          for (const layer of map.getStyle().layers)
            if (layer.id !== "background" && !layer.id.startsWith("basemap-"))
              map.setLayoutProperty(layer.id, "visibility", "none"); }"""
    )


def look_at(page, lon: float, lat: float, zoom: float) -> None:
    page.evaluate(
        """([lon, lat, zoom]) => new Promise((resolve) => {
          const map = window.hazmap.handle.map;
          map.jumpTo({ center: [lon, lat], zoom, padding: { top: 0, bottom: 0, left: 0, right: 0 } });
          map.once("idle", resolve);
        })""",
        [lon, lat, zoom],
    )


def canvas(page) -> np.ndarray:
    """The map's canvas once every tile asked for is drawn, H×W×4 (RGBA)."""
    data = page.evaluate(
        """() => new Promise((resolve) => { const map = window.hazmap.handle.map;
          map.once("idle", () => {
            map.once("render", () => resolve(map.getCanvas().toDataURL("image/png")));
            map.triggerRepaint();
          });
          map.triggerRepaint(); })"""
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with MemoryFile(base64.b64decode(data.split(",", 1)[1])) as memory, memory.open() as image:
            return np.moveaxis(image.read(), 0, -1).astype(float)


def red_centroid(image: np.ndarray) -> tuple[float, float]:
    """Where the red marker is on ``image``: the centroid of its redness R − G (pixel centres at +0.5)."""
    weight = np.clip(image[..., 0] - image[..., 1], 0, None)
    assert weight.sum() > 100, "no red marker on the map"
    rows, columns = np.indices(weight.shape)
    return float((weight * (columns + 0.5)).sum() / weight.sum()), float((weight * (rows + 0.5)).sum() / weight.sum())


def marker_error_px(page, kind: str, zoom: int) -> float:
    """How far, in screen pixels, the marker is drawn from the WGS 84 point it stands for, at map ``zoom``."""
    look_at(page, *MARKER, zoom)
    image = canvas(page)
    height, width = image.shape[:2]
    z = zoom + 1  # MapLibre draws 256-px raster tiles one level deeper than its (512-px) zoom
    lon, lat = marker_wgs84(kind, z)
    centre = pixel(*MARKER, z)
    expected = pixel(lon, lat, z)
    x, y = red_centroid(image)
    return math.hypot(x - (width / 2 + expected[0] - centre[0]), y - (height / 2 + expected[1] - centre[1]))


def test_a_gcj02_basemap_lies_beneath_our_layers_redrawn_so_its_streets_meet_our_wgs84_data(
    browser,  # noqa: F811
    tiles,
    gcj02_server,
):
    page = sign_in(browser, gcj02_server, "park", "/")
    layers = page.evaluate("window.hazmap.handle.map.getStyle().layers.map((l) => l.id)")
    assert layers[:2] == ["background", "basemap-0"]  # beneath every layer of ours
    assert any(path.startswith("/gcj/") for path in tiles.requests)  # the configured URL
    drawn = page.evaluate("window.hazmap.handle.map.queryRenderedFeatures().map((f) => f.sourceLayer)")
    assert "hazard-sources" in drawn
    assert page.locator(".maplibregl-ctrl-attrib").text_content().strip() == "测试底图 <test>"  # as text, not HTML
    screenshot(page, "command-basemap")

    only_the_basemap(page)
    shift_m = prcoords.Coords(*reversed(MARKER)).distance(prcoords.wgs_gcj(tuple(reversed(MARKER))))
    assert 400 < shift_m < 700  # without the redrawing, the marker would be this far off: ≥ 160 px at zoom 15
    for zoom in (15, 17):  # GCJ-02 tiles of levels 16 and 18
        error = marker_error_px(page, "gcj", zoom)
        print(f"gcj02 basemap, map zoom {zoom}: marker {error:.3f} px from its WGS 84 point")
        assert error <= TOLERANCE_PX, zoom

    switch = page.locator(".layers input[data-group=basemap]")
    assert page.locator(".layers li", has=page.locator("input[data-group=basemap]")).inner_text().strip() == "底图"
    switch.uncheck()  # the offline map alone
    assert (canvas(page)[..., :3] == BACKGROUND).all()
    page.reload()  # the choice is remembered in this browser
    page.wait_for_function("window.hazmap && window.hazmap.handle")
    page.evaluate("window.hazmap.handle.ready")
    assert not switch.is_checked()
    only_the_basemap(page)
    assert (canvas(page)[..., :3] == BACKGROUND).all()
    switch.check()
    assert (canvas(page)[..., :3] == GREY).all(axis=-1).mean() > 0.99  # the basemap again (the marker aside)
    page.context.close()


def test_a_wgs84_basemap_is_drawn_as_it_comes(browser, tiles, wgs84_server):  # noqa: F811
    page = sign_in(browser, wgs84_server, "park", "/")
    assert any(path.startswith("/wgs/") for path in tiles.requests)
    assert page.locator(".maplibregl-ctrl-attrib").count() == 0  # no credit configured, none shown
    only_the_basemap(page)
    for zoom in (15, 17):
        error = marker_error_px(page, "wgs", zoom)
        print(f"wgs84 basemap, map zoom {zoom}: marker {error:.3f} px from its WGS 84 point")
        assert error <= TOLERANCE_PX, zoom
    page.context.close()


@pytest.mark.parametrize("which", ["gcj02_server", "wgs84_server"])
def test_basemap_tiles_failing_leave_the_offline_map_usable_and_no_page_error(browser, tiles, which, request):  # noqa: F811
    server: Server = request.getfixturevalue(which)
    tiles.failing = True
    try:
        asked = len(tiles.requests)
        page = sign_in(browser, server, "park", "/")  # fails if the page raises an error while loading
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        assert len(tiles.requests) > asked  # tiles were asked for, and refused with 500
        drawn = page.evaluate("window.hazmap.handle.map.queryRenderedFeatures().map((f) => f.sourceLayer)")
        assert "hazard-sources" in drawn and "regions" in drawn
        look_at(page, *MARKER, 16)
        only_the_basemap(page)
        assert (canvas(page)[..., :3] == BACKGROUND).all()  # the offline background, nothing broken
        page.locator(".layers input[data-group=basemap]").uncheck()
        page.locator(".layers input[data-group=basemap]").check()
        assert errors == []
        page.context.close()
    finally:
        tiles.failing = False
