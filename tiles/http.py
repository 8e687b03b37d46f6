"""HTTP around tiles: who asks, error bodies, and the tile response (gzip, ETag, cache headers).

Errors carry an OGC API exception body, ``{"code": …, "description": …}`` (the form pygeoapi uses),
on /tiles/ and /ogc/ alike, with 400 (bad parameter), 401 (not signed in), 404 (no such tileset or
tile) or 405. Tiles are ``application/vnd.mapbox-vector-tile``, gzip-encoded when the client accepts
it, 204 when empty (no feature of the tileset lies there for the user).

Caching (tiles/README.md explains it to users):

- a tile's ETag is a hash of its content (weak, so that it holds for the gzip-encoded form too);
  ``If-None-Match`` gets 304;
- tiles of a live tileset fetched with ``?v=`` equal to its current version (the latest event id of
  its collections) may be cached for the event retention, at most a day: a change publishes an event
  and moves clients to a new URL. With any other ``v``, or none, they must be revalidated each time;
- tiles of tilesets without live data are cached for ``STATIC_MAX_AGE_S``, ``public`` when every layer
  is public, else ``private`` (they depend on the user's scope).
"""

from __future__ import annotations

import gzip
import hashlib

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.http import parse_etags
from django.utils.translation import gettext as _

from layers.auth import AuthenticationFailed, request_user
from tiles import versions
from tiles.tilesets import Tileset

MVT_TYPE = "application/vnd.mapbox-vector-tile"
STATIC_MAX_AGE_S = 300
PUBLIC_MAX_AGE_S = 3600
GZIP_LEVEL = 1  # 15.2 vs 14.3 KiB for the densest sensor tile (50 KiB), at a fifth of the time of level 6


class Refused(Exception):
    """A request refused with an HTTP status and an OGC exception code; the message is shown to the client."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def exception_response(status: int, code: str, description: str) -> JsonResponse:
    """An OGC API exception: ``{"code": …, "description": …}`` with ``status``."""
    response = JsonResponse(
        {"code": code, "description": str(description)}, status=status, json_dumps_params={"ensure_ascii": False}
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="hazmap"'
    return response


def refused(error: Refused) -> JsonResponse:
    return exception_response(error.status, error.code, str(error))


def not_found(description: str) -> Refused:
    return Refused(404, "NotFound", description)


def bad_parameter(description: str) -> Refused:
    return Refused(400, "InvalidParameterValue", description)


def user_of(request: HttpRequest):
    """The user the request acts for: an API token's, else the session's (maybe anonymous)."""
    try:
        user, _by_token = request_user(request)
    except AuthenticationFailed as error:
        raise Refused(401, "Unauthorized", str(error)) from None
    return user


def require_reader(tileset: Tileset, user) -> None:
    """Refuse (401) a user who is not signed in when no layer of ``tileset`` is public."""
    if not (user is not None and user.is_authenticated) and not any(layer.public for layer in tileset.layers):
        raise Refused(401, "Unauthorized", _("Sign in or give an API token to read “%(id)s”.") % {"id": tileset.id})


def requested_version(request: HttpRequest) -> int | None:
    """The ``v`` query parameter as an integer ≥ 0, None when absent; 400 when it is something else."""
    raw = request.GET.get("v")
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise bad_parameter(_("v must be a whole number ≥ 0 (the tileset's version), not “%(v)s”.") % {"v": raw[:40]})
    return int(raw)


def cache_control(tileset: Tileset, asked: int | None, current: int | None) -> str:
    """The Cache-Control of a tile of ``tileset`` fetched with version ``asked`` while ``current`` is current."""
    if tileset.live:
        if asked is not None and asked == current:
            return f"private, max-age={versions.versioned_max_age_s()}"
        return "private, no-cache"
    if tileset.public:
        return f"public, max-age={PUBLIC_MAX_AGE_S}"
    return f"private, max-age={STATIC_MAX_AGE_S}"


def tile_response(request: HttpRequest, tileset: Tileset, data: bytes, cache: str) -> HttpResponse:
    """``data`` as a tile response: 204 when empty, else gzip-encoded if accepted; 304 when the ETag matches."""
    etag = 'W/"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'
    vary = "Accept-Encoding" if tileset.public else "Accept-Encoding, Authorization, Cookie"
    headers = {"ETag": etag, "Cache-Control": cache, "Vary": vary}
    if matches(request.headers.get("If-None-Match", ""), etag):
        return HttpResponse(status=304, headers=headers)
    if not data:
        return HttpResponse(status=204, headers=headers)
    response = HttpResponse(content_type=MVT_TYPE, headers=headers)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response.content = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
        response["Content-Encoding"] = "gzip"
    else:
        response.content = data
    return response


def matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match compares weakly (RFC 9110, 13.1.2): ``"x"`` and ``W/"x"`` are the same tag."""
    opaque = etag.removeprefix("W/")
    return any(tag == "*" or tag.removeprefix("W/") == opaque for tag in parse_etags(if_none_match))
