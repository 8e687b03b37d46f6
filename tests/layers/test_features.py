"""OGC API – Features Part 1 over the registry: landing, collections, items with every query parameter, one item."""

from __future__ import annotations

import datetime as dt

import pytest

from geo.models import HazardSource, Sensor
from layers.registry import COLLECTIONS
from tests.factories import LAT, LON, sensor

pytestmark = pytest.mark.django_db


def test_the_landing_page_links_the_api_document_conformance_and_collections(as_user):
    body = as_user("commander").get("", {"f": "json"}).json()
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert rels["service-desc"] == "http://testserver/ogc/openapi"
    assert rels["conformance"] == "http://testserver/ogc/conformance"
    assert rels["data"] == "http://testserver/ogc/collections"


def test_the_landing_page_offers_no_link_the_server_does_not_serve(as_user):
    for who in (None, "commander"):
        client = as_user(who)
        for link in client.get("").json()["links"]:
            path = link["href"].removeprefix("http://testserver/ogc").lstrip("/")
            assert client.get(path).status_code == 200, link
    anonymous = {link["rel"] for link in as_user().get("").json()["links"]}
    assert "http://www.opengis.net/def/rel/ogc/1.0/processes" not in anonymous
    schemes = [link for link in as_user().get("").json()["links"] if "tiling-schemes" in link["rel"]]
    assert [link["href"] for link in schemes] == ["http://testserver/ogc/tileMatrixSets"]  # not pygeoapi's own


def test_a_signed_in_client_sees_every_collection_and_an_anonymous_one_the_public_ones(as_user):
    signed_in = [c["id"] for c in as_user("regulator").get("collections").json()["collections"]]
    assert signed_in == list(COLLECTIONS)
    anonymous = [c["id"] for c in as_user().get("collections").json()["collections"]]
    assert anonymous == [c.id for c in COLLECTIONS.values() if c.public] == ["regions"]


def test_a_collection_describes_its_crs_and_items_link(as_user):
    body = as_user("regulator").get("collections/sensors").json()
    assert body["id"] == "sensors" and body["itemType"] == "feature"
    assert body["storageCrs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert set(body["crs"]) == {
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "http://www.opengis.net/def/crs/EPSG/0/4326",
        "http://www.opengis.net/def/crs/EPSG/0/4490",
        "http://www.opengis.net/def/crs/EPSG/0/3857",
    }
    items = [
        link["href"] for link in body["links"] if link["rel"] == "items" and link["type"] == "application/geo+json"
    ]
    assert items == ["http://testserver/ogc/collections/sensors/items?f=json"]


