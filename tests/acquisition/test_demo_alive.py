"""What `make run` serves is alive: `hazmap serve --simulate` on the demo park fills live values and history,
and moves its personnel tags until a positioning alarm is raised."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

from tests.acquisition.conftest import free_port


def hazmap(*args: str, env: dict, **options) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hazmap", *args], env=env, cwd=os.getcwd(), **options)


def test_the_demo_park_comes_alive_with_simulated_sensors_and_people(tmp_path):
    database = tmp_path / "demo.sqlite3"
    env = {
        **os.environ,
        "PYTHONPATH": os.getcwd(),
        "HAZMAP_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"spatialite:///{database}",
        "HAZMAP_BROKER": "",
    }
    for step in (("migrate", "-v0"), ("load-demo", "--scale", "park")):
        assert hazmap(*step, env=env, stdout=subprocess.DEVNULL).wait(300) == 0
    server = hazmap("serve", "--simulate", "--port", str(free_port()), env=env, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        live = readings = moved = 0
        alarms: list[str] = []
        while time.monotonic() < deadline and (live < 1000 or readings < 5000 or moved < 60 or not alarms):
            time.sleep(2)
            with sqlite3.connect(database, timeout=30) as db:
                live = db.execute("SELECT count(*) FROM geo_sensor WHERE value IS NOT NULL").fetchone()[0]
                readings = db.execute("SELECT count(*) FROM geo_reading").fetchone()[0]
                moved = db.execute(
                    "SELECT count(*) FROM (SELECT tag_id FROM geo_position GROUP BY tag_id "
                    "HAVING count(DISTINCT location) > 1)"
                ).fetchone()[0]
                tagged = db.execute("SELECT kind FROM geo_alarm WHERE tag_id IS NOT NULL ORDER BY id")
                alarms = [kind for (kind,) in tagged]
        assert live >= 1000, f"only {live} sensors have a live value"
        assert readings >= 5000
        assert moved >= 60, f"only {moved} tags moved"  # the operators of the 20 companies at least, day or night
        assert alarms[:1] == ["low_battery"]  # the simulator's first incident, 20 s after the start
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=60)
    assert "the demo park is simulated" in output
    assert "110 personnel tags of the demo park are simulated (in-process)" in output
    with sqlite3.connect(database) as db:
        offline = db.execute("SELECT count(*) FROM geo_sensor WHERE alarm_state = 'offline'").fetchone()[0]
    assert offline == 0  # starting and stopping are no outage
