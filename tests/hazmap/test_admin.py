"""The admin shows every feature with a map, refuses bad input with a message, and respects scope."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from geo.models import Scenario, Sensor, User
from tests.factories import enterprise, hazard_source, region_chain, sensor, substance, tank

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client):
    user = User.objects.create_superuser("root", "root@example.com", "a-long-password-1")
    client.force_login(user)
    return user


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.model_name)
def test_every_admin_list_and_add_page_answers(client, root, model):
    opts = model._meta
    listing = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert listing.status_code == 200
    add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert add.status_code in (200, 403)  # 403 where adding by hand is not allowed (readings, positions)


def test_the_sensor_form_has_a_map_widget(client, root):
    page = client.get(reverse("admin:geo_sensor_add"))
    assert b"geodjango_location" in page.content


def test_a_bad_sensor_posted_in_the_admin_is_answered_with_the_message_not_an_error(client, root):
    ent = enterprise(region_chain()["park"])
    page = client.post(
        reverse("admin:geo_sensor_add"),
        {
            "enterprise": ent.pk,
            "tag": "PT-1",
            "name": "压力",
            "kind": "pressure",
            "unit": "kPa",
            "location": '{"type": "Point", "coordinates": [121.33, 30.81]}',
            "lo": "200",
            "hi": "100",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 200
    assert "high alarm (100.0) must be above low alarm (200.0)." in page.content.decode()
    assert Sensor.objects.count() == 0


def test_the_admin_lists_only_what_a_staff_user_may_see(client):
    a = region_chain("310000", "甲")
    b = region_chain("320000", "乙")
    sensor(enterprise(a["park"], serial=1), tag="A-1")
    sensor(enterprise(b["park"], serial=2), tag="B-1")
    staff = User.objects.create_user("staff", password="a-long-password-1", is_staff=True, region=a["province"])
    staff.user_permissions.add(
        *__import__("django.contrib.auth.models", fromlist=["Permission"]).Permission.objects.filter(
            codename="view_sensor"
        )
    )
    client.force_login(staff)
    page = client.get(reverse("admin:geo_sensor_changelist")).content.decode()
    assert "A-1" in page
    assert "B-1" not in page


def test_the_admin_speaks_chinese_by_default(client, root):
    ent = enterprise(region_chain()["park"])
    page = client.post(
        reverse("admin:geo_sensor_add"),
        {
            "enterprise": ent.pk,
            "tag": "LT-1",
            "name": "液位",
            "kind": "level",
            "unit": "ppm",
            "location": '{"type": "Point", "coordinates": [121.33, 30.81]}',
        },
    )
    assert "“ppm”不是“液位”类传感器可用的单位；请使用以下单位之一：m, mm, %。" in page.content.decode()


def test_a_hazard_source_page_explains_its_grading(client, root):
    """The SO₂ exam item (tests/geo/test_grading.py): 200 t, Q 20 t, β 2, 60 residents → α 1.5, R 30."""
    source = hazard_source(enterprise(region_chain()["park"], population=60))
    tank(source, substance(), 200_000.0)
    page = client.get(reverse("admin:geo_hazardsource_change", args=[source.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = " ".join(page.content.decode().split())
    assert (
        "S = 10.0 ≥ 1 · α = 1.5 (Table 5: 60 persons within 500 m (50~99人) -&gt; α = 1.5) · R = 30.0 · grade 3" in text
    )
    assert "<td>二氧化硫</td> <td>T1 T1 储罐: 200.000 t</td> <td>200.000</td><td>20.0</td>" in text


def _scenario_form(t1, parameters: str) -> dict:
    centre = t1.footprint.centroid
    return {
        "name": "液氯储罐泄漏演练",
        "kind": "toxic",
        "enterprise": t1.hazard_source.enterprise.pk,
        "equipment": t1.pk,
        "substance": t1.substance.pk,
        "source": f'{{"type": "Point", "coordinates": [{centre.x}, {centre.y}]}}',
        "parameters": parameters,
        "weather": '{"wind_speed_m_s": 3.0, "wind_from_deg": 270.0, "stability": "D"}',
    }


def test_a_scenario_saved_in_the_admin_gets_its_zones(client, root):
    """Chlorine's AEGL-3, AEGL-2, AEGL-1 (60 min): US EPA AEGL program, final values."""
    t1 = tank(hazard_source(enterprise(region_chain()["park"])), substance("氯", "7782-50-5", seq=12), 20_000.0)
    form = _scenario_form(t1, '{"release": "hole", "hole_diameter_m": 0.025}')
    page = client.post(reverse("admin:geo_scenario_add"), form, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "Zones computed for 1 scenario(s)." in page.content.decode()
    (scenario,) = Scenario.objects.all()
    assert sorted(scenario.zones.values_list("endpoint", flat=True)) == [
        "AEGL-1 (60 min)",
        "AEGL-2 (60 min)",
        "AEGL-3 (60 min)",
    ]


def test_a_scenario_that_cannot_be_modelled_is_saved_with_a_warning_naming_the_input(client, root):
    t1 = tank(hazard_source(enterprise(region_chain()["park"])), substance("氯", "7782-50-5", seq=12), 20_000.0)
    form = _scenario_form(t1, '{"release": "hole", "hole_diameter_m": 0.025, "inventory_kg": 0}')
    page = client.post(reverse("admin:geo_scenario_add"), form, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "cannot be modelled, its zones are unchanged: inventory_kg" in page.content.decode()
    assert Scenario.objects.get().zones.count() == 0
