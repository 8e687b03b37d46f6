"""Coordinate reference systems of the OGC API (Features Part 2): which ones, and moving to and from storage.

Geometry is stored in EPSG:4326 with longitude first, which is OGC CRS84. Clients may ask for
features (``crs``) and give bounding boxes (``bbox-crs``) and filter geometries (``filter-crs``)
in CRS84, EPSG:4326 and EPSG:4490 (CGCS2000; both with latitude first, as their EPSG definitions
say) or EPSG:3857 (Web Mercator, metres). CGCS2000 is treated as equal to WGS 84 at map precision
(pyproj's ballpark transformation). pyproj does every transformation, axis order included.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyproj
import shapely
from django.utils.translation import gettext as _

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG_4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
EPSG_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
STORAGE_CRS = CRS84
SUPPORTED = (CRS84, EPSG_4326, EPSG_4490, EPSG_3857)
_AUTHORITY_CODES = {CRS84: "OGC:CRS84", EPSG_4326: "EPSG:4326", EPSG_4490: "EPSG:4490", EPSG_3857: "EPSG:3857"}


class CrsError(ValueError):
    """A CRS the API does not offer; the message lists those it does."""


def check(uri: str, parameter: str) -> str:
    """``uri`` when it is one of the supported CRS URIs, else ``CrsError`` naming ``parameter``."""
    if uri not in SUPPORTED:
        raise CrsError(
            _("%(parameter)s %(value)s is not offered; use one of %(supported)s.")
            % {"parameter": parameter, "value": uri, "supported": ", ".join(SUPPORTED)}
        )
    return uri


@cache
def _to_storage(uri: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(_AUTHORITY_CODES[uri], _AUTHORITY_CODES[STORAGE_CRS])


def bbox_to_storage(bbox: tuple[float, float, float, float], uri: str) -> tuple[float, float, float, float]:
    """A bounding box given in ``uri`` (in that CRS's axis order) as (west, south, east, north) in CRS84."""
    if uri == STORAGE_CRS:
        return bbox
    west, south, east, north = _to_storage(uri).transform_bounds(*bbox)
    return west, south, east, north


def geometry_to_storage(geometry: shapely.Geometry, uri: str) -> shapely.Geometry:
    """A geometry given in ``uri`` (in that CRS's axis order) in CRS84."""
    if uri == STORAGE_CRS:
        return geometry
    transformer = _to_storage(uri)
    return shapely.transform(geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
