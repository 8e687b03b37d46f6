"""Importing vector plans over HTTP: upload and preview (nothing written), mapping and import (one transaction),
the features in the OGC API for their enterprise only, undo; every bad input a 4xx with nothing written.

Plans are written by GDAL itself (tests/plant_plans/plans.py) at known places in metres about the centre of
enterprise e1's site; stored features must lie where they were drawn, within 1 mm.
"""

from __future__ import annotations

import json
import math
import os

import fiona
import numpy as np
import pyproj
import pytest
import shapely
import shapely.geometry
from django.test import Client

from geo.models import ConstructionGridDefinition, Equipment, Event, LayoutFeature, PlanImport, User
from layers import tokens
from tests import factories
from tests.plant_plans.plans import (
    DXF_TEMPLATES,
    LAT,
    LON,
    circle,
    line,
    same_place,
    square,
    write_dxf,
    write_geojson,
    write_kml,
    write_layers,
    write_zipped_shapefiles,
)

pytestmark = pytest.mark.django_db

UPLOADS = "/app/plans/vector/uploads"
IMPORTS = "/app/plans/vector/imports"


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    """Uploads wait in a folder of the test's own."""
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR


@pytest.fixture
def world():
    """Province A (310000) with enterprise e1 (its 400 m site centred on factories.LON, LAT), a tank area HS01
    with tank T-101; province B (320000) with enterprise e2. Accounts: e1's and e2's operators, A's regulator
    and viewer, B's regulator, a superuser."""
    a, b = factories.region_chain("310000", "甲"), factories.region_chain("320000", "乙")
    e1 = factories.enterprise(a["park"], serial=1)
    e2 = factories.enterprise(b["park"], serial=2, lon=factories.LON + 0.05)
    source = factories.hazard_source(e1, code="HS01")
    tank = factories.tank(source, factories.substance("氯", "7782-50-5", seq=12), 20_000.0, code="T-101")
    Equipment.objects.filter(pk=tank.pk).update(inventory_kg=12_345.0)  # as ingest writes a live inventory
    users = {
        "operator": User.objects.create(username="operator", enterprise=e1, region=a["park"], role="enterprise"),
        "operator_b": User.objects.create(username="operator_b", enterprise=e2, region=b["park"], role="enterprise"),
        "regulator": User.objects.create(username="regulator", region=a["province"], role="regulator"),
        "viewer": User.objects.create(username="viewer", region=a["province"], role="viewer"),
        "regulator_b": User.objects.create(username="regulator_b", region=b["province"], role="regulator"),
        "root": User.objects.create(username="root", is_superuser=True),
    }
    return {"e1": e1, "e2": e2, "source": source, "tank": tank, "users": users}


