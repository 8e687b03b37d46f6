"""Vector plans written by GDAL itself are previewed and read back where they were drawn; bad files and mappings
are refused with the HTTP status and reason the HTTP layer answers with.

Positions: features are placed in metres about the site centre, turned into the file's CRS by pyproj's
forward transformation (tests/plant_plans/plans.py) and must come back within 1 mm (1e-8°) through the
importer's inverse. Golden number: on the central meridian of a Gauss–Krüger zone, x is the false
easting (500 000 m) and y the meridian arc from the equator — 3 320 113.398 m to 30° N on the CGCS2000
(GRS 80) ellipsoid, the geodesic distance along the meridian computed with GeographicLib (Karney 2013,
through pyproj.Geod), not with PROJ's transverse Mercator.
"""

from __future__ import annotations

import os
import zipfile

import fiona
import pyproj
import pytest
import shapely

from plant_plans import vector
from tests.plant_plans.plans import (
    DXF_TEMPLATES,
    MM_DEG,
    circle,
    line,
    lonlat,
    same_place,
    square,
    write_dxf,
    write_geojson,
    write_kml,
    write_layers,
    write_zipped_shapefiles,
)

MAX_BYTES = 100 * 2**20
MAX_FEATURES = 50_000
SITE = square(0, 0, 200)  # the 400 m × 400 m site round the centre


def covers_tightly(bounds: list[float], drawn: shapely.Geometry, slack_deg: float = 5e-5) -> bool:
    """True when the box ``bounds`` holds ``drawn`` and exceeds its box by less than ``slack_deg`` (≈ 5 m) on each
    side: a projected plan's box, turned into longitude and latitude, is a little wider, as the grid meridians
    converge (≈ 0.7° at 121.33° E, 1.33° from the central meridian)."""
    west, south, east, north = drawn.bounds
    return (
        bounds[0] <= west and bounds[1] <= south and bounds[2] >= east and bounds[3] >= north
        and max(west - bounds[0], south - bounds[1], bounds[2] - east, bounds[3] - north) < slack_deg
    )  # fmt: skip


def opened(path, max_bytes: int = MAX_BYTES) -> vector.Source:
    return vector.open_source(path, vector.detect_format(path.name), max_bytes)


def mapping(source: vector.Source, **data) -> vector.Mapping:
    return vector.parse_mapping(data, source)


# --- DXF -----------------------------------------------------------------------------------------

DXF_ENTITIES = [
    ("TANKS", circle(-60, 40, 8)),
    ("TANKS", circle(-30, 40, 8)),
    ("TANKS", circle(0, 40, 8)),
    ("BUILDINGS", square(60, -60, 15)),
    ("BUILDINGS", square(100, -60, 10)),
    ("ROADS", line((-190, 0), (190, 0))),
    ("ROADS", line((0, -190), (0, 190))),
    ("TEXT", shapely.Point(lonlat(0, 60))),
]
DXF_RULES = [
    {"layer": "entities", "where": {"Layer": "TANKS"}, "kind": "tank", "name": "EntityHandle"},
    {"layer": "entities", "where": {"Layer": ["BUILDINGS", "建筑"]}, "kind": "building", "name": "EntityHandle"},
    {"layer": "entities", "where": {"Layer": "ROADS"}, "kind": "road"},
]


@pytest.fixture
def dxf(tmp_path):
    """A general layout as CAD draws it, in CGCS2000 / 3-degree Gauss–Krüger CM 120E (EPSG:4549) metres:
    tanks as closed polylines, buildings hatched, roads as polylines, a point of text."""
    return write_dxf(tmp_path / "总平面图.dxf", DXF_ENTITIES, 4549)


def test_the_preview_of_a_dxf_lists_its_cad_layers_and_needs_a_crs(dxf):
    (layer,) = vector.describe(opened(dxf), MAX_FEATURES)
    assert (layer.name, layer.count, layer.crs, layer.bounds_4326) == ("entities", 8, None, None)
    assert layer.geometry_types == {"LineString": 5, "Polygon": 2, "Point": 1}
    assert layer.values == {"Layer": {"TANKS": 3, "BUILDINGS": 2, "ROADS": 2, "TEXT": 1}}
    assert {"Layer", "EntityHandle"} <= set(layer.fields)
    assert len(layer.sample) == vector.SAMPLE_SIZE


