"""Positioning over HTTP: pushing positions with an API token, and the emergency questions (who is inside,
who left, muster head-counts, who is unaccounted for, track replay), each in the asker's scope.

The test park of test_positioning_ingest; times are seconds after T0, an hour ago.
"""

from __future__ import annotations

import json
import urllib.parse

import pytest
import shapely
from django.test import Client

from acquisition.positioning import ingest
from geo.models import Alarm, ConsequenceZone, Fence, PersonnelTag, Position, Scenario, User
from layers import tokens
from tests import factories
from tests.acquisition.test_positioning_ingest import Park, at, line

pytestmark = pytest.mark.django_db


@pytest.fixture
def park() -> Park:
    return Park()


@pytest.fixture(autouse=True)
def fresh_positioning(monkeypatch):
    """Each test starts with rules that have seen nothing (as a freshly started server)."""
    monkeypatch.setattr(ingest, "_shared", ingest.Positioning())


def user(park: Park, name: str, role: str, enterprise=None, region=None) -> User:
    return User.objects.create_user(
        name, password="x", region=region or park.enterprise.region, enterprise=enterprise, role=role
    )


def token_client(who: User, language: str = "en") -> Client:
    """A client sending an API token of ``who`` (answers in English, the messages' source, unless told)."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {tokens.issue(who, 'engine')[1]}", HTTP_ACCEPT_LANGUAGE=language)


def push(client: Client, body) -> tuple[int, dict]:
    response = client.post("/positioning/positions", json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


# --- push ----------------------------------------------------------------------------------------


def test_an_enterprise_token_pushes_a_walk_through_a_restricted_area_and_raises_its_alarm(park):
    engine = token_client(user(park, "engine", "operator", enterprise=park.enterprise))
    for t, x, y in line(0, 20, -10.5, 9.5):
        status, body = push(engine, [park.fix("TAG-1", t, x, y)])
        assert status == 200 and body["refused"] == {}
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.tag.code, alarm.started_at, alarm.ended_at) == ("fence_entry", "TAG-1", at(12), None)


def test_a_push_answers_what_it_accepted_and_what_it_refused(park):
    engine = token_client(user(park, "engine", "operator", enterprise=park.enterprise))
    status, body = push(
        engine,
        {"positions": [park.fix("TAG-1", 0, -100.0, 0.0), park.fix("TAG-OTHER", 0, 0.0, 0.0), {"tag": "TAG-2"}]},
    )
    assert status == 200
    assert body == {
        "positions": 3,
        "accepted": 1,
        "late": 0,
        "alarms_raised": 0,
        "alarms_cleared": 0,
        "refused": {"#2 TAG-2": "time is missing", "TAG-OTHER": "no such tag for this sender"},
    }


def test_a_push_with_nothing_acceptable_is_unprocessable(park):
    engine = token_client(user(park, "engine", "operator", enterprise=park.enterprise))
    status, body = push(engine, [{"tag": "TAG-1", "time": at(0).isoformat(), "lon": 121.3, "lat": 95.0}])
    assert status == 422 and body["refused"] == {"#0 TAG-1": "lon 121.3, lat 95.0 is not a place on Earth"}


def test_a_push_without_a_token_or_with_a_wrong_one_is_unauthorised(park):
    status, body = push(Client(), [park.fix("TAG-1", 0, 0.0, 0.0)])
    assert (status, body["code"]) == (401, "Unauthorized")
    status, body = push(
        Client(HTTP_AUTHORIZATION="Bearer hzm_nope", HTTP_ACCEPT_LANGUAGE="en"), [park.fix("TAG-1", 0, 0.0, 0.0)]
    )
    assert (status, body["description"]) == (401, "The API token is unknown, revoked or belongs to an inactive user.")
    assert not Position.objects.exists()


def test_a_regional_account_may_not_push_positions(park):
    status, body = push(token_client(user(park, "park", "emergency")), [park.fix("TAG-1", 0, 0.0, 0.0)])
    assert (status, body["description"]) == (403, "Only an enterprise's account may push its personnel positions.")


def test_refusals_read_in_chinese_when_the_client_asks_for_no_language(park):
    engine = token_client(user(park, "engine", "operator", enterprise=park.enterprise), language="")
    status, body = push(engine, [park.fix("TAG-1", 0, 0.0, 0.0), {"tag": "TAG-2"}, park.fix("TAG-404", 0, 0.0, 0.0)])
    assert (status, body["refused"]) == (200, {"#1 TAG-2": "缺少 time（时间）", "TAG-404": "发送方没有这个定位标签"})
    status, body = push(token_client(user(park, "park", "emergency"), language=""), [park.fix("TAG-1", 0, 0.0, 0.0)])
    assert (status, body["description"]) == (403, "只有企业账号可以推送本企业的人员定位。")


def test_a_session_push_without_the_csrf_token_is_refused(park):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user(park, "operator", "operator", enterprise=park.enterprise))
    status, body = push(client, [park.fix("TAG-1", 0, 0.0, 0.0)])
    assert status == 403 and body["description"].startswith("CSRF check failed")


@pytest.mark.parametrize(
    ("payload", "description"),
    [
        (
            b"{not json",
            "The message is not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        (b"42", 'The message must be a position object, an array of them, or {"positions": [...]}.'),
    ],
)
def test_a_malformed_push_is_a_bad_request(park, payload, description):
    engine = token_client(user(park, "engine", "operator", enterprise=park.enterprise))
    response = engine.post("/positioning/positions", payload, content_type="application/json")
    assert (response.status_code, response.json()["description"]) == (400, description)


def test_reading_the_push_endpoint_is_not_allowed(park):
    response = token_client(user(park, "engine", "operator", enterprise=park.enterprise)).get("/positioning/positions")
    assert (response.status_code, response.json()["description"]) == (405, "Use POST here.")


# --- emergency -----------------------------------------------------------------------------------


def place(park: Park, code: str, track) -> None:
    """Write a tag's track (seconds, x, y) and set its last position to the last fix."""
    tag = park.tags[code]
    for t, x, y in track:
        Position.objects.create(tag=tag, time=at(t), location=park.frame.points([(x, y)])[0])
    t, x, y = track[-1]
    PersonnelTag.objects.filter(pk=tag.pk).update(location=park.frame.points([(x, y)])[0], position_time=at(t))


