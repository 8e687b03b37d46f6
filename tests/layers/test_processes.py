"""OGC API – Processes: GB 18218-2018 grading and the consequence of a release, run synchronously, with POST
working for tokens and sessions.

Golden numbers from GB 18218-2018: chlorine is Table 1 row 12 with Q = 5 t and β = 4 in Table 3;
α = 2.0 for 100 or more residents (Table 5); R ≥ 100 is grade 1, 50 ≤ R < 100 grade 2 (Table 6).
Chlorine's AEGL-3, AEGL-2 and AEGL-1 (60 min) are 20, 2.0 and 0.5 ppm (US EPA, AEGL program, final values).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import timezone

from geo.models import ConsequenceZone, PersonnelTag, Quality, Scenario, Sensor, User
from layers.tokens import issue

pytestmark = pytest.mark.django_db

CHLORINE_50_T = {
    "inputs": {"holdings": [{"name": "氯", "table1_seq": 12, "cas": "7782-50-5", "q_t": 50}], "population": 120}
}


def test_the_grading_process_is_listed_and_described(as_user):
    client = as_user("regulator")
    listed = [p["id"] for p in client.get("processes").json()["processes"]]
    assert listed == ["gb18218-grading", "consequence"]
    described = client.get("processes/gb18218-grading").json()
    assert set(described["inputs"]) == {"holdings", "population"}
    assert described["jobControlOptions"] == ["sync-execute"]


def test_grading_50_t_of_chlorine_with_120_residents_gives_grade_2(as_user):
    response = as_user("regulator").post("processes/gb18218-grading/execution", CHLORINE_50_T)
    assert response.status_code == 200, response.content
    result = response.json()
    # S = 50/5 = 10; R = α·β·q/Q = 2.0 × 4 × 10 = 80 → grade 2
    assert (result["s"], result["is_major"], result["alpha"], result["r"], result["grade"]) == (
        10.0,
        True,
        2.0,
        80.0,
        2,
    )
    (term,) = result["terms"]
    assert (term["critical_t"], term["beta"]) == (5.0, 4)


def test_a_unit_below_its_critical_quantity_is_not_a_major_hazard_source(as_user):
    body = {"inputs": {"holdings": [{"name": "氯", "table1_seq": 12, "q_t": 2.5}], "population": 0}}
    result = as_user("regulator").post("processes/gb18218-grading/execution", body).json()
    assert (result["s"], result["is_major"], result["r"], result["grade"]) == (0.5, False, None, None)


@pytest.mark.parametrize(
    ("inputs", "says"),
    [
        ({"holdings": [{"name": "氯", "table1_seq": 999, "q_t": 1}], "population": 1}, "999"),
        ({"holdings": [{"name": "某液体", "categories": ["X9"], "q_t": 1}], "population": 1}, "X9"),
        ({"holdings": [{"name": "氯", "table1_seq": 12, "q_t": -1}], "population": 1}, "negative"),
        ({"holdings": [{"name": "氯", "table1_seq": 12, "q_t": "lots"}], "population": 1}, "q_t"),
        ({"holdings": [{"name": "氯", "table1_seq": 12, "q_t": 1}], "population": -3}, "population"),
        ({"holdings": "氯", "population": 1}, "holdings"),
        ({"holdings": [{"q_t": 1}], "population": 1}, "name"),
        ({"holdings": [{"name": "氯", "q_t": 1, "colour": "green"}], "population": 1}, "colour"),
    ],
)
def test_invalid_inputs_are_a_400_with_the_reason(as_user, inputs, says):
    response = as_user("regulator").post("processes/gb18218-grading/execution", {"inputs": inputs})
    assert response.status_code == 400
    assert says in response.json()["description"]


@pytest.mark.parametrize("body", ["", "not json", "[1, 2]"])
def test_a_request_body_that_is_not_an_execute_request_is_a_400(as_user, body):
    response = as_user("regulator").client.post(
        "/ogc/processes/gb18218-grading/execution",
        body,
        content_type="application/json",
        headers=as_user("regulator").headers,
    )
    assert response.status_code == 400


def test_processes_need_credentials(as_user):
    assert as_user().get("processes").status_code == 401
    assert as_user().post("processes/gb18218-grading/execution", CHLORINE_50_T).status_code == 401


def test_an_unknown_process_is_a_404(as_user):
    assert as_user("regulator").post("processes/nothing/execution", CHLORINE_50_T).status_code == 404


def test_execution_only_accepts_post(as_user):
    response = as_user("regulator").get("processes/gb18218-grading/execution")
    assert response.status_code == 405 and response["Allow"] == "POST"


def test_a_session_post_needs_the_csrf_token_and_a_token_post_does_not(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world["users"]["regulator"])
    refused = browser.post("/ogc/processes/gb18218-grading/execution", CHLORINE_50_T, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["description"]
    browser.get("/admin/login/")  # any page that sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    accepted = browser.post(
        "/ogc/processes/gb18218-grading/execution",
        CHLORINE_50_T,
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert accepted.status_code == 200, accepted.content
    client = Client(enforce_csrf_checks=True)
    by_token = client.post(
        "/ogc/processes/gb18218-grading/execution",
        CHLORINE_50_T,
        content_type="application/json",
        headers={"Authorization": f"Bearer {world['tokens']['regulator']}"},
    )
    assert by_token.status_code == 200 and by_token.json()["grade"] == 2


# ---------------------------------------------------------------- consequence

WEST_WIND_D = {"wind_speed_m_s": 3.0, "wind_from_deg": 270.0, "stability": "D"}
AEGL = ["AEGL-3 (60 min)", "AEGL-2 (60 min)", "AEGL-1 (60 min)"]


def leak(world, **inputs) -> dict:
    """A 25 mm hole in the world's chlorine tank, in a 3 m/s west wind of class D, with ``inputs`` changed."""
    values = {
        "equipment": world["tank"].pk,
        "kind": "toxic",
        "release": "hole",
        "hole_diameter_m": 0.025,
        "weather": WEST_WIND_D,
    }
    values.update(inputs)
    return {"inputs": {name: value for name, value in values.items() if value is not None}}


