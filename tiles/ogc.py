"""OGC API – Tiles (OGC 20-057, version 1.0) for the collections, in WebMercatorQuad, as vector tiles.

- ``/ogc/tileMatrixSets`` and ``/ogc/tileMatrixSets/WebMercatorQuad`` — the tiling scheme;
- ``/ogc/collections/{collectionId}/tiles`` — the collection's tilesets (one: WebMercatorQuad);
- ``/ogc/collections/{collectionId}/tiles/WebMercatorQuad`` — its metadata (layers, attributes, links);
- ``/ogc/collections/{collectionId}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}`` — a tile;
- ``/ogc/tiles…`` — the same for the dataset: the ``map`` tileset, every layer of the map in one tile.

Tiles are the same as /tiles/ serves (same scope, versions and cache headers); documents are JSON
(``f=json``), tiles MVT (``f=mvt``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from tiles import grid, http
from tiles.tilesets import MAP, TILESETS, Tileset, attribute_type
from tiles.views import answers, serve_tile

TILING_SCHEME_REL = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
TILING_SCHEMES_REL = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
TILESETS_VECTOR_REL = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
GEODATA_REL = "http://www.opengis.net/def/rel/ogc/1.0/geodata"
JSON = "application/json"
OGC_TILE_NAMES = ("tileMatrix", "tileCol", "tileRow")

# The OGC API – Tiles conformance classes these views implement (declared at /ogc/conformance).
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
)


def landing_links(request: HttpRequest) -> list[dict]:
    """The links of the OGC API landing page to the tiling schemes and to the dataset's tilesets (``map``)."""
    return [
        {
            "rel": TILING_SCHEMES_REL,
            "type": JSON,
            "title": _("Tiling schemes (tile matrix sets)"),
            "href": _url(request, "tile-matrix-sets"),
        },
        {
            "rel": TILESETS_VECTOR_REL,
            "type": JSON,
            "title": _("Vector tiles of every layer of the map"),
            "href": _url(request, "dataset-tilesets"),
        },
    ]


def collection_links(request: HttpRequest, collection_id: str) -> list[dict]:
    """The links of a collection's description to its vector tilesets; none for an id that is not a tileset."""
    if collection_id == MAP or collection_id not in TILESETS:
        return []
    return [
        {
            "rel": TILESETS_VECTOR_REL,
            "type": JSON,
            "title": _("Vector tiles of %(title)s") % {"title": TILESETS[collection_id].title},
            "href": _url(request, "collection-tilesets", collection_id),
        }
    ]


def _format(request: HttpRequest, allowed: str) -> None:
    """Refuse (400) an ``f`` other than ``allowed``."""
    asked = request.GET.get("f")
    if asked is not None and asked != allowed:
        raise http.bad_parameter(
            _("f=%(f)s is not offered here; use f=%(allowed)s.") % {"f": asked[:20], "allowed": allowed}
        )


def _tms(tms_id: str) -> None:
    if tms_id != grid.ID:
        raise http.not_found(
            _("There is no tile matrix set “%(id)s”; tiles are in %(ours)s.") % {"id": tms_id[:60], "ours": grid.ID}
        )


def _collection_tileset(collection_id: str) -> Tileset:
    if collection_id == MAP or collection_id not in TILESETS:
        raise http.not_found(_("There is no collection “%(id)s”.") % {"id": collection_id[:60]})
    return TILESETS[collection_id]


def _json(document: dict) -> JsonResponse:
    return JsonResponse(document, json_dumps_params={"ensure_ascii": False})


def _url(request: HttpRequest, name: str, *args: str) -> str:
    return request.build_absolute_uri(reverse(f"tiles-ogc:{name}", args=args))


def _token_query(request: HttpRequest) -> str:
    """``?token=…`` when the request authenticated that way, so that followed links do too."""
    token = request.GET.get("token")
    return "" if token is None else "?" + urlencode({"token": token})


@answers
def tile_matrix_sets(request: HttpRequest) -> HttpResponse:
    _format(request, "json")
    return _json(
        {
            "tileMatrixSets": [
                {
                    "id": grid.ID,
                    "title": "Google Maps Compatible for the World",
                    "uri": grid.URI,
                    "links": [
                        {"rel": "self", "type": JSON, "href": _url(request, "tile-matrix-set", grid.ID)},
                    ],
                }
            ]
        }
    )


@answers
def tile_matrix_set(request: HttpRequest, tms_id: str) -> HttpResponse:
    _format(request, "json")
    _tms(tms_id)
    return _json(grid.tile_matrix_set())


