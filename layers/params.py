"""The query parameters of ``/collections/{id}/items``, checked before anything is queried.

Every parameter is checked here, so that bad input gets a 400 naming the parameter and what is
wrong with it, and a parameter the API does not define is refused rather than ignored (OGC API –
Features Part 1, /req/core/query-param-unknown). ``items_query`` returns what the provider needs, in
the shapes pygeoapi's provider interface uses (bbox in storage CRS, datetime as text, property
equality as (name, value) pairs, sortby as [{"property", "order"}], a parsed filter).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from layers import cql, crs
from layers.auth import TOKEN_PARAMETER
from layers.registry import Collection

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
MAX_OFFSET = 2**31 - 1
BIGGEST_INTEGER = 2**63 - 1  # the databases' 64-bit integers


def fits(value) -> bool:
    """False for an integer the databases cannot hold (a filter on it can only be a mistake)."""
    return not isinstance(value, int) or isinstance(value, bool) or -BIGGEST_INTEGER <= value <= BIGGEST_INTEGER


COMMON = frozenset({"f", "lang", TOKEN_PARAMETER})
ITEMS = COMMON | {
    "bbox",
    "bbox-crs",
    "crs",
    "limit",
    "offset",
    "datetime",
    "sortby",
    "properties",
    "skipGeometry",
    "filter",
    "filter-lang",
    "filter-crs",
    "resulttype",
}
ITEM = COMMON | {"crs"}


class BadParameter(ValueError):
    """A query parameter that is unknown, repeated or invalid; the message names it."""


@dataclass
class ItemsQuery:
    """One items request, checked: the arguments of ``RegistryProvider.query``."""

    offset: int = 0
    limit: int = DEFAULT_LIMIT
    bbox: list[float] = field(default_factory=list)
    datetime_: str | None = None
    properties: list[tuple[str, Any]] = field(default_factory=list)
    sortby: list[dict] = field(default_factory=list)
    select_properties: list[str] = field(default_factory=list)
    skip_geometry: bool = False
    filterq: Any = None
    filter_crs: str = crs.CRS84
    crs: str | None = None
    resulttype: str = "results"

    def provider_arguments(self) -> dict:
        """Keyword arguments of the pygeoapi provider's ``query`` (the CRS goes as a transform spec)."""
        return {
            "offset": self.offset,
            "limit": self.limit,
            "resulttype": self.resulttype,
            "bbox": self.bbox,
            "datetime_": self.datetime_,
            "properties": self.properties,
            "sortby": self.sortby,
            "select_properties": self.select_properties,
            "skip_geometry": self.skip_geometry,
            "filterq": self.filterq,
            "filter_crs": self.filter_crs,
        }


def check_known(params: QueryDict, allowed: frozenset[str] | set[str]) -> None:
    """Refuse a parameter outside ``allowed``, any parameter given more than once, and NUL characters."""
    for name, given in params.lists():
        if "\x00" in name or any("\x00" in value for value in given):
            raise BadParameter(
                _("The query parameter “%(name)s” contains a NUL character.") % {"name": name.strip("\x00")}
            )
        if name not in allowed:
            raise BadParameter(
                _("Unknown query parameter “%(name)s”; this resource takes: %(allowed)s.")
                % {"name": name, "allowed": ", ".join(sorted(allowed - {TOKEN_PARAMETER}))}
            )
        if len(given) > 1:
            raise BadParameter(_("The query parameter “%(name)s” is given more than once.") % {"name": name})