def test_the_preview_with_a_chosen_crs_places_the_dxf_on_the_site(dxf):
    (layer,) = vector.describe(opened(dxf), MAX_FEATURES, crs=vector.parse_crs("EPSG:4549"))
    assert (layer.crs, layer.crs_name) == ("EPSG:4549", "CGCS2000 / 3-degree Gauss-Kruger CM 120E")
    assert covers_tightly(layer.bounds_4326, shapely.GeometryCollection([g for _, g in DXF_ENTITIES]))
    first = shapely.geometry.shape(layer.sample[0]["geometry"])
    assert same_place(shapely.Polygon(first.coords), shapely.Polygon(DXF_ENTITIES[0][1].coords))


def test_a_dxf_is_read_by_cad_layer_into_tanks_buildings_and_roads_where_they_were_drawn(dxf):
    source = opened(dxf)
    reading = vector.read(source, mapping(source, crs=4549, rules=DXF_RULES), MAX_FEATURES, site=SITE)
    assert reading.by_kind() == {"tank": 3, "building": 2, "road": 2}
    assert (reading.read, reading.unmapped, reading.rejected, reading.crs) == (8, 1, [], {"entities": "EPSG:4549"})
    with fiona.open(dxf) as raw:
        handles = [f.properties["EntityHandle"] for f in raw]
    for feature in reading.features:
        drawn = DXF_ENTITIES[int(feature.fid)][1]
        if feature.kind == "tank":  # a closed polyline becomes the tank's area
            assert feature.geometry.geom_type == "Polygon"
            drawn = shapely.Polygon(drawn.coords)
        assert same_place(feature.geometry, drawn), feature
        assert feature.name == (handles[int(feature.fid)] if feature.kind != "road" else "")
        assert feature.attributes["Layer"] == DXF_ENTITIES[int(feature.fid)][0]
        assert feature.repaired is None


def test_a_point_on_the_central_meridian_lies_at_the_false_easting_and_the_meridian_arc(tmp_path):
    arc_30 = pyproj.Geod(ellps="GRS80").inv(120, 0, 120, 30)[2]
    assert arc_30 == pytest.approx(3_320_113.398, abs=0.001)
    path = tmp_path / "meridian.dxf"
    schema = {"geometry": "Unknown", "properties": {"Layer": "str"}}
    with fiona.open(path, "w", driver="DXF", schema=schema, **DXF_TEMPLATES) as out:
        out.write({"geometry": {"type": "LineString", "coordinates": [(500_000.0, arc_30), (500_100.0, arc_30)]},
                   "properties": {"Layer": "0"}})  # fmt: skip
    source = opened(path)
    reading = vector.read(source, mapping(source, crs=4549, rules=[{"layer": "entities", "kind": "road"}]), 10)
    (road,) = reading.features
    assert road.geometry.coords[0] == pytest.approx((120.0, 30.0), abs=MM_DEG)


def test_a_rule_takes_only_the_features_of_its_values_and_the_first_rule_that_matches_wins(dxf):
    source = opened(dxf)
    rules = [
        {"layer": "entities", "where": {"Layer": "ROADS"}, "kind": "fence"},
        {"layer": "entities", "kind": "road"},
    ]
    reading = vector.read(source, mapping(source, crs=4549, rules=rules), MAX_FEATURES)
    assert reading.by_kind() == {"fence": 2, "road": 5}  # 3 tank outlines and 2 buildings are roads too
    assert [r.reason for r in reading.rejected] == ["not_line"]  # the point of text


# --- GeoPackage ----------------------------------------------------------------------------------

GPKG_BUILDINGS = [
    ({"name": "办公楼", "code": "B01"}, square(-120, -120, 20)),
    ({"name": "控制室", "code": "B02"}, square(-60, -120, 12)),
]
GPKG_TANKS = [({"name": f"液氯储罐{i}", "code": f"T-10{i}", "DIAM": 16.0}, circle(40 * i, 100, 8)) for i in (1, 2, 3)]


@pytest.fixture
def gpkg(tmp_path):
    """Two layers in two CRSs: buildings in CGCS2000 longitude/latitude (EPSG:4490), tanks in Gauss–Krüger metres."""
    return write_layers(
        tmp_path / "layout.gpkg",
        "GPKG",
        {
            "buildings": (4490, {"name": "str", "code": "str"}, GPKG_BUILDINGS),
            "tanks": (4549, {"name": "str", "code": "str", "DIAM": "float"}, GPKG_TANKS),
        },
    )


