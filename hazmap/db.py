"""Database set-up that Django leaves to us."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def init_spatialite(sender, connection, **kwargs) -> None:
    """Give a new SpatiaLite file its spatial metadata before anything else runs on it.

    A fresh file needs ``InitSpatialMetaData(1)`` before ``migrate`` (Django ticket #32935);
    this runs once per file, on its first connection.
    """
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA table_info(geometry_columns)")
        if cursor.fetchall():
            return
        log.info("initialising SpatiaLite metadata in %s", connection.settings_dict["NAME"])
        cursor.execute("SELECT InitSpatialMetaData(1)")
