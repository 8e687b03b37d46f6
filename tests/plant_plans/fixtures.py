"""Shared by the HTTP tests of site plans: a small world (two enterprises of a park, one elsewhere, their
users) and plans written through ``geo.plans`` from the dotted test plan of ``plans.py``."""

from __future__ import annotations

import pytest

from geo import plans as site_plans
from geo.models import User
from layers import tokens
from tests.factories import enterprise, region_chain
from tests.plant_plans.raster_plans import CORNERS_AND_MORE, SITE, make_plan


@pytest.fixture
def plan_world(db):
    a, b = region_chain("310000", "甲"), region_chain("320000", "乙")
    e1 = enterprise(a["park"], serial=1, lon=SITE[0], lat=SITE[1])
    e2 = enterprise(a["park"], serial=2, lon=SITE[0] - 0.01, lat=SITE[1])
    e3 = enterprise(b["park"], serial=3, lon=SITE[0] + 0.3, lat=SITE[1])
    users = {
        "admin": User.objects.create(username="admin", is_superuser=True, is_staff=True),
        "regulator": User.objects.create(username="regulator", region=a["park"], role="regulator"),
        "operator": User.objects.create(username="operator", enterprise=e1, region=a["park"], role="enterprise"),
        "operator2": User.objects.create(username="operator2", enterprise=e2, region=a["park"], role="enterprise"),
        "elsewhere": User.objects.create(username="elsewhere", region=b["province"], role="regulator"),
    }
    return {"enterprises": (e1, e2, e3), "users": users, "token": tokens.issue(users["operator"], "client")[1]}


def written_plan(folder, enterprise, kind: str = "affine", width: int = 1000, height: int = 700):
    """A plan of ``enterprise`` from the dotted test image, georeferenced on its truth and written."""
    folder.mkdir(parents=True, exist_ok=True)
    plan_image = make_plan(folder, width, height, kind)
    relative, absolute = site_plans.new_folder()
    upload = absolute / "upload"
    upload.write_bytes(plan_image.path.read_bytes())
    plan = site_plans.create(enterprise, upload, relative, original_name="plan.png", name="总平面布置图")
    points = plan_image.control_points(CORNERS_AND_MORE if kind == "poly2" else CORNERS_AND_MORE[:4])
    site_plans.set_control_points(plan, points, "EPSG:4326", kind)
    assert site_plans.claim_write(plan)
    plan = site_plans.write(plan.pk)
    assert plan.status == "ready", plan.error
    return plan, plan_image