def test_the_preview_of_a_geopackage_gives_each_layer_its_fields_count_and_crs(gpkg):
    layers = {layer.name: layer for layer in vector.describe(opened(gpkg), MAX_FEATURES)}
    assert list(layers) == ["buildings", "tanks"]
    assert (layers["buildings"].count, layers["buildings"].crs, layers["buildings"].fields) == (
        2,
        "EPSG:4490",
        {"name": "str", "code": "str"},
    )
    assert (layers["tanks"].count, layers["tanks"].crs, layers["tanks"].geometry_types) == (
        3,
        "EPSG:4549",
        {"LineString": 3},
    )
    assert covers_tightly(layers["tanks"].bounds_4326, shapely.GeometryCollection([g for _, g in GPKG_TANKS]))
    assert layers["tanks"].sample[0]["properties"] == {"name": "液氯储罐1", "code": "T-101", "DIAM": 16.0}


def test_both_layers_of_a_geopackage_are_read_in_their_own_crs(gpkg):
    source = opened(gpkg)
    rules = [
        {"layer": "buildings", "kind": "building", "name": "name", "code": "code"},
        {"layer": "tanks", "kind": "tank", "name": "name", "code": "code", "attributes": ["DIAM"]},
    ]
    reading = vector.read(source, mapping(source, rules=rules), MAX_FEATURES, site=SITE)
    assert reading.crs == {"buildings": "EPSG:4490", "tanks": "EPSG:4549"}
    assert reading.by_kind() == {"building": 2, "tank": 3}
    drawn = {p["code"]: (p, g) for p, g in GPKG_BUILDINGS + GPKG_TANKS}
    for feature in reading.features:
        properties, geometry = drawn[feature.code]
        assert feature.name == properties["name"]
        if feature.kind == "tank":
            geometry = shapely.Polygon(geometry.coords)
            assert feature.attributes == {"DIAM": 16.0}
        assert same_place(feature.geometry, geometry), feature.code


# --- zipped Shapefile ----------------------------------------------------------------------------

DIKES = [({"名称": "液氯罐区防火堤", "编号": "HS01"}, square(0, 100, 50))]
FENCES = [({"名称": "厂区围墙", "编号": ""}, line((-195, -195), (195, -195), (195, 195), (-195, 195), (-195, -195)))]


@pytest.fixture
def shapefiles(tmp_path):
    """A zip of two Shapefiles in CGCS2000 / 3-degree Gauss–Krüger zone 40 (EPSG:4528: the zone number in
    front of the false easting, x ≈ 40 600 000 m), with Chinese attribute names and values."""
    return write_zipped_shapefiles(
        tmp_path / "厂区.zip",
        {
            "dikes": (4528, {"名称": "str", "编号": "str"}, DIKES),
            "fences": (4528, {"名称": "str", "编号": "str"}, FENCES),
        },
    )


def test_a_zipped_shapefile_is_one_layer_per_shp_in_its_own_crs(shapefiles):
    layers = {layer.name: layer for layer in vector.describe(opened(shapefiles), MAX_FEATURES)}
    assert {name: (layer.count, layer.crs) for name, layer in layers.items()} == {
        "dikes": (1, "EPSG:4528"),
        "fences": (1, "EPSG:4528"),
    }
    assert layers["dikes"].bounds[0] == pytest.approx(40_000_000 + 627_277, abs=100)  # 121.33° E in zone 40


def test_the_features_of_a_zipped_shapefile_come_back_where_they_were_drawn(shapefiles):
    source = opened(shapefiles)
    rules = [
        {"layer": "dikes", "kind": "dike", "name": "名称", "code": "编号"},
        {"layer": "fences", "kind": "fence", "name": "名称"},
    ]
    reading = vector.read(source, mapping(source, rules=rules), MAX_FEATURES, site=SITE)
    dike, fence = reading.features
    assert (dike.kind, dike.name, dike.code, fence.kind, fence.name) == (
        "dike",
        "液氯罐区防火堤",
        "HS01",
        "fence",
        "厂区围墙",
    )
    assert same_place(dike.geometry, DIKES[0][1]) and same_place(fence.geometry, FENCES[0][1])


# --- GeoJSON and KML -----------------------------------------------------------------------------


