"""OGC API – Features Part 3: CQL2 text and JSON filters, translated to one SQL query."""

from __future__ import annotations

import json
import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import LAT, LON, sensor

pytestmark = pytest.mark.django_db


@pytest.fixture
def sensors(world):
    """Six sensors of e1 with values 10…60 and tags of mixed case; e1's LT-101 and AT-201 have no value."""
    type(world["level"]).objects.filter(pk=world["level"].pk).update(value=None)
    for i, tag in enumerate(["pt-1", "PT-2", "PT_3", "TT-4", "TT-5", "XT-6"], start=1):
        s = sensor(
            world["e1"],
            tag=tag,
            kind="pressure" if tag[0] == "P" or tag[0] == "p" else "temperature",
            unit="MPa" if tag[0] in "pP" else "°C",
        )
        type(s).objects.filter(pk=s.pk).update(value=10.0 * i)
    return world


def tags(client, filter_, lang="cql2-text", **params) -> set[str]:
    text = json.dumps(filter_) if lang == "cql2-json" else filter_
    response = client.get("collections/sensors/items", {"filter": text, "filter-lang": lang, **params})
    assert response.status_code == 200, response.json()
    return {f["properties"]["tag"] for f in response.json()["features"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("value > 40", {"TT-5", "XT-6"}),
        ("value >= 40 AND value < 60", {"TT-4", "TT-5"}),
        ("value <> 10 AND kind = 'pressure'", {"PT-2", "PT_3"}),
        ("NOT (value <= 50) OR tag = 'pt-1'", {"XT-6", "pt-1", "LT-101", "AT-201"}),  # NOT keeps nulls
        ("tag LIKE 'PT%'", {"PT-2", "PT_3"}),
        ("tag LIKE 'PT\\_%'", {"PT_3"}),
        ("tag LIKE '_T-_'", {"PT-2", "TT-4", "TT-5", "XT-6"}),
        ("CASEI(tag) LIKE CASEI('pt%')", {"pt-1", "PT-2", "PT_3"}),
        ("CASEI(tag) = CASEI('PT-1')", {"pt-1"}),
        ("tag IN ('TT-4', 'XT-6', 'nothing')", {"TT-4", "XT-6"}),
        ("tag NOT IN ('TT-4', 'XT-6') AND value IS NOT NULL", {"pt-1", "PT-2", "PT_3", "TT-5"}),
        ("value BETWEEN 20 AND 40", {"PT-2", "PT_3", "TT-4"}),
        ("value NOT BETWEEN 20 AND 60 AND value IS NOT NULL", {"pt-1"}),
        ("value IS NULL AND enterprise_id IS NOT NULL", {"LT-101", "AT-201"}),
        ("hi > lo", set()),
    ],
)
def test_cql2_text(sensors, as_user, text, expected):
    assert tags(as_user("operator"), text) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ({"op": ">", "args": [{"property": "value"}, 40]}, {"TT-5", "XT-6"}),
        (
            {
                "op": "and",
                "args": [
                    {"op": "like", "args": [{"property": "tag"}, "T%"]},
                    {"op": "<", "args": [{"property": "value"}, 50]},
                ],
            },
            {"TT-4"},
        ),
        ({"op": "in", "args": [{"property": "tag"}, ["pt-1", "XT-6"]]}, {"pt-1", "XT-6"}),
        ({"op": "between", "args": [{"property": "value"}, 50, 60]}, {"TT-5", "XT-6"}),
        (
            {"op": "not", "args": [{"op": "isNull", "args": [{"property": "value"}]}]},
            {"pt-1", "PT-2", "PT_3", "TT-4", "TT-5", "XT-6"},
        ),
    ],
)
def test_cql2_json(sensors, as_user, expression, expected):
    assert tags(as_user("operator"), expression, lang="cql2-json") == expected


def test_spatial_predicates_on_the_geometry(world, as_user):
    client = as_user("root")
    w, s, e, n = LON - 0.001, LAT - 0.001, LON + 0.001, LAT + 0.001
    box = f"POLYGON(({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))"
    assert tags(client, f"S_INTERSECTS(geometry, {box})") == {"LT-101", "AT-201"}
    assert tags(client, f"S_WITHIN(geometry, {box})") == {"LT-101", "AT-201"}
    assert tags(client, f"S_INTERSECTS(location, BBOX({LON + 0.04}, {LAT - 0.01}, {LON + 0.06}, {LAT + 0.01}))") == {
        "LT-901"
    }
    assert tags(client, f"NOT S_INTERSECTS(geometry, {box})") == {"LT-901"}
    bbox = {
        "op": "s_intersects",
        "args": [{"property": "geometry"}, {"bbox": [LON + 0.04, LAT - 0.01, LON + 0.06, LAT + 0.01]}],
    }
    assert tags(client, bbox, lang="cql2-json") == {"LT-901"}
    polygon = {
        "op": "s_within",
        "args": [
            {"property": "geometry"},
            {
                "type": "Polygon",
                "coordinates": [
                    [[LON - 1, LAT - 1], [LON + 1, LAT - 1], [LON + 1, LAT + 1], [LON - 1, LAT + 1], [LON - 1, LAT - 1]]
                ],
            },
        ],
    }
    assert tags(client, polygon, lang="cql2-json") == {"LT-101", "AT-201", "LT-901"}