@pytest.fixture
def evacuation(park) -> Park:
    """At t = 0 (the alarm) TAG-1, TAG-2 and TAG-3 are in the hazardous area; by t = 300 TAG-1 stands at the
    muster point, TAG-2 has left for somewhere else and TAG-3 is still inside. TAG-4 was never there."""
    park.muster = park.fence("紧急集合点", "muster", shapely.box(150, 150, 180, 180))
    place(park, "TAG-1", [(-10, -40.0, 20.0), (0, -40.0, 20.0), (300, 165.0, 165.0)])
    place(park, "TAG-2", [(0, -30.0, 30.0), (300, 60.0, -100.0)])
    place(park, "TAG-3", [(0, -50.0, 10.0), (300, -45.0, 12.0)])
    place(park, "TAG-4", [(0, 100.0, 100.0), (300, 100.0, 100.0)])
    return park


def get(client: Client, path: str, **params) -> tuple[int, dict]:
    response = client.get(f"{path}?{urllib.parse.urlencode(params)}")
    return response.status_code, response.json()


def codes(people: list[dict]) -> list[str]:
    return [p["code"] for p in people]


def test_the_roll_call_of_an_area_says_who_left_who_mustered_and_who_is_unaccounted_for(evacuation):
    commander = token_client(user(evacuation, "park", "emergency"))
    status, body = get(commander, "/positioning/roll-call", fence=evacuation.hazardous.pk, since=at(0).isoformat())
    assert status == 200
    assert codes(body["inside_then"]) == ["TAG-1", "TAG-2", "TAG-3"]
    assert codes(body["inside_now"]) == ["TAG-3"]
    assert codes(body["left"]) == ["TAG-1", "TAG-2"]
    assert [(p["name"], p["count"], codes(p["people"])) for p in body["muster_points"]] == [
        ("紧急集合点", 1, ["TAG-1"])
    ]
    assert codes(body["unaccounted"]) == ["TAG-2", "TAG-3"]


def test_who_is_inside_a_consequence_zone_now(evacuation):
    substance = factories.substance()
    scenario = Scenario.objects.create(
        name="氯气泄漏",
        kind="toxic",
        enterprise=evacuation.enterprise,
        substance=substance,
        source=evacuation.frame.points([(0, 0)])[0],
    )
    zone = ConsequenceZone.objects.create(
        scenario=scenario,
        endpoint="AEGL-2",
        threshold=2.0,
        threshold_unit="ppm",
        severity="orange",
        area=evacuation.frame.multipolygon(shapely.box(-70, 0, 0, 50)),
        max_distance_m=70.0,
    )
    status, body = get(token_client(user(evacuation, "park", "emergency")), "/positioning/people", zone=zone.pk)
    assert (status, body["count"], codes(body["people"])) == (200, 1, ["TAG-3"])


