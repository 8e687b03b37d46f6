"""Test set-up shared by every package: a clear stop when the chosen database is not reachable."""

from __future__ import annotations

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
