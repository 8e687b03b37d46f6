"""QGIS as a real client of hazmap under uvicorn: an OAPIF layer of a collection, a vector tile layer.

QGIS comes from Debian (``python3-qgis``, QGIS 3.22; ``scripts/install-debian.sh qgis``) and belongs to
Debian's /usr/bin/python3, not the project's virtualenv, so each test runs ``qgis_client.py`` with
that Python (``HAZMAP_QGIS_PYTHON``), headless (``QT_QPA_PLATFORM=offscreen``), and reads the JSON
it prints.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path

import pytest

from geo.models import Sensor
from tests.factories import LAT, LON, sensor

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT = Path(__file__).with_name("qgis_client.py")
ZOOM = 15


def qgis(*args: str, home: Path) -> dict:
    """Run ``qgis_client.py`` with QGIS's Python; its JSON result."""
    python = os.environ.get("HAZMAP_QGIS_PYTHON", "/usr/bin/python3")
    found = subprocess.run([python, "-c", "import qgis.core"], capture_output=True, text=True, check=False)
    if found.returncode != 0:
        pytest.fail(
            f"QGIS is not importable by {python} ({found.stderr.strip()[-300:]}): install Debian's python3-qgis "
            "(bash scripts/install-debian.sh qgis) or set HAZMAP_QGIS_PYTHON"
        )
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),  # QGIS writes its profile there
        "XDG_RUNTIME_DIR": str(runtime),
        "QT_QPA_PLATFORM": "offscreen",
        "LANG": "C.UTF-8",
    }
    result = subprocess.run(
        [python, str(CLIENT), *args], capture_output=True, text=True, timeout=180, env=environment, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def many(world):
    """25 more sensors at e1, so that QGIS's pages of 10 take three requests."""
    for i in range(25):
        sensor(world["e1"], tag=f"PT-{i:02d}", kind="pressure", unit="MPa")
    return world


def test_qgis_loads_a_collection_as_an_oapif_layer_with_every_feature(server, many, tmp_path):
    result = qgis("oapif", f"{server}/ogc", many["tokens"]["operator"], "sensors", home=tmp_path)
    assert result["valid"] is True
    expected = dict(Sensor.objects.filter(enterprise=many["e1"]).values_list("tag", "location"))
    assert result["count"] == len(result["features"]) == len(expected) == 27
    assert {"tag", "kind", "unit", "value", "alarm_state"} <= set(result["fields"])
    assert result["crs"] == "EPSG:4326"
    for feature in result["features"]:
        location = expected[feature["attributes"]["tag"]]
        assert (feature["lon"], feature["lat"]) == pytest.approx(location.coords, abs=1e-9)
    level = next(f for f in result["features"] if f["attributes"]["tag"] == "LT-101")
    assert (level["attributes"]["value"], level["attributes"]["alarm_state"]) == (85.5, "hi")


def test_a_token_the_server_does_not_know_gives_qgis_an_invalid_layer(server, world, tmp_path):
    result = qgis("oapif", f"{server}/ogc", "hzm_not_a_token", "sensors", home=tmp_path)
    assert result == {"valid": False}


def test_qgis_loads_the_tilejson_url_as_a_vector_tile_layer_and_decodes_its_features(server, many, tmp_path):
    """QGIS reads TileJSON's XYZ URL (with ``?v=`` and ``?token=``), fetches and decodes the tiles around
    the park at zoom 15 and hands their features, with the tile attributes, to its renderer."""
    tilejson = f"{server}/tiles/sensors.json?token={many['tokens']['operator']}"
    result = qgis("tiles", tilejson, str(LON), str(LAT), str(ZOOM), home=tmp_path)
    assert result["valid"] is True
    assert result["errors"] == []
    assert "type=xyz" in result["source"] and "token" in result["source"]
    decoded = {f["attributes"]["tag"]: f for f in result["features"] if f["layer"] == "sensors"}
    expected = {s.tag: s for s in Sensor.objects.filter(enterprise=many["e1"])}  # the operator's own sensors
    assert set(decoded) == set(expected)  # B's sensor is 5 km east, and outside the operator's scope anyway
    unit_lon = 360.0 / (1 << ZOOM) / 4096  # one MVT grid unit at zoom 15, in degrees of longitude
    unit_lat = unit_lon * math.cos(math.radians(LAT))  # ... and of latitude (Mercator: the same metres)
    for tag, feature in decoded.items():
        stored = expected[tag]
        assert feature["attributes"]["kind"] == stored.kind and feature["attributes"]["unit"] == stored.unit
        assert feature["lon"] == pytest.approx(stored.location.x, abs=unit_lon)
        assert feature["lat"] == pytest.approx(stored.location.y, abs=unit_lat)
