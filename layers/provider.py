"""One pygeoapi feature provider over GeoDjango querysets, for every collection of the registry.

pygeoapi creates providers from configuration (``data`` names the collection) without knowing who
asks; the OGC views set the user for the duration of a request with ``acting_as(user)`` and the
provider reads it, so that every row passes through ``Collection.queryset(user)`` (the user's scope;
anonymous sees only public collections). Bounding box, datetime, property equality, CQL2 filters and
ordering are ORM filters: the database selects the rows, a page is one query (no COUNT), and the
geometry comes out of the database as GeoJSON. Transformation to another CRS is pygeoapi's
``crs_transform`` (pyproj, axis order included).

``numberMatched`` is exact and free when the page reaches the end of the result (the query asks for
one row more than the page); otherwise it is left out, as OGC API – Features allows, and a client
that needs it asks with ``resulttype=hits``, which counts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.gis.geos import Polygon
from django.db.models import F, Field, Q, QuerySet
from pygeoapi.provider.base import BaseProvider, ProviderItemNotFoundError
from pygeoapi.util import crs_transform

from layers import cql, crs
from layers.params import interval
from layers.registry import Collection, collection

GEOJSON_PRECISION = 8  # decimal places of degrees: about 1 mm
_GEOMETRY = "geometry_geojson"

_user: ContextVar[Any] = ContextVar("layers_user", default=None)


@contextlib.contextmanager
def acting_as(user) -> Iterator[None]:
    """Within the block, providers read rows as ``user`` sees them."""
    token = _user.set(user)
    try:
        yield
    finally:
        _user.reset(token)


def current_user():
    """The user set by ``acting_as``, or an anonymous user (who sees only public collections)."""
    return _user.get() or AnonymousUser()


_JSON_TYPES = {
    "CharField": {"type": "string"},
    "TextField": {"type": "string"},
    "BooleanField": {"type": "boolean"},
    "FloatField": {"type": "number"},
    "DecimalField": {"type": "number"},
    "DateField": {"type": "string", "format": "date"},
    "DateTimeField": {"type": "string", "format": "date-time"},
}


def json_schema(model_field: Field | None) -> dict:
    """The JSON Schema of one attribute: type, format, title in the user's language, enum of choices."""
    if model_field is None:
        return {"type": "string"}
    kind = model_field.get_internal_type()
    schema = dict(_JSON_TYPES.get(kind, {"type": "integer" if "Integer" in kind or "AutoField" in kind else "string"}))
    schema["title"] = str(model_field.verbose_name)
    if model_field.choices:
        schema["enum"] = [value for value, _label in model_field.flatchoices if value != ""] or None
        if schema["enum"] is None:
            del schema["enum"]
    return schema