def test_people_are_shown_to_their_enterprise_and_emergency_roles_only(evacuation):
    area = evacuation.frame.polygon(shapely.box(-70, 0, 0, 50)).wkt
    regulator = token_client(user(evacuation, "shanghai", "regulator", region=evacuation.enterprise.region.parent))
    neighbour = token_client(user(evacuation, "neighbour", "operator", enterprise=evacuation.other))
    operator = token_client(user(evacuation, "operator", "operator", enterprise=evacuation.enterprise))
    assert get(regulator, "/positioning/people", geometry=area)[1]["people"] == []
    assert get(neighbour, "/positioning/people", geometry=area)[1]["people"] == []
    assert codes(get(operator, "/positioning/people", geometry=area)[1]["people"]) == ["TAG-3"]


def test_the_muster_head_count_of_every_muster_point(evacuation):
    status, body = get(token_client(user(evacuation, "park", "emergency")), "/positioning/muster")
    assert (status, body["count"], [p["count"] for p in body["muster_points"]]) == (200, 1, [1])


def test_track_replay_of_a_person_and_of_an_area(evacuation):
    commander = token_client(user(evacuation, "park", "emergency"))
    status, body = get(commander, "/positioning/track", tag="TAG-1", start=at(-60).isoformat(), end=at(600).isoformat())
    assert status == 200 and body["truncated"] is False
    (feature,) = body["features"]
    assert feature["geometry"]["type"] == "LineString" and len(feature["geometry"]["coordinates"]) == 3
    assert feature["properties"]["times"] == [at(-10).isoformat(), at(0).isoformat(), at(300).isoformat()]
    status, body = get(
        commander, "/positioning/track", fence=evacuation.hazardous.pk, start=at(-1).isoformat(), end=at(1).isoformat()
    )
    assert sorted(f["properties"]["code"] for f in body["features"]) == ["TAG-1", "TAG-2", "TAG-3"]
    assert all(f["geometry"]["type"] == "Point" for f in body["features"])


@pytest.mark.parametrize(
    ("path", "params", "status", "description"),
    [
        ("/positioning/people", {}, 400, "Give zone, fence or geometry."),
        (
            "/positioning/people",
            {"geometry": "POINT (121 30)"},
            400,
            "geometry must be a valid polygon (GeoJSON or WKT, longitude and latitude in degrees).",
        ),
        (
            "/positioning/people",
            {"geometry": "{]"},
            400,
            "geometry must be a valid polygon (GeoJSON or WKT, longitude and latitude in degrees).",
        ),
        ("/positioning/people", {"zone": "999999"}, 404, "No zone 999999 that you may see."),
        ("/positioning/people", {"fence": "x"}, 400, "fence must be a number."),
        ("/positioning/roll-call", {"fence": "FENCE"}, 400, "Give since."),
        (
            "/positioning/roll-call",
            {"fence": "FENCE", "since": "2025-05-01T08:00:00"},
            400,
            "since must be ISO 8601 with a UTC offset, e.g. 2025-05-01T08:00:00+08:00, not '2025-05-01T08:00:00'",
        ),
        (
            "/positioning/track",
            {"tag": "TAG-1", "start": "2025-05-01T08:00:00+08:00", "end": "2025-05-09T08:00:00+08:00"},
            400,
            "end must come after start, by at most 7 days.",
        ),
    ],
)
def test_bad_questions_get_a_json_answer_saying_what_is_wrong(evacuation, path, params, status, description):
    params = {k: str(evacuation.hazardous.pk) if v == "FENCE" else v for k, v in params.items()}
    got_status, body = get(token_client(user(evacuation, "park", "emergency")), path, **params)
    assert (got_status, body["description"]) == (status, description)


def test_the_emergency_questions_need_a_signed_in_user(evacuation):
    status, body = get(Client(), "/positioning/muster")
    assert (status, body["code"]) == (401, "Unauthorized")


def test_an_inactive_fence_is_no_muster_point(evacuation):
    Fence.objects.filter(pk=evacuation.muster.pk).update(active=False)
    assert get(token_client(user(evacuation, "park", "emergency")), "/positioning/muster")[1]["muster_points"] == []
