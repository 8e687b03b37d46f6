"""The OpenAPI 3.0 document of the OGC API, generated from the registry and complete in itself.

pygeoapi's own document refers to schemas on schemas.opengis.net (unreachable offline, so tools
that resolve them fail) and declares every unknown query parameter as allowed; this one holds every
schema it uses, declares exactly the parameters the server accepts (an unknown one is a 400), the
CQL2 filter parameters, the CRSs, the bearer token, the processes and the paths of OGC API – Tiles.
"""

from __future__ import annotations

from copy import deepcopy

from layers import cql, crs
from layers.params import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET
from layers.processes import PROCESS_RESPONSES, REQUEST_SCHEMAS
from layers.provider import json_schema
from layers.registry import COLLECTIONS
from tiles import grid

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
MVT = "application/vnd.mapbox-vector-tile"


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _query(name: str, schema: dict, description: str, **extra) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description, **extra}


PARAMETERS = {
    "f": _query("f", {"type": "string", "enum": ["json", "html"]}, "Response format (else from the Accept header)."),
    "lang": _query("lang", {"type": "string", "enum": ["zh", "en-US"]}, "Language of titles and descriptions."),
    "bbox": _query(
        "bbox",
        {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        "Only features whose geometry intersects this box: minimum corner then maximum corner, in bbox-crs.",
        style="form",
        explode=False,
    ),
    "bbox-crs": _query("bbox-crs", {"type": "string", "format": "uri", "enum": list(crs.SUPPORTED)}, "CRS of bbox."),
    "crs": _query("crs", {"type": "string", "format": "uri", "enum": list(crs.SUPPORTED)}, "CRS of the response."),
    "limit": _query(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        f"Features per page (maximum={MAX_LIMIT}, default={DEFAULT_LIMIT}); more than the maximum gives the maximum.",
        style="form",
        explode=False,
    ),
    "offset": _query(
        "offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}, "Features to skip."
    ),
    "datetime": _query(
        "datetime",
        {"type": "string"},
        "An RFC 3339 instant or interval (a/b, ../b, a/..) on the collection's time attribute.",
        style="form",
        explode=False,
    ),
    "properties": _query(
        "properties",
        {"type": "array", "items": {"type": "string"}},
        "The properties to include in each feature.",
        style="form",
        explode=False,
    ),
    "skipGeometry": _query("skipGeometry", {"type": "boolean", "default": False}, "Leave the geometry out."),
    "sortby": _query(
        "sortby",
        {"type": "array", "items": {"type": "string", "pattern": r"[+-]?[A-Za-z_][A-Za-z_0-9]*"}},
        "Properties to sort by, each optionally preceded by + (ascending) or - (descending).",
        style="form",
        explode=False,
    ),
    "filter": _query("filter", {"type": "string"}, "A CQL2 filter expression (OGC API – Features Part 3)."),
    "filter-lang": _query(
        "filter-lang", {"type": "string", "enum": list(cql.LANGUAGES), "default": "cql2-text"}, "Language of filter."
    ),
    "filter-crs": _query(
        "filter-crs", {"type": "string", "format": "uri", "enum": list(crs.SUPPORTED)}, "CRS of geometries in filter."
    ),
    "resulttype": _query(
        "resulttype",
        {"type": "string", "enum": ["results", "hits"], "default": "results"},
        "hits: only numberMatched (an exact count), no features.",
    ),
    "featureId": {
        "name": "featureId",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
        "description": "Identifier of a feature.",
    },
}


def _path(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


# OGC API – Tiles (OGC 20-057): the same tiles as /tiles/ serves (tiles/README.md).
TILE_PARAMETERS = {
    "f-json": _query("f", {"type": "string", "enum": ["json"]}, "Response format: JSON only."),
    "f-mvt": _query("f", {"type": "string", "enum": ["mvt"]}, "Tile format: Mapbox Vector Tile only."),
    "v": _query(
        "v",
        {"type": "integer", "minimum": 0},
        "The tileset's version (the latest event id of its collections, as in TileJSON's tile URL): "
        "a tile fetched with the current version may be cached; with another, it must be revalidated.",
    ),
    "tileMatrixSetId": _path("tileMatrixSetId", {"type": "string", "enum": [grid.ID]}, "The tiling scheme."),
    "tileMatrix": _path(
        "tileMatrix",
        {"type": "string", "enum": [str(z) for z in range(grid.MAX_ZOOM + 1)]},
        "The tile matrix (zoom level) of WebMercatorQuad.",
    ),
    "tileRow": _path("tileRow", {"type": "integer", "minimum": 0}, "Row of the tile, from the north (y)."),
    "tileCol": _path("tileCol", {"type": "integer", "minimum": 0}, "Column of the tile, from the west (x)."),
}

LINK = {
    "type": "object",
    "required": ["href", "rel"],
    "properties": {
        "href": {"type": "string"},
        "rel": {"type": "string"},
        "type": {"type": "string"},
        "hreflang": {"type": "string"},
        "title": {"type": "string"},
        "length": {"type": "integer"},
    },
}
LINKS = {"type": "array", "items": _ref("schemas", "link")}
GEOMETRY = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {
            "type": "string",
            "enum": [
                "Point",
                "MultiPoint",
                "LineString",
                "MultiLineString",
                "Polygon",
                "MultiPolygon",
                "GeometryCollection",
            ],
        },
        "coordinates": {"type": "array"},
        "geometries": {"type": "array"},
    },
}
FEATURE = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"type": "integer"},
        "geometry": {"nullable": True, "allOf": [_ref("schemas", "geometryGeoJSON")]},
        "properties": {"type": "object", "nullable": True},
        "links": LINKS,
    },
}
SCHEMAS = {
    "exception": {
        "type": "object",
        "required": ["code"],
        "properties": {"code": {"type": "string"}, "type": {"type": "string"}, "description": {"type": "string"}},
    },
    "link": LINK,
    "landingPage": {
        "type": "object",
        "required": ["links"],
        "properties": {"title": {"type": "string"}, "description": {"type": "string"}, "links": LINKS},
    },
    "confClasses": {
        "type": "object",
        "required": ["conformsTo"],
        "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
    },
    "extent": {
        "type": "object",
        "properties": {
            "spatial": {
                "type": "object",
                "properties": {
                    "bbox": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
                    "crs": {"type": "string"},
                },
            },
            "temporal": {"type": "object"},
        },
    },
    "collection": {
        "type": "object",
        "required": ["id", "links"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "links": LINKS,
            "extent": _ref("schemas", "extent"),
            "itemType": {"type": "string"},
            "crs": {"type": "array", "items": {"type": "string"}},
            "storageCrs": {"type": "string"},
        },
    },
    "collections": {
        "type": "object",
        "required": ["links", "collections"],
        "properties": {"links": LINKS, "collections": {"type": "array", "items": _ref("schemas", "collection")}},
    },
    "geometryGeoJSON": GEOMETRY,
    "featureGeoJSON": FEATURE,
    "featureCollectionGeoJSON": {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": _ref("schemas", "featureGeoJSON")},
            "links": LINKS,
            "timeStamp": {"type": "string", "format": "date-time"},
            "numberMatched": {"type": "integer", "minimum": 0},
            "numberReturned": {"type": "integer", "minimum": 0},
        },
    },
    "jsonSchema": {"type": "object", "properties": {"properties": {"type": "object"}}},
    "processList": {
        "type": "object",
        "required": ["processes", "links"],
        "properties": {"processes": {"type": "array", "items": {"type": "object"}}, "links": LINKS},
    },
    "process": {"type": "object", "required": ["id", "version"], "properties": {"id": {"type": "string"}}},
    "tileMatrixSets": {
        "type": "object",
        "required": ["tileMatrixSets"],
        "properties": {"tileMatrixSets": {"type": "array", "items": {"type": "object"}}},
    },
    "tileMatrixSet": {
        "type": "object",
        "required": ["id", "crs", "tileMatrices"],
        "properties": {"id": {"type": "string"}, "crs": {"type": "string"}, "tileMatrices": {"type": "array"}},
    },
    "tileSets": {
        "type": "object",
        "required": ["tilesets"],
        "properties": {"tilesets": {"type": "array", "items": {"type": "object"}}, "links": LINKS},
    },
    "tileSet": {
        "type": "object",
        "required": ["dataType", "crs", "links"],
        "properties": {
            "dataType": {"type": "string", "enum": ["vector"]},
            "crs": {"type": "string"},
            "tileMatrixSetURI": {"type": "string"},
            "links": LINKS,
            "layers": {"type": "array", "items": {"type": "object"}},
        },
    },
}


