"""Plan files written by GDAL itself (fiona's drivers), with features at known places around a test site.

Places are given in metres east and north of the site centre (``LON``, ``LAT``, the centre of
``tests.factories.enterprise``'s 400 m × 400 m site), turned into longitude and latitude with an azimuthal
equidistant projection at the centre, then into the file's CRS with pyproj's forward transformation.
The importer reads them back with the inverse, so a position that comes back within a millimetre checks
both the CRS the importer chose and its axis order.
"""

from __future__ import annotations

import functools
import math
import zipfile
from pathlib import Path

import fiona
import numpy as np
import pyproj
import shapely
import shapely.geometry

LON, LAT = 121.33, 30.81  # tests.factories.LON, LAT: the centre of the test enterprise's site
HALF_SITE_M = 200.0  # the test site is a 400 m square
MM_DEG = 1e-8  # about 1 mm of latitude, 0.95 mm of longitude at 30.8° N

_LOCAL = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={LAT} +lon_0={LON} +datum=WGS84 +units=m")
_FROM_LOCAL = pyproj.Transformer.from_crs(_LOCAL, 4326, always_xy=True)


def lonlat(x_m: float, y_m: float) -> tuple[float, float]:
    """The longitude and latitude (EPSG:4326) of the point ``x_m`` east and ``y_m`` north of the site centre."""
    return _FROM_LOCAL.transform(x_m, y_m)


def square(x_m: float, y_m: float, half_m: float) -> shapely.Polygon:
    """A square of side 2·half_m metres centred ``x_m`` east and ``y_m`` north of the site centre, in EPSG:4326."""
    corners = [(x_m - half_m, y_m - half_m), (x_m + half_m, y_m - half_m), (x_m + half_m, y_m + half_m)]
    corners += [(x_m - half_m, y_m + half_m), (x_m - half_m, y_m - half_m)]
    return shapely.Polygon([lonlat(x, y) for x, y in corners])


def circle(x_m: float, y_m: float, radius_m: float, sides: int = 24) -> shapely.LineString:
    """A closed line round a tank of ``radius_m`` (as CAD draws a tank), in EPSG:4326."""
    points = [
        lonlat(x_m + radius_m * math.cos(2 * math.pi * i / sides), y_m + radius_m * math.sin(2 * math.pi * i / sides))
        for i in range(sides)
    ]
    return shapely.LineString([*points, points[0]])


def line(*points_m: tuple[float, float]) -> shapely.LineString:
    """A line through points given in metres from the site centre, in EPSG:4326."""
    return shapely.LineString([lonlat(x, y) for x, y in points_m])


@functools.cache
def _forward(epsg: int) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(4326, epsg, always_xy=True)


def to_crs(geometry: shapely.Geometry, epsg: int) -> shapely.Geometry:
    """``geometry`` (EPSG:4326) in EPSG:``epsg``, by pyproj's forward transformation."""
    transformer = _forward(epsg)
    return shapely.transform(geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def _records(features: list[tuple[dict, shapely.Geometry]], epsg: int) -> list[dict]:
    return [
        {"geometry": shapely.geometry.mapping(to_crs(geometry, epsg)), "properties": properties}
        for properties, geometry in features
    ]


def write_dxf(path: Path, entities: list[tuple[str, shapely.Geometry]], epsg: int) -> Path:
    """A DXF (GDAL's DXF driver) of (CAD layer, geometry in EPSG:4326) in EPSG:``epsg`` coordinates.

    DXF carries no CRS. GDAL writes polygons as HATCH entities, lines as LWPOLYLINE, points as POINT.
    """
    schema = {"geometry": "Unknown", "properties": {"Layer": "str"}}
    with fiona.open(path, "w", driver="DXF", schema=schema, **DXF_TEMPLATES) as dxf:
        dxf.writerecords(_records([({"Layer": layer}, g) for layer, g in entities], epsg))
    return path


# GDAL's DXF writer starts from the header.dxf and trailer.dxf templates of GDAL_DATA; hazmap points GDAL_DATA
# at rasterio's data, which has none, so the writer is given fiona's own (dataset creation options).
_FIONA_DATA = Path(fiona.__file__).parent / "gdal_data"
DXF_TEMPLATES = {"HEADER": str(_FIONA_DATA / "header.dxf"), "TRAILER": str(_FIONA_DATA / "trailer.dxf")}


def write_layers(path: Path, driver: str, layers: dict[str, tuple[int, dict, list]], **options) -> Path:
    """A file of several layers (GeoPackage, KML): name → (EPSG code, attribute schema, [(attributes, geometry)])."""
    for name, (epsg, properties, features) in layers.items():
        schema = {"geometry": "Unknown", "properties": properties}
        with fiona.open(path, "w", driver=driver, schema=schema, crs=f"EPSG:{epsg}", layer=name, **options) as out:
            out.writerecords(_records(features, epsg))
    return path


def write_geojson(path: Path, properties: dict, features: list, epsg: int = 4326) -> Path:
    schema = {"geometry": "Unknown", "properties": properties}
    with fiona.open(path, "w", driver="GeoJSON", schema=schema, crs=f"EPSG:{epsg}") as out:
        out.writerecords(_records(features, epsg))
    return path


def write_kml(path: Path, layers: dict[str, list]) -> Path:
    """A KML (GDAL's KML driver, WGS 84) of folders: name → [(name, geometry)]."""
    fiona.drvsupport.supported_drivers["KML"] = "rw"  # fiona leaves GDAL's KML driver off by default
    try:
        records = {
            folder: (
                4326,
                {"Name": "str", "Description": "str"},
                [({"Name": n, "Description": ""}, g) for n, g in items],
            )
            for folder, items in layers.items()
        }
        return write_layers(path, "KML", records)
    finally:
        del fiona.drvsupport.supported_drivers["KML"]


def write_zipped_shapefiles(path: Path, layers: dict[str, tuple[int, dict, list]], folder: str = "plan") -> Path:
    """A zip of Shapefiles (GDAL's ESRI Shapefile driver, UTF-8 with a .cpg), one per layer, in ``folder``/."""
    work = path.parent / (path.stem + "-shp")
    work.mkdir()
    for name, (epsg, properties, features) in layers.items():
        schema = {"geometry": "Unknown", "properties": properties}
        kind = {g.geom_type for _, g in features}
        schema["geometry"] = "Polygon" if kind <= {"Polygon", "MultiPolygon"} else "LineString"
        with fiona.open(
            work / f"{name}.shp", "w", driver="ESRI Shapefile", schema=schema, crs=f"EPSG:{epsg}", encoding="utf-8"
        ) as out:
            out.writerecords(_records(features, epsg))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(work.iterdir()):
            archive.write(file, f"{folder}/{file.name}")
    return path


def same_place(a: shapely.Geometry, b: shapely.Geometry, tolerance_deg: float = MM_DEG) -> bool:
    """True when every vertex of ``a`` lies within ``tolerance_deg`` of ``b`` and the other way round (Hausdorff
    distance; ring direction and first vertex may differ between formats)."""
    return bool(shapely.hausdorff_distance(a, b) <= tolerance_deg)