def test_geojson_repairs_a_self_crossing_outline_and_rejects_what_cannot_be_an_area(tmp_path):
    west_south, east_north = lonlat(-20, -20), lonlat(20, 20)
    bow_tie = shapely.Polygon(
        [west_south, (east_north[0], west_south[1]), (west_south[0], east_north[1]), east_north, west_south]
    )
    path = write_geojson(
        tmp_path / "buildings.geojson",
        {"名称": "str"},
        [
            ({"名称": "仓库"}, bow_tie),
            ({"名称": "门卫"}, shapely.Point(lonlat(0, -190))),
            ({"名称": ""}, square(50, 50, 5)),
            ({"名称": "泵房"}, square(-50, 50, 5)),
        ],
    )
    source = opened(path)
    (layer,) = vector.describe(source, MAX_FEATURES)
    assert (layer.name, layer.crs, layer.count) == ("buildings", "EPSG:4326", 4)
    rules = [{"layer": "buildings", "kind": "building", "name": "名称"}]
    reading = vector.read(source, mapping(source, rules=rules), MAX_FEATURES, site=SITE)
    warehouse, pump_house = reading.features
    assert warehouse.geometry.is_valid and warehouse.geometry.geom_type == "MultiPolygon"  # two triangles
    assert warehouse.repaired.startswith("repaired: Self-intersection[121.33")  # where the edges cross
    assert (pump_house.name, pump_house.repaired) == ("泵房", None)
    assert [(r.fid, r.reason) for r in reading.rejected] == [("1", "not_area"), ("2", "no_name")]
    assert reading.rejected[0].as_dict()["message"] == (
        "A building is an area, and this feature is a Point: draw a polygon or a closed line."
    )


def test_a_kml_folder_is_a_layer_in_wgs84(tmp_path):
    path = write_kml(
        tmp_path / "厂区.kml",
        {"厂区": [("东围墙", line((195, -195), (195, 195))), ("氯气液化装置", square(-100, 0, 30))]},
    )
    source = opened(path)
    assert [(layer.name, layer.crs, layer.count) for layer in vector.describe(source, MAX_FEATURES)] == [
        ("厂区", "EPSG:4326", 2)
    ]
    rules = [
        {"layer": "厂区", "where": {"Name": "东围墙"}, "kind": "fence", "name": "Name"},
        {"layer": "厂区", "kind": "hazard_source", "name": "Name"},
    ]
    wall, unit = vector.read(source, mapping(source, rules=rules), MAX_FEATURES, site=SITE).features
    assert (wall.name, unit.name, unit.kind) == ("东围墙", "氯气液化装置", "hazard_source")
    assert same_place(wall.geometry, line((195, -195), (195, 195))) and same_place(unit.geometry, square(-100, 0, 30))


# --- the site ------------------------------------------------------------------------------------


def test_features_beyond_the_tolerance_outside_the_site_are_rejected_with_their_distance(tmp_path):
    path = write_geojson(
        tmp_path / "roads.geojson",
        {"name": "str"},
        [({"name": "near"}, line((0, 0), (230, 0))), ({"name": "far"}, line((300, 0), (400, 0)))],
    )
    source = opened(path)
    rules = [{"layer": "roads", "kind": "road", "name": "name"}]
    reading = vector.read(source, mapping(source, rules=rules), MAX_FEATURES, site=SITE, tolerance_m=50)
    assert [f.name for f in reading.features] == ["near"]  # 30 m outside: within the tolerance
    (far,) = reading.rejected
    assert (far.reason, far.params["distance_m"]) == ("outside_site", pytest.approx(100.0, abs=0.05))
    assert far.as_dict()["message"] == (
        "The feature lies 100 m outside the enterprise's site (at most 50 m is allowed): is the CRS right?"
    )


def test_a_plan_read_in_the_wrong_crs_lands_far_from_the_site(dxf):
    source = opened(dxf)
    reading = vector.read(source, mapping(source, crs=4547, rules=DXF_RULES), MAX_FEATURES, site=SITE)
    assert reading.features == [] and {r.reason for r in reading.rejected} == {"outside_site"}
    assert min(r.params["distance_m"] for r in reading.rejected) > 500_000


