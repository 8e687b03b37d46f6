"""A user's inbox (/app/notifications) and the audit log of their scope (/app/audit)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from geo import audit, notify
from tests.factories import enterprise, hazard_source, region_chain


@pytest.fixture
def setting(db, settings):
    settings.HAZMAP_NOTIFY_CHANNELS = ["inbox"]
    shanghai, zhejiang = region_chain(), region_chain("330000", "浙江")
    near = hazard_source(enterprise(shanghai["park"], 1), "HS01")
    far = hazard_source(enterprise(zhejiang["park"], 2, lon=120.5, lat=30.2), "HS09")
    User = get_user_model()
    county = User.objects.create_user("county", region=shanghai["county"], role="regulator")
    other = User.objects.create_user("other", region=zhejiang["county"], role="regulator")
    audit.record(county, "registry.register", near)
    audit.record(other, "registry.register", far)
    notify.notify([county], "第一条")
    notify.notify([county, other], "第二条")
    return {"county": county, "other": other, "near": near}


def test_the_inbox_lists_the_users_own_notifications_newest_first(client, setting):
    client.force_login(setting["county"])
    answer = client.get("/app/notifications").json()
    assert answer["unread"] == 2
    assert [n["subject"] for n in answer["notifications"]] == ["第二条", "第一条"]


def test_marking_read_changes_the_unread_count_and_is_refused_for_anothers_notification(client, setting):
    client.force_login(setting["county"])
    first = client.get("/app/notifications").json()["notifications"][0]["id"]
    assert client.post(f"/app/notifications/{first}/read").json() == {"read": 1}
    assert client.get("/app/notifications?unread=1").json()["unread"] == 1
    client.force_login(setting["other"])
    answer = client.post(f"/app/notifications/{first}/read")
    assert answer.status_code == 404
    assert client.post("/app/notifications/read").json() == {"read": 1}


def test_the_audit_log_shows_only_the_users_scope(client, setting):
    client.force_login(setting["county"])
    entries = client.get("/app/audit").json()["entries"]
    assert [(e["actor"], e["action"], e["object_id"]) for e in entries] == [
        ("county", "registry.register", str(setting["near"].pk))
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=0", "limit must be a whole number from 1 to 500, not “0”."),
        ("colour=red", "Unknown parameter “colour”."),
    ],
)
def test_bad_audit_queries_are_answered_400_with_the_reason(client, setting, query, message, settings):
    settings.LANGUAGE_CODE = "en"
    client.force_login(setting["county"])
    answer = client.get(f"/app/audit?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    assert answer.json()["description"] == message


def test_the_inbox_needs_a_signed_in_user(client, db):
    assert client.get("/app/notifications").status_code == 401
    assert client.get("/app/audit").status_code == 401


def test_the_inbox_refuses_other_methods(client, setting):
    client.force_login(setting["county"])
    assert client.put("/app/notifications").status_code == 405
