"""Test set-up shared by every package: a clear stop when the chosen database is not reachable, and the
second pass of `make test`, which runs only the tests that touch the database.

`make test` runs the suite on SpatiaLite, then on PostGIS with HAZMAP_TEST_DATABASE_ONLY=1: tests that
use no database (the consequence models, GB 18218 arithmetic, SM crypto, protocol connectors…) give
the same result on both backends, so the second pass deselects them and says how many.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.utils import translation


def pytest_configure(config) -> None:
    # Tests create many users; the production hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgis"):
        import psycopg

        try:
            psycopg.connect(
                host=db["HOST"] or "127.0.0.1",
                port=db["PORT"] or 5432,
                user=db["USER"],
                password=db["PASSWORD"],
                dbname="postgres",
                connect_timeout=5,
            ).close()
        except psycopg.OperationalError as error:
            pytest.exit(
                f"PostGIS is not reachable at {db['HOST']}:{db['PORT']} ({error}). "
                "Run `make postgis` (scripts/postgis.sh) or set DATABASE_URL to a reachable server.",
                returncode=3,
            )


@pytest.fixture(autouse=True)
def english_messages():
    """Tests assert the English source messages; the Chinese ones are checked where a test says so."""
    with translation.override("en"):
        yield


DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


def pytest_collection_modifyitems(config, items) -> None:
    """Deselect, with a line saying so: tests marked ``postgis`` on SpatiaLite, and in the PostGIS pass of
    `make test` (HAZMAP_TEST_DATABASE_ONLY=1) the tests that use no database."""
    report = config.pluginmanager.get_plugin("terminalreporter")
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgis"):
        postgis_only = [item for item in items if item.get_closest_marker("postgis")]
        if postgis_only:
            config.hook.pytest_deselected(items=postgis_only)
            items[:] = [item for item in items if not item.get_closest_marker("postgis")]
            report.write_line(f"SpatiaLite: {len(postgis_only)} tests marked postgis run in the PostGIS pass only")
    if os.environ.get("HAZMAP_TEST_DATABASE_ONLY") != "1":
        return
    keep, drop = [], []
    for item in items:
        uses_db = item.get_closest_marker("django_db") is not None or DATABASE_FIXTURES & set(item.fixturenames)
        (keep if uses_db else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
        report.write_line(
            f"HAZMAP_TEST_DATABASE_ONLY=1: {len(drop)} tests that use no database were run in the first pass "
            "and are deselected here"
        )
