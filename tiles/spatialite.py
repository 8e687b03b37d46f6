"""Tiles on SpatiaLite: the rows of the tile from the spatial index, encoded with mapbox-vector-tile.

The same steps as ``postgis.MVTGeometry``, on shapely arrays: areas smaller than a pixel become a point
on their surface; EPSG:4326 → EPSG:3857 (PROJ, through pyproj); Douglas–Peucker simplification of
areas; tile grid coordinates (y down), snapped to whole units and cut to the tile plus its buffer in
one overlay; what is left empty is dropped. The rows are those of the scoped queryset whose box meets
the tile's (SpatiaLite's R*Tree through its ``SpatialIndex`` table), so both backends hold the same
features with the same attributes.
"""

from __future__ import annotations

from functools import cache

import mapbox_vector_tile
import numpy as np
import shapely
from django.contrib.gis.db.models.functions import AsWKB
from django.db import connection
from django.db.models import BooleanField, F, Field, Func, QuerySet, Value
from django.db.models.expressions import RawSQL
from pyproj import Transformer

from tiles import versions
from tiles.grid import Tile
from tiles.tilesets import BUFFER, EXTENT, SIMPLIFY_UNITS, Layer, point_below_degrees, tile_attributes

INDEX_SQL = (
    "SELECT rowid FROM SpatialIndex WHERE f_table_name = %s AND f_geometry_column = %s "
    "AND search_frame = BuildMbr(%s, %s, %s, %s, 4326)"
)


@cache
def _to_web_mercator() -> Transformer:
    return Transformer.from_crs(4326, 3857, always_xy=True)


def index_enabled(table: str, column: str) -> bool:
    """True when SpatiaLite keeps an R*Tree index on ``table.column`` (``geometry_columns``)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT spatial_index_enabled FROM geometry_columns WHERE f_table_name = %s AND f_geometry_column = %s",
            [table.lower(), column.lower()],
        )
        row = cursor.fetchone()
    return bool(row and row[0] == 1)


def in_window(layer: Layer, rows: QuerySet, tile: Tile) -> QuerySet:
    """``rows`` whose bounding box meets the tile and its buffer.

    Through the column's R*Tree (SpatiaLite's ``SpatialIndex`` table) when it is enabled; otherwise by
    comparing every row's box with ``MbrIntersects``, which finds the same rows.
    """
    table, column = layer.collection.model._meta.db_table, layer.geometry_field.column
    west, south, east, north = tile.bounds_4326(BUFFER / EXTENT)
    if index_enabled(table, column):
        return rows.filter(pk__in=RawSQL(INDEX_SQL, [table, column, west, south, east, north]))
    box = Func(
        Value(west), Value(south), Value(east), Value(north), Value(4326), function="BuildMbr", output_field=Field()
    )
    meets = Func(F(layer.collection.geometry_field), box, function="MbrIntersects", output_field=BooleanField())
    return rows.filter(meets)


def to_tile_grid(geometries: np.ndarray, tile: Tile, areas: bool) -> np.ndarray:
    """EPSG:4326 shapely geometries as whole grid units of ``tile`` (y down), cut to tile + buffer.

    With ``areas``: those whose bounding box has a diagonal shorter than ``point_below_degrees`` become a
    point on their surface, the others are simplified by ``SIMPLIFY_UNITS`` grid units (as ``postgis.MVTGeometry``).
    """
    if areas:
        west, south, east, north = shapely.bounds(geometries).T
        small = np.hypot(east - west, north - south) < point_below_degrees(tile.z)
        geometries = np.where(small, shapely.point_on_surface(geometries), geometries)
    transformer = _to_web_mercator()

    def web_mercator(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    geometries = shapely.transform(geometries, web_mercator)
    if areas:
        geometries = shapely.simplify(geometries, SIMPLIFY_UNITS * tile.size_m / EXTENT, preserve_topology=False)
    xmin, _ymin, _xmax, ymax = tile.bounds_3857()
    scale = EXTENT / tile.size_m

    def grid(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([(xy[:, 0] - xmin) * scale, (ymax - xy[:, 1]) * scale])

    geometries = shapely.transform(geometries, grid)
    frame = shapely.box(-BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
    return shapely.intersection(geometries, frame, grid_size=1.0)


def layer_features(layer: Layer, rows: QuerySet, tile: Tile) -> list[dict]:
    """The features of one layer of ``tile``: id, geometry in grid units, attributes that are not null."""
    collection = layer.collection
    attributes = tile_attributes(collection)
    names = list(attributes)
    aliases = {f"_a{i}": expression for i, expression in enumerate(attributes.values())}
    selected = list(
        in_window(layer, rows, tile).order_by().values_list("pk", AsWKB(collection.geometry_field), *aliases.values())
    )
    if not selected:
        return []
    geometries = to_tile_grid(shapely.from_wkb([bytes(row[1]) for row in selected]), tile, not layer.is_point)
    return [
        {
            "id": row[0],
            "geometry": geometry,
            "properties": {name: value for name, value in zip(names, row[2:], strict=True) if value is not None},
        }
        for row, geometry in zip(selected, geometries, strict=True)
        if geometry is not None and not geometry.is_empty
    ]


def render(
    layers: list[tuple[Layer, QuerySet]], tile: Tile, version_of: tuple[str, ...] | None
) -> tuple[bytes, int | None]:
    """The tile holding ``layers`` (each with its scoped rows), and the version of the collections
    ``version_of`` when given (see ``tiles.versions``)."""
    encoded = []
    for layer, rows in layers:
        features = layer_features(layer, rows, tile)
        if features:  # like ST_AsMVT, a layer without features is left out
            encoded.append({"name": layer.id, "features": features})
    data = (
        mapbox_vector_tile.encode(encoded, default_options={"y_coord_down": True, "extents": EXTENT})
        if encoded
        else b""
    )
    return data, (None if version_of is None else versions.current(version_of))
