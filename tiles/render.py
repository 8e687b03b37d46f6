"""Building one tile of a tileset for one user, on whichever backend the database is."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from tiles import postgis, spatialite
from tiles.grid import Tile
from tiles.tilesets import Tileset


@dataclass(frozen=True)
class Rendered:
    """An encoded tile (``b""`` when it holds no feature) and, when asked for, the tileset's version."""

    data: bytes
    version: int | None


def render(tileset: Tileset, tile: Tile, user, with_version: bool = False) -> Rendered:
    """The tile ``tile`` of ``tileset`` as ``user`` may see it: the layers they may read at this zoom,
    each with the rows of ``Collection.queryset(user)`` (and the layer's filter) in the tile.
    """
    layers = []
    for layer in tileset.readable_layers(user, tile.z):
        rows = layer.rows(user)
        if not rows.query.is_empty():
            layers.append((layer, rows))
    version_of = tileset.collection_ids if with_version else None
    if not layers and version_of is None:
        return Rendered(b"", None)
    backend = postgis if connection.vendor == "postgresql" else spatialite
    data, version = backend.render(layers, tile, version_of)
    return Rendered(data, version)
