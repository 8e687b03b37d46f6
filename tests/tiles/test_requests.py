"""TileJSON and the list of tilesets; bad requests get 4xx with an OGC exception body, never a 500."""

from __future__ import annotations

import pytest

from tests.factories import LAT, LON
from tests.tiles.conftest import tile_of

pytestmark = pytest.mark.django_db


def test_tilejson_names_the_tile_url_the_zooms_and_each_layers_attributes(world, as_user):
    client = as_user(world["users"]["admin"])
    document = client.get("/tiles/sensors.json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert document["tilejson"] == "3.0.0"
    assert document["tiles"] == ["http://testserver/tiles/sensors/{z}/{x}/{y}.mvt?v=0"]
    assert (document["minzoom"], document["maxzoom"]) == (14, 18)
    assert document["vector_layers"] == [
        {
            "id": "sensors",
            "description": "sensors",
            "minzoom": 14,
            "maxzoom": 18,
            "fields": {
                "tag": "String",
                "kind": "String",
                "unit": "String",
                "value": "Number",
                "quality": "Number",
                "alarm_state": "String",
            },
        }
    ]


def test_tilejson_bounds_are_those_of_the_features_the_user_sees(world, as_user):
    operator = as_user(world["users"]["operator"]).get("/tiles/sensors.json").json()
    xs = [s.location.x for s in world["sensors"][:2]]
    ys = [s.location.y for s in world["sensors"][:2]]
    assert operator["bounds"] == pytest.approx([min(xs), min(ys), max(xs), max(ys)])


def test_tilejson_speaks_chinese_by_default(world, as_user):
    document = as_user(world["users"]["admin"]).get("/tiles/sensors.json").json()
    assert document["vector_layers"][0]["description"] == "传感器"


def test_a_static_tileset_has_no_version_in_its_url(world, as_user):
    document = as_user(world["users"]["admin"]).get("/tiles/enterprises.json").json()
    assert document["tiles"] == ["http://testserver/tiles/enterprises/{z}/{x}/{y}.mvt"]


def test_the_map_tilejson_lists_the_layers_the_user_may_read(world, as_user):
    signed_in = as_user(world["users"]["admin"]).get("/tiles/map.json").json()
    assert [layer["id"] for layer in signed_in["vector_layers"]] == [
        "regions",
        "sensitive-targets",
        "enterprises",
        "layout-features",
        "hazard-sources",
        "fences",
        "equipment",
        "consequence-zones",
        "emergency-resources",
        "sensors",
        "personnel",
        "alarms",
    ]
    anonymous = as_user(None).get("/tiles/map.json").json()
    assert [layer["id"] for layer in anonymous["vector_layers"]] == ["regions"]


def test_the_list_of_tilesets_names_each_with_its_tilejson(client):
    tilesets = {t["id"]: t for t in client.get("/tiles/").json()["tilesets"]}
    assert tilesets["map"]["tilejson"] == "http://testserver/tiles/map.json"
    assert (tilesets["regions"]["public"], tilesets["sensors"]["public"], tilesets["sensors"]["live"]) == (
        True,
        False,
        True,
    )


Z, X, Y = tile_of(LON, LAT, 16)


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/tiles/nowhere/1/0/0.mvt", 404, "NotFound"),
        ("/tiles/nowhere.json", 404, "NotFound"),
        ("/tiles/sensors/x/0/0.mvt", 400, "InvalidParameterValue"),
        ("/tiles/sensors/1/0/-1.mvt", 400, "InvalidParameterValue"),
        ("/tiles/sensors/1/0/0.5.mvt", 400, "InvalidParameterValue"),
        ("/tiles/sensors/99999999999999999999999/0/0.mvt", 400, "InvalidParameterValue"),
        ("/tiles/sensors/25/0/0.mvt", 404, "NotFound"),
        ("/tiles/sensors/3/8/0.mvt", 404, "NotFound"),
        ("/tiles/sensors/3/0/8.mvt", 404, "NotFound"),
        (f"/tiles/sensors/{Z}/{X}/{Y}.mvt?v=abc", 400, "InvalidParameterValue"),
        (f"/tiles/sensors/{Z}/{X}/{Y}.mvt?v=-3", 400, "InvalidParameterValue"),
        (f"/tiles/sensors/{Z}/{X}/{Y}.png", 404, "NotFound"),
        ("/tiles/sensors/1/0", 404, "NotFound"),
        ("/tiles/%00/1/0/0.mvt", 404, "NotFound"),
    ],
)
def test_a_bad_request_gets_an_ogc_exception(world, as_user, path, status, code):
    response = as_user(world["users"]["admin"]).get(path)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == code
    assert response.json()["description"]


def test_only_get_and_head_are_answered(world, as_user):
    client = as_user(world["users"]["admin"])
    assert client.head(f"/tiles/sensors/{Z}/{X}/{Y}.mvt").status_code == 200
    response = client.post(f"/tiles/sensors/{Z}/{X}/{Y}.mvt")
    assert (response.status_code, response["Allow"], response.json()["code"]) == (405, "GET, HEAD", "MethodNotAllowed")
