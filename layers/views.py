"""The OGC API views: pygeoapi's API functions behind hazmap's authentication, scope and parameter checks.

Each view finds who asks (token or session; ``layers.auth``), refuses what that user may not use
(401 for a non-public resource without credentials, with an OGC exception body), checks the query
parameters (400 on an unknown or invalid one), and hands the request to pygeoapi, whose providers
then read rows as that user (``layers.provider.acting_as``). Where pygeoapi 0.21 falls short the
view does the work itself, without copying pygeoapi:

- ``/conformance`` is computed once here (pygeoapi appends to a module list on every call) and
  declares Part 3 filtering, which the provider implements;
- ``/collections/{id}/items`` parses CQL2 text and JSON, CRSs, limit and offset here and never
  counts a whole result for a page (see ``layers.provider``);
- POST requests are exempt from Django's CSRF middleware (pygeoapi's Django views fail it) and
  checked here instead when, and only when, the browser session signs them;
- the OpenAPI document is hazmap's own (``layers.openapi``), complete without network access;
- a process's refusals (403, 404, 422 with the field, value and what is valid) are answered here:
  pygeoapi's manager would make every failure of a synchronous process a 400 (``layers.processes.refusals``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import urllib.parse
from http import HTTPStatus

from babel import Locale
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from pygeoapi.api import (
    API,
    F_HTML,
    F_JSON,
    FORMAT_TYPES,
    APIRequest,
    describe_collections,
    get_collection_schema,
    landing_page,
    openapi_,
)
from pygeoapi.api.itemtypes import (
    create_crs_transform_spec,
    get_collection_item,
)
from pygeoapi.api.processes import describe_processes, execute_process, get_jobs
from pygeoapi.util import render_j2_template, to_json

from layers import config, params
from layers.auth import AuthenticationFailed, csrf_refusal, request_user
from layers.processes import PROCESSES, refusals
from layers.provider import RegistryProvider, acting_as
from layers.registry import COLLECTIONS
from tiles import ogc as tiles_ogc

CONFORMANCE = sorted(
    set(tiles_ogc.CONFORMANCE)
    | {
        "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
        "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
        "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
        "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
        "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
        "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/json",
        "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/ogc-process-description",
    }
)
GEOJSON = "application/geo+json"


# --- responses ------------------------------------------------------------------------------------


def exception(status: int, code: str, description: str, details: dict | None = None) -> JsonResponse:
    """An OGC API exception body (``code``, ``type``, ``description``, and ``details`` if any) with ``status``."""
    body = {"code": code, "type": code, "description": str(description), **(details or {})}
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if status == HTTPStatus.UNAUTHORIZED:
        response["WWW-Authenticate"] = 'Bearer realm="hazmap"'
    return response


def _django(result: tuple[dict, int, str | bytes]) -> HttpResponse:
    headers, status, content = result
    response = HttpResponse(content, status=status)
    for key, value in headers.items():
        response[key] = value
    return response


def _unauthorized() -> JsonResponse:
    return exception(
        HTTPStatus.UNAUTHORIZED,
        "Unauthorized",
        _("Sign in, or send an API token as “Authorization: Bearer <token>”, to use this resource."),
    )


def _not_found(what: str) -> JsonResponse:
    return exception(HTTPStatus.NOT_FOUND, "NotFound", what)


# --- the request wrapper --------------------------------------------------------------------------


class _ApiRequest(APIRequest):
    """pygeoapi's request with the script subtag dropped from the language asked for (``zh-Hans`` → ``zh``).

    pygeoapi 0.21 matches ``zh-Hans`` (what browsers and hazmap's front end send) to its ``zh`` but keeps
    the script in the locale, then fails to find that locale among its translations: a 500 on every page.
    """

    def _get_locale(self, headers, supported_locales):
        raw, locale = super()._get_locale(headers, supported_locales)
        if locale is not None and locale.script:
            locale = Locale(locale.language, territory=locale.territory)
        return raw, locale


class OgcRequest:
    """What every view needs: the user, whether a token signed the request, pygeoapi's API and request."""

    def __init__(self, request: HttpRequest, user, by_token: bool) -> None:
        self.request = request
        self.user = user
        self.by_token = by_token
        self.signed_in = bool(user.is_authenticated and user.is_active)
        self.base_url = request.build_absolute_uri(reverse("layers:landing")).rstrip("/")
        self.api: API = config.api(self.base_url, self.signed_in)
        self.api_request = _ApiRequest.from_django(request, self.api.locales)

    def call(self, function, *args) -> HttpResponse:
        """Run a pygeoapi API function as this user."""
        with acting_as(self.user):
            return _django(function(self.api, self.api_request, *args))


def ogc_view(allowed: frozenset[str] | None = params.COMMON, signed_in: bool = False, methods=("GET", "HEAD")):
    """Wrap a view: authenticate, check the method and (unless None) the query parameters, map errors to 4xx.

    ``signed_in`` refuses anonymous requests with 401. A POST signed by a browser session must pass
    Django's CSRF check; one signed by a token needs none.
    """

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in methods:
                response = exception(
                    HTTPStatus.METHOD_NOT_ALLOWED,
                    "MethodNotAllowed",
                    _("Use %(methods)s here.") % {"methods": ", ".join(methods)},
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                user, by_token = request_user(request)
            except AuthenticationFailed as error:
                response = exception(HTTPStatus.UNAUTHORIZED, "InvalidToken", str(error))
                response["WWW-Authenticate"] = 'Bearer realm="hazmap", error="invalid_token"'
                return response
            ogc = OgcRequest(request, user, by_token)
            if signed_in and not ogc.signed_in:
                return _unauthorized()
            if request.method == "POST" and ogc.signed_in and not by_token:
                reason = csrf_refusal(request)
                if reason:
                    return exception(
                        HTTPStatus.FORBIDDEN, "Forbidden", _("CSRF check failed: %(reason)s") % {"reason": reason}
                    )
            try:
                if allowed is not None:
                    params.check_known(request.GET, allowed)
                if not ogc.api_request.is_valid():
                    raise params.BadParameter(
                        _("Unknown format “%(format)s”; use json or html.") % {"format": ogc.api_request.format}
                    )
                with config.rendering_for(ogc.api):
                    return view(ogc, *args, **kwargs)
            except params.BadParameter as error:
                return exception(HTTPStatus.BAD_REQUEST, "InvalidParameterValue", str(error))

        return wrapper

    return decorate


def _collection(ogc: OgcRequest, collection_id: str):
    """The registry entry of ``collection_id`` if this user may read it; else the 404 or 401 response."""
    entry = COLLECTIONS.get(collection_id)
    if entry is None:
        return None, _not_found(_("There is no collection “%(id)s”.") % {"id": collection_id})
    if not (entry.public or ogc.signed_in):
        return None, _unauthorized()
    return entry, None


# --- landing, conformance, API document, collections ----------------------------------------------


def _json_body(response: HttpResponse) -> dict | None:
    """The JSON document of a successful response of pygeoapi's, to amend; None for HTML or an error."""
    if response.status_code != HTTPStatus.OK or not response.get("Content-Type", "").startswith("application/json"):
        return None
    return json.loads(response.content)


@ogc_view()
def landing(ogc: OgcRequest) -> HttpResponse:
    """pygeoapi's landing page, with the links to OGC API – Tiles (``tiles.ogc``) in place of its own.

    pygeoapi links its own tile matrix sets, which hazmap does not serve; the processes and jobs are
    only shown to signed-in users.
    """
    response = ogc.call(landing_page)
    body = _json_body(response)
    if body is not None:
        served = (lambda link: "tiling-schemes" not in link["rel"]) if ogc.signed_in else _anonymous_link
        body["links"] = [link for link in body["links"] if served(link)] + tiles_ogc.landing_links(ogc.request)
        response.content = to_json(body)
    return response


def _anonymous_link(link: dict) -> bool:
    return not any(word in link["rel"] for word in ("tiling-schemes", "processes", "job-list"))


def _with_tileset_links(ogc: OgcRequest, description: dict) -> None:
    """Add the link of a collection's description to its vector tilesets (OGC API – Tiles, geodata-tilesets)."""
    description["links"] += tiles_ogc.collection_links(ogc.request, description["id"])


@ogc_view()
def conformance(ogc: OgcRequest) -> HttpResponse:
    if ogc.api_request.format == F_HTML:
        html = render_j2_template(
            ogc.api.tpl_config,
            ogc.api.config["server"]["templates"],
            "conformance.html",
            {"conformsTo": CONFORMANCE},
            ogc.api_request.locale,
        )
        return HttpResponse(html, content_type=FORMAT_TYPES[F_HTML])
    return JsonResponse({"conformsTo": CONFORMANCE})


@ogc_view(allowed=params.COMMON | {"ui"})
def openapi(ogc: OgcRequest) -> HttpResponse:
    return ogc.call(openapi_)


@ogc_view()
def collections(ogc: OgcRequest) -> HttpResponse:
    response = ogc.call(describe_collections)
    body = _json_body(response)
    if body is not None:
        for description in body["collections"]:
            _with_tileset_links(ogc, description)
        response.content = to_json(body)
    return response


@ogc_view()
def collection(ogc: OgcRequest, collection_id: str) -> HttpResponse:
    entry, refusal = _collection(ogc, collection_id)
    if refusal:
        return refusal
    response = ogc.call(describe_collections, entry.id)
    body = _json_body(response)
    if body is not None:
        _with_tileset_links(ogc, body)
        response.content = to_json(body)
    return response


@ogc_view()
def queryables(ogc: OgcRequest, collection_id: str) -> HttpResponse:
    """The queryables as JSON Schema: the geometry (with its type) and every attribute filters can name.

    Unknown properties are refused (``additionalProperties`` is false): a filter naming one is a 400.
    """
    entry, refusal = _collection(ogc, collection_id)
    if refusal:
        return refusal
    uri = f"{ogc.api.get_collections_url()}/{entry.id}/queryables"
    geometry_type = entry.model._meta.get_field(entry.geometry_field).geom_type.lower()
    if geometry_type == "geometry":  # any type (layout features): OGC 19-079r2's "geometry-any"
        geometry_type = "any"
    properties = {"geometry": {"format": f"geometry-{geometry_type}", "x-ogc-role": "primary-geometry"}}
    for name, schema_ in RegistryProvider(ogc.api.config["resources"][entry.id]["providers"][0]).fields.items():
        properties[name] = schema_
        if name == entry.time_attribute:
            schema_["x-ogc-role"] = "primary-instant"
    body = {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": uri,
        "type": "object",
        "title": str(entry.title),
        "properties": properties,
        "additionalProperties": False,
    }
    if ogc.api_request.format == F_HTML:
        body.update(collections_path=ogc.api.get_collections_url(), dataset_path=uri.rsplit("/", 1)[0])
        html = render_j2_template(
            ogc.api.tpl_config,
            ogc.api.get_dataset_templates(entry.id),
            "collections/queryables.html",
            body,
            ogc.api_request.locale,
        )
        return HttpResponse(html, content_type=FORMAT_TYPES[F_HTML])
    return HttpResponse(to_json(body), content_type="application/schema+json")


@ogc_view()
def schema(ogc: OgcRequest, collection_id: str) -> HttpResponse:
    entry, refusal = _collection(ogc, collection_id)
    return refusal or ogc.call(get_collection_schema, entry.id)


# --- features -------------------------------------------------------------------------------------


@ogc_view(allowed=None, methods=("GET", "HEAD", "POST"))
def items(ogc: OgcRequest, collection_id: str) -> HttpResponse:
    """A page of features; a POST carries a CQL2 JSON filter as its body."""
    entry, refusal = _collection(ogc, collection_id)
    if refusal:
        return refusal
    query = params.items_query(ogc.request.GET, entry, ogc.request.body if ogc.request.method == "POST" else None)
    provider_def = ogc.api.config["resources"][entry.id]["providers"][0]
    provider = RegistryProvider(provider_def)
    spec = create_crs_transform_spec(provider_def, query.crs)
    with acting_as(ogc.user):
        content = provider.query(**query.provider_arguments(), crs_transform_spec=spec)
    uri = f"{ogc.api.get_collections_url()}/{entry.id}/items"
    content["links"] = _items_links(ogc, uri, query, content)
    content["timeStamp"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if ogc.api_request.format == F_HTML:
        content.update(
            items_path=uri,
            dataset_path=uri.rsplit("/", 1)[0],
            collections_path=ogc.api.get_collections_url(),
            offset=query.offset,
            id_field=provider.id_field,
            title=str(entry.title),
        )
        if provider.title_field:
            content["title_field"] = provider.title_field
        html = render_j2_template(
            ogc.api.tpl_config,
            ogc.api.get_dataset_templates(entry.id),
            "collections/items/index.html",
            content,
            ogc.api_request.locale,
        )
        return HttpResponse(html, content_type=FORMAT_TYPES[F_HTML])
    response = HttpResponse(to_json(content), content_type=GEOJSON)
    response["Content-Crs"] = f"<{query.crs or provider_def['storage_crs']}>"
    header_links = [link for link in content["links"] if link["rel"] in ("self", "alternate", "next", "prev")]
    header_links.append(
        {
            "href": f"{ogc.api.get_collections_url()}/{entry.id}/queryables",
            "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
            "type": "application/schema+json",
        }
    )
    response["Link"] = ", ".join(
        f'<{link["href"]}>; rel="{link["rel"]}"; type="{link["type"]}"' for link in header_links
    )
    return response


def _items_links(ogc: OgcRequest, uri: str, query: params.ItemsQuery, content: dict) -> list[dict]:
    kept = [(k, v) for k, v in ogc.request.GET.items() if k not in ("f", "offset", params.TOKEN_PARAMETER)]
    if ogc.request.method == "POST" and ogc.request.body:  # the links carry the body's filter as parameters
        kept += [("filter", ogc.request.body.decode()), ("filter-lang", "cql2-json")]

    def href(fmt: str | None = None, offset: int | None = None) -> str:
        pairs = list(kept)
        if fmt:
            pairs.append(("f", fmt))
        if offset:
            pairs.append(("offset", str(offset)))
        return uri + ("?" + urllib.parse.urlencode(pairs) if pairs else "")

    fmt = ogc.api_request.format
    links = [
        {
            "rel": "self" if fmt != F_HTML else "alternate",
            "type": GEOJSON,
            "title": _("this page as GeoJSON"),
            "href": href(F_JSON, query.offset),
        },
        {
            "rel": "self" if fmt == F_HTML else "alternate",
            "type": FORMAT_TYPES[F_HTML],
            "title": _("this page as HTML"),
            "href": href(F_HTML, query.offset),
        },
    ]
    returned = content.get("numberReturned", 0)
    if query.resulttype == "results" and "numberMatched" not in content and returned == query.limit:
        links.append(
            {"rel": "next", "type": GEOJSON, "title": _("next page"), "href": href(fmt, query.offset + query.limit)}
        )
    if query.resulttype == "results" and query.offset > 0:
        links.append(
            {
                "rel": "prev",
                "type": GEOJSON,
                "title": _("previous page"),
                "href": href(fmt, max(0, query.offset - query.limit)),
            }
        )
    links.append(
        {
            "rel": "collection",
            "type": "application/json",
            "title": str(COLLECTIONS[uri.split("/")[-2]].title),
            "href": uri.rsplit("/", 1)[0],
        }
    )
    return links


@ogc_view(allowed=params.ITEM)
def item(ogc: OgcRequest, collection_id: str, item_id: str) -> HttpResponse:
    entry, refusal = _collection(ogc, collection_id)
    if refusal:
        return refusal
    params.crs_parameter(ogc.request.GET, "crs")
    response = ogc.call(get_collection_item, entry.id, item_id)
    if response.status_code == HTTPStatus.OK and ogc.api_request.format in (None, F_JSON):
        response["Content-Type"] = GEOJSON
    return response


# --- processes ------------------------------------------------------------------------------------


@ogc_view(signed_in=True)
def processes(ogc: OgcRequest, process_id: str | None = None) -> HttpResponse:
    return ogc.call(describe_processes, process_id)


@ogc_view(signed_in=True, methods=("POST",))
def execution(ogc: OgcRequest, process_id: str) -> HttpResponse:
    try:
        body = json.loads(ogc.request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("inputs", {}), dict):
        raise params.BadParameter(_("The request body must be a JSON object whose “inputs” is an object."))
    processor = PROCESSES.get(process_id)
    if processor is not None:
        try:
            processor.check(body.get("inputs"))
        except ValueError as error:  # refused here, before pygeoapi logs it as a failed job
            raise params.BadParameter(str(error)) from None
    with refusals() as refused:  # a process's own 403/404/422, which pygeoapi's manager would make a 400
        response = ogc.call(execute_process, process_id)
    if refused:
        return exception(refused[0].status, refused[0].code, refused[0].description, refused[0].details)
    media_type = getattr(processor, "output_media_type", None)
    if media_type and response.status_code == HTTPStatus.OK and body.get("response", "raw") == "raw":
        response["Content-Type"] = media_type  # the output itself, not a results document
    return response


@ogc_view(signed_in=True)
def jobs(ogc: OgcRequest, job_id: str | None = None) -> HttpResponse:
    return ogc.call(get_jobs, job_id)