def client_of(world, name: str | None) -> Client:
    """A client with an API token of ``name`` (None: anonymous), answering in English (the messages' source)."""
    if name is None:
        return Client(HTTP_ACCEPT_LANGUAGE="en")
    raw = tokens.issue(world["users"][name], "plans")[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")


def upload(client: Client, path, **fields):
    with path.open("rb") as file:
        return client.post(UPLOADS, {"file": file, **fields})


def import_(client: Client, token: str, mapping: dict):
    return client.post(f"{UPLOADS}/{token}/import", json.dumps(mapping), content_type="application/json")


def written() -> tuple[int, int, int]:
    """What an import writes: plan imports, layout features, events of layout features."""
    return (
        PlanImport.objects.count(),
        LayoutFeature.objects.count(),
        Event.objects.filter(collection="layout-features").count(),
    )


# --- plans of every format, drawn on e1's site ---------------------------------------------------

TANKS = [circle(-60, 40, 8), circle(-30, 40, 8), circle(0, 40, 8)]
BUILDINGS = [square(60, -60, 15), square(100, -60, 10)]
ROADS = [line((-190, 0), (190, 0)), line((0, -190), (0, 190))]


def dxf_plan(folder):
    entities = [("TANKS", g) for g in TANKS] + [("BUILDINGS", g) for g in BUILDINGS] + [("ROADS", g) for g in ROADS]
    entities.append(("TEXT", shapely.Point(TANKS[0].coords[0])))
    path = write_dxf(folder / "总平面图.dxf", entities, 4549)
    mapping = {
        "crs": 4549,
        "rules": [
            {"layer": "entities", "where": {"Layer": "TANKS"}, "kind": "tank", "name": "EntityHandle"},
            {"layer": "entities", "where": {"Layer": "BUILDINGS"}, "kind": "building", "name": "EntityHandle"},
            {"layer": "entities", "where": {"Layer": "ROADS"}, "kind": "road"},
        ],
    }
    drawn = {"tank": [shapely.Polygon(g.coords) for g in TANKS], "building": BUILDINGS, "road": ROADS}
    return path, mapping, drawn


def gpkg_plan(folder):
    tanks = [({"name": f"液氯储罐{i}", "code": f"T-10{i}"}, g) for i, g in enumerate(TANKS, 1)]
    buildings = [({"name": n}, g) for n, g in zip(("办公楼", "控制室"), BUILDINGS, strict=True)]
    path = write_layers(
        folder / "layout.gpkg",
        "GPKG",
        {"tanks": (4549, {"name": "str", "code": "str"}, tanks), "buildings": (4490, {"name": "str"}, buildings)},
    )
    mapping = {
        "rules": [
            {"layer": "tanks", "kind": "tank", "name": "name", "code": "code"},
            {"layer": "buildings", "kind": "building", "name": "name"},
        ]
    }
    return path, mapping, {"tank": [shapely.Polygon(g.coords) for g in TANKS], "building": BUILDINGS}


def shapefile_plan(folder):
    """In CGCS2000 / 3-degree Gauss–Krüger CM 114E (EPSG:4547): 121.33° E is 7° east of its central meridian,
    far outside the zone's use (the projection still holds, and pyproj inverts it)."""
    path = write_zipped_shapefiles(
        folder / "厂区.zip",
        {
            "dikes": (
                4547,
                {"名称": "str", "编号": "str"},
                [({"名称": "液氯罐区防火堤", "编号": "HS01"}, square(0, 0, 50))],
            ),
            "roads": (4547, {"名称": "str"}, [({"名称": f"{i}号路"}, g) for i, g in enumerate(ROADS, 1)]),
        },
    )
    mapping = {
        "rules": [
            {"layer": "dikes", "kind": "dike", "name": "名称", "code": "编号"},
            {"layer": "roads", "kind": "road", "name": "名称"},
        ]
    }
    return path, mapping, {"dike": [square(0, 0, 50)], "road": ROADS}


def geojson_plan(folder):
    path = write_geojson(folder / "roads.geojson", {"name": "str"}, [({"name": "东西路"}, ROADS[0])])
    return path, {"rules": [{"layer": "roads", "kind": "road", "name": "name"}]}, {"road": ROADS[:1]}


def kml_plan(folder):
    path = write_kml(folder / "围墙.kml", {"围墙": [("北围墙", line((-190, 190), (190, 190)))]})
    mapping = {"rules": [{"layer": "围墙", "kind": "fence", "name": "Name"}]}
    return path, mapping, {"fence": [line((-190, 190), (190, 190))]}


PLANS = {"dxf": dxf_plan, "gpkg": gpkg_plan, "shapefile": shapefile_plan, "geojson": geojson_plan, "kml": kml_plan}


@pytest.mark.parametrize("fmt", sorted(PLANS))
def test_a_plan_of_each_format_is_imported_where_it_was_drawn(world, tmp_path, fmt):
    path, mapping, drawn = PLANS[fmt](tmp_path)
    operator = client_of(world, "operator")
    preview = upload(operator, path)
    assert preview.status_code == 201, preview.json()
    assert preview.json()["format"] == fmt
    answer = import_(operator, preview.json()["token"], mapping)
    assert answer.status_code == 201, answer.json()
    expected = {kind: len(geometries) for kind, geometries in drawn.items()}
    assert answer.json()["import"]["by_kind"] == expected
    assert answer.json()["import"]["features_imported"] == sum(expected.values())
    for kind, geometries in drawn.items():
        stored = [shapely.from_wkb(bytes(f.geometry.wkb)) for f in LayoutFeature.objects.filter(kind=kind)]
        assert len(stored) == len(geometries)
        for geometry in geometries:
            assert any(same_place(s, geometry) for s in stored), (kind, geometry)


# --- preview, import, OGC API, undo --------------------------------------------------------------


def test_the_preview_describes_the_plan_and_writes_nothing_but_the_upload(world, tmp_path, var_dir):
    path, _mapping, _drawn = dxf_plan(tmp_path)
    before = written()
    answer = upload(client_of(world, "operator"), path)
    assert answer.status_code == 201
    body = answer.json()
    (layer,) = body["layers"]
    assert (body["enterprise_id"], body["file_name"], body["crs"]) == (world["e1"].pk, "总平面图.dxf", None)
    assert (layer["name"], layer["count"], layer["crs"]) == ("entities", 8, None)
    assert layer["values"] == {"Layer": {"TANKS": 3, "BUILDINGS": 2, "ROADS": 2, "TEXT": 1}}
    assert layer["sample"]["type"] == "FeatureCollection" and len(layer["sample"]["features"]) == 5
    assert {k["kind"]: k["name_required"] for k in body["kinds"]}["tank"] is True
    assert body["import"] == f"http://testserver{UPLOADS}/{body['token']}/import"
    assert written() == before
    assert sorted(p.name for p in (var_dir / "plans" / "vector" / body["token"]).iterdir()) == [
        "plan.dxf",
        "upload.json",
    ]


def test_a_crs_chosen_with_the_upload_places_the_preview_and_serves_the_import(world, tmp_path):
    path, mapping, _drawn = dxf_plan(tmp_path)
    operator = client_of(world, "operator")
    preview = upload(operator, path, crs="EPSG:4549").json()
    west, south, east, north = preview["layers"][0]["bounds_4326"]
    assert west < factories.LON < east and south < factories.LAT < north
    del mapping["crs"]
    assert import_(operator, preview["token"], mapping).status_code == 201
    assert PlanImport.objects.get().source_crs == "entities: EPSG:4549"


def grid_dxf(folder, origin_e: float, origin_n: float, azimuth_deg: float):
    """The DXF plan in a construction grid: (A, B) by coordinates.md §4's survey → grid formula on EPSG:4549."""
    alpha = math.radians(azimuth_deg)
    survey = pyproj.Transformer.from_crs(4326, 4549, always_xy=True)

    def to_grid(xy):
        easting, northing = survey.transform(xy[:, 0], xy[:, 1])
        dx, dy = northing - origin_n, easting - origin_e
        return np.column_stack([dx * np.cos(alpha) + dy * np.sin(alpha), -dx * np.sin(alpha) + dy * np.cos(alpha)])

    entities = [("TANKS", g) for g in TANKS] + [("ROADS", g) for g in ROADS]
    records = [{"geometry": shapely.geometry.mapping(shapely.transform(g, to_grid)), "properties": {"Layer": layer}}
               for layer, g in entities]  # fmt: skip
    path = folder / "建筑坐标.dxf"
    schema = {"geometry": "Unknown", "properties": {"Layer": "str"}}
    with fiona.open(path, "w", driver="DXF", schema=schema, **DXF_TEMPLATES) as dxf:
        dxf.writerecords(records)
    return path


def test_a_plan_drawn_in_the_enterprise_construction_grid_is_placed_by_it(world, tmp_path):
    origin_e, origin_n = pyproj.Transformer.from_crs(4326, 4549, always_xy=True).transform(LON, LAT)
    path = grid_dxf(tmp_path, origin_e, origin_n, 30.0)
    operator = client_of(world, "operator")
    refused = upload(operator, path, crs="GRID")
    assert refused.status_code == 422 and refused.json()["reason"] == "crs_no_grid"
    ConstructionGridDefinition.objects.create(
        enterprise=world["e1"], survey_crs="EPSG:4549", x0_m=origin_n, y0_m=origin_e, azimuth_deg=30.0
    )
    preview = upload(operator, path, crs="GRID").json()
    assert preview["crs"] == "GRID"
    west, south, east, north = preview["layers"][0]["bounds_4326"]
    assert west < LON < east and south < LAT < north
    mapping = {
        "rules": [
            {"layer": "entities", "where": {"Layer": "TANKS"}, "kind": "tank", "name": "EntityHandle"},
            {"layer": "entities", "where": {"Layer": "ROADS"}, "kind": "road"},
        ]
    }
    answer = import_(operator, preview["token"], mapping)
    assert answer.status_code == 201, answer.json()
    assert PlanImport.objects.get().source_crs == "entities: GRID"
    for kind, drawn in (("tank", [shapely.Polygon(g.coords) for g in TANKS]), ("road", ROADS)):
        stored = [shapely.from_wkb(bytes(f.geometry.wkb)) for f in LayoutFeature.objects.filter(kind=kind)]
        assert len(stored) == len(drawn)
        assert all(any(same_place(s, g) for s in stored) for g in drawn), kind


def test_an_import_is_one_transaction_published_served_in_scope_and_undone(
    world, tmp_path, django_capture_on_commit_callbacks
):
    path, mapping, _drawn = dxf_plan(tmp_path)
    operator = client_of(world, "operator")
    token = upload(operator, path).json()["token"]
    with django_capture_on_commit_callbacks(execute=True):
        answer = import_(operator, token, mapping)
    assert answer.status_code == 201
    plan = answer.json()["import"]
    assert (plan["features_read"], plan["features_imported"], plan["features_rejected"]) == (8, 7, 0)
    assert PlanImport.objects.get().features.count() == LayoutFeature.objects.count() == 7
    created = Event.objects.filter(collection="layout-features", action="create")
    assert sorted(created.values_list("feature_id", flat=True)) == sorted(
        LayoutFeature.objects.values_list("pk", flat=True)
    )
    assert {e.enterprise_id for e in created} == {world["e1"].pk}

    items = operator.get(plan["features"]).json()
    assert items["numberMatched"] == 7 and {f["properties"]["kind"] for f in items["features"]} == {
        "tank",
        "building",
        "road",
    }
    for outsider in ("operator_b", "regulator_b"):
        assert client_of(world, outsider).get("/ogc/collections/layout-features/items").json()["features"] == []
    assert client_of(world, "regulator").get("/ogc/collections/layout-features/items").json()["numberMatched"] == 7
    assert client_of(world, "operator_b").get(f"{IMPORTS}/{plan['id']}").status_code == 404

    assert import_(operator, token, mapping).status_code == 409  # an upload is imported once
    with django_capture_on_commit_callbacks(execute=True):
        undone = operator.post(f"{IMPORTS}/{plan['id']}/undo")
    assert undone.status_code == 200
    assert (undone.json()["deleted"], undone.json()["import"]["undone_by"]) == (7, "operator")
    assert LayoutFeature.objects.count() == 0 and PlanImport.objects.get().undone_at is not None
    deleted = Event.objects.filter(collection="layout-features", action="delete")
    assert sorted(deleted.values_list("feature_id", flat=True)) == sorted(created.values_list("feature_id", flat=True))
    assert {(e.enterprise_id, e.region_path) for e in deleted} == {(world["e1"].pk, world["e1"].region.path)}
    assert operator.get(plan["features"]).json()["features"] == []
    again = operator.post(f"{IMPORTS}/{plan['id']}/undo")
    assert (again.status_code, again.json()["code"]) == (409, "Conflict")
    listed = operator.get(IMPORTS).json()["imports"]
    assert [(i["id"], i["undone_at"] is not None) for i in listed] == [(plan["id"], True)]


def test_a_tank_coded_as_equipment_is_linked_and_carries_its_live_inventory(world, tmp_path):
    path, mapping, _drawn = gpkg_plan(tmp_path)
    operator = client_of(world, "operator")
    token = upload(operator, path).json()["token"]
    plan = import_(operator, token, mapping).json()["import"]
    assert plan["features_linked"] == 1
    assert plan["report"]["unmatched_codes"] == ["T-102", "T-103"]
    linked = LayoutFeature.objects.get(code="T-101")
    assert (linked.equipment, linked.hazard_source) == (world["tank"], world["source"])
    feature = operator.get(f"/ogc/collections/layout-features/items/{linked.pk}").json()
    assert (feature["properties"]["equipment_id"], feature["properties"]["inventory_kg"]) == (
        world["tank"].pk,
        12_345.0,
    )
    assert feature["properties"]["substance_name"] == "氯"
    Equipment.objects.filter(pk=world["tank"].pk).update(inventory_kg=11_000.0)  # the next live value
    feature = operator.get(f"/ogc/collections/layout-features/items/{linked.pk}").json()
    assert feature["properties"]["inventory_kg"] == 11_000.0


def test_a_dike_coded_as_a_hazard_source_is_linked_to_it(world, tmp_path):
    path, mapping, _drawn = shapefile_plan(tmp_path)
    regulator = client_of(world, "regulator")  # a regulator of the province imports for the enterprise
    token = upload(regulator, path, enterprise=str(world["e1"].pk)).json()["token"]
    answer = import_(regulator, token, mapping)
    assert answer.status_code == 201
    assert LayoutFeature.objects.get(kind="dike").hazard_source == world["source"]
    assert answer.json()["import"]["created_by"] == "regulator"


def test_a_dry_run_answers_what_would_be_imported_and_writes_nothing(world, tmp_path):
    path, mapping, _drawn = gpkg_plan(tmp_path)
    operator = client_of(world, "operator")
    token = upload(operator, path).json()["token"]
    before = written()
    answer = import_(operator, token, {**mapping, "dry_run": True})
    assert answer.status_code == 200
    body = answer.json()
    assert (body["dry_run"], body["features_imported"], body["features_linked"]) == (True, 5, 1)
    assert body["by_kind"] == {"tank": 3, "building": 2} and len(body["sample"]["features"]) == 5
    assert written() == before
    assert import_(operator, token, mapping).status_code == 201  # the upload is still there


def test_rejected_features_refuse_the_import_unless_the_mapping_skips_them(world, tmp_path):
    outside = line((300, 0), (400, 0))  # 100 m east of the site, beyond the 50 m tolerance
    path = write_geojson(
        tmp_path / "roads.geojson", {"name": "str"}, [({"name": "内"}, ROADS[0]), ({"name": "外"}, outside)]
    )
    operator = client_of(world, "operator")
    token = upload(operator, path).json()["token"]
    mapping = {"rules": [{"layer": "roads", "kind": "road", "name": "name"}]}
    refused = import_(operator, token, mapping)
    assert refused.status_code == 422
    body = refused.json()
    assert (body["code"], body["features_rejected"], body["rejected"][0]["reason"]) == (
        "FeaturesRejected",
        1,
        "outside_site",
    )
    assert body["rejected"][0]["message"].startswith("The feature lies 100 m outside the enterprise's site")
    assert written() == (0, 0, 0)
    accepted = import_(operator, token, {**mapping, "skip_rejected": True})
    assert accepted.status_code == 201
    assert (accepted.json()["import"]["features_imported"], accepted.json()["import"]["features_rejected"]) == (1, 1)
    assert PlanImport.objects.get().report["rejected"][0]["fid"] == "1"


# --- bad input: 4xx, nothing written -------------------------------------------------------------


def _nothing_written(var_dir) -> bool:
    folder = var_dir / "plans" / "vector"
    return written() == (0, 0, 0) and (not folder.exists() or not any(folder.iterdir()))


@pytest.mark.parametrize(
    ("name", "content", "status", "code", "reason"),
    [
        ("plan.gpkg", os.urandom(20_000), 422, "CorruptFile", "unreadable"),
        ("plan.dxf", b"0\nSECTION\n2\nENTITIES\n0\nLWPOLYLINE\n", 422, "CorruptFile", "empty"),
        ("plan.zip", b"PK\x03\x04 not a zip", 422, "CorruptFile", "unreadable"),
        ("plan.pdf", b"%PDF-1.7", 415, "UnsupportedFormat", "unsupported_format"),
        ("plan.shp", b"\x00\x00\x27\x0a", 415, "UnsupportedFormat", "shapefile_not_zipped"),
    ],
)
def test_a_corrupt_or_unsupported_file_is_refused_and_not_kept(
    world, tmp_path, var_dir, name, content, status, code, reason
):
    path = tmp_path / name
    path.write_bytes(content)
    answer = upload(client_of(world, "operator"), path)
    assert (answer.status_code, answer.json()["code"], answer.json()["reason"]) == (status, code, reason)
    assert _nothing_written(var_dir)


def test_a_file_over_the_size_limit_is_413(world, tmp_path, var_dir, settings):
    settings.HAZMAP_PLAN_VECTOR_MAX_MB = 1
    path = tmp_path / "big.geojson"
    path.write_bytes(b" " * (2**20 + 10))
    answer = upload(client_of(world, "operator"), path)
    assert (answer.status_code, answer.json()["code"]) == (413, "PayloadTooLarge")
    assert answer.json()["description"] == "The file is 1.0 MB; at most 1.0 MB is accepted."
    assert _nothing_written(var_dir)


def test_a_plan_with_more_features_than_the_limit_is_413(world, tmp_path, var_dir, settings):
    settings.HAZMAP_PLAN_VECTOR_MAX_FEATURES = 7
    path, _mapping, _drawn = dxf_plan(tmp_path)
    answer = upload(client_of(world, "operator"), path)
    assert (answer.status_code, answer.json()["reason"]) == (413, "too_many_features")
    assert _nothing_written(var_dir)


def test_a_crs_that_does_not_exist_is_422_at_the_upload_and_in_the_mapping(world, tmp_path, var_dir):
    path, mapping, _drawn = dxf_plan(tmp_path)
    operator = client_of(world, "operator")
    answer = upload(operator, path, crs="EPSG:999999")
    assert (answer.status_code, answer.json()["code"], answer.json()["field"]) == (422, "InvalidCRS", "crs")
    assert answer.json()["description"] == "EPSG:999999 is not a CRS that PROJ knows."
    assert _nothing_written(var_dir)
    token = upload(operator, path).json()["token"]
    answer = import_(operator, token, {**mapping, "crs": "EPSG:999999"})
    assert (answer.status_code, answer.json()["code"]) == (422, "InvalidCRS")
    assert written() == (0, 0, 0)


@pytest.mark.parametrize(
    ("change", "reason", "field"),
    [
        (lambda m: m["rules"][0].pop("name"), "name_required", "rules[0].name"),
        (lambda m: m["rules"][1].update(layer="BUILDINGS"), "unknown_layer", "rules[1].layer"),
        (lambda m: m["rules"][2].update(kind="pipeline"), "unknown_kind", "rules[2].kind"),
        (lambda m: m["rules"][2].update(code="CODE"), "unknown_attribute", "rules[2].code"),
        (lambda m: m.pop("crs"), "crs_missing", "crs"),
        (lambda m: m.update(rules=[]), "no_rules", "rules"),
    ],
)
def test_an_incomplete_mapping_is_422_naming_the_entry_and_writes_nothing(world, tmp_path, change, reason, field):
    path, mapping, _drawn = dxf_plan(tmp_path)
    operator = client_of(world, "operator")
    token = upload(operator, path).json()["token"]
    change(mapping)
    answer = import_(operator, token, mapping)
    assert (answer.status_code, answer.json()["code"]) == (422, "InvalidMapping")
    assert (answer.json()["reason"], answer.json()["field"]) == (reason, field)
    assert written() == (0, 0, 0)


def test_a_plan_in_the_wrong_crs_lands_far_from_the_site_and_is_refused(world, tmp_path):
    path, mapping, _drawn = dxf_plan(tmp_path)
    operator = client_of(world, "operator")
    token = upload(operator, path).json()["token"]
    answer = import_(operator, token, {**mapping, "crs": 4547, "skip_rejected": True})
    assert (answer.status_code, answer.json()["code"], answer.json()["features_rejected"]) == (
        422,
        "NothingToImport",
        7,
    )
    assert written() == (0, 0, 0)


def test_steps_out_of_order_are_refused(world, tmp_path):
    path, mapping, _drawn = dxf_plan(tmp_path)
    operator = client_of(world, "operator")
    assert import_(operator, "x" * 32, mapping).status_code == 404  # no such upload
    assert import_(operator, "../../etc", mapping).status_code == 404
    token = upload(operator, path).json()["token"]
    assert import_(client_of(world, "regulator"), token, mapping).status_code == 404  # another user's upload
    bad_json = operator.post(f"{UPLOADS}/{token}/import", "{rules", content_type="application/json")
    assert (bad_json.status_code, bad_json.json()["code"]) == (400, "InvalidBody")
    assert operator.get(f"{UPLOADS}/{token}/import").status_code == 405
    assert operator.get(UPLOADS).status_code == 405
    assert operator.post(UPLOADS, {}).status_code == 400  # no file
    assert operator.post(f"{IMPORTS}/12345/undo").status_code == 404
    assert written() == (0, 0, 0)


def test_only_the_enterprise_and_its_regulators_may_import(world, tmp_path, var_dir):
    path, _mapping, _drawn = dxf_plan(tmp_path)
    assert upload(client_of(world, None), path).status_code == 401
    assert upload(client_of(world, "viewer"), path, enterprise=str(world["e1"].pk)).status_code == 403
    assert upload(client_of(world, "regulator"), path).status_code == 400  # which enterprise?
    assert upload(client_of(world, "operator_b"), path, enterprise=str(world["e1"].pk)).status_code == 404
    assert upload(client_of(world, "regulator_b"), path, enterprise=str(world["e1"].pk)).status_code == 404
    assert _nothing_written(var_dir)
    assert upload(client_of(world, "root"), path, enterprise=str(world["e1"].pk)).status_code == 201


def test_a_viewer_sees_the_imports_of_the_region_but_may_not_undo_them(world, tmp_path):
    path, mapping, _drawn = dxf_plan(tmp_path)
    operator = client_of(world, "operator")
    plan = import_(operator, upload(operator, path).json()["token"], mapping).json()["import"]
    viewer = client_of(world, "viewer")
    assert [i["id"] for i in viewer.get(IMPORTS, {"enterprise": world["e1"].pk}).json()["imports"]] == [plan["id"]]
    assert viewer.post(f"{IMPORTS}/{plan['id']}/undo").status_code == 403
    assert client_of(world, "regulator_b").get(IMPORTS).json()["imports"] == []
    assert LayoutFeature.objects.count() == 7


def test_a_session_post_must_pass_the_csrf_check(world, tmp_path):
    path, _mapping, _drawn = dxf_plan(tmp_path)
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(world["users"]["operator"])
    answer = upload(browser, path)
    assert (answer.status_code, answer.json()["code"]) == (403, "Forbidden")


def test_refusals_speak_chinese_by_default(world, tmp_path):
    path, mapping, _drawn = dxf_plan(tmp_path)
    raw = tokens.issue(world["users"]["operator"], "plans")[1]
    chinese = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    token = upload(chinese, path).json()["token"]
    mapping["rules"][0].pop("name")
    answer = import_(chinese, token, mapping)
    assert answer.json()["description"] == "储罐需要名称：请给出图层“entities”中存放名称的属性。"


def test_a_mapping_over_django_s_body_limit_is_413(world, tmp_path, settings):
    path, mapping, _drawn = dxf_plan(tmp_path)
    operator = client_of(world, "operator")
    token = upload(operator, path).json()["token"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    answer = import_(operator, token, mapping)
    assert (answer.status_code, answer.json()["code"]) == (413, "PayloadTooLarge")
    assert written() == (0, 0, 0)
