"""Decoded tiles hold the features the database holds for the user: same ids, attributes, places.

Every tile is read back by two independent decoders: GDAL's MVT driver (geometry, georeferenced in
EPSG:3857 from the tile's z/x/y) and mapbox-vector-tile (attributes). The reference is the database:
the user's scoped rows whose geometry meets the tile and its 64-unit buffer, projected to EPSG:3857
by GDAL and cut to that box. Geometry must lie within two units of the tile's 4096-unit grid of it
(an eighth of a screen pixel): half a unit of snapping plus one unit of simplification.
"""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
import shapely
from django.contrib.gis.geos import Point

from geo.models import Alarm, Sensor
from layers.registry import Collection, collection
from tests.factories import LAT, LON
from tests.tiles.conftest import (
    BUFFER,
    expected_geometry,
    grid_to_3857,
    grid_unit_m,
    read_tile,
    tile_box_3857,
    tile_of,
    within_window,
)
from tiles.grid import Tile
from tiles.render import render
from tiles.tilesets import Layer, Tileset, tile_attributes

pytestmark = pytest.mark.django_db


def fetch(client, tileset: str, z: int, x: int, y: int, folder):
    response = client.get(f"/tiles/{tileset}/{z}/{x}/{y}.mvt")
    assert response.status_code in (200, 204), response.content
    return read_tile(response.content, z, x, y, folder)


def database_features(collection_id: str, user, z: int, x: int, y: int) -> dict[int, dict]:
    """The user's rows of a collection in the tile, with the tile attributes that are not null."""
    entry = collection(collection_id)
    rows = within_window(entry.queryset(user), entry.geometry_field, z, x, y)
    names = list(tile_attributes(entry))
    values = entry.values(rows)
    return {
        row["pk"]: {
            "geometry": row[entry.geometry_field],
            "properties": {name: row[name] for name in names if row[name] is not None},
        }
        for row in values
    }


def assert_same_features(layer, expected: dict[int, dict], z: int, x: int, y: int) -> None:
    """Same ids and attributes as the database; geometry near the stored one (cut to tile + buffer for the grid
    geometry, to the tile for GDAL's)."""
    assert set(layer) == set(expected)
    tolerance = 2 * grid_unit_m(z)
    for fid, feature in layer.items():
        stored = expected[fid]["geometry"]
        with_buffer = expected_geometry(stored, tile_box_3857(z, x, y, BUFFER))
        assert shapely.hausdorff_distance(grid_to_3857(feature.grid, z, x, y), with_buffer) <= tolerance, fid
        inside = expected_geometry(stored, tile_box_3857(z, x, y))
        if feature.geometry is None:
            assert inside.is_empty, fid
        else:
            assert shapely.hausdorff_distance(feature.geometry, inside) <= tolerance, fid
        assert feature.properties == pytest.approx(expected[fid]["properties"]), fid


@pytest.mark.parametrize(
    ("collection_id", "z"),
    [
        ("regions", 12),
        ("sensitive-targets", 14),
        ("enterprises", 15),
        ("hazard-sources", 16),
        ("layout-features", 16),
        ("fences", 16),
        ("equipment", 17),
        ("consequence-zones", 15),
        ("emergency-resources", 14),
        ("sensors", 16),
        ("personnel", 16),
        ("alarms", 15),
    ],
)
def test_a_tile_holds_the_database_features_with_their_ids_attributes_and_places(
    world, as_user, tile_dir, collection_id, z
):
    z, x, y = tile_of(LON, LAT, z)
    client = as_user(world["users"]["admin"])
    expected = database_features(collection_id, world["users"]["admin"], z, x, y)
    assert expected, "the world puts features of this collection in the tile"
    assert_same_features(fetch(client, collection_id, z, x, y, tile_dir)[collection_id], expected, z, x, y)


def test_a_many_vertex_area_is_simplified_at_low_zoom_and_stays_within_two_grid_units(world, as_user, tile_dir):
    z, x, y = tile_of(LON, LAT, 11)  # a grid unit ≈ 8 m here; the zone is ≈ 150 m across
    client = as_user(world["users"]["admin"])
    zone = world["zone"]
    feature = fetch(client, "consequence-zones", z, x, y, tile_dir)["consequence-zones"][zone.pk]
    assert shapely.get_num_coordinates(feature.grid) < len(zone.area.coords[0][0]) / 4  # 257 vertices stored
    reference = expected_geometry(zone.area, tile_box_3857(z, x, y, BUFFER))
    assert shapely.hausdorff_distance(grid_to_3857(feature.grid, z, x, y), reference) <= 2 * grid_unit_m(z)