def items_query(params: QueryDict, collection: Collection, body: bytes | None = None) -> ItemsQuery:
    """Check every parameter of an items request on ``collection``; raise ``BadParameter`` on the first bad one.

    ``body`` is the body of a POST: a CQL2 JSON filter, as OWSLib and pygeoapi send it.
    """
    queryables = {name for name, lookup in collection.fields.items() if isinstance(lookup, str)}
    allowed = set(ITEMS) | queryables
    if collection.time_attribute is None:
        allowed.discard("datetime")
    check_known(params, allowed)
    query = ItemsQuery(
        offset=_integer(params, "offset", 0, minimum=0, maximum=MAX_OFFSET),
        limit=min(_integer(params, "limit", DEFAULT_LIMIT, minimum=1), MAX_LIMIT),
        sortby=_sortby(params.get("sortby"), collection),
        skip_geometry=_boolean(params, "skipGeometry"),
        resulttype=_choice(params, "resulttype", ("results", "hits")),
    )
    query.crs = crs_parameter(params, "crs")
    bbox_crs = crs_parameter(params, "bbox-crs")
    if params.get("bbox") is not None:
        query.bbox = list(parse_bbox(params["bbox"], bbox_crs or crs.CRS84))
    elif bbox_crs is not None:
        raise BadParameter(_("bbox-crs is given without bbox."))
    if params.get("datetime") is not None:
        interval(params["datetime"])  # checked here, read again by the provider
        query.datetime_ = params["datetime"]
    if params.get("properties") is not None:
        query.select_properties = _property_list(params["properties"], collection)
    for name in queryables & set(params):
        query.properties.append((name, property_value(collection, name, params[name])))
    query.filter_crs = crs_parameter(params, "filter-crs") or crs.CRS84
    text, lang = params.get("filter"), params.get("filter-lang", "cql2-text")
    if body:
        if text is not None:
            raise BadParameter(_("Give the filter either as the filter parameter or as the request body, not both."))
        try:
            text, lang = body.decode(), "cql2-json"
        except UnicodeDecodeError:
            raise BadParameter(_("The request body must be a CQL2 JSON filter in UTF-8.")) from None
    if text is not None:
        try:
            query.filterq = cql.parse(text, lang)
            cql.to_q(query.filterq, collection, query.filter_crs)  # unknown properties, bad literals: 400 now
        except cql.FilterError as error:
            raise BadParameter(_("filter: %(error)s") % {"error": error}) from None
    elif params.get("filter-lang") is not None and params["filter-lang"] not in cql.LANGUAGES:
        raise BadParameter(_("filter-lang must be one of %(langs)s.") % {"langs": ", ".join(cql.LANGUAGES)})
    return query


def crs_parameter(params: QueryDict, name: str) -> str | None:
    """The CRS URI given as ``name``, checked; None when the parameter is absent."""
    value = params.get(name)
    if value is None:
        return None
    try:
        return crs.check(value.strip("<>"), name)
    except crs.CrsError as error:
        raise BadParameter(str(error)) from None


def property_value(collection: Collection, name: str, text: str) -> Any:
    """``text`` read as a value of attribute ``name`` (e.g. ``true`` for a boolean), or ``BadParameter``."""
    model_field = collection.model_field(name)
    if model_field is None:
        return text
    if model_field.get_internal_type() == "BooleanField" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        value = model_field.to_python(text)
    except ValidationError:
        value = None
    if value is None or not fits(value):
        raise BadParameter(
            _("“%(value)s” is not a valid value for the property “%(name)s”.") % {"value": text, "name": name}
        )
    return value


def interval(text: str) -> tuple[dt.datetime | dt.date | None, dt.datetime | dt.date | None]:
    """An RFC 3339 instant or interval (``a/b``, ``../b``, ``a/..``) as (start, end); an instant gives (t, t).

    A date stays a date; a date-time without offset is taken as UTC. Open ends are None.
    """
    parts = text.split("/")
    if len(parts) == 1:
        instant = _moment(parts[0])
        if instant is None:
            raise BadParameter(_("datetime “%(value)s” is an open end without an interval.") % {"value": text})
        return instant, instant
    if len(parts) != 2:
        raise BadParameter(_("datetime “%(value)s” is neither an instant nor an interval.") % {"value": text})
    start, end = (_moment(part) for part in parts)
    if start is None and end is None:
        return None, None
    if start is not None and end is not None and _as_datetime(start) > _as_datetime(end, end=True):
        raise BadParameter(_("datetime “%(value)s” ends before it starts.") % {"value": text})
    return start, end


