"""CQL2 filters (OGC API – Features Part 3) translated to Django ``Q`` objects: the database filters, never Python.

``parse(text, lang)`` reads CQL2 text or CQL2 JSON with pygeofilter; ``to_q(node, collection,
filter_crs)`` turns the syntax tree into a ``Q`` over the collection's model. Supported: logical
operators (AND, OR, NOT), comparisons (=, <>, <, <=, >, >=) between a property and a literal or two
properties, LIKE (``%`` any characters, ``_`` one, ``\\`` escapes; case-sensitive), CASEI for
case-insensitive = and LIKE, IN, BETWEEN, IS NULL, and the spatial predicates S_INTERSECTS,
S_WITHIN, S_CONTAINS, S_DISJOINT, S_TOUCHES, S_CROSSES, S_OVERLAPS and S_EQUALS on the geometry
(``geometry`` or the collection's geometry field) against a geometry literal or BBOX in
``filter-crs``. Anything else is refused with ``FilterError``, whose message is shown to the client.

Logic is two-valued, as Django's ORM writes it: NOT over a comparison also selects the features
whose property is null (``NOT (value <= 50)`` includes sensors without a value).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.db.models import F, Field, Lookup, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text

from layers import crs
from layers.registry import Collection

LANGUAGES = ("cql2-text", "cql2-json", "cql-text")  # cql-text: the draft's name, which GDAL before 3.7 sends
MAX_LENGTH = 20_000  # characters of one filter expression


class FilterError(ValueError):
    """A filter that cannot be read or applied; the message says why."""


def parse(text: str, lang: str = "cql2-text") -> ast.Node:
    """The syntax tree of ``text`` written in ``lang`` (cql2-text or cql2-json)."""
    if lang not in LANGUAGES:
        raise FilterError(_("filter-lang must be one of %(langs)s.") % {"langs": ", ".join(LANGUAGES)})
    if "\x00" in text:
        raise FilterError(_("The filter contains a NUL character."))
    if len(text) > MAX_LENGTH:
        raise FilterError(_("The filter is longer than %(max)d characters.") % {"max": MAX_LENGTH})
    try:
        if lang == "cql2-json":
            return parse_cql2_json(_normalise_json(json.loads(text)))
        return parse_cql2_text(text)
    except FilterError:
        raise
    except Exception as error:  # pygeofilter raises lark and JSON errors of many kinds
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise FilterError(
            _("The filter is not valid %(lang)s: %(detail)s") % {"lang": lang, "detail": detail}
        ) from None


def _normalise_json(node: Any) -> Any:
    """CQL2 JSON as the standard writes it, in the shapes pygeofilter 0.4 reads.

    A ``{"bbox": [minx, miny, maxx, maxy]}`` literal becomes a polygon (pygeofilter swaps its
    corners) and ``between`` with three arguments gets its bounds as one list.
    """
    if isinstance(node, list):
        return [_normalise_json(item) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"bbox"} and isinstance(node["bbox"], list) and len(node["bbox"]) == 4:
        minx, miny, maxx, maxy = node["bbox"]
        return {
            "type": "Polygon",
            "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]],
        }
    node = {key: _normalise_json(value) for key, value in node.items()}
    if str(node.get("op", "")).lower() == "between" and isinstance(node.get("args"), list) and len(node["args"]) == 3:
        node["args"] = [node["args"][0], node["args"][1:]]
    return node


# --- LIKE as the database reads it ----------------------------------------------------------------


def _glob(pattern: str) -> str:
    """A CQL2 LIKE pattern as an SQLite GLOB pattern (case-sensitive, like CQL2 LIKE)."""
    out, chars = [], iter(pattern)
    for char in chars:
        if char == "\\":
            char = next(chars, "\\")
            out.append(f"[{char}]" if char in "*?[" else char)
        elif char == "%":
            out.append("*")
        elif char == "_":
            out.append("?")
        elif char in "*?[":
            out.append(f"[{char}]")
        else:
            out.append(char)
    return "".join(out)


class Like(Lookup):
    """CQL2 LIKE, case-sensitive: PostgreSQL LIKE (backslash escapes by default), SQLite GLOB."""

    lookup_name = "cql2_like"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} GLOB {rhs}", [*lhs_params, *[_glob(p) for p in rhs_params]]


class CaseInsensitiveLike(Lookup):
    """CASEI(property) LIKE CASEI(pattern): PostgreSQL ILIKE, SQLite LIKE with a backslash escape."""

    lookup_name = "cql2_ilike"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", [*lhs_params, *rhs_params]

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs} ESCAPE '\\'", [*lhs_params, *rhs_params]


# --- the translation ------------------------------------------------------------------------------

_COMPARISONS = {
    ast.Equal: "exact",
    ast.LessThan: "lt",
    ast.LessEqual: "lte",
    ast.GreaterThan: "gt",
    ast.GreaterEqual: "gte",
}
_MIRRORED = {"lt": "gt", "lte": "gte", "gt": "lt", "gte": "lte", "exact": "exact"}
_SPATIAL = {
    ast.GeometryIntersects: "intersects",
    ast.GeometryWithin: "within",
    ast.GeometryContains: "contains",
    ast.GeometryDisjoint: "disjoint",
    ast.GeometryTouches: "touches",
    ast.GeometryCrosses: "crosses",
    ast.GeometryOverlaps: "overlaps",
    ast.GeometryEquals: "equals",
}
_CASE_FUNCTIONS = ("lower", "casei")


class _Property:
    """A property named in a filter: its ORM lookup and model field; ``nocase`` under CASEI()."""

    def __init__(self, lookup: str, field: Field | None, nocase: bool = False) -> None:
        self.lookup, self.field, self.nocase = lookup, field, nocase


class Translator:
    """Turns one syntax tree into a ``Q`` over ``collection``'s model (see the module's docstring)."""

    def __init__(self, collection: Collection, filter_crs: str = crs.CRS84) -> None:
        self.collection = collection
        self.filter_crs = filter_crs

    def to_q(self, node: Any) -> Q:
        if isinstance(node, ast.And):
            return self.to_q(node.lhs) & self.to_q(node.rhs)
        if isinstance(node, ast.Or):
            return self.to_q(node.lhs) | self.to_q(node.rhs)
        if isinstance(node, ast.Not):
            return ~self.to_q(node.sub_node)
        if isinstance(node, (*_COMPARISONS, ast.NotEqual)):
            return self._comparison(node)
        if isinstance(node, ast.Between):
            prop = self._property(node.lhs)
            q = Q(**{f"{prop.lookup}__range": (self._literal(prop, node.low), self._literal(prop, node.high))})
            return ~q if node.not_ else q
        if isinstance(node, ast.In):
            prop = self._property(node.lhs)
            q = Q(**{f"{prop.lookup}__in": [self._literal(prop, option) for option in node.sub_nodes]})
            return ~q if node.not_ else q
        if isinstance(node, ast.IsNull):
            prop = self._property(node.lhs)
            return Q(**{f"{prop.lookup}__isnull": not node.not_})
        if isinstance(node, ast.Like):
            return self._like(node)
        if type(node) in _SPATIAL:
            return self._spatial(node)
        if isinstance(node, bool):
            return Q() if node else Q(pk__in=[])
        raise FilterError(_("This filter uses something hazmap does not offer: %(node)s.") % {"node": _describe(node)})

    # -- properties and literals --

    def _property(self, node: Any, *, spatial: bool = False) -> _Property:
        nocase = False
        if isinstance(node, ast.Function) and node.name.lower() in _CASE_FUNCTIONS and len(node.arguments) == 1:
            node, nocase = node.arguments[0], True
        if not isinstance(node, ast.Attribute):
            raise FilterError(_("Expected a property name, found %(node)s.") % {"node": _describe(node)})
        geometry = self.collection.geometry_field
        if node.name in ("geometry", geometry):
            if not spatial:
                raise FilterError(_("The geometry can only be used in a spatial predicate such as S_INTERSECTS."))
            return _Property(geometry, None)
        lookup = self.collection.fields.get(node.name)
        if not isinstance(lookup, str):
            raise FilterError(
                _("Unknown property “%(name)s”; the queryables of %(collection)s are: %(names)s.")
                % {"name": node.name, "collection": self.collection.id, "names": ", ".join(self.collection.fields)}
            )
        if spatial:
            raise FilterError(_("“%(name)s” is not a geometry.") % {"name": node.name})
        return _Property(lookup, self.collection.model_field(node.name), nocase)

    def _literal(self, prop: _Property, value: Any) -> Any:
        if isinstance(value, ast.Function) and value.name.lower() in _CASE_FUNCTIONS and len(value.arguments) == 1:
            value = value.arguments[0]
        if isinstance(value, (ast.Node, values.Geometry, values.Envelope, values.Interval, list)):
            raise FilterError(_("Expected a literal value, found %(node)s.") % {"node": _describe(value)})
        if prop.field is None:
            return value
        if (
            isinstance(value, dt.date)
            and not isinstance(value, dt.datetime)
            and prop.field.get_internal_type() == "DateTimeField"
        ):
            value = dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
        try:
            value = prop.field.to_python(value)
        except ValidationError:
            raise FilterError(
                _("%(value)s is not a valid value for “%(name)s”.")
                % {"value": json.dumps(value, default=str), "name": prop.lookup}
            ) from None
        if isinstance(value, dt.datetime) and timezone.is_naive(value):
            value = timezone.make_aware(value, dt.UTC)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**63 - 1:
            raise FilterError(_("%(value)s is too large for “%(name)s”.") % {"value": value, "name": prop.lookup})
        return value

    # -- predicates --

    def _comparison(self, node: ast.Comparison) -> Q:
        operator = "exact" if isinstance(node, ast.NotEqual) else _COMPARISONS[type(node)]
        lhs, rhs = node.lhs, node.rhs
        if not _names_property(lhs) and _names_property(rhs):
            lhs, rhs, operator = rhs, lhs, _MIRRORED[operator]
        prop = self._property(lhs)
        if _names_property(rhs):
            other = self._property(rhs)
            if _kind(prop) != _kind(other) or prop.nocase or other.nocase:
                raise FilterError(
                    _("“%(a)s” and “%(b)s” cannot be compared: they hold different kinds of value.")
                    % {"a": prop.lookup, "b": other.lookup}
                )
            q = Q(**{f"{prop.lookup}__{operator}": F(other.lookup)})
        else:
            value = self._literal(prop, rhs)
            if prop.nocase and _kind(prop) != "text":
                raise FilterError(_("CASEI() applies to text properties only."))
            if prop.nocase and operator == "exact":
                q = Q(**{f"{prop.lookup}__iexact": value})
            elif prop.nocase:
                raise FilterError(_("CASEI() can only be compared with = or LIKE."))
            else:
                q = Q(**{f"{prop.lookup}__{operator}": value})
        return ~q if isinstance(node, ast.NotEqual) else q

    def _like(self, node: ast.Like) -> Q:
        prop = self._property(node.lhs)
        pattern = node.pattern
        if (
            isinstance(pattern, ast.Function)
            and pattern.name.lower() in _CASE_FUNCTIONS
            and len(pattern.arguments) == 1
        ):
            pattern = pattern.arguments[0]
        if not isinstance(pattern, str):
            raise FilterError(_("LIKE needs a text pattern."))
        if _kind(prop) != "text":
            raise FilterError(_("LIKE applies to text properties only, not to “%(name)s”.") % {"name": prop.lookup})
        lookup = CaseInsensitiveLike if prop.nocase or node.nocase else Like
        q = Q(lookup(F(prop.lookup), pattern))
        return ~q if node.not_ else q

    def _spatial(self, node: ast.SpatialComparisonPredicate) -> Q:
        lhs, rhs = node.lhs, node.rhs
        if not isinstance(lhs, ast.Attribute):
            lhs, rhs = rhs, lhs
            if type(node) in (ast.GeometryWithin, ast.GeometryContains):
                node = (ast.GeometryContains if isinstance(node, ast.GeometryWithin) else ast.GeometryWithin)(lhs, rhs)
        prop = self._property(lhs, spatial=True)
        geometry = self._geometry(rhs)
        return Q(**{f"{prop.lookup}__{_SPATIAL[type(node)]}": geometry})

    def _geometry(self, node: Any) -> GEOSGeometry:
        try:
            if isinstance(node, (values.Geometry, values.Envelope)):
                shape = shapely.geometry.shape(node.__geo_interface__)
            elif (
                isinstance(node, ast.Function)
                and node.name.lower() in ("bbox", "envelope")
                and len(node.arguments) == 4
            ):
                shape = shapely.box(*(float(a) for a in node.arguments))
            else:
                raise FilterError(_("Expected a geometry or BBOX, found %(node)s.") % {"node": _describe(node)})
            shape = crs.geometry_to_storage(shape, self.filter_crs)
        except (TypeError, ValueError, shapely.errors.ShapelyError) as error:
            if isinstance(error, FilterError):
                raise
            raise FilterError(_("The geometry in the filter is not valid: %(error)s") % {"error": error}) from None
        if shape.is_empty or not shape.is_valid:
            raise FilterError(_("The geometry in the filter is empty or not valid."))
        return GEOSGeometry(memoryview(shapely.to_wkb(shape)), srid=4326)


_KINDS = {
    "CharField": "text",
    "TextField": "text",
    "BooleanField": "boolean",
    "DateField": "date",
    "DateTimeField": "datetime",
}


def _kind(prop: _Property) -> str:
    """The kind of value a property holds: text, number, boolean, date or datetime."""
    if prop.field is None:
        return "text"
    return _KINDS.get(prop.field.get_internal_type(), "number")


def _names_property(node: Any) -> bool:
    if isinstance(node, ast.Function) and node.name.lower() in _CASE_FUNCTIONS and len(node.arguments) == 1:
        node = node.arguments[0]
    return isinstance(node, ast.Attribute)


def _describe(node: Any) -> str:
    if isinstance(node, ast.Function):
        return f"{node.name}()"
    return type(node).__name__ if isinstance(node, (ast.Node, values.Interval)) else repr(node)


def to_q(node: ast.Node, collection: Collection, filter_crs: str = crs.CRS84) -> Q:
    """The ``Q`` that selects what ``node`` (a parsed CQL2 filter) selects in ``collection``."""
    return Translator(collection, filter_crs).to_q(node)