def test_items_are_geojson_features_with_the_registry_attributes_and_live_values(world, as_user):
    response = as_user("regulator").get("collections/sensors/items", {"tag": "LT-101"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert response["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    (feature,) = response.json()["features"]
    assert feature["id"] == world["level"].pk
    assert feature["geometry"]["type"] == "Point"
    assert feature["geometry"]["coordinates"] == pytest.approx([LON, LAT], abs=1e-8)
    props = feature["properties"]
    assert set(props) == set(COLLECTIONS["sensors"].fields)
    assert (props["value"], props["unit"], props["quality"], props["alarm_state"]) == (85.5, "%", 0, "hi")
    assert props["value_time"] == "2026-01-15T08:00:00+00:00"
    assert props["enterprise_id"] == world["e1"].pk


def test_items_read_the_row_that_acquisition_updates(world, as_user):
    Sensor.objects.filter(pk=world["gas"].pk).update(value=12.5, quality=2, alarm_state="bad_quality")
    (feature,) = as_user("regulator").get("collections/sensors/items", {"tag": "AT-201"}).json()["features"]
    assert (feature["properties"]["value"], feature["properties"]["quality"]) == (12.5, 2)
    assert feature["properties"]["alarm_state"] == "bad_quality"


def test_equipment_carry_their_live_inventory(world, as_user):
    type(world["tank"]).objects.filter(pk=world["tank"].pk).update(inventory_kg=12_345.0)
    (feature,) = as_user("operator").get("collections/equipment/items").json()["features"]
    assert (feature["properties"]["inventory_kg"], feature["properties"]["design_max_kg"]) == (12_345.0, 20_000.0)
    assert feature["properties"]["substance_name"] == "氯"


def test_pages_link_next_and_prev_and_give_number_matched_only_when_it_is_known(world, as_user):
    for i in range(5):
        sensor(world["e1"], tag=f"PT-{i}", kind="pressure", unit="MPa")
    client = as_user("operator")  # e1: 2 + 5 sensors
    first = client.get("collections/sensors/items", {"limit": 3}).json()
    assert first["numberReturned"] == 3 and "numberMatched" not in first
    rels = {link["rel"]: link["href"] for link in first["links"]}
    assert rels["next"] == "http://testserver/ogc/collections/sensors/items?limit=3&offset=3"
    assert "prev" not in rels
    second = client.get("collections/sensors/items", {"limit": 3, "offset": 3}).json()
    assert {link["rel"] for link in second["links"]} >= {"next", "prev"}
    last = client.get("collections/sensors/items", {"limit": 3, "offset": 6}).json()
    assert (last["numberReturned"], last["numberMatched"]) == (1, 7)
    assert "next" not in {link["rel"] for link in last["links"]}
    ids = [f["id"] for page in (first, second, last) for f in page["features"]]
    assert ids == sorted(Sensor.objects.filter(enterprise=world["e1"]).values_list("pk", flat=True))


def test_a_page_that_ends_exactly_at_the_last_feature_says_so_without_a_next_link(world, as_user):
    body = as_user("operator").get("collections/sensors/items", {"limit": 2}).json()
    assert (body["numberReturned"], body["numberMatched"]) == (2, 2)
    assert "next" not in {link["rel"] for link in body["links"]}


def test_resulttype_hits_counts_without_returning_features(world, as_user):
    body = as_user("root").get("collections/sensors/items", {"resulttype": "hits"}).json()
    assert (body["numberMatched"], body["numberReturned"], body["features"]) == (3, 0, [])


def test_a_limit_above_the_maximum_gives_the_maximum(world, as_user):
    response = as_user("root").get("collections/sensors/items", {"limit": 1_000_000})
    assert response.status_code == 200 and response.json()["numberReturned"] == 3


def test_bbox_selects_the_features_that_intersect_it(world, as_user):
    client = as_user("root")
    near = f"{LON - 0.001},{LAT - 0.001},{LON + 0.001},{LAT + 0.001}"
    tags = {f["properties"]["tag"] for f in client.get("collections/sensors/items", {"bbox": near}).json()["features"]}
    assert tags == {"LT-101", "AT-201"}  # e2's sensor lies 0.05° east
    six = f"{LON - 0.001},{LAT - 0.001},0,{LON + 0.001},{LAT + 0.001},100"
    assert len(client.get("collections/sensors/items", {"bbox": six}).json()["features"]) == 2
    far = f"{LON + 1},{LAT},{LON + 2},{LAT + 1}"
    assert client.get("collections/sensors/items", {"bbox": far}).json()["features"] == []


def test_datetime_selects_by_the_collections_time_attribute(world, as_user):
    client = as_user("root")

    def tags(value):
        response = client.get("collections/sensors/items", {"datetime": value})
        assert response.status_code == 200, response.json()
        return {f["properties"]["tag"] for f in response.json()["features"]}

    assert tags("2026-01-15T08:00:00Z") == {"LT-101"}
    assert tags("2026-01-15") == {"LT-101"}  # a date covers its day
    assert tags("2026-01-01T00:00:00Z/..") == {"LT-101"}
    assert tags("../2026-01-14T00:00:00Z") == set()
    assert tags("2026-01-15T07:00:00Z/2026-01-15T09:00:00+00:00") == {"LT-101"}
    sources = client.get("collections/hazard-sources/items", {"datetime": "2025-01-01/2025-12-31"}).json()
    assert [f["id"] for f in sources["features"]] == [world["source"].pk]


def test_datetime_is_refused_on_a_collection_without_time(world, as_user):
    response = as_user("root").get("collections/enterprises/items", {"datetime": "2026-01-15"})
    assert response.status_code == 400 and "datetime" in response.json()["description"]


def test_property_equality_filters_on_the_queryables(world, as_user):
    client = as_user("root")
    kinds = client.get("collections/sensors/items", {"kind": "level"}).json()["features"]
    assert {f["properties"]["tag"] for f in kinds} == {"LT-101", "LT-901"}
    both = client.get("collections/sensors/items", {"kind": "level", "enterprise_id": world["e1"].pk}).json()
    assert [f["properties"]["tag"] for f in both["features"]] == ["LT-101"]
    HazardSource.objects.filter(pk=world["source"].pk).update(accident_poisoning=True)
    poisoning = client.get("collections/hazard-sources/items", {"accident_poisoning": "true"}).json()["features"]
    assert [f["id"] for f in poisoning] == [world["source"].pk]


def test_sortby_orders_by_properties_either_way(world, as_user):
    client = as_user("root")
    ascending = client.get("collections/sensors/items", {"sortby": "tag"}).json()["features"]
    assert [f["properties"]["tag"] for f in ascending] == ["AT-201", "LT-101", "LT-901"]
    descending = client.get("collections/sensors/items", {"sortby": "-tag"}).json()["features"]
    assert [f["properties"]["tag"] for f in descending] == ["LT-901", "LT-101", "AT-201"]
    nulls_last = client.get("collections/sensors/items", {"sortby": "-value,tag"}).json()["features"]
    assert [f["properties"]["tag"] for f in nulls_last] == ["LT-101", "AT-201", "LT-901"]


def test_properties_and_skip_geometry_shape_each_feature(world, as_user):
    body = (
        as_user("root")
        .get("collections/sensors/items", {"properties": "tag,value", "skipGeometry": "true", "tag": "LT-101"})
        .json()
    )
    (feature,) = body["features"]
    assert feature["properties"] == {"tag": "LT-101", "value": 85.5}
    assert feature["geometry"] is None


def test_one_item_is_a_geojson_feature(world, as_user):
    response = as_user("operator").get(f"collections/hazard-sources/items/{world['source'].pk}")
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert (body["id"], body["properties"]["code"], body["properties"]["registered_on"]) == (
        world["source"].pk,
        "HS01",
        "2025-03-01",
    )
    assert body["geometry"]["type"] == "MultiPolygon"


def test_items_and_one_item_render_as_html(world, as_user):
    client = as_user("root")
    page = client.get("collections/sensors/items", {"f": "html"})
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert "LT-101" in page.content.decode()
    item = client.get(f"collections/sensors/items/{world['level'].pk}", {"f": "html"})
    assert item.status_code == 200 and "LT-101" in item.content.decode()


def test_queryables_and_schema_describe_the_attributes_with_their_types(world, as_user):
    client = as_user("root")
    queryables = client.get("collections/hazard-sources/queryables").json()["properties"]
    assert queryables["geometry"]["x-ogc-role"] == "primary-geometry"
    assert (queryables["grade"]["type"], queryables["gb_r"]["type"], queryables["is_major"]["type"]) == (
        "integer",
        "number",
        "boolean",
    )
    assert queryables["registered_on"]["format"] == "date"
    schema = client.get("collections/sensors/schema").json()["properties"]
    assert schema["value_time"]["x-ogc-role"] == "primary-instant"
    assert "bad_quality" in schema["alarm_state"]["enum"]


def test_the_registry_time_attribute_is_the_one_datetime_filters(world):
    for entry in COLLECTIONS.values():
        if entry.datetime_field:
            assert entry.fields[entry.time_attribute] == entry.datetime_field


def test_live_time_attributes_are_utc_iso_8601(world, as_user):
    body = as_user("root").get("collections/alarms/items").json()
    (feature,) = body["features"]
    started = dt.datetime.fromisoformat(feature["properties"]["started_at"])
    assert started == dt.datetime(2026, 1, 15, 8, tzinfo=dt.UTC)


def test_a_feature_on_the_edge_of_the_bbox_is_inside_it(world, as_user):
    x, y = world["level"].location.coords
    edge = f"{x},{y - 0.001},{x + 0.001},{y + 0.001}"  # the sensor lies on the west edge
    tags = {
        f["properties"]["tag"]
        for f in as_user("root").get("collections/sensors/items", {"bbox": edge}).json()["features"]
    }
    assert "LT-101" in tags
    corner = f"{x - 0.001},{y - 0.001},{x},{y}"  # … and on the north-east corner of this one
    tags = {
        f["properties"]["tag"]
        for f in as_user("root").get("collections/sensors/items", {"bbox": corner}).json()["features"]
    }
    assert "LT-101" in tags


@pytest.mark.parametrize(
    "path", ["", "conformance", "collections", "collections/sensors", "collections/sensors/queryables", "openapi"]
)
def test_every_page_renders_as_html(world, as_user, path):
    response = as_user("root").get(path, {"f": "html"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"bbox": "121,31,120,30"}, "bbox"),
        ({"bbox": "0,0,200,10"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"datetime": "2026-02-30"}, "datetime"),
        ({"datetime": "2026-01-02/2026-01-01"}, "datetime"),
        ({"datetime": "../.."}, None),
        ({"sortby": "colour"}, "sortby"),
        ({"properties": "tag,colour"}, "properties"),
        ({"skipGeometry": "maybe"}, "skipGeometry"),
        ({"resulttype": "everything"}, "resulttype"),
        ({"value": "high"}, "value"),
        ({"f": "xml"}, "format"),
        ({"limit": ["1", "2"]}, "limit"),
    ],
)
def test_bad_query_parameters_are_a_400_naming_the_parameter(world, as_user, params, names):
    response = as_user("root").get("collections/sensors/items", params)
    if names is None:  # an interval open at both ends is valid and selects everything
        assert response.status_code == 200
        return
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidParameterValue" and names in body["description"]


def test_an_unknown_collection_is_a_404_with_an_ogc_exception(world, as_user):
    for path in ("collections/nothing", "collections/nothing/items", "collections/nothing/items/1"):
        response = as_user("root").get(path)
        assert response.status_code == 404 and response.json()["code"] == "NotFound"


def test_the_html_pages_find_their_stylesheet(world, as_user):
    page = as_user("root").get("collections", {"f": "html"}).content.decode()
    assert "http://testserver/ogc/static/css/default.css" in page
    assert b"".join(as_user().get("static/css/default.css").streaming_content)


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("collections/sensors/items", {"offset": "99999999999999999999"}, 400),
        ("collections/sensors/items", {"enterprise_id": "99999999999999999999999"}, 400),
        ("collections/sensors/items", {"enterprise_id": ""}, 400),
        ("collections/sensors/items/99999999999999999999999", {}, 404),
        ("collections/sensors/items/-1", {}, 404),
    ],
)
def test_numbers_beyond_what_the_database_holds_are_refused_not_crashed_on(world, as_user, path, params, status):
    assert as_user("root").get(path, params).status_code == status


@pytest.mark.parametrize("params", [{"kind": "\x00"}, {"filter": "tag = 'a\x00b'"}, {"sortby": "\x00"}])
def test_a_nul_character_is_refused_before_the_database_sees_it(world, as_user, params):
    response = as_user("root").get("collections/sensors/items", params)
    assert response.status_code == 400 and "NUL" in response.json()["description"]
