"""Layout features keep to their kind's geometry and to their enterprise's site; links stay within the enterprise;
an import is undone once."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import LineString, Point
from django.core.exceptions import ValidationError
from django.urls import reverse

from geo import layout
from geo.models import LayoutFeature, PlanImport, User
from plant_plans import vector
from tests.factories import LAT, LON, enterprise, hazard_source, region_chain, square, substance, tank

pytestmark = pytest.mark.django_db

# 1 m of longitude at 30.81° N is 1/95 720 of a degree (WGS 84: 111 412.84 cos φ − 93.5 cos 3φ m per degree).
M_LON = 1 / 95_720


@pytest.fixture
def site():
    regions = region_chain()
    e1 = enterprise(regions["park"], serial=1)
    e2 = enterprise(regions["park"], serial=2, lon=LON + 0.01)
    source = hazard_source(e1)
    return {"e1": e1, "e2": e2, "source": source, "tank": tank(source, substance(), 1000.0, code="T-101")}


def feature(ent, kind="building", name="仓库", **fields) -> LayoutFeature:
    values = {"geometry": square(LON, LAT, 10)} | fields
    return LayoutFeature.objects.create(enterprise=ent, kind=kind, name=name, **values)


def test_the_kinds_are_those_plant_plans_reads():
    assert tuple(LayoutFeature.Kind.values) == vector.KINDS


def test_areas_are_polygons_and_roads_and_fences_lines_or_areas(site):
    road = LineString((LON - 0.001, LAT), (LON + 0.001, LAT), srid=4326)
    assert feature(site["e1"], "road", "", geometry=road).geometry.geom_type == "LineString"
    assert feature(site["e1"], "fence", "", geometry=square(LON, LAT, 150)).kind == "fence"
    with pytest.raises(ValidationError) as refused:
        feature(site["e1"], "tank", "T-101", geometry=road)
    assert refused.value.error_dict["geometry"][0].code == "geometry_kind"
    with pytest.raises(ValidationError) as refused:
        feature(site["e1"], "road", "", geometry=Point(LON, LAT, srid=4326))
    assert refused.value.error_dict["geometry"][0].code == "geometry_kind"


def test_areas_need_a_name_and_roads_do_not(site):
    assert feature(site["e1"], "road", "", geometry=LineString((LON, LAT), (LON + 0.001, LAT), srid=4326)).name == ""
    with pytest.raises(ValidationError) as refused:
        feature(site["e1"], "dike", "  ")
    assert refused.value.error_dict["name"][0].code == "name_required"


def test_a_feature_lies_within_the_site_or_within_the_tolerance_outside_it(site, settings):
    settings.HAZMAP_PLAN_SITE_TOLERANCE_M = 50
    east_edge = site["e1"].site.extent[2]
    near = LineString((LON, LAT), (east_edge + 40 * M_LON, LAT), srid=4326)
    far = LineString((LON, LAT), (east_edge + 60 * M_LON, LAT), srid=4326)
    assert feature(site["e1"], "road", "", geometry=near).pk
    with pytest.raises(ValidationError) as refused:
        feature(site["e1"], "road", "", geometry=far)
    assert refused.value.error_dict["geometry"][0].code == "outside_site"


def test_a_feature_links_to_equipment_and_hazard_sources_of_its_own_enterprise_only(site):
    linked = feature(site["e1"], "tank", "T-101", equipment=site["tank"])
    assert linked.hazard_source == site["source"]  # the equipment's unit
    with pytest.raises(ValidationError) as refused:
        feature(site["e2"], "tank", "T-101", geometry=square(LON + 0.01, LAT, 5), hazard_source=site["source"])
    assert refused.value.error_dict["hazard_source"][0].code == "source_enterprise"


def test_an_import_is_undone_once(site):
    plan_import = PlanImport.objects.create(enterprise=site["e1"], file_name="a.dxf", format="dxf", upload="t" * 32)
    feature(site["e1"], plan_import=plan_import)
    feature(site["e1"], "road", "", geometry=LineString((LON, LAT), (LON + 0.001, LAT), srid=4326))  # drawn by hand
    assert layout.undo(plan_import, None) == 1
    assert LayoutFeature.objects.count() == 1 and PlanImport.objects.get().undone_at is not None
    with pytest.raises(layout.AlreadyUndone):
        layout.undo(plan_import, None)


def test_the_admin_undoes_the_selected_imports(site, client):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "a-long-password-1"))
    plan_import = PlanImport.objects.create(enterprise=site["e1"], file_name="a.dxf", format="dxf", upload="u" * 32)
    feature(site["e1"], plan_import=plan_import)
    answer = client.post(
        reverse("admin:geo_planimport_changelist"),
        {"action": "undo_imports", "_selected_action": [plan_import.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "1 import(s) undone." in answer.content.decode()
    assert LayoutFeature.objects.count() == 0 and PlanImport.objects.get().undone_by.username == "root"