def test_a_hazard_source_contains_its_tank(world, as_user):
    client = as_user("root")
    x, y = world["tank"].footprint.centroid.coords
    response = client.get("collections/hazard-sources/items", {"filter": f"S_CONTAINS(footprint, POINT({x} {y}))"})
    assert [f["id"] for f in response.json()["features"]] == [world["source"].pk]


def test_filter_crs_reads_filter_geometries_in_that_crs(world, as_user):
    a = 6_378_137.0  # Web Mercator, IOGP Guidance Note 7-2

    def mercator(lon, lat):
        return a * math.radians(lon), a * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    (x1, y1), (x2, y2) = mercator(LON - 0.001, LAT - 0.001), mercator(LON + 0.001, LAT + 0.001)
    found = tags(
        as_user("root"),
        f"S_INTERSECTS(geometry, BBOX({x1}, {y1}, {x2}, {y2}))",
        **{"filter-crs": "http://www.opengis.net/def/crs/EPSG/0/3857"},
    )
    assert found == {"LT-101", "AT-201"}
    lat_first = tags(
        as_user("root"),
        f"S_INTERSECTS(geometry, BBOX({LAT - 0.001}, {LON - 0.001}, {LAT + 0.001}, {LON + 0.001}))",
        **{"filter-crs": "http://www.opengis.net/def/crs/EPSG/0/4326"},
    )
    assert lat_first == {"LT-101", "AT-201"}


def test_gdal_s_draft_filter_language_name_is_read_as_cql2_text(world, as_user):
    assert tags(as_user("root"), "(kind = 'level') AND (tag = 'LT-101')", lang="cql-text") == {"LT-101"}


def test_a_filter_is_one_query_in_the_database(sensors, as_user):
    client = as_user("operator")
    with CaptureQueriesContext(connection) as queries:
        found = tags(client, "tag LIKE 'PT%' AND value > 15")
    assert found == {"PT-2", "PT_3"}
    selects = [q["sql"] for q in queries.captured_queries if "geo_sensor" in q["sql"]]
    assert len(selects) == 1
    assert ("GLOB" if connection.vendor == "sqlite" else "LIKE") in selects[0]


def test_filters_apply_within_the_users_scope(sensors, as_user):
    assert tags(as_user("outsider"), "value > 0") == set()
    assert tags(as_user("outsider"), "kind = 'level'") == {"LT-901"}


@pytest.mark.parametrize(
    ("filter_", "lang", "says"),
    [
        ("value >", "cql2-text", "not valid cql2-text"),
        ("ooga = 'booga'", "cql2-text", "Unknown property “ooga”"),
        ("ooga = booga", "cql2-text", "Unknown property “ooga”"),
        ("value = 'high'", "cql2-text", "not a valid value"),
        ("quality = TRUE AND value > 'x'", "cql2-text", "not a valid value"),
        ("value + 1 > 2", "cql2-text", "Expected a property name"),
        ("S_INTERSECTS(tag, POINT(1 2))", "cql2-text", "not a geometry"),
        ("geometry = 1", "cql2-text", "spatial predicate"),
        ("{not json", "cql2-json", "not valid cql2-json"),
        ('{"op": "frobnicate", "args": []}', "cql2-json", "not valid cql2-json"),
        ("value > 1", "cql2-xml", "filter-lang"),
        ("T_AFTER(value_time, TIMESTAMP('2026-01-01T00:00:00Z'))", "cql2-text", "not valid cql2-text"),
        ("tag = value", "cql2-text", "cannot be compared"),
        ("value LIKE '1%'", "cql2-text", "text properties only"),
        ("CASEI(value) = CASEI('1')", "cql2-text", "text properties only"),
        ("enterprise_id = 99999999999999999999999", "cql2-text", "too large"),
        ("enterprise_id IN (1, 99999999999999999999999)", "cql2-text", "too large"),
    ],
)
def test_a_filter_that_cannot_be_read_or_applied_is_a_400_saying_why(world, as_user, filter_, lang, says):
    response = as_user("root").get("collections/sensors/items", {"filter": filter_, "filter-lang": lang})
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterValue"
    assert says in response.json()["description"]
