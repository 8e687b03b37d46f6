"""Database set-up that Django leaves to us."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

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


def repair_spatial_indexes(sender, using: str = "default", **kwargs) -> None:
    """Re-enable SpatiaLite spatial indexes that a migration switched off.

    SQLite cannot alter a table in place, so Django rebuilds it (for a new constraint, index or
    column) and then recovers its geometry columns; the R*Tree index of such a column is left
    disabled, and spatial queries fall back to scanning the table. After every ``migrate`` this
    rebuilds the index of each geometry field that asks for one and lacks it.
    """
    from django.apps import apps
    from django.contrib.gis.db.models import GeometryField
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lower(f_table_name), lower(f_geometry_column) FROM geometry_columns WHERE spatial_index_enabled = 0"
        )
        disabled = set(cursor.fetchall())
        if not disabled:
            return
        for model in apps.get_models():
            for field in model._meta.local_fields:
                key = (model._meta.db_table.lower(), field.column.lower())
                if isinstance(field, GeometryField) and field.spatial_index and key in disabled:
                    log.info("rebuilding the spatial index of %s.%s", *key)
                    cursor.execute(f'DROP TABLE IF EXISTS "idx_{key[0]}_{key[1]}"')
                    cursor.execute("SELECT CreateSpatialIndex(%s, %s)", list(key))


@contextlib.contextmanager
def array_cursor() -> Iterator:
    """A PostgreSQL cursor for statements that take whole columns as arrays (``unnest(%b::float8[], …)``).

    Django's cursors bind parameters on the client, quoting every element of an array in Python
    (~1.5 ms for an array of 500 texts); this one, on the same connection and in the same
    transaction, binds them on the server in binary (``%b``), ten times faster. Errors are Django's.
    """
    import psycopg
    from django.db import connection

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor
