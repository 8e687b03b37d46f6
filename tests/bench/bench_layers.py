"""OGC API benchmarks on the province-scale demo (PostGIS), each against a baseline measured in the same run.

- items bbox: pages of 100 sensors (offsets 0…1,900) inside a bounding box holding at least 100,000
  sensors (the province's sensors, copied until there are that many), requested through Django's
  handler by the province regulator with an API token (authentication, scope, parameter checks,
  CQL-free query, GeoJSON), against the bare SQL statement of the same page run with a cursor.
  Printed as medians and p95.
- items under load: wrk (8 connections, 2 threads) on the same pages against hazmap under uvicorn
  (2 workers) and against tipg (2 workers), both served by ``hazmap/asgi_server.py`` (Nagle off), on
  the same database, in turns, as time per request (1 / requests per second). tipg runs from its own
  virtualenv: set HAZMAP_BENCH_TIPG to its python
  (``python3 -m venv /tmp/tipg && /tmp/tipg/bin/pip install tipg uvicorn``); without it, or without
  wrk (Debian package ``wrk``), the figure says what is missing.
- stream latency: a change published to the database until its event arrives over SSE from hazmap
  under uvicorn, against the same change found by polling the table every 10 ms.

Run alone: ``python -m tests.bench.bench_layers`` (builds a throwaway database with the province demo),
or ``--ready`` to use the database of DATABASE_URL as it is (it must hold the demo).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from tests.bench import harness

TARGET_FEATURES = 100_000
PAGE = 100
OFFSETS = range(0, 2000, PAGE)
WRK_SECONDS = 10
SERVE = ("--workers", "2", "--log-level", "warning", "--no-access-log")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], env: dict[str, str], ready_url: str, seconds: float = 60) -> subprocess.Popen:
    """Start a server and wait until ``ready_url`` answers."""
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(ready_url, timeout=2):
                return process
        except OSError:
            time.sleep(0.3)
    stop(process)
    log.seek(0)
    raise RuntimeError(f"{command[0]} did not come up: {log.read().decode(errors='replace')[-2000:]}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def wrk_rate(base: str, paths: list[str], headers: dict[str, str], seconds: int) -> tuple[float, int]:
    """Run wrk (2 threads, 8 connections) over ``paths`` in turn; return requests per second and non-2xx answers."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % ", ".join(f'"{p}"' for p in paths))
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", "-s", script.name]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    out = subprocess.run([*command, base], capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), int(errors.group(1)) if errors else 0


def pad_sensors(target: int = TARGET_FEATURES) -> int:
    """Copy the sensors (tags suffixed) until there are at least ``target``; return how many there are."""
    from django.db import connection

    from geo.models import Sensor

    columns = [f.column for f in Sensor._meta.concrete_fields if not f.primary_key]
    copy = ", ".join("tag || '-b' || n" if c == "tag" else c for c in columns)
    count = Sensor.objects.count()
    if count >= target:
        return count
    rounds = -(-target // count) - 1
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO geo_sensor ({', '.join(columns)}) "
            f"SELECT {copy} FROM geo_sensor CROSS JOIN generate_series(1, %s) AS n",
            [rounds],
        )
    return Sensor.objects.count()


def province_bbox() -> tuple[float, float, float, float]:
    from django.contrib.gis.db.models import Extent

    from geo.models import Sensor

    return Sensor.objects.aggregate(extent=Extent("location"))["extent"]


def bench_items_bbox(rounds: int = 5) -> list:
    """Pages of 100 sensors in a ≥100,000-sensor bbox: hazmap's handler against the bare SQL of each page."""
    from django.db import connection
    from django.test import Client

    from geo.models import User
    from layers import tokens
    from layers.provider import RegistryProvider, acting_as
    from layers.registry import collection
    from tests.bench.harness import Figure

    count = pad_sensors()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # statistics as autovacuum keeps them; right after a bulk load they are missing
    user = User.objects.get(username="shanghai")
    _token, raw = tokens.issue(user, "bench")
    west, south, east, north = province_bbox()
    bbox = f"{west},{south},{east},{north}"
    client = Client(HTTP_HOST="127.0.0.1")
    headers = {"Authorization": f"Bearer {raw}"}
    provider = RegistryProvider({"name": "bench", "type": "feature", "data": "sensors"})
    entry = collection("sensors")
    with acting_as(user):
        matched = provider.rows().filter(provider.where(bbox=[west, south, east, north])).count()
        statements = {}
        for offset in OFFSETS:
            rows = provider.rows().filter(provider.where(bbox=[west, south, east, north])).order_by("pk")
            query = provider._page_values(rows, list(entry.fields), False)[offset : offset + PAGE + 1].query
            statements[offset] = query.sql_with_params()

    def handler(offset: int) -> None:
        response = client.get(
            "/ogc/collections/sensors/items", {"bbox": bbox, "limit": PAGE, "offset": offset}, headers=headers
        )
        assert response.status_code == 200 and len(response.json()["features"]) == PAGE

    def bare(offset: int) -> None:
        sql, params = statements[offset]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    handler(0), bare(0)
    ours, baseline = [], []
    for _ in range(rounds):
        for offset in OFFSETS:
            start = time.perf_counter()
            handler(offset)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            bare(offset)
            baseline.append(time.perf_counter() - start)
    note = f"{matched:,} of {count:,} sensors in the bbox; p95 {p95(ours) * 1e3:.1f} ms vs {p95(baseline) * 1e3:.1f} ms"
    figures = [
        Figure("items: bbox page of 100, median", statistics.median(ours), statistics.median(baseline), note),
        Figure("items: bbox page of 100, p95", p95(ours), p95(baseline), "baseline: the page's bare SQL"),
    ]
    for figure in figures:
        print(figure.line(), flush=True)
    return figures


def bench_items_load(rounds: int = 3, seconds: int = WRK_SECONDS) -> list:
    """Requests per second under concurrent load: hazmap against tipg, the same pages, the same database."""
    from django.db import connection

    from geo.models import User
    from layers import tokens
    from tests.bench.harness import Figure

    tipg_python = os.environ.get("HAZMAP_BENCH_TIPG", "")
    missing = [what for what, ok in (("wrk", shutil.which("wrk")), ("tipg", Path(tipg_python).is_file())) if not ok]
    if missing:
        print(f"{'items: under load':<46} skipped: {' and '.join(missing)} not found (see bench_layers.py)")
        return []
    _token, raw = tokens.issue(User.objects.get(username="shanghai"), "bench load")
    west, south, east, north = province_bbox()
    bbox = f"{west},{south},{east},{north}"
    db = connection.settings_dict
    dsn = f"{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    servers = {}
    try:
        port = free_port()
        command = [sys.executable, "-m", "hazmap.asgi_server", "hazmap.asgi:application", "--port", str(port)]
        command += ["--lifespan", "off"]
        env = {"DATABASE_URL": f"postgis://{dsn}", "HAZMAP_ALLOWED_HOSTS": "127.0.0.1"}
        servers["hazmap"] = (start([*command, *SERVE], env, f"http://127.0.0.1:{port}/healthz"), port)
        port = free_port()
        tipg_env = {
            "DATABASE_URL": f"postgresql://{dsn}",
            "TIPG_DB_TABLES": '["public.geo_sensor"]',
            "TIPG_DB_SPATIAL_EXTENT": "false",
            "TIPG_DB_DATETIME_EXTENT": "false",
        }
        command = [tipg_python, str(harness.ASGI_SERVER), "tipg.main:app", "--port", str(port), *SERVE]
        servers["tipg"] = (start(command, tipg_env, f"http://127.0.0.1:{port}/collections"), port)
        query = urllib.parse.urlencode({"bbox": bbox, "limit": PAGE})
        requests = {
            "hazmap": (
                [f"/ogc/collections/sensors/items?{query}&offset={o}" for o in OFFSETS],
                {"Authorization": f"Bearer {raw}"},
            ),
            "tipg": ([f"/collections/public.geo_sensor/items?{query}&offset={o}" for o in OFFSETS], {}),
        }
        rates = {name: [] for name in servers}
        errors = dict.fromkeys(servers, 0)
        for name, (_process, port) in servers.items():
            wrk_rate(f"http://127.0.0.1:{port}", *requests[name], seconds=2)  # warm-up
        for _ in range(rounds):
            for name, (_process, port) in servers.items():
                rate, failed = wrk_rate(f"http://127.0.0.1:{port}", *requests[name], seconds=seconds)
                rates[name].append(rate)
                errors[name] += failed
        ours, theirs = statistics.median(rates["hazmap"]), statistics.median(rates["tipg"])
        note = f"requests/s: hazmap {ours:.0f}, tipg {theirs:.0f}"
        if errors["hazmap"] or errors["tipg"]:
            note += f"; non-2xx: hazmap {errors['hazmap']}, tipg {errors['tipg']}"
        figure = Figure("items: bbox pages under load vs tipg", 1 / ours, 1 / theirs, note)
        print(figure.line(), flush=True)
        return [figure]
    finally:
        for process, _port in servers.values():
            stop(process)


def bench_stream_latency(samples: int = 30) -> list:
    """Publish → SSE arrival through hazmap under uvicorn, against finding the change by polling every 10 ms."""
    from django.db import connection

    from geo import events
    from geo.models import Event, Sensor, User
    from layers import tokens
    from tests.bench.harness import Figure

    user = User.objects.get(username="shanghai")
    _token, raw = tokens.issue(user, "bench stream")
    sensor = Sensor.objects.filter(enterprise__isnull=False).order_by("pk").first()
    db = connection.settings_dict
    dsn = f"{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    port = free_port()
    command = [sys.executable, "-m", "hazmap.asgi_server", "hazmap.asgi:application", "--port", str(port)]
    command += ["--lifespan", "off"]
    env = {"DATABASE_URL": f"postgis://{dsn}", "HAZMAP_ALLOWED_HOSTS": "127.0.0.1"}
    process = start([*command, "--log-level", "warning"], env, f"http://127.0.0.1:{port}/healthz")
    arrivals: dict[int, float] = {}
    try:
        stream = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        stream.request("GET", "/ogc/events", headers={"Authorization": f"Bearer {raw}"})
        response = stream.getresponse()

        def read() -> None:
            try:
                for line in response:
                    if line.startswith(b"id: "):
                        arrivals[int(line[4:])] = time.perf_counter()
            except (OSError, AttributeError, ValueError):  # the connection closed at the end
                pass

        threading.Thread(target=read, daemon=True).start()
        time.sleep(1.0)
        ours, baseline = [], []
        for i in range(samples):
            sent = time.perf_counter()
            event = events.publish("sensors", sensor, {"value": float(i)})
            while event.id not in arrivals and time.perf_counter() - sent < 5:
                time.sleep(0.001)
            ours.append(arrivals.get(event.id, sent + 5) - sent)
            sent = time.perf_counter()
            event = events.publish("sensors", sensor, {"value": float(i)})
            while not Event.objects.filter(id__gt=event.id - 1, id__lte=event.id).exists():
                time.sleep(0.01)
            baseline.append(time.perf_counter() - sent)
            time.sleep(0.05)
        stream.close()
    finally:
        stop(process)
    note = f"p95 {p95(ours) * 1e3:.0f} ms (goal ≤ 500 ms device to map); baseline: poll the table every 10 ms"
    figure = Figure("stream: publish → SSE event, median", statistics.median(ours), statistics.median(baseline), note)
    print(figure.line(), flush=True)
    return [figure]


def run() -> list:
    """Every OGC API benchmark (for ``python -m tests.bench``)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        print("layers: the OGC API benchmarks run on PostGIS (DATABASE_URL=postgis://…)")
        return []
    return bench_items_bbox() + bench_items_load() + bench_stream_latency()


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
