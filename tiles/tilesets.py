"""What the vector tiles hold: one tileset per collection of the registry, and the map composite.

A tileset is served at ``/tiles/{id}/{z}/{x}/{y}.mvt``; each of its layers is one collection of
``layers.registry``, carrying the feature's primary key as the MVT feature id and the collection's
``tile_fields`` as attributes, from the collection's ``min_zoom`` on. The ``map`` tileset holds the
map's layers in one tile, bottom to top (areas first, points on top), for a map that loads one
source instead of one per collection.

Sizing for the map:

- geometry is cut to the tile plus a ``BUFFER`` of 64/4096 of its width, snapped to the 4096 × 4096
  grid of the tile, after areas and lines are simplified (Douglas–Peucker) with a tolerance of
  ``SIMPLIFY_UNITS`` grid unit: a tolerance in metres that halves with each zoom level (≈ 38 m at
  zoom 8, 0.15 m at zoom 16);
- an area whose bounding box has a diagonal shorter than ``POINT_BELOW_PIXELS`` screen pixel (of a
  256-pixel tile, counted in degrees) is drawn as a point on its surface, so that a hazard source (≈ 100 m)
  still shows as a dot at province zooms instead of vanishing (areas layers may hold points);
- attributes are the short ``tile_fields`` list of the registry; dates become ISO 8601 text;
- in the ``map`` tileset, alarms are those not closed (closed ones are history, in the OGC API).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.gis.db.models import GeometryField, PointField
from django.db.models import CharField, DateField, DateTimeField, Expression, F, Func, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from layers.registry import COLLECTIONS, Collection

EXTENT = 4096  # grid units across a tile (MVT 2.1, 4.3.1)
BUFFER = 64  # grid units kept beyond each edge, so that symbols and lines meet across tiles
SIMPLIFY_UNITS = 1.0  # Douglas–Peucker tolerance for areas and lines, in grid units
POINT_BELOW_PIXELS = 1.0  # areas whose box's diagonal is shorter than this many screen pixels are drawn as a point
TILEJSON_MAX_ZOOM = 18  # deepest zoom TileJSON announces; maps over-zoom from there (4096 units ≈ 4 cm)
MAP = "map"

# Collections whose features come and go through events even though no attribute of theirs is live.
EVENT_DRIVEN = frozenset({"consequence-zones"})

# The map's layers, bottom to top.
MAP_LAYERS = (
    "regions",
    "sensitive-targets",
    "enterprises",
    "layout-features",
    "hazard-sources",
    "fences",
    "equipment",
    "consequence-zones",
    "emergency-resources",
    "sensors",
    "personnel",
    "alarms",
)

# Rows a layer of the map leaves out (the collection's own tileset holds them all).
MAP_FILTERS: dict[str, Q] = {"alarms": ~Q(state="closed")}


@dataclass(frozen=True)
class Layer:
    """One layer of a tileset: a collection, from ``min_zoom`` on, with an optional row filter."""

    collection: Collection
    min_zoom: int
    only: Q | None = None

    @property
    def id(self) -> str:
        return self.collection.id

    @property
    def public(self) -> bool:
        return self.collection.public

    @property
    def live(self) -> bool:
        return bool(self.collection.live_fields) or self.collection.id in EVENT_DRIVEN

    def rows(self, user) -> QuerySet:
        """The rows ``user`` may read (``Collection.queryset``), narrowed by the layer's filter."""
        rows = self.collection.queryset(user)
        return rows if self.only is None else rows.filter(self.only)

    @property
    def is_point(self) -> bool:
        return isinstance(self.geometry_field, PointField)

    @property
    def geometry_field(self) -> GeometryField:
        return self.collection.model._meta.get_field(self.collection.geometry_field)

    @property
    def geometry_dimension(self) -> int | None:
        """0 for points, 1 for lines, 2 for areas, None for a layer of any geometry (OGC API – Tiles
        ``geometryDimension``)."""
        kind = self.geometry_field.geom_type.upper()
        if kind in ("GEOMETRY", "GEOMETRYCOLLECTION"):
            return None
        return 0 if "POINT" in kind else 1 if "LINE" in kind else 2


