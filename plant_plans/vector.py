"""Vector site plans: DXF, zipped Shapefile, GeoPackage, GeoJSON and KML read with fiona.

Plain Python (no Django): paths and plain values in; dataclasses, shapely geometries in EPSG:4326 and
JSON-able dictionaries out. ``geo`` stores what this module reads, ``web`` serves the HTTP side.

The steps, each its own function::

    fmt = detect_format("总平面图.dxf")                      # "dxf"; UnsupportedFormat otherwise
    source = open_source(path, fmt, max_bytes=100 * 2**20)   # TooLarge, CorruptFile
    layers = describe(source, max_features=50_000)          # the preview: fields, geometry types, counts,
                                                             # CRS, bounds, a sample in EPSG:4326
    mapping = parse_mapping({"crs": 4549, "rules": [...]}, source)   # MappingError, CrsError
    reading = read(source, mapping, site=site, tolerance_m=50, max_features=50_000)
    reading.features      # PlanFeature: kind, name, code, geometry (EPSG:4326, valid), attributes
    reading.rejected      # Rejected: the features that cannot be imported, each with its reason

A mapping says which features of which source layers become which kind of layout feature, and which
attributes hold their name and code::

    {"crs": 4549,                       # optional: the source CRS (EPSG code, or GRID: the enterprise's
                                        # construction grid); else the file's own
     "rules": [{"layer": "entities",    # a source layer (DXF files have one, "entities")
                "where": {"Layer": ["TANKS", "罐"]},   # optional: attribute values (the DXF layer)
                "kind": "tank",         # building, tank, dike, road, fence, hazard_source
                "name": "EntityHandle", # the attribute holding the name (required for areas)
                "code": "CODE",         # optional: the attribute holding the code (links to the registry)
                "attributes": ["DIAM"]  # optional: the attributes kept (default: all)
               }],
     "skip_rejected": false}            # true: import the others and leave the rejected out

A feature is taken by the first rule that matches it. Geometries are reprojected to EPSG:4326 with
pyproj (always longitude, latitude), made 2D, and checked: areas (building, tank, dike, hazard-source
footprint) must be polygons or closed lines (DXF draws outlines as closed polylines, which GDAL reads
as lines, and those become polygons); roads and fences are lines or areas. Invalid geometries are
repaired with ``shapely.make_valid`` (the repair is reported); what cannot be repaired, or lies more
than ``tolerance_m`` metres outside the enterprise's site, is rejected with its reason.

Errors are :class:`PlanError` subclasses with an HTTP status (413, 415, 422), a stable ``reason``, the
English message ``template`` with its ``params`` (marked with :func:`gettext_noop`, so that the HTTP
layer can translate them), and the mapping ``field`` at fault where there is one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import fiona
import numpy as np
import pyproj
import shapely
import shapely.geometry
from fiona._err import CPLE_BaseError
from fiona.errors import FionaError, UnsupportedGeometryTypeError
from pyproj.exceptions import CRSError as ProjCRSError

from plant_plans import coords
from plant_plans.errors import gettext_noop

KINDS = ("building", "tank", "dike", "road", "fence", "hazard_source")
AREA_KINDS = frozenset({"building", "tank", "dike", "hazard_source"})
NAME_REQUIRED = AREA_KINDS  # what is clicked on the map and named in the registry has a name
NAME_MAX = 200  # characters (geo.LayoutFeature.name)
CODE_MAX = 40  # characters (geo.LayoutFeature.code, the codes of hazard sources and equipment)
SAMPLE_SIZE = 5  # features of each layer shown in the preview

FORMATS = {
    ".dxf": "dxf",
    ".zip": "shapefile",
    ".gpkg": "gpkg",
    ".geojson": "geojson",
    ".json": "geojson",
    ".kml": "kml",
}
DRIVERS = {"dxf": "DXF", "shapefile": "ESRI Shapefile", "gpkg": "GPKG", "geojson": "GeoJSON", "kml": "KML"}
# Attributes whose distinct values the preview lists, to be used in a rule's "where".
VALUE_FIELDS = {"dxf": ("Layer",)}

WGS84 = pyproj.CRS.from_epsg(4326)
READ_ERRORS = (FionaError, CPLE_BaseError, OSError, UnsupportedGeometryTypeError, ValueError, zipfile.BadZipFile)


# --- errors --------------------------------------------------------------------------------------


class PlanError(Exception):
    """A plan or mapping that cannot be used: ``reason`` (stable), ``template`` % ``params`` (English),
    ``field`` (the mapping entry at fault, e.g. ``rules[0].name``, or None) and the HTTP ``status``."""

    status = 422

    def __init__(self, reason: str, template: str, field: str | None = None, **params: Any) -> None:
        self.reason, self.template, self.field, self.params = reason, template, field, params
        super().__init__(template % params if params else template)


class UnsupportedFormat(PlanError):
    """Not a format hazmap reads (415)."""

    status = 415


class TooLarge(PlanError):
    """A file, or its content, over the limits (413)."""

    status = 413


class CorruptFile(PlanError):
    """A file GDAL cannot read as the format its name says (422)."""


class CrsError(PlanError):
    """A CRS that is not given as an EPSG code, does not exist or cannot hold a plan (422)."""


class MappingError(PlanError):
    """A mapping that names no rule, an unknown layer, kind or attribute, or leaves a required field empty (422)."""


# --- formats and files ---------------------------------------------------------------------------


def detect_format(file_name: str) -> str:
    """A plan's format by its file name's suffix: ``dxf``, ``shapefile`` (a .zip), ``gpkg``, ``geojson``, ``kml``."""
    suffix = PurePosixPath(file_name).suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    if suffix == ".shp":
        raise UnsupportedFormat(
            "shapefile_not_zipped",
            gettext_noop(
                "A Shapefile is several files: zip “%(name)s” with its .shx, .dbf and .prj and upload the .zip."
            ),
            name=file_name,
        )
    if suffix == ".dwg":
        raise UnsupportedFormat(
            "dwg", gettext_noop("DWG drawings are not read: save “%(name)s” as DXF in the CAD program."), name=file_name
        )
    raise UnsupportedFormat(
        "unsupported_format",
        gettext_noop(
            "“%(name)s” is not a vector plan hazmap reads: give a DXF (.dxf), zipped Shapefile (.zip), "
            "GeoPackage (.gpkg), GeoJSON (.geojson) or KML (.kml) file."
        ),
        name=file_name,
    )


def check_size(path: Path, fmt: str, max_bytes: int) -> None:
    """Refuse a file over ``max_bytes``, and a zip that unpacks to more (a zip bomb): :class:`TooLarge`."""
    size = path.stat().st_size
    limit_mb = max_bytes / 2**20
    if size > max_bytes:
        raise TooLarge(
            "file_too_large",
            gettext_noop("The file is %(size_mb).1f MB; at most %(max_mb).1f MB is accepted."),
            size_mb=size / 2**20,
            max_mb=limit_mb,
        )
    if fmt == "shapefile":
        try:
            with zipfile.ZipFile(path) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError) as error:
            raise _corrupt(path.name, fmt, error) from None
        if unpacked > max_bytes:
            raise TooLarge(
                "zip_too_large",
                gettext_noop("The zip unpacks to %(size_mb).1f MB; at most %(max_mb).1f MB is accepted."),
                size_mb=unpacked / 2**20,
                max_mb=limit_mb,
            )


def _corrupt(name: str, fmt: str, error: BaseException) -> CorruptFile:
    return CorruptFile(
        "unreadable",
        gettext_noop("%(driver)s cannot read “%(name)s”: %(error)s"),
        driver=DRIVERS[fmt],
        name=name,
        error=str(error).strip() or type(error).__name__,
    )


@dataclass(frozen=True)
class Source:
    """A plan file as fiona opens it: ``layers`` maps each layer name to (path fiona opens, layer or None)."""

    path: Path
    format: str
    layers: dict[str, tuple[str, str | None]]

    @property
    def driver(self) -> str:
        return DRIVERS[self.format]

    def open(self, layer: str) -> fiona.Collection:
        """One layer, opened with the format's own driver only (a renamed file of another format is not read)."""
        target, name = self.layers[layer]
        return fiona.open(target, layer=name, enabled_drivers=[self.driver], allow_unsupported_drivers=True)

    def fields(self, layer: str) -> dict[str, str]:
        """The attributes of ``layer`` and their types (``str``, ``int``, ``float``, ``date`` …)."""
        with self._reading():
            with self.open(layer) as collection:
                return {name: kind.split(":")[0] for name, kind in collection.schema["properties"].items()}

    def crs(self, layer: str) -> pyproj.CRS | None:
        """The CRS the file gives ``layer``, or None (DXF files, Shapefiles without .prj)."""
        with self._reading():
            with self.open(layer) as collection:
                return _file_crs(collection)

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """Within the block, what GDAL raises while reading becomes :class:`CorruptFile`."""
        try:
            yield
        except PlanError:
            raise
        except READ_ERRORS as error:
            raise _corrupt(self.path.name, self.format, error) from None