def test_an_enterprise_site_larger_than_the_tile_is_cut_to_the_tile_and_its_buffer(world, as_user, tile_dir):
    z, x, y = tile_of(LON, LAT, 18)  # a zoom-18 tile is ≈ 130 m across here; the site is 400 m
    client = as_user(world["users"]["admin"])
    layer = fetch(client, "enterprises", z, x, y, tile_dir)["enterprises"]
    ent = world["enterprises"][0]
    assert set(layer) == {ent.pk}
    assert shapely.normalize(layer[ent.pk].grid) == shapely.normalize(shapely.box(-64, -64, 4096 + 64, 4096 + 64))


def test_a_hazard_source_smaller_than_a_pixel_is_drawn_as_a_point_inside_it(world, as_user, tile_dir):
    z, x, y = tile_of(LON, LAT, 8)  # one pixel ≈ 600 m; the unit is 100 m across
    client = as_user(world["users"]["admin"])
    layer = fetch(client, "hazard-sources", z, x, y, tile_dir)["hazard-sources"]
    assert set(layer) == {s.pk for s in world["sources"]}
    for source in world["sources"]:
        point = grid_to_3857(layer[source.pk].grid, z, x, y)
        assert point.geom_type == "Point"
        footprint = shapely.from_wkb(bytes(source.footprint.transform(3857, clone=True).wkb))
        assert shapely.distance(point, footprint) <= math.sqrt(0.5) * grid_unit_m(z)  # snapped to the grid


def test_an_operator_reads_only_the_sensors_of_their_enterprise(world, as_user, tile_dir):
    z, x, y = tile_of(LON, LAT, 14)  # both enterprises of the park
    operator = world["users"]["operator"]
    layer = fetch(as_user(operator), "sensors", z, x, y, tile_dir)["sensors"]
    assert set(layer) == {s.pk for s in world["sensors"][:2]}
    assert set(layer) == set(database_features("sensors", operator, z, x, y))


def test_the_park_regulator_reads_the_park_and_a_regulator_elsewhere_reads_nothing(world, as_user, tile_dir):
    z, x, y = tile_of(LON, LAT, 14)
    layer = fetch(as_user(world["users"]["regulator"]), "sensors", z, x, y, tile_dir)
    assert set(layer["sensors"]) == {s.pk for s in world["sensors"][:4]}
    response = as_user(world["users"]["elsewhere"]).get(f"/tiles/sensors/{z}/{x}/{y}.mvt")
    assert (response.status_code, response.content) == (204, b"")


def test_personnel_positions_reach_their_enterprise_and_the_emergency_commander_not_the_regulator(
    world, as_user, tile_dir
):
    z, x, y = tile_of(LON, LAT, 16)
    tag = world["tag"].pk
    assert set(fetch(as_user(world["users"]["operator"]), "personnel", z, x, y, tile_dir)["personnel"]) == {tag}
    assert set(fetch(as_user(world["users"]["commander"]), "personnel", z, x, y, tile_dir)["personnel"]) == {tag}
    assert fetch(as_user(world["users"]["regulator"]), "personnel", z, x, y, tile_dir) == {}


def test_a_collection_that_is_not_public_needs_a_signed_in_user(world, as_user):
    z, x, y = tile_of(LON, LAT, 16)
    response = as_user(None).get(f"/tiles/sensors/{z}/{x}/{y}.mvt")
    assert response.status_code == 401
    assert response.json()["code"] == "Unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_regions_are_public(world, as_user, tile_dir):
    z, x, y = tile_of(LON, LAT, 12)
    layer = fetch(as_user(None), "regions", z, x, y, tile_dir)["regions"]
    park = world["regions"]["park"]
    assert layer[park.pk].properties == {"code": park.code, "name": park.name, "level": "park"}