@dataclass(frozen=True)
class Tileset:
    """A set of tiles: its id, title and layers (bottom to top)."""

    id: str
    title: Promise | str
    description: Promise | str
    layers: tuple[Layer, ...] = field(default_factory=tuple)

    @property
    def min_zoom(self) -> int:
        return min(layer.min_zoom for layer in self.layers)

    @property
    def public(self) -> bool:
        """True when every layer is readable without signing in."""
        return all(layer.public for layer in self.layers)

    @property
    def live(self) -> bool:
        """True when a layer changes with live data (its tiles are versioned by events)."""
        return any(layer.live for layer in self.layers)

    @property
    def collection_ids(self) -> tuple[str, ...]:
        return tuple(layer.id for layer in self.layers)

    def readable_layers(self, user, z: int | None = None) -> list[Layer]:
        """The layers ``user`` may read (public ones, or all for a signed-in user), at zoom ``z`` if given."""
        signed_in = user is not None and user.is_authenticated
        return [layer for layer in self.layers if (signed_in or layer.public) and (z is None or z >= layer.min_zoom)]


def _collection_tileset(collection: Collection) -> Tileset:
    return Tileset(
        id=collection.id,
        title=collection.title,
        description=collection.description,
        layers=(Layer(collection, collection.min_zoom),),
    )


TILESETS: dict[str, Tileset] = {c.id: _collection_tileset(c) for c in COLLECTIONS.values()}
TILESETS[MAP] = Tileset(
    id=MAP,
    title=_("One map"),
    description=_("Every layer of the map in one tile, each from its own zoom level on."),
    layers=tuple(Layer(COLLECTIONS[name], COLLECTIONS[name].min_zoom, MAP_FILTERS.get(name)) for name in MAP_LAYERS),
)


def point_below_degrees(z: int) -> float:
    """The diagonal in degrees under which an area is drawn as a point at zoom ``z`` (360° / 256 / 2^z a pixel)."""
    return POINT_BELOW_PIXELS * 360.0 / 256 / (1 << z)


# --- attributes ---------------------------------------------------------------------------------


class IsoDateTime(Func):
    """A date-time as ISO 8601 text in UTC (``2026-01-15T08:00:00Z``), the same on both backends."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # '%%%%' survives the template and the backend's own %-formatting as one '%'.
        template = "strftime('%%%%Y-%%%%m-%%%%dT%%%%H:%%%%M:%%%%SZ', %(expressions)s)"
        return self.as_sql(compiler, connection, template=template, **extra)


class IsoDate(Func):
    """A date as ISO 8601 text (``2026-01-15``)."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="to_char(%(expressions)s, 'YYYY-MM-DD')", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s AS TEXT)", **extra)


def tile_attributes(collection: Collection) -> dict[str, Expression]:
    """The tile attributes of ``collection``: output name → expression for ``QuerySet.values``."""
    attributes = {}
    for name in collection.tile_fields:
        lookup = collection.fields[name]
        if not isinstance(lookup, str):
            attributes[name] = lookup
            continue
        target = collection.model_field(name)
        if isinstance(target, DateTimeField):
            attributes[name] = IsoDateTime(F(lookup))
        elif isinstance(target, DateField):
            attributes[name] = IsoDate(F(lookup))
        else:
            attributes[name] = F(lookup)
    return attributes


def attribute_type(collection: Collection, name: str) -> str:
    """The JSON type of a tile attribute: ``string``, ``number``, ``integer`` or ``boolean``."""
    lookup = collection.fields[name]
    target = collection.model_field(name) if isinstance(lookup, str) else lookup.output_field
    internal = target.get_internal_type()
    if internal == "BooleanField":
        return "boolean"
    if internal.endswith("IntegerField") or internal.endswith("AutoField") or internal == "ForeignKey":
        return "integer"
    if internal in ("FloatField", "DecimalField"):
        return "number"
    return "string"