def open_source(path: Path, fmt: str, max_bytes: int) -> Source:
    """The plan at ``path`` in format ``fmt`` (see :func:`detect_format`), its size checked and its layers listed.

    A zipped Shapefile holds one layer per ``.shp`` (named by the file's stem, or its path in the zip
    when two share a stem). Raises :class:`TooLarge` or :class:`CorruptFile`.
    """
    check_size(path, fmt, max_bytes)
    source = Source(path, fmt, {})
    with source._reading():
        if fmt == "shapefile":
            with zipfile.ZipFile(path) as archive:
                members = [
                    name
                    for name in archive.namelist()
                    if name.lower().endswith(".shp") and not name.startswith("__MACOSX/")
                ]
            if not members:
                raise CorruptFile(
                    "no_shapefile", gettext_noop("The zip “%(name)s” holds no .shp file."), name=path.name
                )
            stems = Counter(PurePosixPath(member).stem for member in members)
            layers = {
                (PurePosixPath(m).stem if stems[PurePosixPath(m).stem] == 1 else m[:-4]): (f"zip://{path}!{m}", None)
                for m in members
            }
        else:
            layers = {name: (str(path), name) for name in fiona.listlayers(str(path))}
        source = Source(path, fmt, layers)
        for layer in layers:  # each opens with the driver of the format its name says
            with source.open(layer):
                pass
    if not layers:
        raise CorruptFile("no_layers", gettext_noop("“%(name)s” holds no layer."), name=path.name)
    return source