def _moment(text: str) -> dt.datetime | dt.date | None:
    if text in ("", ".."):
        return None
    value = None
    try:
        value = parse_datetime(text) if "T" in text.upper() else parse_date(text)
    except ValueError:
        pass
    if value is None:
        raise BadParameter(
            _("datetime “%(value)s” is not an RFC 3339 date or date-time (e.g. 2026-01-15T08:00:00Z).")
            % {"value": text}
        )
    if isinstance(value, dt.datetime) and timezone.is_naive(value):
        value = value.replace(tzinfo=dt.UTC)
    return value


def _as_datetime(value: dt.datetime | dt.date, end: bool = False) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time.max if end else dt.time.min, tzinfo=dt.UTC)


def _integer(params: QueryDict, name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    text = params.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise BadParameter(_("%(name)s must be an integer, not “%(value)s”.") % {"name": name, "value": text}) from None
    if value < minimum:
        raise BadParameter(_("%(name)s must be at least %(minimum)d.") % {"name": name, "minimum": minimum})
    if maximum is not None and value > maximum:
        raise BadParameter(_("%(name)s must be at most %(maximum)d.") % {"name": name, "maximum": maximum})
    return value


def _boolean(params: QueryDict, name: str) -> bool:
    text = params.get(name)
    if text is None:
        return False
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise BadParameter(_("%(name)s must be true or false, not “%(value)s”.") % {"name": name, "value": text})


def _choice(params: QueryDict, name: str, choices: tuple[str, ...]) -> str:
    text = params.get(name, choices[0])
    if text not in choices:
        raise BadParameter(_("%(name)s must be one of %(choices)s.") % {"name": name, "choices": ", ".join(choices)})
    return text


def parse_bbox(text: str, uri: str = crs.CRS84) -> tuple[float, float, float, float]:
    """A ``bbox`` parameter given in ``uri`` as (west, south, east, north) in CRS84, checked."""
    return crs.bbox_to_storage(_bbox(text, uri), uri)


def _bbox(text: str, uri: str) -> tuple[float, float, float, float]:
    """The four horizontal numbers of a bbox of 4 or 6 numbers (minimum corner first), checked."""
    try:
        numbers = [float(part) for part in text.split(",")]
    except ValueError:
        raise BadParameter(
            _("bbox must be 4 or 6 comma-separated numbers, not “%(value)s”.") % {"value": text}
        ) from None
    if len(numbers) not in (4, 6) or not all(math.isfinite(n) for n in numbers):
        raise BadParameter(_("bbox must be 4 or 6 comma-separated numbers, not “%(value)s”.") % {"value": text})
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    a1, b1, a2, b2 = numbers
    if a1 > a2 or b1 > b2:
        raise BadParameter(
            _(
                "bbox “%(value)s”: the first corner must be the lower one in both axes "
                "(boxes across the antimeridian are not served)."
            )
            % {"value": text}
        )
    if uri in (crs.CRS84, crs.EPSG_4326, crs.EPSG_4490):
        lon, lat = ((a1, a2), (b1, b2)) if uri == crs.CRS84 else ((b1, b2), (a1, a2))
        if min(lon) < -180 or max(lon) > 180 or min(lat) < -90 or max(lat) > 90:
            raise BadParameter(
                _("bbox “%(value)s” lies outside longitude −180…180 / latitude −90…90.") % {"value": text}
            )
    return a1, b1, a2, b2


def _sortby(text: str | None, collection: Collection) -> list[dict]:
    if text is None:
        return []
    sortby = []
    for part in text.split(","):
        part = part.strip()
        order = "+"
        if part[:1] in "+-" and part:
            order, part = part[0], part[1:]
        if part not in collection.fields:
            raise BadParameter(
                _("sortby: unknown property “%(name)s”; sortable are: %(names)s.")
                % {"name": part, "names": ", ".join(collection.fields)}
            )
        sortby.append({"property": part, "order": order})
    return sortby


def _property_list(text: str, collection: Collection) -> list[str]:
    names = [name.strip() for name in text.split(",")]
    unknown = [name for name in names if name not in collection.fields]
    if unknown:
        raise BadParameter(
            _("properties: unknown property “%(name)s”; the collection has: %(names)s.")
            % {"name": unknown[0], "names": ", ".join(collection.fields)}
        )
    return names