def _response(description: str, schema: str, media: str = JSON, html: bool = True) -> dict:
    content = {media: {"schema": _ref("schemas", schema)}}
    if html:
        content[HTML] = {"schema": {"type": "string"}}
    return {"description": description, "content": content}


RESPONSES = {
    "LandingPage": _response("The landing page.", "landingPage"),
    "Conformance": _response("The conformance classes the server implements.", "confClasses"),
    "Collections": _response("The feature collections.", "collections"),
    "Collection": _response("One feature collection.", "collection"),
    "Features": _response("A page of features.", "featureCollectionGeoJSON", GEOJSON),
    "Feature": _response("One feature.", "featureGeoJSON", GEOJSON),
    "JsonSchema": _response("The JSON Schema of the features' properties.", "jsonSchema", "application/schema+json"),
    "InvalidParameter": _response("A query parameter is unknown or invalid.", "exception", html=False),
    "Unauthorized": _response("Sign in, or send an API token, to use this resource.", "exception", html=False),
    "NotFound": _response("No such resource (or not in the user's scope).", "exception", html=False),
    "TileMatrixSets": _response("The tiling schemes.", "tileMatrixSets", html=False),
    "TileMatrixSet": _response("One tiling scheme.", "tileMatrixSet", html=False),
    "TileSets": _response("The vector tilesets.", "tileSets", html=False),
    "TileSet": _response("A vector tileset: its layers, attributes and tile URL template.", "tileSet", html=False),
    "Tile": {
        "description": "A Mapbox Vector Tile (gzip-encoded when the client accepts it).",
        "content": {MVT: {"schema": {"type": "string", "format": "binary"}}},
    },
    "EmptyTile": {"description": "No feature the user may see lies in this tile."},
}
ERRORS = {
    "400": _ref("responses", "InvalidParameter"),
    "401": _ref("responses", "Unauthorized"),
    "404": _ref("responses", "NotFound"),
}


