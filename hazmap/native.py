"""Native libraries for GeoDjango and SpatiaLite, found inside the installed wheels.

GeoDjango needs GDAL and GEOS. The rasterio wheel carries both (in ``rasterio.libs``), so no
Debian GDAL/GEOS packages are needed. rasterio is imported first so that the dynamic loader has
already opened the sibling libraries libgdal depends on (PROJ, SQLite, curl, ...).

Python's own ``sqlite3`` module on this kind of machine is built without extension loading, which
SpatiaLite needs; ``pysqlite3`` (from the ``pysqlite3-binary`` wheel) can load extensions and is put
in its place before Django opens a database.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def wheel_library(prefix: str) -> str:
    """Return the path of the shared library named ``prefix*`` bundled in the rasterio wheel."""
    import rasterio

    libs = Path(rasterio.__file__).resolve().parent.parent / "rasterio.libs"
    found = sorted(libs.glob(f"{prefix}*.so*"))
    if not found:
        raise RuntimeError(f"{prefix} not found in {libs}; reinstall rasterio (make install)")
    return str(found[0])


def gdal_data_dirs() -> None:
    """Point GDAL and PROJ at the data files shipped with rasterio, unless already set."""
    import rasterio

    root = Path(rasterio.__file__).resolve().parent
    os.environ.setdefault("GDAL_DATA", str(root / "gdal_data"))
    os.environ.setdefault("PROJ_DATA", str(root / "proj_data"))


def preload_wheel_libraries() -> None:
    """Load rasterio, fiona, shapely and pyproj before any database connection.

    Loading the SpatiaLite extension pulls Debian's PROJ and GEOS into the process (SQLite opens
    extensions with RTLD_GLOBAL); pyproj and shapely imported after that would bind to those instead
    of their own (pyproj then aborts at exit, shapely's WKB writer fails), and fiona's GDAL crashes
    the process writing a GeoPackage. Importing them first keeps each on its own libraries.
    """
    import fiona  # noqa: F401
    import pyproj  # noqa: F401
    import rasterio  # noqa: F401
    import shapely  # noqa: F401


def use_pysqlite3() -> None:
    """Make ``import sqlite3`` return pysqlite3, which can load the SpatiaLite extension."""
    import pysqlite3
    import pysqlite3.dbapi2

    sys.modules["sqlite3"] = pysqlite3
    sys.modules["sqlite3.dbapi2"] = pysqlite3.dbapi2
