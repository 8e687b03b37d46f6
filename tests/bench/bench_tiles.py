"""Vector tile benchmarks on the province-scale demo (PostGIS).

- tiles p50: the tiles a map asks for around the densest park (the 3 × 3 tiles around it at each
  zoom 8–16), each fetched through Django's request handler by a signed-in superuser (session,
  scope, one statement, gzip, ETag), against the bare ST_AsMVT statement of the same tile — the
  hand-written SQL a server like Martin runs, same layers, attributes and buffer — timed alternately
  in the same run. Printed per tileset, per zoom, and for the slowest tile.
- concurrent load: wrk (8 connections, 2 threads) on the same sensor and hazard-source tiles against
  hazmap under uvicorn (2 workers; as configured, with Django's connection pool, and without a pool,
  ``HAZMAP_DB_POOL=0``) and against tipg (2 workers) on the same database, in turns, as time
  per tile (1 / tiles per second). tipg runs from its own virtualenv: set HAZMAP_BENCH_TIPG to its
  python (``python -m venv /tmp/tipg && /tmp/tipg/bin/pip install tipg uvicorn``); without it, or
  without wrk (Debian package ``wrk``), the figure says what is missing. Both are served by
  ``hazmap/asgi_server.py`` (uvicorn with Nagle's algorithm off on every connection, see there).

Run alone: ``python -m tests.bench.bench_tiles`` (builds a throwaway database with the province demo),
or ``--ready`` to use the database of DATABASE_URL as it is (it must hold the demo).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.bench import harness

TILESETS = ("map", "sensors", "hazard-sources")
ZOOMS = range(8, 17)
WRK_SECONDS = 10
SERVE = ("--workers", "2", "--log-level", "warning", "--no-access-log")


def densest_point() -> tuple[float, float]:
    """Longitude and latitude of the centre of the zoom-14 tile holding the most sensors."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Collect(location)) AS c, count(*) AS n "
            "FROM geo_sensor GROUP BY floor((ST_X(location) + 180) / 360 * 16384), "
            "floor((1 - asinh(tan(radians(ST_Y(location)))) / pi()) / 2 * 16384) ORDER BY n DESC LIMIT 1) AS d"
        )
        return cursor.fetchone()


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The z/x/y of the tile holding (lon, lat) (OpenStreetMap wiki, "Slippy map tilenames")."""
    n = 1 << z
    return (
        z,
        math.floor((lon + 180) / 360 * n),
        math.floor((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n),
    )


def map_tiles(lon: float, lat: float, zooms=ZOOMS) -> list[tuple[int, int, int]]:
    """The 3 × 3 tiles around (lon, lat) at each zoom: what a map view there asks for."""
    tiles = []
    for z in zooms:
        _, x, y = tile_of(lon, lat, z)
        tiles += [(z, x + dx, y + dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    return tiles


# --- the bare statement: what a tile server with no scope, no simplification and no ORM runs -----


def bare_layer_sql(layer, z: int, x: int, y: int) -> str:
    """ST_AsMVT of one layer of tile z/x/y, written by hand from the model's table and columns."""
    collection = layer.collection
    meta = collection.model._meta
    geometry = meta.get_field(collection.geometry_field).column
    columns, joins = [], []
    for name in collection.tile_fields:
        lookup = collection.fields[name]
        if "__" in lookup:
            link, _sep, _rest = lookup.partition("__")
            field = meta.get_field(link)
            alias = f"j_{link}"
            joins.append(f'LEFT JOIN {field.related_model._meta.db_table} {alias} ON {alias}.id = t."{field.column}"')
            columns.append(f'{alias}."{collection.model_field(name).column}" AS "{name}"')
        else:
            columns.append(f't."{meta.get_field(lookup).column}" AS "{name}"')
    where = ""
    if layer.only is not None:  # the map's alarms: not closed
        where = "AND t.state <> 'closed'"
    envelope = f"ST_TileEnvelope({z}, {x}, {y})"
    return (
        f"SELECT ST_AsMVT(q, '{collection.id}', 4096, 'geom', 'id') FROM (SELECT t.id, "
        f'ST_AsMVTGeom(ST_Transform(t."{geometry}", 3857), {envelope}, 4096, 64, true) AS geom, '
        f"{', '.join(columns)} FROM {meta.db_table} t {' '.join(joins)} "
        f'WHERE t."{geometry}" && ST_Transform(ST_TileEnvelope({z}, {x}, {y}, margin => 64.0 / 4096), 4326) '
        f"{where}) q"
    )


def bare_tile_sql(tileset, z: int, x: int, y: int) -> str:
    parts = [
        f"COALESCE(({bare_layer_sql(layer, z, x, y)}), ''::bytea)" for layer in tileset.layers if z >= layer.min_zoom
    ]
    return "SELECT " + (" || ".join(parts) if parts else "''::bytea")


# --- tile p50 -------------------------------------------------------------------------------------