# --- CRS -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridCRS:
    """An enterprise's plant construction grid as the CRS of a plan drawn in it (A, B in metres; ``GRID``)."""

    grid: coords.ConstructionGrid
    name: str = "construction grid (A, B)"


class GridToWGS84:
    """Grid (A, B) → EPSG:4326 longitude, latitude, with the two methods of ``pyproj.Transformer`` used here."""

    def __init__(self, grid: coords.ConstructionGrid) -> None:
        self.grid = grid

    def transform(self, a, b) -> tuple[np.ndarray, np.ndarray]:
        return self.grid.to_crs(a, b, coords.WGS84)

    def transform_bounds(self, left: float, bottom: float, right: float, top: float) -> tuple[float, ...]:
        """The bounds of the rotated rectangle, from 21 points along each side (the grid is rotated, not bent)."""
        steps = np.linspace(0.0, 1.0, 21)
        a = np.concatenate(
            [left + (right - left) * steps, np.full(21, right), right - (right - left) * steps, np.full(21, left)]
        )
        b = np.concatenate(
            [np.full(21, bottom), bottom + (top - bottom) * steps, np.full(21, top), top - (top - bottom) * steps]
        )
        lon, lat = self.transform(a, b)
        return float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())


def parse_crs(value: Any, field: str = "crs", grid: coords.ConstructionGrid | None = None) -> pyproj.CRS | GridCRS:
    """A CRS given as an EPSG code (``4547`` or ``"EPSG:4547"``), or ``GRID`` for the construction grid ``grid`` of
    the plan's enterprise; :class:`CrsError` when it is not one PROJ knows or there is no grid."""
    text = str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if text.upper() == coords.GRID:
        if grid is None:
            raise CrsError("crs_no_grid", coords.NO_GRID, field=field)
        return GridCRS(grid)
    match = re.fullmatch(r"(?:EPSG:)?(\d{1,6})", text, flags=re.IGNORECASE)
    if match is None:
        raise CrsError(
            "crs_format",
            gettext_noop("Give the CRS as an EPSG code such as 4547 or “EPSG:4547” (or GRID), not %(value)s."),
            field=field,
            value=repr(value),
        )
    code = int(match.group(1))
    try:
        crs = pyproj.CRS.from_epsg(code)
    except ProjCRSError:
        raise CrsError(
            "crs_unknown", gettext_noop("EPSG:%(code)d is not a CRS that PROJ knows."), field=field, code=code
        ) from None
    if not (crs.is_projected or crs.is_geographic):
        raise CrsError(
            "crs_kind",
            gettext_noop("EPSG:%(code)d (%(name)s) is neither geographic nor projected: plans are drawn in one."),
            field=field,
            code=code,
            name=crs.name,
        )
    return crs


