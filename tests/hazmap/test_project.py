"""The project: settings from the environment, the health check, the `hazmap` command and the ASGI server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from hazmap.settings import env_bool, env_int

ROOT = Path(__file__).resolve().parents[2]
HAZMAP = str(Path(sys.executable).with_name("hazmap"))


def test_boolean_settings_accept_the_usual_spellings(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert env_bool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "0")
    assert env_bool("X_FLAG", True) is False
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG='maybe' is not a boolean"):
        env_bool("X_FLAG", False)


def test_reading_retention_below_the_regulatory_30_days_is_refused(monkeypatch):
    monkeypatch.setenv("HAZMAP_READING_RETENTION_DAYS", "29")
    with pytest.raises(ImproperlyConfigured, match="HAZMAP_READING_RETENTION_DAYS=29 is below the minimum 30"):
        env_int("HAZMAP_READING_RETENTION_DAYS", 90, minimum=30)


def run_hazmap(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [HAZMAP, *args], capture_output=True, text=True, timeout=120, cwd=ROOT, env={**os.environ, **env}
    )


def test_an_unsupported_database_url_is_refused_with_the_accepted_schemes():
    result = run_hazmap("check", DATABASE_URL="mysql://root@127.0.0.1/hazmap")
    assert result.returncode != 0
    assert "DATABASE_URL must start with spatialite:// or postgis://, not mysql://" in result.stderr


def test_the_hazmap_command_lists_its_own_commands():
    result = run_hazmap("help")
    assert result.returncode == 0, result.stderr
    for command in ("demo", "load-demo", "serve", "maintain", "compilemessages"):
        assert f"    {command}\n" in result.stdout


@pytest.mark.django_db
def test_the_health_check_reports_the_database(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_hazmap_serve_answers_over_http_on_a_fresh_spatialite_file(tmp_path):
    """What `make run` ends with: migrate a new SpatiaLite file, then uvicorn serves the ASGI app."""
    env = {"DATABASE_URL": f"spatialite:///{tmp_path / 'fresh.sqlite3'}", "HAZMAP_VAR_DIR": str(tmp_path)}
    migrated = run_hazmap("migrate", "--no-input", **env)
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    server = subprocess.Popen(
        [HAZMAP, "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    body = answer.read().decode()
                    break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.2)
        assert body == '{"status": "ok", "database": "sqlite"}', server.stdout.read() if server.poll() else body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=5) as answer:
            assert answer.status == 200
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.django_db
def test_every_geometry_column_has_a_working_spatial_index():
    """SQLite rebuilds tables on migrate, which leaves SpatiaLite indexes switched off unless repaired."""
    from django.apps import apps
    from django.contrib.gis.db.models import GeometryField
    from django.db import connection

    columns = {
        (m._meta.db_table, f.column)
        for m in apps.get_models()
        for f in m._meta.local_fields
        if isinstance(f, GeometryField) and f.spatial_index
    }
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT f_table_name, f_geometry_column FROM geometry_columns WHERE spatial_index_enabled = 1"
            )
        else:
            cursor.execute(
                "SELECT t.relname, a.attname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_am am ON am.oid = i.relam "
                "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(x.indkey) WHERE am.amname = 'gist'"
            )
        indexed = set(cursor.fetchall())
    assert columns - indexed == set()


@pytest.mark.postgis
@pytest.mark.django_db(transaction=True)
def test_two_uvicorn_workers_on_postgis_keep_their_connections_in_the_pool(tmp_path):
    """HAZMAP_DB_POOL (PostGIS): 48 requests, 16 at a time, over two uvicorn workers all succeed, and the
    processes hold no more than their pools allow (without a pool every request's thread opens one)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.conf import settings
    from django.db import connection

    assert connection.vendor == "postgresql", "marked postgis: the connection pool is PostGIS's"
    db = settings.DATABASES["default"]
    url = f"postgis://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    name = f"hazmap-pool-test-{os.getpid()}"
    env = {"DATABASE_URL": url, "HAZMAP_VAR_DIR": str(tmp_path), "HAZMAP_DB_POOL": "3", "PGAPPNAME": name}
    port = free_port()
    server = subprocess.Popen(  # uvicorn itself: `hazmap serve` would also prepare partitions in the test database
        [sys.executable, "-m", "uvicorn", "hazmap.asgi:application", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def get(path: str) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as answer:
            answer.read()
            return answer.status

    try:
        for _ in range(150):
            try:
                if get("/healthz") == 200:
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.2)
        paths = ["/healthz", "/ogc/collections/regions/items?f=json", "/tiles/regions/0/0/0.mvt"] * 16
        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(get, paths))
        assert statuses.count(200) + statuses.count(204) == len(paths), statuses
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [name])
            (held,) = cursor.fetchone()
        assert 1 <= held <= 2 * 3  # two workers, three connections each
    finally:
        server.terminate()
        server.wait(timeout=30)
