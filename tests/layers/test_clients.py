"""Real OGC clients against hazmap under uvicorn: GDAL's OAPIF driver (ogrinfo, ogr2ogr) and OWSLib.

GDAL comes from Debian's gdal-bin (the GDAL inside the rasterio wheel is built without OAPIF);
``scripts/install-debian.sh gdal`` installs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from geo.models import Sensor
from tests.factories import sensor

pytestmark = pytest.mark.django_db(transaction=True)


def gdal(*args: str, token: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    program = shutil.which(args[0])
    if program is None:
        pytest.fail(f"{args[0]} is missing: install Debian's gdal-bin (bash scripts/install-debian.sh gdal)")
    config = ["--config", "GDAL_HTTP_HEADERS", f"Authorization: Bearer {token}"] if token else []
    environment = {**os.environ, "CPL_DEBUG": "ON", **(env or {})}
    result = subprocess.run(
        [program, *args[1:], *config], capture_output=True, text=True, timeout=120, env=environment, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.fixture
def many(world):
    """25 more sensors at e1, so that GDAL's 10-feature pages take three requests."""
    for i in range(25):
        sensor(world["e1"], tag=f"PT-{i:02d}", kind="pressure", unit="MPa")
    return world


def test_ogrinfo_lists_every_collection_a_token_opens(server, world):
    listing = gdal("ogrinfo", "-ro", "-q", f"OAPIF:{server}/ogc", token=world["tokens"]["regulator"]).stdout
    for collection_id in ("regions", "enterprises", "hazard-sources", "sensors", "alarms", "consequence-zones"):
        assert f": {collection_id} " in listing
    anonymous = gdal("ogrinfo", "-ro", "-q", f"OAPIF:{server}/ogc").stdout
    assert ": regions " in anonymous and ": sensors " not in anonymous


def test_ogr2ogr_reads_every_feature_across_pages(server, many, tmp_path):
    out = tmp_path / "sensors.geojson"
    result = gdal(
        "ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{server}/ogc", "sensors", token=many["tokens"]["operator"]
    )
    pages = [line for line in result.stderr.splitlines() if "Fetch(" in line and "/sensors/items" in line]
    assert len(pages) >= 3
    features = json.loads(out.read_text())["features"]
    expected = set(Sensor.objects.filter(enterprise=many["e1"]).values_list("tag", flat=True))
    assert len(features) == len(expected) == 27
    assert {f["properties"]["tag"] for f in features} == expected


def test_a_token_in_the_url_works_for_clients_that_cannot_set_headers(server, world, tmp_path):
    out = tmp_path / "sensors.geojson"
    gdal("ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{server}/ogc?token={world['tokens']['outsider']}", "sensors")
    assert [f["properties"]["tag"] for f in json.loads(out.read_text())["features"]] == ["LT-901"]


def test_gdal_filters_on_the_server_with_cql_text(server, many, tmp_path):
    out = tmp_path / "level.geojson"
    result = gdal(
        "ogr2ogr",
        "-f",
        "GeoJSON",
        str(out),
        f"OAPIF:{server}/ogc",
        "sensors",
        "-where",
        "kind = 'level' AND hi > 50",
        token=many["tokens"]["operator"],
        env={"OGR_OAPIF_ALLOW_CQL_TEXT": "YES"},
    )
    fetched = [line for line in result.stderr.splitlines() if "Fetch(" in line and "/sensors/items" in line]
    filtered = [line for line in fetched if "filter=" in line]
    unfiltered = [line for line in fetched if "filter=" not in line]
    assert len(filtered) == 1  # one filtered page ...
    assert len(unfiltered) <= 1  # ... and at most GDAL's first look at the schema, not the 27 sensors page by page
    assert [f["properties"]["tag"] for f in json.loads(out.read_text())["features"]] == ["LT-101"]


def test_gdal_bbox_selects_on_the_server(server, many, tmp_path):
    out = tmp_path / "near.geojson"
    x, y = many["other"].location.coords
    result = gdal(
        "ogr2ogr",
        "-f",
        "GeoJSON",
        str(out),
        f"OAPIF:{server}/ogc",
        "sensors",
        "-spat",
        str(x - 0.001),
        str(y - 0.001),
        str(x + 0.001),
        str(y + 0.001),
        token=many["tokens"]["root"],
    )
    assert any("bbox=" in line for line in result.stderr.splitlines() if "Fetch(" in line)
    assert [f["properties"]["tag"] for f in json.loads(out.read_text())["features"]] == ["LT-901"]


@pytest.fixture
def owslib_headers():
    """OWSLib keeps request headers in a module-level dict; restore it after each test."""
    from owslib import ogcapi

    saved = dict(ogcapi.REQUEST_HEADERS)
    yield
    ogcapi.REQUEST_HEADERS.clear()
    ogcapi.REQUEST_HEADERS.update(saved)


def test_owslib_reads_collections_and_items_with_bbox_and_cql2(server, world, owslib_headers):
    from owslib.ogcapi.features import Features

    api = Features(f"{server}/ogc/", headers={"Authorization": f"Bearer {world['tokens']['regulator']}"})
    assert "sensors" in [c["id"] for c in api.collections()["collections"]]
    x, y = world["level"].location.coords
    near = api.collection_items("sensors", bbox=[x - 0.001, y - 0.001, x + 0.001, y + 0.001], limit=10)
    assert {f["properties"]["tag"] for f in near["features"]} == {"LT-101", "AT-201"}
    filtered = api.collection_items("sensors", filter="kind = 'level'")
    assert [f["properties"]["tag"] for f in filtered["features"]] == ["LT-101"]
    posted = api.collection_items("sensors", cql={"op": "=", "args": [{"property": "tag"}, "AT-201"]})
    assert [f["properties"]["tag"] for f in posted["features"]] == ["AT-201"]
    item = api.collection_item("sensors", str(world["level"].pk))
    assert item["properties"]["value"] == 85.5


def test_owslib_runs_the_grading_process(server, world, owslib_headers):
    from owslib.ogcapi.processes import Processes

    api = Processes(f"{server}/ogc/", headers={"Authorization": f"Bearer {world['tokens']['regulator']}"})
    assert [p["id"] for p in api.processes()] == ["gb18218-grading", "consequence"]
    result = api.execute(
        "gb18218-grading", inputs={"holdings": [{"name": "氯", "table1_seq": 12, "q_t": 50}], "population": 120}
    )
    (grading,) = result["outputs"]
    assert (grading["r"], grading["grade"]) == (80.0, 2)  # GB 18218-2018: α 2.0 × β 4 × 50 t / 5 t


def test_owslib_runs_the_consequence_process_on_a_tank(server, world, owslib_headers):
    from owslib.ogcapi.processes import Processes

    api = Processes(f"{server}/ogc/", headers={"Authorization": f"Bearer {world['tokens']['commander']}"})
    inputs = {
        "equipment": world["tank"].pk,
        "kind": "toxic",
        "release": "hole",
        "hole_diameter_m": 0.025,
        "weather": {"wind_speed_m_s": 3.0, "wind_from_deg": 270.0, "stability": "D"},
    }
    (zones,) = api.execute("consequence", inputs=inputs)["outputs"]
    # chlorine's AEGL-3/2/1 (60 min), US EPA AEGL program
    assert [f["properties"]["endpoint"] for f in zones["features"]] == [
        "AEGL-3 (60 min)",
        "AEGL-2 (60 min)",
        "AEGL-1 (60 min)",
    ]