def test_the_consequence_process_documents_its_inputs_output_and_an_example(as_user):
    described = as_user("commander").get("processes/consequence").json()
    assert described["jobControlOptions"] == ["sync-execute"]
    assert {"kind", "equipment", "point", "cas", "hole_diameter_m", "inventory_kg", "weather", "save"} <= set(
        described["inputs"]
    )
    assert described["inputs"]["kind"]["minOccurs"] == 1
    assert described["outputs"]["zones"]["schema"]["contentMediaType"] == "application/geo+json"
    assert described["example"]["inputs"]["cas"] == "7782-50-5"


def test_a_commander_clicking_a_chlorine_tank_gets_its_zones_and_who_is_inside(world, as_user):
    tank = world["tank"].footprint.centroid
    PersonnelTag.objects.filter(pk=world["person"].pk).update(location=Point(tank.x + 0.0002, tank.y, srid=4326))
    response = as_user("commander").post("processes/consequence/execution", leak(world))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/geo+json"
    result = response.json()
    assert result["type"] == "FeatureCollection"
    zones = [f["properties"] for f in result["features"]]
    assert [(z["endpoint"], z["threshold"], z["unit"], z["severity"]) for z in zones] == [
        ("AEGL-3 (60 min)", 20.0, "ppm", "red"),
        ("AEGL-2 (60 min)", 2.0, "ppm", "orange"),
        ("AEGL-1 (60 min)", 0.5, "ppm", "yellow"),
    ]
    assert all(f["geometry"]["type"] == "MultiPolygon" and f["properties"]["envelope"] for f in result["features"])
    red = zones[0]
    assert red["reached"] and 0 < red["max_distance_m"] < zones[1]["max_distance_m"]
    assert (red["people_inside"], [p["code"] for p in red["people"]]) == (1, ["TAG-1"])  # 20 m downwind of the tank
    assert [e["id"] for e in red["enterprises"]] == [world["e1"].pk]
    assert (red["targets"], red["population_inside"]) == ([], 0)
    assert result["model"] == "britter_mcquaid_plume"
    assert result["release"]["inventory_kg"] == 20_000.0
    assert result["taken"]["inventory_kg"] == "design maximum quantity"
    assert (result["weather"]["source"], result["weather"]["stability"]) == ("given", "D")
    assert result["source_term"]["rate_kg_s"] > 0
    assert "dense_gas" in {limit["code"] for limit in result["limits"]}
    assert result["scenario"] is None
    assert not ConsequenceZone.objects.exists()  # nothing stored without save


def test_a_regulator_sees_the_zones_but_not_the_people_inside(world, as_user):
    result = as_user("regulator").post("processes/consequence/execution", leak(world)).json()
    assert [f["properties"]["people_inside"] for f in result["features"]] == [0, 0, 0]


