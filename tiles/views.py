"""The /tiles/ endpoints: the list of tilesets, TileJSON of each, and the tiles themselves.

- ``/tiles/`` — every tileset with its TileJSON URL;
- ``/tiles/{tileset}.json`` — TileJSON 3.0.0 (tile URL with the tileset's version, layers and attributes);
- ``/tiles/{tileset}/{z}/{x}/{y}.mvt`` — one Mapbox Vector Tile (MVT 2.1).

``{tileset}`` is a collection id of the registry or ``map`` (every layer of the map in one tile).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.db.models import Extent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from tiles import grid, http, versions
from tiles.render import render
from tiles.tilesets import TILEJSON_MAX_ZOOM, TILESETS, Layer, Tileset, attribute_type

MVT_FIELD_TYPES = {"string": "String", "number": "Number", "integer": "Number", "boolean": "Boolean"}


def answers(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET and HEAD only (405 otherwise); a refusal raised by the view becomes its OGC exception body."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            response = http.exception_response(
                405,
                "MethodNotAllowed",
                _("Only GET and HEAD are answered here, not %(method)s.") % {"method": request.method},
            )
            response["Allow"] = "GET, HEAD"
            return response
        try:
            return view(request, *args, **kwargs)
        except http.Refused as error:
            return http.refused(error)
        except grid.TileAddressError as error:
            code = "InvalidParameterValue" if error.status == 400 else "NotFound"
            return http.exception_response(error.status, code, str(error))

    return wrapper


def find_tileset(tileset_id: str) -> Tileset:
    try:
        return TILESETS[tileset_id]
    except KeyError:
        raise http.not_found(
            _("There is no tileset “%(id)s”. Tilesets: %(ids)s.") % {"id": tileset_id[:60], "ids": ", ".join(TILESETS)}
        ) from None


def serve_tile(request: HttpRequest, tileset: Tileset, tile: grid.Tile) -> HttpResponse:
    """One tile of ``tileset`` for the request's user, with its cache headers (shared with OGC API – Tiles)."""
    asked = http.requested_version(request)
    # A public tileset is the same for everyone: leaving the session alone keeps it cacheable by shared caches.
    user = AnonymousUser() if tileset.public else http.user_of(request)
    http.require_reader(tileset, user)
    rendered = render(tileset, tile, user, with_version=tileset.live and asked is not None)
    return http.tile_response(request, tileset, rendered.data, http.cache_control(tileset, asked, rendered.version))


@answers
def tile(request: HttpRequest, tileset_id: str, z: str, x: str, y: str) -> HttpResponse:
    return serve_tile(request, find_tileset(tileset_id), grid.parse(z, x, y))


def tile_url_template(request: HttpRequest, tileset: Tileset) -> str:
    """The absolute tile URL of ``tileset`` with ``{z}/{x}/{y}``, its current version and the caller's ``token``."""
    query = {}
    if tileset.live:
        query["v"] = versions.current(tileset.collection_ids)
    if "token" in request.GET:
        query["token"] = request.GET["token"]
    base = request.build_absolute_uri(reverse("tiles:index")) + tileset.id + "/{z}/{x}/{y}.mvt"
    return base + ("?" + urlencode(query) if query else "")


def bounds(layers: list[Layer], user) -> list[float] | None:
    """West, south, east, north (degrees) of every feature of ``layers`` that ``user`` may see, or None."""
    boxes = []
    for layer in layers:
        rows = layer.rows(user)
        if rows.query.is_empty():
            continue
        box = rows.aggregate(box=Extent(layer.collection.geometry_field))["box"]
        if box is not None:
            boxes.append(box)
    if not boxes:
        return None
    return [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]


def vector_layer(layer: Layer) -> dict:
    """The TileJSON ``vector_layers`` entry of ``layer``: id, zooms and the attributes with their types."""
    collection = layer.collection
    return {
        "id": layer.id,
        "description": str(collection.title),
        "minzoom": layer.min_zoom,
        "maxzoom": TILEJSON_MAX_ZOOM,
        "fields": {name: MVT_FIELD_TYPES[attribute_type(collection, name)] for name in collection.tile_fields},
    }


@answers
def tilejson(request: HttpRequest, tileset_id: str) -> HttpResponse:
    """TileJSON 3.0.0 of a tileset, for the layers the user may read."""
    tileset = find_tileset(tileset_id)
    user = http.user_of(request)
    http.require_reader(tileset, user)
    layers = tileset.readable_layers(user)
    document = {
        "tilejson": "3.0.0",
        "name": str(tileset.title),
        "description": str(tileset.description),
        "scheme": "xyz",
        "tiles": [tile_url_template(request, tileset)],
        "minzoom": min((layer.min_zoom for layer in layers), default=tileset.min_zoom),
        "maxzoom": TILEJSON_MAX_ZOOM,
        "vector_layers": [vector_layer(layer) for layer in layers],
    }
    box = bounds(layers, user)
    if box is not None:
        document["bounds"] = box
        document["center"] = [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2, max(document["minzoom"], 10)]
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-cache"
    return response


@answers
def index(request: HttpRequest) -> HttpResponse:
    """Every tileset: id, title, whether signing in is needed, and its TileJSON and tile URLs."""
    base = request.build_absolute_uri(reverse("tiles:index"))
    return JsonResponse(
        {
            "tilesets": [
                {
                    "id": tileset.id,
                    "title": str(tileset.title),
                    "public": tileset.public,
                    "live": tileset.live,
                    "tilejson": f"{base}{tileset.id}.json",
                    "tiles": f"{base}{tileset.id}/{{z}}/{{x}}/{{y}}.mvt",
                }
                for tileset in TILESETS.values()
            ]
        },
        json_dumps_params={"ensure_ascii": False},
    )


@answers
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /tiles/: 404 with the URL forms that exist."""
    raise http.not_found(
        _("No such path. Tiles are at /tiles/{tileset}/{z}/{x}/{y}.mvt, TileJSON at /tiles/{tileset}.json.")
    )
