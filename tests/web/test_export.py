"""Consequence zones exported as a GeoPackage (``POST /app/export/geopackage``), read back by fiona and GDAL's ogrinfo.

The collection has the shape of the ``consequence`` process's output (layers/processes.py): one zone
per level, the most severe first, a MultiPolygon, a Polygon and a level not reached (no geometry), with
numbers, flags, text, lists of people and a nested envelope geometry as properties.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import fiona
import pytest
import shapely.geometry
from django.contrib.auth import get_user_model

URL = "/app/export/geopackage"
OGRINFO = shutil.which("ogrinfo") or "/usr/bin/ogrinfo"
NAME = "情景 A · 氯 · 孔洞泄漏 25 mm"

SQUARE = [[121.43, 30.81], [121.44, 30.81], [121.44, 30.82], [121.43, 30.82], [121.43, 30.81]]
HOLE = [[121.432, 30.812], [121.432, 30.814], [121.434, 30.814], [121.434, 30.812], [121.432, 30.812]]
RED = {
    "type": "MultiPolygon",
    "coordinates": [[SQUARE, HOLE], [[[121.45, 30.8], [121.46, 30.8], [121.455, 30.805], [121.45, 30.8]]]],
}
ORANGE = {
    "type": "Polygon",
    "coordinates": [[[121.42, 30.8], [121.47, 30.8], [121.47, 30.83], [121.42, 30.83], [121.42, 30.8]]],
}


def zone(severity: str, geometry: dict | None, distance: float | None, people: list[dict]) -> dict:
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "endpoint": {"red": "AEGL-3 (60 min)", "orange": "AEGL-2 (60 min)", "yellow": "AEGL-1 (60 min)"}[severity],
            "threshold": {"red": 20.0, "orange": 2.0, "yellow": 0.5}[severity],
            "unit": "ppm",
            "severity": severity,
            "reached": geometry is not None,
            "max_distance_m": distance,
            "people_inside": len(people),
            "people": people,
            "population_inside": 800 if geometry else 0,
            "envelope": geometry,
            "enterprises": [{"id": 3, "name": "上海沪湾氯碱化工有限公司"}] if geometry else [],
        },
    }


ZONES = {
    "type": "FeatureCollection",
    "name": NAME,
    "features": [
        zone("red", RED, 2120.4, [{"id": 7, "code": "TAG-000007", "holder": "张伟"}]),
        zone("orange", ORANGE, 4310, []),  # a whole number where the others have decimals
        zone("yellow", None, None, []),
    ],
    "kind": "toxic",
    "substance": {"cas": "7782-50-5", "name": "chlorine"},
}


@pytest.fixture
def client(client, db):
    planner = get_user_model().objects.create_user("planner", password="x", role="planner")
    client.force_login(planner)
    return client


def export(client, body, **headers):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(URL, data, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en", **headers)


def test_the_zones_come_back_from_the_geopackage_as_they_went_in(client, tmp_path):
    answer = export(client, ZONES)
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == "application/geopackage+sqlite3"
    assert answer["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert answer.content[:16] == b"SQLite format 3\x00"
    path = tmp_path / "zones.gpkg"
    path.write_bytes(answer.content)

    assert fiona.listlayers(path) == [NAME]
    with fiona.open(path) as layer:
        assert layer.crs.to_epsg() == 4326
        assert layer.schema["geometry"] == "Unknown"  # MultiPolygon and Polygon
        assert layer.schema["properties"] == {
            "endpoint": "str",
            "threshold": "float",
            "unit": "str",
            "severity": "str",
            "reached": "bool",
            "max_distance_m": "float",
            "people_inside": "int",
            "people": "str",
            "population_inside": "int",
            "envelope": "str",
            "enterprises": "str",
        }
        features = list(layer)
    assert len(features) == 3
    for sent, read in zip(ZONES["features"], features, strict=True):
        properties = dict(read.properties)
        for name in ("people", "envelope", "enterprises"):  # lists and objects as JSON text, null as null
            properties[name] = None if properties[name] is None else json.loads(properties[name])
        assert properties == sent["properties"]
        if sent["geometry"] is None:
            assert read.geometry is None
        else:
            assert shapely.geometry.shape(read.geometry).equals_exact(shapely.geometry.shape(sent["geometry"]), 0)
            assert read.geometry.type == sent["geometry"]["type"]
    assert features[1].properties["max_distance_m"] == 4310.0


def test_gdals_ogrinfo_opens_the_geopackage_with_its_layer_fields_and_crs(client, tmp_path):
    if not shutil.which(OGRINFO):
        pytest.fail("GDAL's ogrinfo is missing: run `make test-tools` (Debian gdal-bin).")
    path = tmp_path / "zones.gpkg"
    path.write_bytes(export(client, ZONES).content)
    done = subprocess.run([OGRINFO, "-ro", "-so", "-al", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    report = done.stdout
    assert "using driver `GPKG' successful" in report
    assert f"Layer name: {NAME}" in report
    assert "Feature Count: 3" in report
    assert 'ID["EPSG",4326]' in report
    for field in ("threshold: Real", "reached: Integer(Boolean)", "people_inside: Integer64", "people: String"):
        assert field in report, field
    assert "Extent: (121.420000, 30.800000) - (121.470000, 30.830000)" in report


def test_one_kind_of_geometry_gives_the_layer_that_type_and_an_unnamed_collection_the_layer_zones(client, tmp_path):
    collection = {"type": "FeatureCollection", "features": [ZONES["features"][1]]}
    path = tmp_path / "one.gpkg"
    answer = export(client, collection)
    assert answer["Content-Disposition"] == 'attachment; filename="zones.gpkg"'
    path.write_bytes(answer.content)
    with fiona.open(path, layer="zones") as layer:
        assert layer.schema["geometry"] == "Polygon"
        assert layer.schema["properties"]["people"] == "str"  # only empty lists: still JSON text
        assert layer.schema["properties"]["max_distance_m"] == "int"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("{not json", 400, "The body is not JSON"),
        ([], 400, "The body must be a JSON object."),
        (
            {"type": "Feature", "geometry": ORANGE, "properties": {}},
            400,
            "must be a GeoJSON FeatureCollection, not “Feature”",
        ),
        ({"type": "FeatureCollection", "features": []}, 400, "The FeatureCollection has no features to export."),
        ({"type": "FeatureCollection", "features": [{"type": "Point"}]}, 400, "Feature 1 is not a GeoJSON Feature."),
        (
            {
                "type": "FeatureCollection",
                "features": [ZONES["features"][0], {"type": "Feature", "geometry": {"type": "Polygon"}}],
            },
            400,
            "Feature 2: the geometry is not valid GeoJSON",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [30.8, 121.4]}}],
            },
            400,
            "Feature 1: coordinates must be longitude and latitude in degrees (EPSG:4326).",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
                    }
                ],
            },
            400,
            "Feature 1: the geometry is invalid: Self-intersection[0.5 0.5].",
        ),
        (
            {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": None, "properties": [1, 2]}]},
            400,
            "Feature 1: “properties” must be an object.",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "geometry": None, "properties": {"FID": 1}}],
            },
            400,
            "The property name “FID” cannot be a GeoPackage column",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "geometry": None, "properties": {"a": 1, "A": 2}}],
            },
            400,
            "The property name “A” cannot be a GeoPackage column",
        ),
        ({**ZONES, "name": "gpkg_contents"}, 400, "“name”, the layer's name, must be text not starting with “gpkg_”."),
        ({**ZONES, "name": 7}, 400, "“name”, the layer's name, must be text"),
        ({**ZONES, "padding": "x" * 1_000_001}, 413, "The request body is larger than 1000000 bytes."),
    ],
)
def test_bad_input_is_a_4xx_saying_what_is_wrong(client, body, status, message):
    answer = export(client, body)
    assert answer.status_code == status, answer.content
    assert message in answer.json()["description"]


def test_the_refusal_speaks_chinese_by_default(client):
    answer = client.post(
        URL, json.dumps({"type": "FeatureCollection", "features": []}), content_type="application/json"
    )
    assert answer.status_code == 400
    assert answer.json()["description"] == "FeatureCollection 中没有可导出的要素。"


def test_only_a_signed_in_post_is_answered(client, db):
    assert client.get(URL, HTTP_ACCEPT_LANGUAGE="en").status_code == 405
    client.logout()
    assert export(client, ZONES).status_code == 401


SERVER_LIKE = """
import threading
import django

django.setup()
from django.db import connection

with connection.cursor() as cursor:  # SpatiaLite loads Debian's PROJ and GEOS, globally
    cursor.execute("SELECT spatialite_version()")
from web.export import features_of, geopackage

name, features = features_of({"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [121.4, 30.8]}, "properties": {"n": 1}}]})
written = []
worker = threading.Thread(target=lambda: written.append(len(geopackage(name, features))))  # as under ASGI
worker.start()
worker.join()
print(written[0])
"""


def test_a_server_process_writes_a_geopackage_after_spatialite_has_loaded_its_libraries(tmp_path):
    # fiona's GDAL crashed the process when it was first imported after SpatiaLite (hazmap/native.py)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hazmap.settings",
        "HAZMAP_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"spatialite:///{tmp_path / 'db.sqlite3'}",
    }
    done = subprocess.run([sys.executable, "-c", SERVER_LIKE], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 0