def test_without_weather_the_wind_comes_from_the_nearest_live_weather_station(world, as_user):
    measured = timezone.now() - dt.timedelta(seconds=20)
    for tag, kind, unit, value in (("WS-01-WS", "wind_speed", "m/s", 4.0), ("WS-01-WD", "wind_direction", "°", 45.0)):
        sensor = Sensor.objects.create(
            region=world["a"]["park"],
            tag=tag,
            name=tag,
            kind=kind,
            unit=unit,
            device_code="WS-01",
            location=Point(world["tank"].footprint.centroid.x, world["tank"].footprint.centroid.y + 0.005, srid=4326),
        )
        Sensor.objects.filter(pk=sensor.pk).update(value=value, value_time=measured, quality=Quality.GOOD)
    result = as_user("commander").post("processes/consequence/execution", leak(world, weather=None)).json()
    weather = result["weather"]
    assert (weather["source"], weather["station"], weather["wind_speed_m_s"], weather["wind_from_deg"]) == (
        "live",
        "WS-01",
        4.0,
        45.0,
    )
    assert [s["tag"] for s in weather["sensors"]] == ["WS-01-WS", "WS-01-WD"]
    assert weather["time"] == measured.isoformat()
    assert result["downwind_bearing_deg"] == 225.0  # a north-east wind blows to the south-west


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ({"inventory_kg": 0}, "inventory_kg"),
        ({"hole_diameter_m": 3.0, "vessel_diameter_m": 2.6}, "hole_diameter_m"),
        ({"equipment": None, "point": [121.33, 30.81], "cas": "99999-99-2", "inventory_kg": 1000}, "substance"),
        ({"weather": None}, "weather"),  # no weather station in this world
        ({"weather": {"wind_speed_m_s": 0.5, "wind_from_deg": 90}}, "wind_speed_m_s"),
        ({"kind": "rain"}, "kind"),
        ({"equipment": "T1"}, "equipment"),
        ({"point": [121.33, 30.81]}, "point"),
        ({"equipment": None, "point": [300, 30]}, "point"),
        ({"equipment": None, "point": [121.33, 30.81]}, "cas"),
        ({"colour": "green"}, "colour"),
        ({"weather": {"wind": 3}}, "weather.wind"),
        ({"save": "yes"}, "save"),
        ({"live": True}, "live"),
    ],
)
def test_a_release_that_cannot_be_modelled_is_a_422_saying_what_is_valid(world, as_user, inputs, field):
    response = as_user("commander").post("processes/consequence/execution", leak(world, **inputs))
    assert response.status_code == 422, response.content
    body = response.json()
    assert (body["code"], body["field"]) == ("InvalidParameterValue", field)
    assert body["valid"] and "value" in body and body["description"]


def test_unknown_equipment_and_equipment_outside_the_users_scope_are_a_404(world, as_user):
    assert (
        as_user("commander").post("processes/consequence/execution", leak(world, equipment=999_999)).status_code == 404
    )
    response = as_user("outsider").post("processes/consequence/execution", leak(world))
    assert response.status_code == 404 and response.json()["code"] == "NotFound"


def test_a_saved_run_is_a_scenario_whose_zones_layers_serve(world, as_user):
    response = as_user("commander").post("processes/consequence/execution", leak(world, save=True, name="演练"))
    assert response.status_code == 200, response.content
    result = response.json()
    scenario = Scenario.objects.get(pk=result["scenario"]["id"])
    assert (scenario.name, scenario.equipment, scenario.enterprise, scenario.created_by.username) == (
        "演练",
        world["tank"],
        world["e1"],
        "commander",
    )
    assert sorted(f["id"] for f in result["features"]) == sorted(scenario.zones.values_list("pk", flat=True))
    served = as_user("commander").get("collections/consequence-zones/items").json()
    assert sorted(f["properties"]["endpoint"] for f in served["features"]) == sorted(AEGL)


def test_a_refused_save_stores_no_scenario(world, as_user):
    response = as_user("commander").post("processes/consequence/execution", leak(world, save=True, inventory_kg=-1))
    assert response.status_code == 422
    assert not Scenario.objects.exists()


def test_saving_needs_a_role_that_plans_or_responds(world, as_user):
    viewer = User.objects.create(username="viewer", region=world["a"]["province"], role="viewer")
    client = as_user()
    client.headers = {"Authorization": f"Bearer {issue(viewer, 'viewer client')[1]}"}
    assert client.post("processes/consequence/execution", leak(world)).status_code == 200
    refused = client.post("processes/consequence/execution", leak(world, save=True))
    assert refused.status_code == 403 and refused.json()["code"] == "Forbidden"


def test_a_refusal_speaks_chinese_first(world, as_user):
    body = leak(world, inventory_kg=0)
    response = as_user("commander").post("processes/consequence/execution", body, **{"Accept-Language": "zh-Hans"})
    assert response.status_code == 422
    assert response.json()["description"].startswith("无法模拟该泄漏：")
