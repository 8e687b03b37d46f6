"""The registry workflow over HTTP: /app/registry/<id>/<step>, /<id>/history, /todo and /stats.

The source holds 40 t of sulphur dioxide (GB 18218-2018: Q = 20 t, β = 2; 60 residents, α = 1.5):
S = 2, R = 6, grade 4 — see tests/geo/test_registry_workflow.py.
"""

from __future__ import annotations

import json
import zoneinfo

import pytest
from django.contrib.auth import get_user_model

from geo.models import AuditEntry, HazardSource, Notification, RegistryEvent
from layers.tokens import issue
from tests.factories import enterprise, hazard_source, region_chain, substance, tank

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(db, settings):
    settings.HAZMAP_NOTIFY_CHANNELS = ["inbox"]
    sh, zj = region_chain(), region_chain("330000", "浙江")
    works = enterprise(sh["park"], 1)
    source = hazard_source(works, "HS01")
    tank(source, substance(), 40_000.0)
    minor = hazard_source(works, "HS04")
    far = hazard_source(enterprise(zj["park"], 4, lon=120.5, lat=30.2), "HS09")
    User = get_user_model()
    users = {
        "operator": User.objects.create_user("operator", enterprise=works, region=sh["park"], role="enterprise"),
        "park_regulator": User.objects.create_user("park_regulator", region=sh["park"], role="regulator"),
        "county_regulator": User.objects.create_user("county_regulator", region=sh["county"], role="regulator"),
        "other_region_regulator": User.objects.create_user(
            "other_region_regulator", region=zj["park"], role="regulator"
        ),
    }
    return {"source": HazardSource.objects.get(pk=source.pk), "minor": minor, "far": far, "users": users}


def post(client, path: str, data=None, **headers):
    return client.post(path, json.dumps(data or {}), content_type="application/json", **{**EN, **headers})


def test_the_operator_applies_and_the_park_regulator_registers_with_an_api_token(client, world):
    source, users = world["source"], world["users"]
    client.force_login(users["operator"])
    answer = post(client, f"/app/registry/{source.pk}/apply", {"comment": "附安全评估报告"})
    assert answer.status_code == 200
    body = answer.json()
    assert (body["source"]["registry_status"], body["source"]["registry_status_label"]) == (
        "applied",
        "registration applied",
    )
    assert body["source"]["steps"] == []  # the operator waits for the regulator
    assert body["source"]["registering_region"] == {"code": "310116P01", "name": "上海化工园区"}
    event = body["event"]
    assert (event["step"], event["step_label"], event["from_status"], event["to_status"], event["actor"]) == (
        "apply",
        "application for registration",
        "draft",
        "applied",
        "operator",
    )
    assert event["comment"] == "附安全评估报告"
    assert event["id"] == str(RegistryEvent.objects.get().uid)

    client.logout()
    _, token = issue(users["park_regulator"], "county desk")
    answer = post(client, f"/app/registry/{source.pk}/register", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["source"]["registry_status"], body["event"]["payload"]["gb18218"]["grade"]) == ("registered", 4)
    registered = RegistryEvent.objects.get(step="register").time.astimezone(SHANGHAI).date()
    assert body["source"]["registered_on"] == registered.isoformat()
    assert sorted(n.recipient.username for n in Notification.objects.filter(subject__startswith="已备案")) == [
        "county_regulator",
        "operator",
    ]


@pytest.mark.parametrize(
    ("who", "step", "status", "code", "description"),
    [
        (
            "county_regulator",
            "register",
            403,
            "NotYourStep",
            "“registration” is taken only by the regulators of 上海化工园区, with whom “HS01 罐区” registers.",
        ),
        (
            "park_regulator",
            "apply",
            403,
            "NotYourStep",
            "“application for registration” is taken by the operators of 测试化工有限公司1 only.",
        ),
        ("other_region_regulator", "register", 403, "OutsideScope", "“HS01 罐区” is outside your scope."),
        (
            "operator",
            "cancel_apply",
            409,
            "OutOfOrder",
            "“application for cancellation” is not possible now: “HS01 罐区” is “draft”, "
            "and this step needs “registered”.",
        ),
    ],
)
def test_a_refused_step_answers_its_reason_is_recorded_and_changes_nothing(
    client, world, who, step, status, code, description
):
    source = world["source"]
    client.force_login(world["users"][who])
    answer = post(client, f"/app/registry/{source.pk}/{step}", {"comment": "理由"})
    assert (answer.status_code, answer.json()["code"], answer.json()["description"]) == (status, code, description)
    entry = AuditEntry.objects.get()
    assert (entry.actor_name, entry.action, entry.outcome, entry.reason) == (
        who,
        f"registry.{step}",
        "refused",
        description,
    )
    assert HazardSource.objects.get(pk=source.pk).registry_status == "draft"
    assert (RegistryEvent.objects.count(), Notification.objects.count()) == (0, 0)


def test_a_refusal_is_in_chinese_by_default(client, world):
    client.force_login(world["users"]["county_regulator"])
    answer = client.post(f"/app/registry/{world['source'].pk}/register", "{}", content_type="application/json")
    assert answer.json()["description"] == "“备案登记”只能由“HS01 罐区”的备案机关上海化工园区的监管人员办理。"