def _operation(summary: str, tag: str, operation_id: str, parameters: list, ok: str, errors=("400",)) -> dict:
    return {
        "summary": summary,
        "tags": [tag],
        "operationId": operation_id,
        "parameters": parameters,
        "responses": {"200": _ref("responses", ok), **{code: ERRORS[code] for code in errors}},
    }


def _common() -> list:
    return [_ref("parameters", "f"), _ref("parameters", "lang")]


def _collection_paths(collection_id: str) -> dict:
    entry = COLLECTIONS[collection_id]
    base = f"/collections/{collection_id}"
    names = ["bbox", "bbox-crs", "crs", "limit", "offset", "properties", "skipGeometry", "sortby"]
    names += ["filter", "filter-lang", "filter-crs", "resulttype"]
    if entry.time_attribute:
        names.append("datetime")
    queryables = [
        _query(name, _parameter_schema(entry, name), f"Only features whose {name} equals this value.", style="form")
        for name, lookup in entry.fields.items()
        if isinstance(lookup, str)
    ]
    tag = collection_id
    camel = "".join(part.capitalize() for part in collection_id.split("-"))
    return {
        base: {"get": _operation(f"{collection_id}: the collection", tag, f"describe{camel}", _common(), "Collection")},
        f"{base}/items": {
            "get": _operation(
                f"{collection_id}: features",
                tag,
                f"get{camel}Features",
                _common() + [_ref("parameters", name) for name in names] + queryables,
                "Features",
                errors=("400", "401"),
            )
        },
        f"{base}/items/{{featureId}}": {
            "get": _operation(
                f"{collection_id}: one feature",
                tag,
                f"get{camel}Feature",
                [_ref("parameters", "featureId"), _ref("parameters", "crs"), *_common()],
                "Feature",
                errors=("400", "401", "404"),
            )
        },
        f"{base}/queryables": {
            "get": _operation(
                f"{collection_id}: queryables", tag, f"get{camel}Queryables", _common(), "JsonSchema", errors=("400",)
            )
        },
        f"{base}/schema": {
            "get": _operation(
                f"{collection_id}: schema", tag, f"get{camel}Schema", _common(), "JsonSchema", errors=("400",)
            )
        },
        **_tile_paths(base, collection_id, camel, entry.public),
    }


def _tile_paths(base: str, tag: str, name: str, public: bool) -> dict:
    """The OGC API – Tiles paths under ``base`` ("" for the dataset's ``map``, else ``/collections/{id}``)."""
    tms, f_json = _ref("parameters", "tileMatrixSetId"), _ref("parameters", "f-json")
    address = [_ref("parameters", n) for n in ("tileMatrix", "tileRow", "tileCol", "f-mvt", "v")]
    auth = () if public else ("401",)
    tile = _operation(f"{tag}: a vector tile", tag, f"get{name}Tile", [tms, *address], "Tile", ("400", *auth, "404"))
    tile["responses"]["204"] = _ref("responses", "EmptyTile")
    return {
        f"{base}/tiles": {
            "get": _operation(
                f"{tag}: vector tilesets", tag, f"get{name}TileSets", [f_json], "TileSets", ("400", *auth)
            )
        },
        f"{base}/tiles/{{tileMatrixSetId}}": {
            "get": _operation(
                f"{tag}: the vector tileset", tag, f"get{name}TileSet", [tms, f_json], "TileSet", ("400", *auth, "404")
            )
        },
        f"{base}/tiles/{{tileMatrixSetId}}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}": {"get": tile},
    }