def bench_tile_p50(rounds: int = 5) -> list:
    """p50 of tile requests through Django, and of the tile statement alone, against the bare statement."""
    from django.db import connection
    from django.test import Client

    from geo.models import User
    from tests.bench.harness import Figure
    from tiles.grid import Tile
    from tiles.render import render
    from tiles.tilesets import TILESETS as ALL

    admin, _ = User.objects.get_or_create(username="bench-tiles-admin", defaults={"is_superuser": True})
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_ENCODING="gzip")
    client.force_login(admin)
    lon, lat = densest_point()
    tiles = map_tiles(lon, lat)
    figures = []
    for name in TILESETS:
        tileset = ALL[name]
        urls = {t: f"/tiles/{name}/{t[0]}/{t[1]}/{t[2]}.mvt" for t in tiles}
        bare = {t: bare_tile_sql(tileset, *t) for t in tiles}

        def request(t, urls=urls):
            response = client.get(urls[t])
            assert response.status_code in (200, 204), response.content[:200]
            return response

        def statement(t, tileset=tileset):
            return render(tileset, Tile(*t), admin).data

        def baseline(t, bare=bare):
            with connection.cursor() as cursor:
                cursor.execute(bare[t])
                return bytes(cursor.fetchone()[0])

        sizes = {t: (len(statement(t)), len(baseline(t))) for t in tiles}  # also warms up
        for t in tiles:
            request(t)
        timings = {t: ([], [], []) for t in tiles}  # request, statement, bare
        for _ in range(rounds):
            for t in tiles:
                for i, run in enumerate((request, statement, baseline)):
                    start = time.perf_counter()
                    run(t)
                    timings[t][i].append(time.perf_counter() - start)

        def p50(which: int, among=tiles, timings=timings) -> float:
            return statistics.median(s for t in among for s in timings[t][which])

        lines = [
            Figure(f"tiles: {name} request p50, z8–16", p50(0), p50(2), f"{len(tiles)} tiles; baseline: bare ST_AsMVT"),
            Figure(f"tiles: {name} statement p50, z8–16", p50(1), p50(2), "scope, simplification, points; no HTTP"),
        ]
        for z in ZOOMS:
            at = [t for t in tiles if t[0] == z]
            ours_kib = statistics.mean(sizes[t][0] for t in at) / 1024
            bare_kib = statistics.mean(sizes[t][1] for t in at) / 1024
            lines.append(
                Figure(f"  {name} z{z} request", p50(0, at), p50(2, at), f"{ours_kib:.1f} KiB, bare {bare_kib:.1f} KiB")
            )
        slowest = max(tiles, key=lambda t: statistics.median(timings[t][0]))
        lines.append(
            Figure(
                f"  {name} slowest request {'/'.join(map(str, slowest))}",
                p50(0, [slowest]),
                p50(2, [slowest]),
                f"{sizes[slowest][0] / 1024:.1f} KiB (goal: < 100 ms)",
            )
        )
        for figure in lines:
            print(figure.line(), flush=True)
        figures += lines
    return figures


# --- concurrent load with wrk ---------------------------------------------------------------------

WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def wrk_rate(base: str, paths: list[str], headers: dict[str, str], seconds: int) -> tuple[float, int]:
    """Run wrk over ``paths`` (round robin) for ``seconds``; return requests per second and non-2xx answers."""
    script = WRK_SCRIPT % ", ".join(f'"{p}"' for p in paths)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", "-s", f.name]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    out = subprocess.run([*command, base], capture_output=True, text=True, check=True).stdout
    os.unlink(f.name)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), int(errors.group(1)) if errors else 0


def start(command: list[str], env: dict[str, str], ready_url: str) -> subprocess.Popen:
    """Start a server; its output goes to a temporary file (``process.log``), shown if it does not come up."""
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    process.log = log
    try:
        wait_for(ready_url)
    except RuntimeError:
        stop(process)
        raise RuntimeError(last_lines(process)) from None
    return process


