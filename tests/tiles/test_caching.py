"""Tiles stay current: live tilesets are versioned by events; ETag, gzip and cache headers follow the content."""

from __future__ import annotations

import gzip
from urllib.parse import parse_qs, urlsplit

import pytest

from geo import events
from geo.models import Event
from layers import tokens
from tests.factories import LAT, LON
from tests.tiles.conftest import body, read_tile, tile_of

pytestmark = pytest.mark.django_db

Z, X, Y = tile_of(LON, LAT, 16)
SENSORS = f"/tiles/sensors/{Z}/{X}/{Y}.mvt"


def tilejson_version(client, tileset: str) -> int:
    url = client.get(f"/tiles/{tileset}.json").json()["tiles"][0]
    return int(parse_qs(urlsplit(url).query)["v"][0])


def set_value(sensor, value: float) -> Event:
    """What acquisition's ingest does: store the live value and publish it, in one transaction."""
    sensor.value = value
    sensor.save(update_fields=["value"])
    return events.publish("sensors", sensor, {"value": value})


def test_the_version_of_a_live_tileset_is_the_latest_event_of_its_collections(world, as_user):
    client = as_user(world["users"]["admin"])
    assert tilejson_version(client, "sensors") == 0
    event = set_value(world["sensors"][0], 55.0)
    assert tilejson_version(client, "sensors") == event.id
    events.publish("personnel", world["tag"], {"sos": True})
    assert tilejson_version(client, "sensors") == event.id  # another collection's event
    assert tilejson_version(client, "map") > event.id  # the map holds personnel too


def test_a_tile_fetched_with_the_current_version_is_cached_and_holds_the_new_value(world, as_user, tile_dir, settings):
    settings.HAZMAP_EVENT_RETENTION_HOURS = 2
    client = as_user(world["users"]["admin"])
    sensor = world["sensors"][0]
    old = tilejson_version(client, "sensors")
    event = set_value(sensor, 55.0)
    response = client.get(f"{SENSORS}?v={event.id}")
    assert response["Cache-Control"] == "private, max-age=7200"  # the event retention, 2 h
    assert read_tile(body(response), Z, X, Y, tile_dir)["sensors"][sensor.pk].properties["value"] == 55.0
    stale = client.get(f"{SENSORS}?v={old}")
    assert stale["Cache-Control"] == "private, no-cache"
    assert client.get(SENSORS)["Cache-Control"] == "private, no-cache"


def test_a_version_is_cached_at_most_a_day(world, as_user, settings):
    settings.HAZMAP_EVENT_RETENTION_HOURS = 72
    client = as_user(world["users"]["admin"])
    assert client.get(f"{SENSORS}?v=0")["Cache-Control"] == "private, max-age=86400"


def test_the_etag_follows_the_content_and_a_matching_one_gets_304(world, as_user):
    client = as_user(world["users"]["admin"])
    first = client.get(SENSORS)
    again = client.get(SENSORS, HTTP_IF_NONE_MATCH=first["ETag"])
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", first["ETag"])
    set_value(world["sensors"][0], 12.5)
    changed = client.get(SENSORS, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_a_tile_is_gzip_encoded_for_a_client_that_accepts_it(world, as_user):
    client = as_user(world["users"]["admin"])
    plain = client.get(SENSORS)
    packed = client.get(SENSORS, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert (plain.get("Content-Encoding"), packed["Content-Encoding"]) == (None, "gzip")
    assert gzip.decompress(packed.content) == plain.content
    assert packed["ETag"] == plain["ETag"]  # weak: the same for both encodings
    assert "Accept-Encoding" in packed["Vary"]
    assert plain["Content-Type"] == "application/vnd.mapbox-vector-tile"


def test_static_tilesets_are_cached_briefly_and_public_ones_publicly(world, as_user):
    client = as_user(world["users"]["admin"])
    z, x, y = tile_of(LON, LAT, 15)
    enterprises = client.get(f"/tiles/enterprises/{z}/{x}/{y}.mvt")
    assert enterprises["Cache-Control"] == "private, max-age=300"
    assert "Cookie" in enterprises["Vary"] and "Authorization" in enterprises["Vary"]
    regions = as_user(None).get(f"/tiles/regions/{z}/{x}/{y}.mvt")
    assert regions["Cache-Control"] == "public, max-age=3600"
    assert "Cookie" not in regions["Vary"]


def test_an_empty_tile_is_204_with_its_headers(world, as_user):
    response = as_user(world["users"]["admin"]).get("/tiles/sensors/16/0/0.mvt")
    assert (response.status_code, response.content) == (204, b"")
    assert response["Cache-Control"] == "private, no-cache"
    assert response.has_header("ETag")


def test_an_api_token_reads_tiles_in_the_header_or_the_query_and_tilejson_passes_it_on(world, as_user):
    _token, raw = tokens.issue(world["users"]["operator"], "QGIS")
    client = as_user(None)
    assert client.get(SENSORS, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    assert client.get(f"{SENSORS}?token={raw}").status_code == 200
    url = client.get(f"/tiles/sensors.json?token={raw}").json()["tiles"][0]
    assert parse_qs(urlsplit(url).query)["token"] == [raw]


def test_an_unknown_token_is_refused_with_401(world, as_user):
    response = as_user(None).get(SENSORS, HTTP_AUTHORIZATION="Bearer hzm_not-a-token")
    assert response.status_code == 401
    assert response.json()["code"] == "Unauthorized"


def test_an_edit_through_the_orm_moves_the_version_and_the_tile_at_the_new_version_holds_it(
    world, as_user, tile_dir, django_capture_on_commit_callbacks
):
    """Not only acquisition: any save of a registry row (the admin, the shell) publishes an event."""
    client = as_user(world["users"]["admin"])
    sensor = world["sensors"][0]
    old = tilejson_version(client, "sensors")
    before = read_tile(body(client.get(f"{SENSORS}?v={old}")), Z, X, Y, tile_dir)["sensors"][sensor.pk]
    assert before.properties["tag"] == "LT-101"
    with django_capture_on_commit_callbacks(execute=True):
        sensor.tag = "LT-102"
        sensor.save()
    new = tilejson_version(client, "sensors")
    assert new > old
    assert client.get(f"{SENSORS}?v={old}")["Cache-Control"] == "private, no-cache"  # no longer cached for a day
    response = client.get(f"{SENSORS}?v={new}")
    assert response["Cache-Control"].startswith("private, max-age=")
    assert read_tile(body(response), Z, X, Y, tile_dir)["sensors"][sensor.pk].properties["tag"] == "LT-102"


def test_an_edit_of_a_layer_without_live_attributes_moves_the_version_of_the_map(
    world, as_user, tile_dir, django_capture_on_commit_callbacks
):
    """The map is versioned, and hazard sources are one of its layers."""
    client = as_user(world["users"]["admin"])
    source = world["sources"][0]
    old = tilejson_version(client, "map")
    with django_capture_on_commit_callbacks(execute=True):
        source.name = "一号罐区"
        source.save()
    new = tilejson_version(client, "map")
    assert new > old
    z, x, y = tile_of(LON, LAT, 16)
    tile = read_tile(body(client.get(f"/tiles/map/{z}/{x}/{y}.mvt?v={new}")), z, x, y, tile_dir)
    assert tile["hazard-sources"][source.pk].properties["name"] == "一号罐区"
