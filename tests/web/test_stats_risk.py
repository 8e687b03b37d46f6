"""The risk level served (/app/risk, /app/risk/{id}, the hazard-sources collection's ``risk_level``): worst first,
every factor with its points, filtered by level, in the user's scope, Chinese unless English is chosen.

Points by hand with the default weights (geo.risk.DEFAULT_WEIGHTS): park unit a is grade 1 (40) with one
second-level alarm open (25) and one first-level (10): 75, red; b is grade 3 (20) with one major hidden
danger (35): 55, orange; c is grade 2 (30): yellow; d has no grade and an overdue inspection (5): blue.
The county's unit e (grade 1, 40, yellow) is outside the park.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from geo.models import Alarm, HazardSource, HiddenDanger, Inspection
from tests.factories import enterprise, hazard_source, region_chain

NOW = timezone.now()


@pytest.fixture
def world(db):
    shanghai = region_chain()
    chlor = enterprise(shanghai["park"], 1)
    store = enterprise(shanghai["county"], 2, lon=121.36)
    units = {code: hazard_source(chlor, f"HS0{n}") for n, code in enumerate("abcd", start=1)}
    units["e"] = hazard_source(store, "HS05")
    for code, grade in (("a", 1), ("b", 3), ("c", 2), ("e", 1)):
        HazardSource.objects.filter(pk=units[code].pk).update(is_major=True, gb_grade=grade)
    for level in (2, 1):
        Alarm.objects.create(
            enterprise=chlor, hazard_source=units["a"], kind="hi", level=level, started_at=NOW - dt.timedelta(hours=1)
        )
    HiddenDanger.objects.create(
        hazard_source=units["b"], level="major", description="罐区防火堤破损", found_at=NOW - dt.timedelta(days=3)
    )
    Inspection.objects.create(hazard_source=units["d"], due_at=NOW - dt.timedelta(days=1))
    make = get_user_model().objects.create_user
    users = {
        "park": make("park", region=shanghai["park"], role="emergency"),
        "county": make("county", region=shanghai["county"], role="regulator"),
    }
    return units, users


def test_the_list_is_worst_first_with_every_factor_and_the_count_of_each_level(client, world):
    _, users = world
    client.force_login(users["park"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    answer = client.get("/app/risk")
    assert answer.status_code == 200
    data = answer.json()
    assert data["levels"] == {"red": 1, "orange": 1, "yellow": 1, "blue": 1}
    assert data["number_matched"] == 4
    assert [(i["code"], i["points"], i["level"]) for i in data["items"]] == [
        ("HS01", 75, "red"),
        ("HS02", 55, "orange"),
        ("HS03", 30, "yellow"),
        ("HS04", 5, "blue"),
    ]
    first = data["items"][0]
    assert first["level_label"] == "red: major risk"
    assert [(f["factor"], f["points"], f["max_points"]) for f in first["factors"]] == [
        ("grade", 40, 40),
        ("alarms", 35, 50),
        ("monitoring", 0, 20),
        ("hidden_dangers", 0, 60),
        ("inspections", 0, 15),
    ]
    assert first["factors"][1]["detail"] == (
        "1 second-level and 1 first-level alarms not closed (device alarms not counted)"
    )
    assert "not an official formula" in data["note"]
    assert data["weights"]["levels"] == {"red": 70, "orange": 45, "yellow": 25}


def test_the_list_keeps_the_levels_asked_and_pages(client, world):
    _, users = world
    client.force_login(users["county"])
    data = client.get("/app/risk", {"level": "red,yellow"}).json()
    assert data["levels"] == {"red": 1, "orange": 1, "yellow": 2, "blue": 1}  # the county's unit e is yellow too
    assert [(i["code"], i["points"]) for i in data["items"]] == [("HS01", 75), ("HS05", 40), ("HS03", 30)]
    page = client.get("/app/risk", {"level": "red,yellow", "limit": 1, "offset": 1}).json()
    assert (page["number_matched"], [i["code"] for i in page["items"]]) == (3, ["HS05"])


def test_one_source_is_explained_and_one_outside_the_scope_is_not_found(client, world):
    units, users = world
    client.force_login(users["park"])
    answer = client.get(f"/app/risk/{units['b'].pk}").json()
    assert (answer["level"], answer["points"], answer["grade"]) == ("orange", 55, 3)
    assert answer["factors"][3]["counts"] == {"major": 1, "general": 0}
    outside = client.get(f"/app/risk/{units['e'].pk}")
    assert outside.status_code == 404
    assert outside.json()["code"] == "NotFound"


def test_the_words_are_chinese_unless_english_is_chosen(client, world):
    units, users = world
    client.force_login(users["park"])
    answer = client.get(f"/app/risk/{units['a'].pk}").json()
    assert answer["level_label"] == "红色：重大风险"
    assert answer["factors"][0]["detail"] == "GB 18218-2018 1 级"
    assert "并非官方公式" in answer["note"]


def test_the_collection_carries_the_same_level(client, world):
    _, users = world
    client.force_login(users["county"])
    items = client.get("/ogc/collections/hazard-sources/items", {"f": "json", "limit": 10}).json()["features"]
    assert {f["properties"]["code"]: f["properties"]["risk_level"] for f in items} == {
        "HS01": "red",
        "HS02": "orange",
        "HS03": "yellow",
        "HS04": "blue",
        "HS05": "yellow",
    }
    ordered = client.get("/ogc/collections/hazard-sources/items", {"f": "json", "sortby": "-risk_level"}).json()
    assert ordered["features"][0]["properties"]["risk_level"] == "yellow"  # text order: yellow, red, orange, blue


def test_the_levels_for_the_map_are_those_of_the_list_for_every_source_in_scope(client, world):
    units, users = world
    client.force_login(users["county"])
    data = client.get("/app/risk/levels").json()
    codes = {str(unit.pk): unit.code for unit in units.values()}
    assert {codes[pk]: level for pk, level in data["levels"].items()} == {
        "HS01": "red",
        "HS02": "orange",
        "HS03": "yellow",
        "HS04": "blue",
        "HS05": "yellow",
    }
    assert data["counts"] == {"red": 1, "orange": 1, "yellow": 2, "blue": 1}
    assert data["weights"]["levels"] == {"red": 70, "orange": 45, "yellow": 25}
    client.force_login(users["park"])
    assert codes[str(units["e"].pk)] not in {codes[pk] for pk in client.get("/app/risk/levels").json()["levels"]}
    assert client.get("/app/risk/levels", {"bbox": "1,2,3,4"}).status_code == 400


@pytest.mark.django_db
def test_the_risk_levels_need_a_signed_in_user(client):
    assert client.get("/app/risk").status_code == 401
    assert client.get("/app/risk/levels").status_code == 401
    assert client.get("/app/risk/1").json()["code"] == "Unauthorized"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("level=purple", "level must be one or more of red, orange, yellow, blue, separated by commas."),
        ("level=", "level must be one or more of red, orange, yellow, blue, separated by commas."),
        ("limit=0", "limit must be a whole number from 1 to 1000."),
        ("limit=all", "limit must be a whole number from 1 to 1000."),
        ("offset=-1", "offset must be a whole number from 0 to 1000000000."),
        ("grade=1", "Unknown parameter “grade”."),
    ],
)
def test_a_bad_parameter_is_a_400_saying_what_is_wrong(client, world, query, message):
    client.force_login(world[1]["park"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    answer = client.get(f"/app/risk?{query}")
    assert answer.status_code == 400
    assert answer.json() == {"code": "InvalidParameterValue", "description": message}