class RegistryProvider(BaseProvider):
    """pygeoapi feature provider for the registry collection named by ``data``."""

    def __init__(self, provider_def: dict) -> None:
        super().__init__(provider_def)
        self.collection: Collection = collection(provider_def["data"])
        self.id_field = "id"
        self.time_field = self.collection.time_attribute
        self.title_field = "name" if "name" in self.collection.fields else None
        self._fields = self.get_fields()
        geometry = self.collection.model._meta.get_field(self.collection.geometry_field)
        # A point intersects a box exactly when the box's bounding box overlaps it: the cheap operator
        # (PostGIS &&) is exact for points, and planned as cheap, so a page of a broad bbox is read in id order.
        self._bbox_lookup = "bboverlaps" if geometry.geom_type == "POINT" else "intersects"

    def get_fields(self) -> dict:
        return {name: json_schema(self.collection.model_field(name)) for name in self.collection.fields}

    @property
    def fields(self) -> dict:
        return self.get_fields()  # a fresh copy: pygeoapi edits what it is given

    # --- reading ---

    def rows(self) -> QuerySet:
        """Every row the current user may read."""
        return self.collection.queryset(current_user())

    def where(
        self,
        bbox: list[float] | None = None,
        datetime_: str | None = None,
        properties: list[tuple[str, Any]] | None = None,
        filterq: Any = None,
        filter_crs: str = crs.CRS84,
    ) -> Q:
        """The ORM condition of the OGC query parameters (bbox in CRS84 west, south, east, north)."""
        where = Q()
        if bbox:
            where &= Q(**{f"{self.collection.geometry_field}__{self._bbox_lookup}": Polygon.from_bbox(bbox[:4])})
        if datetime_:
            where &= self._during(datetime_)
        for name, value in properties or ():
            where &= Q(**{self.collection.fields[name]: value})
        if filterq is not None:
            where &= cql.to_q(filterq, self.collection, filter_crs)
        return where

    def _during(self, text: str) -> Q:
        lookup = self.collection.datetime_field
        kind = self.collection.model_field(self.collection.time_attribute).get_internal_type()
        start, end = interval(text)
        where = Q()
        if start is not None:
            where &= Q(**{f"{lookup}__gte": _bound(start, kind, end=False)})
        if end is not None:
            where &= Q(**{f"{lookup}__lte": _bound(end, kind, end=True)})
        return where

    def _page_values(self, rows: QuerySet, names: list[str], skip_geometry: bool) -> QuerySet:
        same = [name for name in names if self.collection.fields[name] == name]
        renamed = {
            name: F(lookup) if isinstance(lookup, str) else lookup
            for name in names
            if (lookup := self.collection.fields[name]) != name
        }
        if not skip_geometry:
            renamed[_GEOMETRY] = AsGeoJSON(self.collection.geometry_field, precision=GEOJSON_PRECISION)
        return rows.values("pk", *same, **renamed)

    def _feature(self, row: dict, names: list[str], skip_geometry: bool) -> dict:
        feature = {"type": "Feature", "id": row["pk"]}
        if not skip_geometry:
            text = row[_GEOMETRY]
            feature["geometry"] = json.loads(text) if text else None
        else:
            feature["geometry"] = None
        feature["properties"] = {name: row[name] for name in names}
        return feature

    def _ordering(self, sortby: list[dict]) -> list:
        ordering = []
        for sort in sortby:
            lookup = self.collection.fields[sort["property"]]
            expression = F(lookup) if isinstance(lookup, str) else lookup
            ordering.append(
                expression.desc(nulls_last=True) if sort["order"] == "-" else expression.asc(nulls_last=True)
            )
        return [*ordering, "pk"]

    @crs_transform
    def query(
        self,
        offset: int = 0,
        limit: int = 10,
        resulttype: str = "results",
        bbox: list[float] | None = None,
        datetime_: str | None = None,
        properties: list[tuple[str, Any]] | None = None,
        sortby: list[dict] | None = None,
        select_properties: list[str] | None = None,
        skip_geometry: bool = False,
        q: str | None = None,
        filterq: Any = None,
        crs_transform_spec: Any = None,
        filter_crs: str = crs.CRS84,
        **kwargs,
    ) -> dict:
        """A page of features as a GeoJSON FeatureCollection (see the module docstring for numberMatched)."""
        rows = self.rows().filter(self.where(bbox, datetime_, properties, filterq, filter_crs))
        if resulttype == "hits":
            return {"type": "FeatureCollection", "features": [], "numberMatched": rows.count(), "numberReturned": 0}
        names = list(select_properties or self.collection.fields)
        page = list(
            self._page_values(rows.order_by(*self._ordering(sortby or [])), names, skip_geometry)[
                offset : offset + limit + 1
            ]
        )
        more = len(page) > limit
        features = [self._feature(row, names, skip_geometry) for row in page[:limit]]
        result = {"type": "FeatureCollection", "features": features, "numberReturned": len(features)}
        if not more and (features or offset == 0):
            result["numberMatched"] = offset + len(features)
        return result

    @crs_transform
    def get(self, identifier: Any, crs_transform_spec: Any = None, **kwargs) -> dict:
        """One feature by id, if the current user may see it; ``ProviderItemNotFoundError`` otherwise."""
        try:
            pk = int(identifier)
        except (TypeError, ValueError):
            pk = 0
        if not 0 < pk <= 2**63 - 1:
            raise ProviderItemNotFoundError(user_msg=f"no item {identifier!r} in {self.collection.id}")
        names = list(self.collection.fields)
        row = self._page_values(self.rows().filter(pk=pk), names, False).first()
        if row is None:
            raise ProviderItemNotFoundError(user_msg=f"no item {identifier!r} in {self.collection.id}")
        return self._feature(row, names, False)

    def __repr__(self) -> str:
        return f"<RegistryProvider {self.collection.id}>"


def _bound(value: dt.date | dt.datetime, kind: str, end: bool) -> dt.date | dt.datetime:
    """An interval end compared with a date or a date-time column (a date covers its whole UTC day)."""
    if kind == "DateField":
        return value.date() if isinstance(value, dt.datetime) else value
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time.max if end else dt.time.min, tzinfo=dt.UTC)