def crs_label(crs: pyproj.CRS | GridCRS | None) -> str | None:
    """``EPSG:n`` when PROJ identifies the CRS, ``GRID`` for a construction grid, else its WKT; None for no CRS."""
    if crs is None:
        return None
    if isinstance(crs, GridCRS):
        return coords.GRID
    code = crs.to_epsg()
    return f"EPSG:{code}" if code else crs.to_wkt()


def _file_crs(collection: fiona.Collection) -> pyproj.CRS | None:
    wkt = collection.crs_wkt
    return pyproj.CRS.from_wkt(wkt) if wkt else None


def to_wgs84(crs: pyproj.CRS | GridCRS) -> pyproj.Transformer | GridToWGS84:
    """The transformation from ``crs`` to EPSG:4326 (longitude, latitude)."""
    if isinstance(crs, GridCRS):
        return GridToWGS84(crs.grid)
    return pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)


def transform(geometry: shapely.Geometry, transformer: pyproj.Transformer) -> shapely.Geometry:
    """``geometry`` through ``transformer``, in 2D (a Z coordinate, as DXF entities have, is dropped)."""

    def apply(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, apply)


# --- the preview ---------------------------------------------------------------------------------


@dataclass
class LayerInfo:
    """What the preview says of one layer: ``bounds`` in its CRS, ``bounds_4326`` in EPSG:4326 (when its
    CRS is known), ``values`` the distinct values of ``VALUE_FIELDS`` (the DXF layers) with their counts,
    ``sample`` a few features as GeoJSON (EPSG:4326 when the CRS is known, else as in the file)."""

    name: str
    fields: dict[str, str]
    geometry_types: dict[str, int]
    count: int
    crs: str | None
    crs_name: str | None
    bounds: list[float] | None
    bounds_4326: list[float] | None
    values: dict[str, dict[str, int]] = field(default_factory=dict)
    sample: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "fields": self.fields,
            "geometry_types": self.geometry_types,
            "count": self.count,
            "crs": self.crs,
            "crs_name": self.crs_name,
            "bounds": self.bounds,
            "bounds_4326": self.bounds_4326,
            "values": self.values,
            "sample": {"type": "FeatureCollection", "features": self.sample},
        }


def _too_many(max_features: int) -> TooLarge:
    return TooLarge(
        "too_many_features",
        gettext_noop("The plan holds more than %(max)d features, the most that is read."),
        max=max_features,
    )


def describe(
    source: Source, max_features: int, crs: pyproj.CRS | GridCRS | None = None, sample_size: int = SAMPLE_SIZE
) -> list[LayerInfo]:
    """The preview of every layer of ``source`` (read whole: counts, types, values); ``crs`` replaces the file's.

    Raises :class:`TooLarge` when the layers hold more than ``max_features`` features together, and
    :class:`CorruptFile` when they hold none.
    """
    infos, total = [], 0
    with source._reading():
        for name in source.layers:
            with source.open(name) as collection:
                layer_crs = crs if crs is not None else _file_crs(collection)
                transformer = to_wgs84(layer_crs) if layer_crs is not None else None
                schema = {f: kind.split(":")[0] for f, kind in collection.schema["properties"].items()}
                kinds: Counter[str] = Counter()
                values = {f: Counter() for f in VALUE_FIELDS.get(source.format, ()) if f in schema}
                sample, bounds = [], None
                for feature in collection:
                    total += 1
                    if total > max_features:
                        raise _too_many(max_features)
                    geometry = feature.geometry
                    kinds[geometry.type if geometry is not None else "None"] += 1
                    for f, counter in values.items():
                        counter[str(feature.properties.get(f))] += 1
                    if geometry is None:
                        continue
                    shape = shapely.geometry.shape(geometry)
                    if not shape.is_empty:
                        bounds = _union_bounds(bounds, shape.bounds)
                    if len(sample) < sample_size:
                        shown = transform(shape, transformer) if transformer is not None else shape
                        sample.append(_geojson(feature, shown))
            bounds_4326 = None
            if bounds is not None and transformer is not None:
                bounds_4326 = list(transformer.transform_bounds(*bounds))
                if not all(math.isfinite(v) for v in bounds_4326):
                    bounds_4326 = None
            infos.append(
                LayerInfo(
                    name=name,
                    fields=schema,
                    geometry_types=dict(kinds),
                    count=sum(kinds.values()),
                    crs=crs_label(layer_crs),
                    crs_name=layer_crs.name if layer_crs is not None else None,
                    bounds=list(bounds) if bounds is not None else None,
                    bounds_4326=bounds_4326,
                    values={f: dict(counter.most_common()) for f, counter in values.items()},
                    sample=sample,
                )
            )
    if total == 0:  # GDAL's DXF and KML readers skip what they cannot parse, and may find nothing
        raise CorruptFile(
            "empty", gettext_noop("“%(name)s” holds no feature: is it a plan of this format?"), name=source.path.name
        )
    return infos