def test_the_map_holds_each_layer_from_its_own_zoom_on(world, as_user, tile_dir):
    client = as_user(world["users"]["admin"])
    at13 = fetch(client, "map", *tile_of(LON, LAT, 13), tile_dir)
    at14 = fetch(client, "map", *tile_of(LON, LAT, 14), tile_dir)
    assert {"enterprises", "hazard-sources", "equipment", "alarms"} <= set(at13)
    assert "sensors" not in at13 and "personnel" not in at13  # from zoom 14 on
    assert {"sensors", "personnel"} <= set(at14)
    z, x, y = tile_of(LON, LAT, 14)
    assert_same_features(at14["sensors"], database_features("sensors", world["users"]["admin"], z, x, y), z, x, y)


def test_the_map_leaves_closed_alarms_out_and_the_alarms_tileset_keeps_them(world, as_user, tile_dir):
    client = as_user(world["users"]["admin"])
    z, x, y = tile_of(LON, LAT, 15)
    assert set(fetch(client, "map", z, x, y, tile_dir)["alarms"]) == {world["open_alarm"].pk}
    both = {world["open_alarm"].pk, world["closed_alarm"].pk}
    assert set(fetch(client, "alarms", z, x, y, tile_dir)["alarms"]) == both


def test_an_anonymous_map_holds_only_the_public_layers(world, as_user, tile_dir):
    assert set(fetch(as_user(None), "map", *tile_of(LON, LAT, 14), tile_dir)) == {"regions"}


def test_below_its_zoom_a_collection_tile_is_empty(world, as_user):
    z, x, y = tile_of(LON, LAT, 13)  # sensors start at 14
    response = as_user(world["users"]["admin"]).get(f"/tiles/sensors/{z}/{x}/{y}.mvt")
    assert (response.status_code, response.content) == (204, b"")


def test_a_point_at_the_centre_of_a_tile_lands_on_the_centre_of_its_grid(world):
    """Golden: tile 2/1/1 spans x −10,018,754.1713945…0 m and y 0…10,018,754.1713945 m (``ST_TileEnvelope(2, 1, 1)``
    in the PostGIS manual); its centre, (−45°, 40.979898…°), is grid point (2048, 2048) of 4096."""
    ent = world["enterprises"][0]
    lat = math.degrees(math.atan(math.sinh(10018754.1713945 / 2 / 6378137.0)))
    s = Sensor.objects.create(
        enterprise=ent, tag="X-1", name="X", kind="level", unit="%", location=Point(-45.0, lat, srid=4326)
    )
    only_sensors = Tileset("sensors", "sensors", "", (Layer(collection("sensors"), 0),))
    data = render(only_sensors, Tile(2, 1, 1), world["users"]["admin"]).data
    features = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})["sensors"]["features"]
    assert [(f["id"], f["geometry"]["coordinates"]) for f in features] == [(s.pk, [2048, 2048])]


def test_users_of_different_scopes_read_the_same_tile_each_with_their_own_features(world, as_user, tile_dir):
    z, x, y = tile_of(LON, LAT, 14)
    park_sensors = {s.pk for s in world["sensors"][:4]}
    seen = {}
    for name in ("operator", "regulator", "elsewhere", "admin", "operator"):
        layers = fetch(as_user(world["users"][name]), "sensors", z, x, y, tile_dir)
        seen[name] = set(layers.get("sensors", {}))
    assert seen == {
        "operator": {s.pk for s in world["sensors"][:2]},
        "regulator": park_sensors,
        "elsewhere": set(),
        "admin": park_sensors,
    }


def test_a_date_attribute_is_iso_8601_text_in_utc_on_both_backends(world):
    alarms = Collection(
        id="alarms-with-time",
        model=Alarm,
        geometry_field="location",
        fields={"kind": "kind", "started_at": "started_at"},
        tile_fields=("kind", "started_at"),
    )
    tileset = Tileset("alarms-with-time", "", "", (Layer(alarms, 0),))
    data = render(tileset, Tile(*tile_of(LON, LAT, 15)), world["users"]["admin"]).data
    features = mapbox_vector_tile.decode(data)["alarms-with-time"]["features"]
    assert {f["properties"]["started_at"] for f in features} == {"2026-01-15T08:00:00Z"}  # the world's alarms