def _tileset_links(request: HttpRequest, tileset: Tileset, base: str) -> list[dict]:
    return [
        {"rel": "self", "type": JSON, "href": base + _token_query(request)},
        {"rel": TILING_SCHEME_REL, "type": JSON, "href": _url(request, "tile-matrix-set", grid.ID)},
        {
            "rel": "item",
            "type": http.MVT_TYPE,
            "templated": True,
            "title": _("Tiles of %(title)s") % {"title": tileset.title},
            "href": base + "/{tileMatrix}/{tileRow}/{tileCol}" + _token_query(request),
        },
    ]


def tileset_summary(request: HttpRequest, tileset: Tileset, base: str) -> dict:
    return {
        "title": str(tileset.title),
        "dataType": "vector",
        "crs": grid.CRS_URI,
        "tileMatrixSetURI": grid.URI,
        "links": [
            {"rel": "self", "type": JSON, "href": base + _token_query(request)},
            {"rel": TILING_SCHEME_REL, "type": JSON, "href": _url(request, "tile-matrix-set", grid.ID)},
        ],
    }


def tileset_metadata(request: HttpRequest, tileset: Tileset, base: str, user) -> dict:
    """The tileset metadata document (OGC 20-057, 7.x ``/tileset``), for the layers ``user`` may read."""
    layers = []
    for layer in tileset.readable_layers(user):
        collection = layer.collection
        entry = {
            "id": layer.id,
            "title": str(collection.title),
            "dataType": "vector",
            "geometryDimension": layer.geometry_dimension,
            "minTileMatrix": str(layer.min_zoom),
            "maxTileMatrix": str(grid.MAX_ZOOM),
            "propertiesSchema": {
                "type": "object",
                "properties": {name: {"type": attribute_type(collection, name)} for name in collection.tile_fields},
            },
        }
        if entry["geometryDimension"] is None:  # points, lines and areas together (layout features)
            del entry["geometryDimension"]
        layers.append(entry)
    return {
        "title": str(tileset.title),
        "description": str(tileset.description),
        "dataType": "vector",
        "crs": grid.CRS_URI,
        "tileMatrixSetURI": grid.URI,
        "links": _tileset_links(request, tileset, base),
        "layers": layers,
    }


@answers
def collection_tilesets(request: HttpRequest, collection_id: str) -> HttpResponse:
    _format(request, "json")
    tileset = _collection_tileset(collection_id)
    http.require_reader(tileset, http.user_of(request))
    base = _url(request, "collection-tileset", collection_id, grid.ID)
    return _json(
        {
            "links": [{"rel": "self", "type": JSON, "href": _url(request, "collection-tilesets", collection_id)}],
            "tilesets": [tileset_summary(request, tileset, base)],
        }
    )


@answers
def collection_tileset(request: HttpRequest, collection_id: str, tms_id: str) -> HttpResponse:
    _format(request, "json")
    tileset = _collection_tileset(collection_id)
    _tms(tms_id)
    user = http.user_of(request)
    http.require_reader(tileset, user)
    document = tileset_metadata(request, tileset, _url(request, "collection-tileset", collection_id, grid.ID), user)
    document["links"].append(
        {"rel": GEODATA_REL, "type": JSON, "href": request.build_absolute_uri(f"/ogc/collections/{collection_id}")}
    )
    return _json(document)


@answers
def collection_tile(
    request: HttpRequest, collection_id: str, tms_id: str, tile_matrix: str, tile_row: str, tile_col: str
) -> HttpResponse:
    _format(request, "mvt")
    tileset = _collection_tileset(collection_id)
    _tms(tms_id)
    return serve_tile(request, tileset, grid.parse(tile_matrix, tile_col, tile_row, OGC_TILE_NAMES))


@answers
def dataset_tilesets(request: HttpRequest) -> HttpResponse:
    _format(request, "json")
    base = _url(request, "dataset-tileset", grid.ID)
    return _json(
        {
            "links": [{"rel": "self", "type": JSON, "href": _url(request, "dataset-tilesets")}],
            "tilesets": [tileset_summary(request, TILESETS[MAP], base)],
        }
    )


@answers
def dataset_tileset(request: HttpRequest, tms_id: str) -> HttpResponse:
    _format(request, "json")
    _tms(tms_id)
    user = http.user_of(request)
    return _json(tileset_metadata(request, TILESETS[MAP], _url(request, "dataset-tileset", grid.ID), user))


@answers
def dataset_tile(request: HttpRequest, tms_id: str, tile_matrix: str, tile_row: str, tile_col: str) -> HttpResponse:
    _format(request, "mvt")
    _tms(tms_id)
    return serve_tile(request, TILESETS[MAP], grid.parse(tile_matrix, tile_col, tile_row, OGC_TILE_NAMES))