def _tiling_scheme_paths() -> dict:
    tms, f_json = _ref("parameters", "tileMatrixSetId"), _ref("parameters", "f-json")
    return {
        "/tileMatrixSets": {
            "get": _operation("Tiling schemes", "tiles", "getTileMatrixSets", [f_json], "TileMatrixSets")
        },
        "/tileMatrixSets/{tileMatrixSetId}": {
            "get": _operation(
                "A tiling scheme", "tiles", "getTileMatrixSet", [tms, f_json], "TileMatrixSet", ("400", "404")
            )
        },
    }


def _parameter_schema(entry, name: str) -> dict:
    schema = {key: value for key, value in json_schema(entry.model_field(name)).items() if key in ("type", "format")}
    if schema.get("format") in ("date", "date-time"):
        schema.pop("format")  # equality on a time is by its text; datetime= is the interval filter
    return schema


def _process_paths(process_ids: list[str]) -> dict:
    paths = {
        "/processes": {"get": _operation("The processes", "processes", "getProcesses", _common(), "Processes")},
    }
    for process_id in process_ids:
        paths[f"/processes/{process_id}"] = {
            "get": _operation(
                f"{process_id}: description", "processes", f"describe-{process_id}", _common(), "Process", ("404",)
            )
        }
        paths[f"/processes/{process_id}/execution"] = {
            "post": {
                "summary": f"{process_id}: execute (synchronously)",
                "tags": ["processes"],
                "operationId": f"execute-{process_id}",
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": deepcopy(REQUEST_SCHEMAS[process_id])}},
                },
                "responses": {
                    "200": {"description": "The result.", "content": {JSON: {"schema": {"type": "object"}}}},
                    "400": {
                        "description": "The inputs are missing or invalid; the message says which.",
                        "content": {JSON: {"schema": {"type": "object"}}},
                    },
                    "401": ERRORS["401"],
                    **{
                        status: {"description": description, "content": {JSON: {"schema": {"type": "object"}}}}
                        for status, description in PROCESS_RESPONSES.get(process_id, {}).items()
                    },
                },
            }
        }
    return paths


def document(config: dict) -> dict:
    """The OpenAPI document for pygeoapi configuration ``config`` (its server URL, collections and processes)."""
    resources = config["resources"]
    collections = [key for key, value in resources.items() if value["type"] == "collection"]
    processes = [key for key, value in resources.items() if value["type"] == "process"]
    paths = {
        "/": {"get": _operation("Landing page", "server", "getLandingPage", _common(), "LandingPage")},
        "/conformance": {"get": _operation("Conformance", "server", "getConformance", _common(), "Conformance")},
        "/collections": {"get": _operation("Collections", "server", "getCollections", _common(), "Collections")},
    }
    for collection_id in collections:
        paths.update(_collection_paths(collection_id))
    paths.update(_tiling_scheme_paths())
    paths.update(_tile_paths("", "tiles", "Dataset", public=True))  # anonymous clients get the public layers
    responses = dict(RESPONSES)
    if processes:
        paths.update(_process_paths(processes))
        responses["Processes"] = _response("The processes.", "processList")
        responses["Process"] = _response("A process description.", "process")
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "hazmap OGC API",
            "version": "1.0.0",
            "description": (
                "OGC API – Features (Parts 1, 2 and 3), Tiles (vector tiles in WebMercatorQuad) and Processes for "
                "hazardous-chemical major hazard sources. "
                "Sign in, or send an API token as `Authorization: Bearer <token>` (or `?token=`), to read more "
                "than the public collections."
            ),
            "license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"},
        },
        "servers": [{"url": config["server"]["url"]}],
        "security": [{}, {"bearer": []}, {"token": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "token": {"type": "apiKey", "in": "query", "name": "token"},
            },
            "parameters": {**PARAMETERS, **TILE_PARAMETERS},
            "schemas": SCHEMAS,
            "responses": responses,
        },
    }