def last_lines(process: subprocess.Popen, count: int = 5) -> str:
    """The last lines a server wrote that are not tracebacks' inner lines."""
    process.log.seek(0)
    lines = [line for line in process.log.read().decode(errors="replace").splitlines() if line[:1] not in (" ", "")]
    return "\n".join(lines[-count:])


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def bench_concurrent(rounds: int = 3, seconds: int = WRK_SECONDS) -> list:
    """Tiles per second under concurrent load: hazmap against tipg, same tiles, same database.

    Each server is loaded in turn, ``rounds`` times, and the median rate kept, so that a change in the
    machine's load weighs on all alike. hazmap runs as configured (Django's connection pool,
    ``HAZMAP_DB_POOL``) and without a pool (under ASGI each request runs in its own thread, so without a
    pool every request opens a database connection).
    """
    from django.db import connection

    from geo.models import User
    from layers import tokens
    from tests.bench.harness import Figure

    tipg_python = os.environ.get("HAZMAP_BENCH_TIPG", "")
    missing = [what for what, ok in (("wrk", shutil.which("wrk")), ("tipg", Path(tipg_python).is_file())) if not ok]
    if missing:
        print(f"{'tiles: concurrent load':<46} skipped: {' and '.join(missing)} not found (see bench_tiles.py)")
        return []
    db = connection.settings_dict
    admin, _ = User.objects.get_or_create(username="bench-tiles-admin", defaults={"is_superuser": True})
    _token, raw = tokens.issue(admin, "bench")
    lon, lat = densest_point()
    dsn = f"{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    ours_env = {"DATABASE_URL": f"postgis://{dsn}", "HAZMAP_ALLOWED_HOSTS": "127.0.0.1"}
    servers: dict[str, tuple[subprocess.Popen, int]] = {}
    try:

        def hazmap(env: dict[str, str]) -> tuple[subprocess.Popen, int]:
            port = free_port()
            command = [sys.executable, "-m", "hazmap.asgi_server", "hazmap.asgi:application", "--port", str(port)]
            return start([*command, "--lifespan", "off", *SERVE], env, f"http://127.0.0.1:{port}/healthz"), port

        servers["hazmap"] = hazmap(ours_env)
        servers["hazmap without a pool"] = hazmap({**ours_env, "HAZMAP_DB_POOL": "0"})
        port = free_port()
        tipg_env = {
            "DATABASE_URL": f"postgresql://{dsn}",
            "TIPG_DB_TABLES": '["public.geo_sensor", "public.geo_hazardsource"]',
            "TIPG_DB_SPATIAL_EXTENT": "false",
            "TIPG_DB_DATETIME_EXTENT": "false",
            "TIPG_TILE_BUFFER": "64",
            "TIPG_TILE_RESOLUTION": "4096",
        }
        command = [tipg_python, str(harness.ASGI_SERVER), "tipg.main:app", "--port", str(port), *SERVE]
        servers["tipg"] = (start(command, tipg_env, f"http://127.0.0.1:{port}/collections"), port)
        cases = [
            ("sensors", "geo_sensor", "tag,kind,unit,value,quality,alarm_state", range(14, 17)),
            ("hazard-sources", "geo_hazardsource", "name,kind,gb_grade,is_major,enterprise_id", ZOOMS),
        ]
        figures = []
        for name, table, properties, zooms in cases:
            tiles = map_tiles(lon, lat, zooms)
            requests = {
                "tipg": (
                    [
                        f"/collections/public.{table}/tiles/WebMercatorQuad/{z}/{x}/{y}?properties={properties}"
                        for z, x, y in tiles
                    ],
                    {},
                )
            }
            for server in servers:
                if server != "tipg":
                    paths = [f"/tiles/{name}/{z}/{x}/{y}.mvt" for z, x, y in tiles]
                    requests[server] = (paths, {"Authorization": f"Bearer {raw}"})
            rates: dict[str, list[float]] = {server: [] for server in servers}
            errors = dict.fromkeys(servers, 0)
            for server, (_process, port) in servers.items():  # warm-up
                wrk_rate(f"http://127.0.0.1:{port}", *requests[server], seconds=2)
            for _ in range(rounds):
                for server, (_process, port) in servers.items():
                    rate, failed = wrk_rate(f"http://127.0.0.1:{port}", *requests[server], seconds=seconds)
                    rates[server].append(rate)
                    errors[server] += failed
            tipg_rate = statistics.median(rates["tipg"])
            for server in servers:
                if server == "tipg":
                    continue
                rate = statistics.median(rates[server])
                note = f"tiles/s: {server} {rate:.0f}, tipg {tipg_rate:.0f}"
                if errors[server] or errors["tipg"]:
                    note += f"; non-2xx: {server} {errors[server]}, tipg {errors['tipg']}"
                figure = Figure(
                    f"tiles: {name} under load, {server} ({len(tiles)} tiles)", 1 / rate, 1 / tipg_rate, note
                )
                print(figure.line(), flush=True)
                figures.append(figure)
            for server, (process, _port) in servers.items():
                if errors[server]:
                    print(f"    {server} answered non-2xx; it wrote:\n" + last_lines(process), flush=True)
        return figures
    finally:
        for process, _port in servers.values():
            stop(process)


def run() -> list:
    """Every tile benchmark (for ``python -m tests.bench``)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        print("tiles: the tile benchmarks run on PostGIS (DATABASE_URL=postgis://…)")
        return []
    return bench_tile_p50() + bench_concurrent()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="province", choices=["park", "province", "nation"])
    parser.add_argument("--ready", action="store_true", help="use DATABASE_URL's database as it is (demo loaded)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazmap.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from tests.bench.harness import HEADER

    state = None
    if not args.ready:
        state = setup_databases(verbosity=0, interactive=False)
        call_command("load-demo", scale=args.scale, verbosity=0)
    try:
        print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
        print(HEADER)
        run()
    finally:
        if state is not None:
            teardown_databases(state, verbosity=0)


if __name__ == "__main__":
    main()