@pytest.mark.parametrize(
    ("path", "data", "status", "description"),
    [
        ("{pk}/return", {}, 422, "Give the reason for the “return of the application” (comment)."),
        ("{pk}/apply", {"comment": 7}, 422, "The comment must be text of at most 2000 characters."),
        ("{pk}/apply", {"reason": "x"}, 400, "Unknown field “reason”."),
        (
            "{pk}/approve",
            {},
            404,
            "There is no registry step “approve”; the steps are apply, register, return, cancel_apply, "
            "cancel_register, cancel_return.",
        ),
        ("999999/apply", {}, 404, "There is no hazard source 999999."),
    ],
)
def test_bad_requests_are_answered_4xx_with_the_reason_and_leave_nothing(
    client, world, path, data, status, description
):
    source = world["source"]
    HazardSource.objects.filter(pk=source.pk).update(registry_status="applied")
    user = "park_regulator" if path.endswith("return") else "operator"
    client.force_login(world["users"][user])
    answer = post(client, "/app/registry/" + path.format(pk=source.pk), data)
    assert (answer.status_code, answer.json()["description"]) == (status, description)
    assert (RegistryEvent.objects.count(), AuditEntry.objects.count()) == (0, 0)


def test_a_body_that_is_not_json_is_a_400(client, world):
    client.force_login(world["users"]["operator"])
    answer = client.post(f"/app/registry/{world['source'].pk}/apply", "comment=x", content_type="text/plain", **EN)
    assert answer.status_code == 400
    assert answer.json()["code"] == "InvalidBody"


def test_the_history_lists_every_step_oldest_first_with_the_steps_open_to_the_user(client, world):
    source, users = world["source"], world["users"]
    client.force_login(users["operator"])
    post(client, f"/app/registry/{source.pk}/apply")
    client.force_login(users["park_regulator"])
    post(client, f"/app/registry/{source.pk}/return", {"comment": "材料不全"})
    client.force_login(users["operator"])
    post(client, f"/app/registry/{source.pk}/apply")

    client.force_login(users["park_regulator"])
    body = client.get(f"/app/registry/{source.pk}/history", **EN).json()
    assert body["source"]["steps"] == ["register", "return"]
    assert [(e["step"], e["from_status"], e["to_status"], e["actor"], e["comment"]) for e in body["history"]] == [
        ("apply", "draft", "applied", "operator", ""),
        ("return", "applied", "draft", "park_regulator", "材料不全"),
        ("apply", "draft", "applied", "operator", ""),
    ]
    client.force_login(users["county_regulator"])  # above the park: reads the history, takes no step
    body = client.get(f"/app/registry/{source.pk}/history", **EN).json()
    assert (len(body["history"]), body["source"]["steps"]) == (3, [])
    client.force_login(users["other_region_regulator"])
    answer = client.get(f"/app/registry/{source.pk}/history", **EN)
    assert (answer.status_code, answer.json()["description"]) == (404, f"There is no hazard source {source.pk}.")


def test_the_todo_list_holds_what_waits_for_the_user(client, world):
    source, users = world["source"], world["users"]
    client.force_login(users["operator"])
    body = client.get("/app/registry/todo", **EN).json()
    assert (body["count"], [(s["code"], s["steps"]) for s in body["sources"]]) == (1, [("HS01", ["apply"])])
    post(client, f"/app/registry/{source.pk}/apply")
    assert client.get("/app/registry/todo", **EN).json()["count"] == 0
    client.force_login(users["park_regulator"])
    body = client.get("/app/registry/todo", **EN).json()
    assert [(s["code"], s["steps"]) for s in body["sources"]] == [("HS01", ["register", "return"])]
    client.force_login(users["county_regulator"])
    assert client.get("/app/registry/todo", **EN).json() == {"count": 0, "sources": []}
    assert client.get("/app/registry/todo?limit=0", **EN).status_code == 400


def test_the_statistics_are_those_of_the_users_scope(client, world):
    source, users = world["source"], world["users"]
    HazardSource.objects.filter(pk=world["far"].pk).update(registry_status="registered")
    client.force_login(users["operator"])
    post(client, f"/app/registry/{source.pk}/apply")
    client.force_login(users["county_regulator"])
    year = RegistryEvent.objects.get().time.astimezone(SHANGHAI).year
    body = client.get(f"/app/registry/stats?year={year}", **EN).json()
    assert body == {
        "total": 2,
        "by_status": {"draft": 1, "applied": 1, "registered": 0, "cancel_applied": 0, "cancelled": 0},
        "major_not_registered": 1,
        "by_region": [
            {
                "code": "310116P01",
                "name": "上海化工园区",
                "name_en": "",
                "by_status": {"draft": 1, "applied": 1, "registered": 0, "cancel_applied": 0, "cancelled": 0},
            }
        ],
        "year": year,
        "in_year": {
            "apply": 1,
            "register": 0,
            "return": 0,
            "cancel_apply": 0,
            "cancel_register": 0,
            "cancel_return": 0,
        },
        "awaiting_you": 0,
    }
    answer = client.get("/app/registry/stats?year=1999", **EN)
    assert (answer.status_code, answer.json()["description"]) == (
        400,
        "year must be a year from 2000 to 2100, not “1999”.",
    )
    assert client.get("/app/registry/stats?colour=red", **EN).status_code == 400


def test_the_registry_needs_a_signed_in_user_and_the_right_method(client, world):
    pk = world["source"].pk
    assert post(client, f"/app/registry/{pk}/apply").status_code == 401
    assert client.get("/app/registry/todo").status_code == 401
    client.force_login(world["users"]["operator"])
    assert client.get(f"/app/registry/{pk}/apply").status_code == 405
    assert post(client, f"/app/registry/{pk}/history").status_code == 405
    assert AuditEntry.objects.count() == 0


def test_a_session_post_without_the_csrf_token_is_refused(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"]["operator"])
    answer = post(client, f"/app/registry/{world['source'].pk}/apply")
    assert (answer.status_code, answer.json()["description"][:17]) == (403, "CSRF check failed")
    assert HazardSource.objects.get(pk=world["source"].pk).registry_status == "draft"
