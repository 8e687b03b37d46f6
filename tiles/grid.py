"""The WebMercatorQuad tile grid: tile addresses, their bounds, and the OGC description of the grid.

WebMercatorQuad (OGC 17-083r4, Annex D) covers EPSG:3857 from −20,037,508.3427892 m to
+20,037,508.3427892 m on both axes with 2^z × 2^z tiles of 256 × 256 pixels at zoom z; x grows
eastwards and y southwards from the top-left corner. It is the grid of web maps (``z/x/y``) and
of OGC API – Tiles (``tileMatrix/tileRow/tileCol``). Lengths are in metres of EPSG:3857.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

ID = "WebMercatorQuad"
URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
CRS_URI = "http://www.opengis.net/def/crs/EPSG/0/3857"
ORIGIN_M = 20037508.3427892430765884  # π · 6,378,137 m: half the extent of EPSG:3857
MAX_ZOOM = 24  # the deepest tile matrix of WebMercatorQuad
TILE_PIXELS = 256
PIXEL_SIZE_M = 0.28e-3  # the standardized rendering pixel (OGC 17-083r4, 6.1.1)
MAX_LATITUDE = math.degrees(math.atan(math.sinh(math.pi)))  # 85.0511287798…°


class TileAddressError(ValueError):
    """A z/x/y that is not a tile of the grid. ``status`` is 400 (not a number) or 404 (no such tile)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Tile:
    """One tile of WebMercatorQuad: zoom ``z``, column ``x`` (from the west), row ``y`` (from the north)."""

    z: int
    x: int
    y: int

    @property
    def size_m(self) -> float:
        """The width (= height) of the tile in metres of EPSG:3857."""
        return 2 * ORIGIN_M / (1 << self.z)

    def bounds_3857(self, margin: float = 0.0) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) in EPSG:3857, widened on every side by ``margin`` × the tile's size."""
        size = self.size_m
        xmin = -ORIGIN_M + self.x * size
        ymax = ORIGIN_M - self.y * size
        pad = margin * size
        return xmin - pad, ymax - size - pad, xmin + size + pad, ymax + pad

    def bounds_4326(self, margin: float = 0.0) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees, widened by ``margin`` × the tile's size and cut to the grid.

        Meridians and parallels are straight in EPSG:3857, so this box holds exactly the tile.
        """
        xmin, ymin, xmax, ymax = self.bounds_3857(margin)
        limit = ORIGIN_M
        xmin, xmax = max(xmin, -limit), min(xmax, limit)
        ymin, ymax = max(ymin, -limit), min(ymax, limit)
        return (_lon(xmin), _lat(ymin), _lon(xmax), _lat(ymax))


def _lon(x: float) -> float:
    return math.degrees(x / 6378137.0)


def _lat(y: float) -> float:
    return math.degrees(math.atan(math.sinh(y / 6378137.0)))


def parse(z: str, x: str, y: str, names: tuple[str, str, str] = ("z", "x", "y")) -> Tile:
    """The tile ``z/x/y`` from URL parts; ``TileAddressError`` (400 or 404) when it is not one.

    ``names`` are the parameters' names in messages (OGC API – Tiles calls them tileMatrix, tileCol, tileRow).
    """
    values = []
    for name, text in zip(names, (z, x, y), strict=True):
        if not text.isascii() or not text.isdigit() or len(text) > 18:
            raise TileAddressError(
                _("%(name)s must be a whole number ≥ 0, not “%(value)s”.") % {"name": name, "value": text[:40]}, 400
            )
        values.append(int(text))
    tile = Tile(*values)
    if tile.z > MAX_ZOOM:
        raise TileAddressError(
            _("There is no %(name)s %(z)d: WebMercatorQuad has 0 to %(max)d.")
            % {"name": names[0], "z": tile.z, "max": MAX_ZOOM},
            404,
        )
    last = (1 << tile.z) - 1
    for name, value in ((names[1], tile.x), (names[2], tile.y)):
        if value > last:
            raise TileAddressError(
                _("There is no %(name)s %(value)d at %(zname)s %(z)d: it runs from 0 to %(last)d.")
                % {"name": name, "value": value, "zname": names[0], "z": tile.z, "last": last},
                404,
            )
    return tile


def cell_size_m(z: int) -> float:
    """The size of one pixel of a 256-pixel tile at zoom ``z``, in metres of EPSG:3857."""
    return 2 * ORIGIN_M / TILE_PIXELS / (1 << z)


def tile_matrix_set() -> dict:
    """The JSON description of WebMercatorQuad (OGC 17-083r4, TileMatrixSet JSON encoding 2.0)."""
    return {
        "id": ID,
        "title": "Google Maps Compatible for the World",
        "uri": URI,
        "crs": CRS_URI,
        "orderedAxes": ["E", "N"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "boundingBox": {
            "lowerLeft": [-ORIGIN_M, -ORIGIN_M],
            "upperRight": [ORIGIN_M, ORIGIN_M],
            "crs": CRS_URI,
            "orderedAxes": ["E", "N"],
        },
        "tileMatrices": [
            {
                "id": str(z),
                "scaleDenominator": cell_size_m(z) / PIXEL_SIZE_M,
                "cellSize": cell_size_m(z),
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-ORIGIN_M, ORIGIN_M],
                "tileWidth": TILE_PIXELS,
                "tileHeight": TILE_PIXELS,
                "matrixWidth": 1 << z,
                "matrixHeight": 1 << z,
            }
            for z in range(MAX_ZOOM + 1)
        ],
    }
