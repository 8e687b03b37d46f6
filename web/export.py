"""Consequence zones exported as a GeoPackage: ``POST /app/export/geopackage``.

The planner sends the GeoJSON FeatureCollection it exports as GeoJSON (its ``name`` member, as GDAL
reads it, names the layer) and receives a ``.gpkg`` file written by fiona: one layer in EPSG:4326,
one column per property, typed from the values (whole numbers ``int``, numbers ``float``, ``true``/
``false`` ``bool``, text ``str``; lists and objects, and columns mixing kinds, as JSON text). The
geometry type is the features' one, or ``Unknown`` when they mix (Polygon and MultiPolygon, say);
features without geometry are kept.

Refused with a 400 naming the fault: a body that is not JSON or larger than ``web.api.MAX_BODY_BYTES``
(413), not a FeatureCollection, no features, a feature that is not a Feature, a geometry that is not
valid GeoJSON, outside longitude/latitude, or invalid (self-intersecting…), properties that are not an
object or whose names the GeoPackage cannot hold. Nothing is stored; any signed-in user may convert.
"""

from __future__ import annotations

import json
import math
import re
from http import HTTPStatus
from typing import Any

import fiona
import fiona.io
import shapely
import shapely.geometry
import shapely.validation
from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from web.api import ApiError, body, endpoint

LAYER_DEFAULT = "zones"
LAYER_MAX_CHARS = 100
RESERVED_COLUMNS = ("fid", "geom")  # the GeoPackage's own: feature id and geometry
INT64 = 2**63
GEOPACKAGE = "application/geopackage+sqlite3"


def _refuse(description: str) -> ApiError:
    return ApiError(HTTPStatus.BAD_REQUEST, "InvalidParameterValue", description)


def _geometry(number: int, geometry: Any) -> dict | None:
    """The feature's geometry checked: valid GeoJSON, within longitude/latitude, valid as a shape."""
    if geometry is None:
        return None
    try:
        shape = shapely.geometry.shape(geometry)
    except Exception as error:  # shapely raises several kinds for malformed GeoJSON
        raise _refuse(
            _("Feature %(n)d: the geometry is not valid GeoJSON (%(error)s).") % {"n": number, "error": error}
        ) from None
    coordinates = shapely.get_coordinates(shape)
    if not all(math.isfinite(v) for v in coordinates.flat):
        raise _refuse(_("Feature %(n)d: the geometry has coordinates that are not numbers.") % {"n": number})
    if len(coordinates) and (abs(coordinates[:, 0]).max() > 180 or abs(coordinates[:, 1]).max() > 90):
        raise _refuse(
            _("Feature %(n)d: coordinates must be longitude and latitude in degrees (EPSG:4326).") % {"n": number}
        )
    if shape.is_empty or not shape.is_valid:
        reason = _("it is empty") if shape.is_empty else shapely.validation.explain_validity(shape)
        raise _refuse(_("Feature %(n)d: the geometry is invalid: %(reason)s.") % {"n": number, "reason": reason})
    return shapely.geometry.mapping(shape)


def _kind(value: Any) -> str | None:
    """The column type one value asks for (None for null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if -INT64 <= value < INT64 else "str"
    if isinstance(value, float):
        return "float"
    return "str"


def _column_type(values: list[Any]) -> str:
    kinds = {_kind(v) for v in values} - {None}
    if kinds == {"int", "float"}:
        return "float"
    return kinds.pop() if len(kinds) == 1 else "str"


def _value(value: Any, column: str) -> Any:
    """``value`` as the column of type ``column`` holds it."""
    if value is None:
        return None
    if column == "float":
        return float(value)
    if column == "str" and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return value


def features_of(data: dict) -> tuple[str, list[dict]]:
    """The layer name and the checked features of a GeoJSON FeatureCollection; ``ApiError`` 400 otherwise."""
    if data.get("type") != "FeatureCollection":
        raise _refuse(_("The body must be a GeoJSON FeatureCollection, not “%(type)s”.") % {"type": data.get("type")})
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise _refuse(_("The FeatureCollection has no features to export."))
    name = data.get("name", LAYER_DEFAULT)
    if not isinstance(name, str) or not name.strip() or name.strip().lower().startswith("gpkg_"):
        raise _refuse(_("“name”, the layer's name, must be text not starting with “gpkg_”."))
    checked = []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise _refuse(_("Feature %(n)d is not a GeoJSON Feature.") % {"n": number})
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            raise _refuse(_("Feature %(n)d: “properties” must be an object.") % {"n": number})
        checked.append({"geometry": _geometry(number, feature.get("geometry")), "properties": properties})
    return name.strip()[:LAYER_MAX_CHARS], checked


def schema_of(features: list[dict]) -> dict:
    """The fiona schema of ``features``: a column per property name (first seen first), typed from the values."""
    names: dict[str, None] = {}
    for feature in features:
        names.update(dict.fromkeys(feature["properties"]))
    seen: dict[str, str] = {}
    for name in names:
        folded = name.lower()  # SQLite's column names ignore case
        if not name.strip() or folded in RESERVED_COLUMNS or folded in seen:
            raise _refuse(
                _("The property name “%(name)s” cannot be a GeoPackage column (empty, “fid”, “geom”, or twice).")
                % {"name": name}
            )
        seen[folded] = name
    columns = {name: _column_type([f["properties"].get(name) for f in features]) for name in names}
    types = {f["geometry"]["type"] for f in features if f["geometry"] is not None}
    flat = len(types) == 1 and not any(shapely.geometry.shape(f["geometry"]).has_z for f in features if f["geometry"])
    return {"geometry": types.pop() if flat else "Unknown", "properties": columns}


def geopackage(name: str, features: list[dict]) -> bytes:
    """A GeoPackage of one layer ``name`` (EPSG:4326) holding ``features`` (checked by ``features_of``)."""
    schema = schema_of(features)
    columns = schema["properties"]
    with fiona.io.MemoryFile(ext=".gpkg") as memory:
        with memory.open(driver="GPKG", schema=schema, crs="EPSG:4326", layer=name) as layer:
            layer.writerecords(
                {
                    "type": "Feature",
                    "geometry": f["geometry"],
                    "properties": {c: _value(f["properties"].get(c), kind) for c, kind in columns.items()},
                }
                for f in features
            )
        return memory.read()


def _filename(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "_", name).strip("_.") + ".gpkg"


@endpoint("POST")
def export_geopackage(request: HttpRequest, user) -> HttpResponse:
    """The FeatureCollection of the body as a GeoPackage file (see the module docstring)."""
    name, features = features_of(body(request))
    response = HttpResponse(geopackage(name, features), content_type=GEOPACKAGE)
    response["Content-Disposition"] = content_disposition_header(True, _filename(name))
    return response