# --- geometry rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "geometry", "expected_type", "note"),
    [
        ("tank", shapely.LineString([(0, 0), (1, 0), (1, 1), (0, 0)]), "Polygon", None),
        ("building", shapely.MultiPolygon([shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3)]), "Polygon",
         "repaired: Self-intersection[1 2]"),  # two overlapping parts: one area
        ("road", shapely.GeometryCollection([shapely.LineString([(0, 0), (1, 1)]), shapely.Point(0, 0)]),
         "LineString", "1 part(s) of another dimension left out"),
        ("fence", shapely.box(0, 0, 1, 1), "Polygon", None),
    ],
)  # fmt: skip
def test_each_kind_is_made_the_geometry_it_may_be(kind, geometry, expected_type, note):
    fitted, repaired = vector.fit_geometry(geometry, kind)
    assert (fitted.geom_type, fitted.is_valid, repaired) == (expected_type, True, note)


@pytest.mark.parametrize(
    ("kind", "geometry", "reason"),
    [
        ("tank", shapely.LineString([(0, 0), (1, 0), (1, 1)]), "not_area"),
        ("dike", shapely.Point(0, 0), "not_area"),
        ("road", shapely.MultiPoint([(0, 0), (1, 1)]), "not_line"),
        ("building", shapely.Polygon([(0, 0), (1, 1), (2, 2), (0, 0)]), "invalid"),
    ],
)
def test_what_a_kind_cannot_be_is_refused_with_its_reason(kind, geometry, reason):
    with pytest.raises(vector.GeometryRejected) as refused:
        vector.fit_geometry(geometry, kind)
    assert refused.value.reason == reason


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("plan.shp", "shapefile_not_zipped"),
        ("总图.DWG", "dwg"),
        ("plan.pdf", "unsupported_format"),
        ("plan", "unsupported_format"),
    ],
)
def test_an_unsupported_format_is_a_415(name, reason):
    with pytest.raises(vector.UnsupportedFormat) as refused:
        vector.detect_format(name)
    assert (refused.value.status, refused.value.reason) == (415, reason)


def _zip_without_shp(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "no plan here")