def _union_bounds(a: tuple | None, b: tuple) -> tuple:
    if a is None:
        return tuple(b)
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _geojson(feature: fiona.Feature, shape: shapely.Geometry) -> dict:
    return {
        "type": "Feature",
        "id": feature.id,
        "properties": {name: plain(value) for name, value in feature.properties.items()},
        "geometry": shapely.geometry.mapping(shape),
    }


def plain(value: Any) -> Any:
    """An attribute value as JSON can hold it: dates as ISO 8601, bytes and non-finite numbers as None."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return None
    return str(value)


# --- the mapping ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Features of ``layer`` whose attributes have the values of ``where`` become layout features of ``kind``,
    named by attribute ``name`` and coded by attribute ``code``; ``attributes`` are those kept (None: all)."""

    layer: str
    kind: str
    where: dict[str, tuple] = field(default_factory=dict)
    name: str | None = None
    code: str | None = None
    attributes: tuple[str, ...] | None = None

    def matches(self, properties: dict) -> bool:
        return all(properties.get(name) in accepted for name, accepted in self.where.items())

    def as_dict(self) -> dict:
        out: dict[str, Any] = {"layer": self.layer, "kind": self.kind}
        if self.where:
            out["where"] = {name: list(values) for name, values in self.where.items()}
        for key in ("name", "code"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.attributes is not None:
            out["attributes"] = list(self.attributes)
        return out


@dataclass(frozen=True)
class Mapping:
    """The rules, the source CRS given (None: each layer's own), and whether rejected features are left out."""

    rules: tuple[Rule, ...]
    crs: pyproj.CRS | GridCRS | None = None
    skip_rejected: bool = False

    def as_dict(self) -> dict:
        out: dict[str, Any] = {"rules": [rule.as_dict() for rule in self.rules], "skip_rejected": self.skip_rejected}
        if self.crs is not None:
            out["crs"] = crs_label(self.crs)
        return out

    def layers(self) -> list[str]:
        """The source layers the rules read, in the order they are first named."""
        return list(dict.fromkeys(rule.layer for rule in self.rules))


MAPPING_KEYS = {"crs", "rules", "skip_rejected"}
RULE_KEYS = {"layer", "where", "kind", "name", "code", "attributes"}


def parse_mapping(data: Any, source: Source, grid: coords.ConstructionGrid | None = None) -> Mapping:
    """The mapping of JSON ``data`` checked against the layers and attributes of ``source``; ``grid`` is the
    construction grid a ``"crs": "GRID"`` means.

    Raises :class:`MappingError` (with the ``field`` at fault) or :class:`CrsError`; nothing is read yet.
    """
    if not isinstance(data, dict):
        raise MappingError("not_object", gettext_noop("The mapping must be a JSON object."))
    _no_unknown_keys(data, MAPPING_KEYS, "")
    crs = parse_crs(data["crs"], grid=grid) if data.get("crs") not in (None, "") else None
    skip = data.get("skip_rejected", False)
    if not isinstance(skip, bool):
        raise MappingError(
            "not_boolean",
            gettext_noop("%(entry)s must be true or false."),
            field="skip_rejected",
            entry="skip_rejected",
        )
    rules_data = data.get("rules")
    if not isinstance(rules_data, list) or not rules_data:
        raise MappingError(
            "no_rules",
            gettext_noop("Give at least one rule: a source layer and the kind its features become."),
            field="rules",
        )
    rules, fields_of, checked_crs = [], {}, set()
    for i, raw in enumerate(rules_data):
        at = f"rules[{i}]"
        if not isinstance(raw, dict):
            raise MappingError("rule_not_object", gettext_noop("%(entry)s must be a JSON object."), field=at, entry=at)
        _no_unknown_keys(raw, RULE_KEYS, at + ".")
        layer = raw.get("layer")
        if layer not in source.layers:
            raise MappingError(
                "unknown_layer",
                gettext_noop("The plan has no layer %(layer)s; its layers are: %(layers)s."),
                field=f"{at}.layer",
                layer=repr(layer),
                layers=", ".join(source.layers),
            )
        if layer not in fields_of:
            fields_of[layer] = source.fields(layer)
        fields = fields_of[layer]
        kind = raw.get("kind")
        if kind not in KINDS:
            raise MappingError(
                "unknown_kind",
                gettext_noop("%(value)s is not a kind of layout feature; the kinds are: %(kinds)s."),
                field=f"{at}.kind",
                value=repr(kind),
                kinds=", ".join(KINDS),
            )
        name = _attribute(raw, "name", fields, layer, at)
        if name is None and kind in NAME_REQUIRED:
            raise MappingError(
                "name_required",
                gettext_noop("A %(kind)s needs a name: give the attribute of layer “%(layer)s” that holds it."),
                field=f"{at}.name",
                kind=kind,
                layer=layer,
            )
        code = _attribute(raw, "code", fields, layer, at)
        where = _where(raw.get("where"), fields, layer, at)
        attributes = raw.get("attributes")
        if attributes is not None:
            if not isinstance(attributes, list) or not all(isinstance(a, str) for a in attributes):
                raise MappingError(
                    "attributes_list",
                    gettext_noop("%(entry)s must be a list of attribute names."),
                    field=f"{at}.attributes",
                    entry=f"{at}.attributes",
                )
            for a in attributes:
                _known_attribute(a, fields, layer, f"{at}.attributes")
            attributes = tuple(attributes)
        if crs is None and layer not in checked_crs:
            if source.crs(layer) is None:
                raise MappingError(
                    "crs_missing",
                    gettext_noop("Layer “%(layer)s” has no CRS in the file: give the mapping's crs (an EPSG code)."),
                    field="crs",
                    layer=layer,
                )
            checked_crs.add(layer)
        rules.append(Rule(layer=layer, kind=kind, where=where, name=name, code=code, attributes=attributes))
    return Mapping(rules=tuple(rules), crs=crs, skip_rejected=skip)


def _no_unknown_keys(data: dict, known: set[str], prefix: str) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise MappingError(
            "unknown_key",
            gettext_noop("%(key)s is not a mapping entry; the entries are: %(known)s."),
            field=prefix + str(unknown[0]),
            key=repr(unknown[0]),
            known=", ".join(sorted(known)),
        )


def _known_attribute(name: Any, fields: dict[str, str], layer: str, at: str) -> str:
    if not isinstance(name, str) or name not in fields:
        raise MappingError(
            "unknown_attribute",
            gettext_noop("Layer “%(layer)s” has no attribute %(name)s; its attributes are: %(fields)s."),
            field=at,
            layer=layer,
            name=repr(name),
            fields=", ".join(fields) or "—",
        )
    return name


def _attribute(raw: dict, key: str, fields: dict[str, str], layer: str, at: str) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    return _known_attribute(value, fields, layer, f"{at}.{key}")


def _where(raw: Any, fields: dict[str, str], layer: str, at: str) -> dict[str, tuple]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise MappingError(
            "where_object",
            gettext_noop("%(entry)s must be an object of attribute → value (or list of values)."),
            field=f"{at}.where",
            entry=f"{at}.where",
        )
    where = {}
    for name, accepted in raw.items():
        _known_attribute(name, fields, layer, f"{at}.where")
        where[name] = tuple(accepted) if isinstance(accepted, list) else (accepted,)
    return where


# --- reading features ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanFeature:
    """A feature ready to store: ``geometry`` valid, 2D, in EPSG:4326; ``repaired`` says what was repaired."""

    layer: str
    fid: str
    kind: str
    name: str
    code: str
    geometry: shapely.Geometry
    attributes: dict
    repaired: str | None = None


@dataclass(frozen=True)
class Rejected:
    """A feature that cannot be imported, and why (``reason``, English ``template`` % ``params``)."""

    layer: str
    fid: str
    kind: str
    reason: str
    template: str
    params: dict

    def as_dict(self) -> dict:
        return {
            "layer": self.layer,
            "fid": self.fid,
            "kind": self.kind,
            "reason": self.reason,
            "message": self.template % self.params,
        }


@dataclass
class Reading:
    """What :func:`read` found: the features to store, those rejected, how many were read and matched no rule,
    and the CRS each layer was read in."""

    features: list[PlanFeature]
    rejected: list[Rejected]
    read: int
    unmapped: int
    crs: dict[str, str | None]

    def by_kind(self) -> dict[str, int]:
        return dict(Counter(f.kind for f in self.features))

    def repaired(self) -> int:
        return sum(1 for f in self.features if f.repaired)


REASONS = {
    "no_geometry": gettext_noop("The feature has no geometry."),
    "not_finite": gettext_noop(
        "The feature has coordinates that are not numbers, or that its CRS cannot turn into longitude and latitude."
    ),
    "not_area": gettext_noop("A %(kind)s is an area, and this feature is a %(type)s: draw a polygon or a closed line."),
    "not_line": gettext_noop("A %(kind)s is a line or an area, and this feature is a %(type)s."),
    "invalid": gettext_noop("The geometry is not valid (%(error)s) and cannot be repaired."),
    "no_name": gettext_noop("A %(kind)s needs a name, and attribute “%(field)s” of this feature is empty."),
    "too_long": gettext_noop("The %(field)s has %(length)d characters; at most %(max)d are stored."),
    "outside_site": gettext_noop(
        "The feature lies %(distance_m).0f m outside the enterprise's site (at most %(tolerance_m).0f m is allowed): "
        "is the CRS right?"
    ),
}


class SiteCheck:
    """Whether geometries in EPSG:4326 lie within ``tolerance_m`` metres of ``site``, measured in metres in an
    azimuthal equidistant projection centred on the site (distances from the centre are true)."""

    def __init__(self, site: shapely.Geometry, tolerance_m: float) -> None:
        centre = site.centroid
        local = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m")
        self.to_local = pyproj.Transformer.from_crs(WGS84, local, always_xy=True)
        self.site = transform(site, self.to_local)
        self.zone = self.site.buffer(tolerance_m)
        shapely.prepare(self.zone)
        self.tolerance_m = tolerance_m

    def outside_m(self, geometry: shapely.Geometry) -> float | None:
        """How far ``geometry`` lies outside the site (m), or None when it lies within the tolerance."""
        local = transform(geometry, self.to_local)
        return None if self.zone.covers(local) else float(self.site.distance(local))


def read(
    source: Source,
    mapping: Mapping,
    max_features: int,
    site: shapely.Geometry | None = None,
    tolerance_m: float = 50.0,
) -> Reading:
    """The features of the layers ``mapping`` names, as ``mapping`` makes them (see the module docstring).

    ``site`` (EPSG:4326) rejects what lies more than ``tolerance_m`` metres outside it. Raises
    :class:`TooLarge` when the layers read hold more than ``max_features`` features.
    """
    check = SiteCheck(site, tolerance_m) if site is not None else None
    features, rejected, crs_used = [], [], {}
    total = unmapped = 0
    with source._reading():
        for layer in mapping.layers():
            rules = [rule for rule in mapping.rules if rule.layer == layer]
            with source.open(layer) as collection:
                layer_crs = mapping.crs if mapping.crs is not None else _file_crs(collection)
                crs_used[layer] = crs_label(layer_crs)
                transformer = to_wgs84(layer_crs)
                for feature in collection:
                    total += 1
                    if total > max_features:
                        raise _too_many(max_features)
                    properties = dict(feature.properties)
                    rule = next((r for r in rules if r.matches(properties)), None)
                    if rule is None:
                        unmapped += 1
                        continue
                    made = _make(layer, feature, properties, rule, transformer, check)
                    (features if isinstance(made, PlanFeature) else rejected).append(made)
    return Reading(features=features, rejected=rejected, read=total, unmapped=unmapped, crs=crs_used)


class GeometryRejected(Exception):
    """A geometry that cannot be what its kind must be: ``reason`` (a key of ``REASONS``) and its ``params``."""

    def __init__(self, reason: str, **params: Any) -> None:
        super().__init__(reason)
        self.reason, self.params = reason, params


def _text(value: Any) -> str:
    """An attribute as the text of a name or code (a whole float, as a DBF number column holds, without ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(plain(value) if not isinstance(value, str) else value).strip()


def _make(
    layer: str,
    feature: fiona.Feature,
    properties: dict,
    rule: Rule,
    transformer: pyproj.Transformer,
    check: SiteCheck | None,
) -> PlanFeature | Rejected:
    fid = str(feature.id)

    def reject(reason: str, **params: Any) -> Rejected:
        return Rejected(layer, fid, rule.kind, reason, REASONS[reason], {"kind": rule.kind, **params})

    texts = {}
    for key, limit in (("name", NAME_MAX), ("code", CODE_MAX)):
        attribute = getattr(rule, key)
        text = _text(properties.get(attribute)) if attribute else ""
        if len(text) > limit:
            return reject("too_long", field=key, length=len(text), max=limit)
        texts[key] = text
    if rule.kind in NAME_REQUIRED and not texts["name"]:
        return reject("no_name", field=rule.name)
    if feature.geometry is None:
        return reject("no_geometry")
    geometry = transform(shapely.geometry.shape(feature.geometry), transformer)
    if geometry.is_empty:
        return reject("no_geometry")
    if not np.isfinite(shapely.get_coordinates(geometry)).all():
        return reject("not_finite")
    try:
        geometry, repaired = fit_geometry(geometry, rule.kind)
    except GeometryRejected as refusal:
        return reject(refusal.reason, **refusal.params)
    if check is not None:
        outside = check.outside_m(geometry)
        if outside is not None:
            return reject("outside_site", distance_m=outside, tolerance_m=check.tolerance_m)
    kept = rule.attributes if rule.attributes is not None else tuple(properties)
    return PlanFeature(
        layer=layer,
        fid=fid,
        kind=rule.kind,
        name=texts["name"],
        code=texts["code"],
        geometry=geometry,
        attributes={name: plain(properties.get(name)) for name in kept},
        repaired=repaired,
    )


def _parts(geometry: shapely.Geometry) -> Iterator[shapely.Geometry]:
    """The single parts of ``geometry`` (points, lines, polygons), collections and multi-parts opened all the way."""
    for part in shapely.get_parts(geometry):
        if part.is_empty:
            continue
        if part.geom_type.startswith("Multi") or part.geom_type == "GeometryCollection":
            yield from _parts(part)
        else:
            yield part


def _join(parts: list[shapely.Geometry]) -> shapely.Geometry:
    """One geometry of ``parts``: the part itself, a multi-part of one type, or a collection."""
    if len(parts) == 1:
        return parts[0]
    types = {p.geom_type for p in parts}
    if types == {"Polygon"}:
        return shapely.MultiPolygon(parts)
    if types == {"LineString"}:
        return shapely.MultiLineString(parts)
    return shapely.GeometryCollection(parts)


def fit_geometry(geometry: shapely.Geometry, kind: str) -> tuple[shapely.Geometry, str | None]:
    """``geometry`` made what a ``kind`` may be, and valid; with a note of what was changed (None: nothing).

    Areas keep their polygons and turn closed lines into polygons (open lines and points of a collection
    are left out); roads and fences keep lines and polygons. An invalid result is repaired with
    ``shapely.make_valid`` (method "structure"), keeping the parts of the dimensions allowed. Raises
    :class:`GeometryRejected` when nothing is left.
    """
    parts = list(_parts(geometry))
    notes = []
    if kind in AREA_KINDS:
        kept = []
        for part in parts:
            if part.geom_type == "Polygon":
                kept.append(part)
            elif part.geom_type in ("LineString", "LinearRing") and part.is_closed and len(part.coords) >= 4:
                kept.append(shapely.Polygon(part.coords))
        if not kept:
            raise GeometryRejected("not_area", type=geometry.geom_type)
        allowed = ("Polygon",)
    else:
        kept = [part for part in parts if part.geom_type != "Point"]
        if not kept:
            raise GeometryRejected("not_line", type=geometry.geom_type)
        allowed = ("Polygon", "LineString")
    if len(kept) < len(parts):
        notes.append(f"{len(parts) - len(kept)} part(s) of another dimension left out")
    fitted = _join(kept)
    if not fitted.is_valid:
        error = shapely.is_valid_reason(fitted)
        # "structure": the union of the polygons less their holes (overlapping parts merge, a self-crossing
        # outline splits where it crosses); what collapses to a line or point is dropped
        valid = shapely.make_valid(fitted, method="structure", keep_collapsed=False)
        repaired = [p for p in _parts(valid) if p.geom_type in allowed]
        if not repaired:
            raise GeometryRejected("invalid", error=error)
        fitted = _join(repaired)
        notes.append(f"repaired: {error}")
    return fitted, "; ".join(notes) or None
