"""Tiles on PostGIS: one statement per tile, ST_AsMVT over the rows of each layer.

The statement, for a tile of layers L₁ … Lₙ::

    WITH tile AS (SELECT envelope, frame, simplify_m, point_deg)    -- the tile's numbers, as parameters
    SELECT COALESCE((SELECT ST_AsMVT(t, 'L₁', 4096, 'geom', 'id') FROM (rows of L₁) t), '') || …,
           (latest event id of the tileset)                           -- its version, when asked

The rows of a layer are its collection's scoped queryset (``Layer.rows(user)``) narrowed to the tile
by the spatial index (``&&`` on the tile's box in EPSG:4326, buffer included) and selected as
``.values()``: the primary key, the geometry through ``ST_AsMVTGeom`` and the tile attributes, as
Django compiles them. The tile's numbers come from the ``tile`` CTE, so the SQL of a layer does not
depend on the tile: it is compiled once for each distinct WHERE clause (which holds the scope's
values), with its parameters bound as literals by psycopg, and reused; the rows are still narrowed
by ``scoped`` on every request. The statement then carries no parameter, so neither Django nor
psycopg parses it again (for a map tile, that took longer than PostGIS took to run it). An MVT tile is
the concatenation of its layers. The database does all the work; Python passes bytes through.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from django.contrib.gis.db.models import GeometryField
from django.db import connection
from django.db.models import BooleanField, F, Func, QuerySet

from tiles import versions
from tiles.grid import Tile
from tiles.tilesets import BUFFER, EXTENT, SIMPLIFY_UNITS, Layer, point_below_degrees, tile_attributes

COMPILED_MAX = 1024  # distinct (layer, WHERE) statements kept


def tile_cte(tile: Tile) -> str:
    """The ``tile`` CTE of ``tile``: its envelope and buffered frame, and the simplification numbers.

    Every value is a number computed here, written as an SQL literal.
    """
    z, x, y = int(tile.z), int(tile.x), int(tile.y)
    margin = float(BUFFER / EXTENT)
    simplify_m = float(SIMPLIFY_UNITS * tile.size_m / EXTENT)
    point_deg = float(point_below_degrees(tile.z))
    return (
        f"WITH tile AS (SELECT ST_TileEnvelope({z}, {x}, {y}) AS envelope, "
        f"ST_Transform(ST_TileEnvelope({z}, {x}, {y}, margin => {margin!r}), 4326) AS frame, "
        f"{simplify_m!r}::float8 AS simplify_m, {point_deg!r}::float8 AS point_deg) "
    )


class MVTGeometry(Func):
    """A geometry in EPSG:4326 as grid coordinates of the tile of the ``tile`` CTE (``ST_AsMVTGeom``).

    For areas and lines: a geometry whose bounding box has a diagonal shorter than ``point_deg``
    degrees becomes a point on its surface; the others are simplified (Douglas–Peucker) by ``simplify_m`` metres of
    EPSG:3857. Points are only projected.
    """

    output_field = GeometryField(srid=3857)

    def __init__(self, expression, areas: bool) -> None:
        geometry = "%(expressions)s"
        if areas:  # ST_BoundingDiagonal reads the box stored with the geometry
            geometry = (
                f"CASE WHEN ST_Length(ST_BoundingDiagonal({geometry})) < (SELECT point_deg FROM tile) "
                f"THEN ST_PointOnSurface({geometry}) ELSE {geometry} END"
            )
        geometry = f"ST_Transform({geometry}, 3857)"
        if areas:
            geometry = f"ST_Simplify({geometry}, (SELECT simplify_m FROM tile))"
        template = f"ST_AsMVTGeom({geometry}, (SELECT envelope FROM tile), {EXTENT:d}, {BUFFER:d}, true)"
        super().__init__(expression, template=template)


class InFrame(Func):
    """True when a geometry's box meets the tile and its buffer (``&&``, through the GiST index)."""

    output_field = BooleanField()
    template = "%(expressions)s && (SELECT frame FROM tile)"


_compiled: OrderedDict[tuple, str] = OrderedDict()
_compiled_lock = threading.Lock()


def layer_sql(layer: Layer, rows: QuerySet) -> str:
    """SQL of one layer (an MVT layer as bytea, empty when no row is in the tile), parameters bound.

    The SQL refers to the ``tile`` CTE for every number of the tile; it is compiled once for each
    distinct WHERE clause of ``rows`` (the scope's values included) and kept.
    """
    key = (layer.id, str(rows.query.where))
    with _compiled_lock:
        if key in _compiled:
            _compiled.move_to_end(key)
            return _compiled[key]
    collection = layer.collection
    geometry = collection.geometry_field
    attributes = tile_attributes(collection)
    aliases = {f"_a{i}": expression for i, expression in enumerate(attributes.values())}
    selected = (
        rows.filter(InFrame(F(geometry)))
        .order_by()
        .values(_id=F("pk"), _geom=MVTGeometry(geometry, areas=not layer.is_point), **aliases)
    )
    inner, params = selected.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(
        ['q."_id" AS id', 'q."_geom" AS geom'] + [f'q."_a{i}" AS {quote(name)}' for i, name in enumerate(attributes)]
    )
    sql = f"SELECT ST_AsMVT(t, %s, {EXTENT:d}, 'geom', 'id') FROM (SELECT {columns} FROM ({inner}) q) t"
    compiled = connection.ops.compose_sql(sql, [collection.id, *params])
    with _compiled_lock:
        _compiled[key] = compiled
        if len(_compiled) > COMPILED_MAX:
            _compiled.popitem(last=False)
    return compiled


def render(
    layers: list[tuple[Layer, QuerySet]], tile: Tile, version_of: tuple[str, ...] | None
) -> tuple[bytes, int | None]:
    """The tile holding ``layers`` (each with its scoped rows), and the version of the collections
    ``version_of`` when given (see ``tiles.versions``)."""
    parts = [f"COALESCE(({layer_sql(layer, rows)}), ''::bytea)" for layer, rows in layers]
    columns = [" || ".join(parts) if parts else "''::bytea"]
    if version_of is not None:
        columns.append(f"COALESCE(({versions.latest_sql(version_of)}), 0)")
    with connection.cursor() as cursor:
        cursor.execute(tile_cte(tile) + "SELECT " + ", ".join(columns))
        row = cursor.fetchone()
    return bytes(row[0]), (row[1] if version_of is not None else None)