def _truncated(source_path):
    def write(path):
        data = source_path.read_bytes()
        path.write_bytes(data[: len(data) // 2])

    return write


@pytest.mark.parametrize(
    ("name", "write"),
    [
        ("random.gpkg", lambda p: p.write_bytes(os.urandom(20_000))),
        ("random.dxf", lambda p: p.write_text("hello\n0\nSECTION\n")),
        ("cut.geojson", lambda p: p.write_text('{"type": "FeatureCollection", "features": [{"type": "Feat')),
        ("not-a-zip.zip", lambda p: p.write_bytes(b"PK\x03\x04 not really")),
        ("empty.zip", _zip_without_shp),
        ("random.kml", lambda p: p.write_text("<kml><Document><Placemark>")),
    ],
)
def test_a_corrupt_file_is_a_422(tmp_path, name, write):
    path = tmp_path / name
    write(path)
    with pytest.raises(vector.CorruptFile) as refused:
        vector.describe(opened(path), MAX_FEATURES)
    assert refused.value.status == 422


def test_a_truncated_geopackage_and_a_geopackage_named_geojson_are_422(gpkg, tmp_path):
    cut = tmp_path / "cut.gpkg"
    _truncated(gpkg)(cut)
    renamed = tmp_path / "layout.geojson"
    renamed.write_bytes(gpkg.read_bytes())
    for path in (cut, renamed):
        with pytest.raises(vector.CorruptFile):
            vector.describe(opened(path), MAX_FEATURES)


def test_a_shapefile_without_its_dbf_is_a_422(shapefiles, tmp_path):
    partial = tmp_path / "partial.zip"
    with zipfile.ZipFile(shapefiles) as full, zipfile.ZipFile(partial, "w") as out:
        for info in full.infolist():
            if not info.filename.endswith((".dbf", ".shx")):
                out.writestr(info, full.read(info))
    with pytest.raises(vector.CorruptFile):
        vector.describe(opened(partial), MAX_FEATURES)


def test_a_file_over_the_size_limit_and_a_zip_that_unpacks_over_it_are_413(dxf, tmp_path):
    with pytest.raises(vector.TooLarge) as refused:
        opened(dxf, max_bytes=dxf.stat().st_size - 1)
    assert (refused.value.status, refused.value.reason) == (413, "file_too_large")
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("plan/zeros.shp", bytes(8 * 2**20))
    assert bomb.stat().st_size < 2**20
    with pytest.raises(vector.TooLarge) as refused:
        opened(bomb, max_bytes=2**20)
    assert refused.value.reason == "zip_too_large"
    assert str(refused.value) == "The zip unpacks to 8.0 MB; at most 1.0 MB is accepted."


def test_more_features_than_the_limit_is_413_in_the_preview_and_in_the_reading(dxf):
    source = opened(dxf)
    with pytest.raises(vector.TooLarge) as refused:
        vector.describe(source, max_features=7)
    assert (refused.value.status, refused.value.reason) == (413, "too_many_features")
    with pytest.raises(vector.TooLarge):
        vector.read(source, mapping(source, crs=4549, rules=DXF_RULES), max_features=7)
    assert vector.describe(source, max_features=8)[0].count == 8


@pytest.mark.parametrize(
    ("value", "reason"),
    [("EPSG:999999", "crs_unknown"), (0, "crs_unknown"), ("WGS84", "crs_format"), (True, "crs_format"),
     ("+proj=longlat", "crs_format"), (4978, "crs_kind"), ([4326], "crs_format")],
)  # fmt: skip
def test_a_crs_that_is_no_epsg_code_of_a_plan_crs_is_a_422(value, reason):
    with pytest.raises(vector.CrsError) as refused:
        vector.parse_crs(value)
    assert (refused.value.status, refused.value.reason, refused.value.field) == (422, reason, "crs")


def test_an_epsg_code_is_taken_as_a_number_or_text():
    assert (
        vector.parse_crs(4549)
        == vector.parse_crs("epsg:4549")
        == vector.parse_crs(" EPSG:4549")
        == (pyproj.CRS.from_epsg(4549))
    )


@pytest.mark.parametrize(
    ("data", "reason", "field"),
    [
        ([], "not_object", None),
        ({"rules": []}, "no_rules", "rules"),
        ({"crs": 4549, "rules": [{"layer": "entities", "kind": "road"}], "skip": True}, "unknown_key", "skip"),
        ({"crs": 4549, "rules": ["entities"]}, "rule_not_object", "rules[0]"),
        ({"crs": 4549, "rules": [{"layer": "tanks", "kind": "tank", "name": "Layer"}]}, "unknown_layer",
         "rules[0].layer"),
        ({"crs": 4549, "rules": [{"layer": "entities", "kind": "pipe"}]}, "unknown_kind", "rules[0].kind"),
        ({"crs": 4549, "rules": [{"layer": "entities", "kind": "tank"}]}, "name_required", "rules[0].name"),
        ({"crs": 4549, "rules": [{"layer": "entities", "kind": "tank", "name": ""}]}, "name_required", "rules[0].name"),
        ({"crs": 4549, "rules": [{"layer": "entities", "kind": "tank", "name": "NAME"}]}, "unknown_attribute",
         "rules[0].name"),
        ({"crs": 4549, "rules": [{"layer": "entities", "kind": "road", "where": {"LAYER": "ROADS"}}]},
         "unknown_attribute", "rules[0].where"),
        ({"crs": 4549, "rules": [{"layer": "entities", "kind": "road", "attributes": "Layer"}]}, "attributes_list",
         "rules[0].attributes"),
        ({"crs": 4549, "rules": [{"layer": "entities", "kind": "road", "lyr": "x"}]}, "unknown_key", "rules[0].lyr"),
        ({"rules": [{"layer": "entities", "kind": "road"}]}, "crs_missing", "crs"),
        ({"crs": 4549, "rules": [{"layer": "entities", "kind": "road"}], "skip_rejected": "yes"}, "not_boolean",
         "skip_rejected"),
        ({"crs": "EPSG:0", "rules": [{"layer": "entities", "kind": "road"}]}, "crs_unknown", "crs"),
    ],
)  # fmt: skip
def test_a_mapping_that_names_what_the_plan_lacks_or_leaves_a_required_field_empty_is_a_422(dxf, data, reason, field):
    with pytest.raises(vector.PlanError) as refused:
        vector.parse_mapping(data, opened(dxf))
    assert (refused.value.status, refused.value.reason, refused.value.field) == (422, reason, field)
    assert str(refused.value)  # an English sentence; the HTTP layer translates ``template``


def test_a_mapping_round_trips_through_json(gpkg):
    source = opened(gpkg)
    data = {
        "crs": "EPSG:4549",
        "rules": [{"layer": "tanks", "kind": "tank", "name": "name", "code": "code", "where": {"DIAM": [16.0]}}],
        "skip_rejected": True,
    }
    parsed = vector.parse_mapping(data, source)
    assert parsed.as_dict() == data
    assert vector.parse_mapping(parsed.as_dict(), source) == parsed
