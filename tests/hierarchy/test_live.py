"""A parent user opens a child centre's live readings of a hazard source: signed request, signed answer.

The child's answers are tested on their own (``Responder`` with a recording client); the whole path —
the parent's endpoint, the broker, the child's transport — over a Mosquitto of the test's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from acquisition import keys, sm
from geo.models import AuditEntry, Sensor, User
from hierarchy import views
from hierarchy.conf import Parent
from hierarchy.forward import ChildTransport
from hierarchy.live import LiveError, Responder, seal, unseal
from tests import factories
from tests.acquisition.broker import own_mosquitto  # noqa: F401 - fixture
from tests.acquisition.conftest import free_port
from tests.acquisition.test_uplink import wait_for
from tests.hierarchy.conftest import child_gateway, registry

PREFIX = "hazmap-live-test"


@dataclass
class Keys:
    parent: sm.PrivateKey
    child: sm.PrivateKey


@pytest.fixture
def pair() -> Keys:
    return Keys(sm.generate_private_key(), sm.generate_private_key())


def as_child(pair: Keys, broker) -> Parent:
    """The child's view of its parent."""
    return Parent(pair.parent.public_key(), broker, PREFIX, "310116", "310116")


@dataclass
class Published:
    topic: str
    payload: bytes


class Recorder:
    """Stands for the MQTT client the child answers through."""

    def __init__(self) -> None:
        self.published: list[Published] = []

    def publish(self, topic: str, payload: bytes, qos: int = 0) -> None:
        self.published.append(Published(topic, payload))


@pytest.fixture
def unit(hierarchy):
    rows = registry(hierarchy.regions["park"])
    level = factories.sensor(rows.enterprise, "T1-LT1", "level", "%", equipment=rows.tank, range_max=100.0, hi=85.0)
    Sensor.objects.filter(pk=level.pk).update(value=71.25, quality=0)
    return rows


def request(pair: Keys, signer: sm.PrivateKey | None = None, request_id: str = "00112233445566ff") -> bytes:
    content = {"type": "live", "id": request_id, "enterprise": factories.credit_code(1), "source": "HS01"}
    return seal(content, "310100", signer or pair.parent, pair.child.public_key())


def refusals() -> list[str]:
    return list(AuditEntry.objects.filter(action="hierarchy.live", outcome="refused").values_list("reason", flat=True))


def test_the_child_answers_its_parents_request_with_the_latest_readings_signed(unit, pair):
    client = Recorder()
    Responder(as_child(pair, None), pair.child).answer(client, request(pair))
    (reply,) = client.published
    assert reply.topic == f"{PREFIX}/live-reply/310116/00112233445566ff"
    sender, content = unseal(reply.payload, pair.child.public_key(), pair.parent, 600)
    assert sender == "310116" and content["id"] == "00112233445566ff"
    assert [(s["tag"], s["value"], s["hi"], s["equipment"]) for s in content["sensors"]] == [
        ("T1-LT1", 71.25, 85.0, "T1")
    ]
    assert content["equipment"][0]["code"] == "T1"


def test_a_forged_request_is_refused_recorded_and_unanswered(unit, pair):
    client = Recorder()
    Responder(as_child(pair, None), pair.child).answer(client, request(pair, signer=sm.generate_private_key()))
    assert client.published == []
    assert refusals() == ["live request refused: digest or SM2 signature does not match"]


def test_a_replayed_request_is_refused_and_recorded(unit, pair):
    client, sent = Recorder(), request(pair)
    responder = Responder(as_child(pair, None), pair.child)
    responder.answer(client, sent)
    responder.answer(client, sent)
    assert len(client.published) == 1
    assert refusals() == ["live request refused: request 00112233445566ff replayed"]


def test_a_request_for_a_source_the_child_does_not_hold_is_answered_so(unit, pair):
    client = Recorder()
    content = {"type": "live", "id": "00112233445566aa", "enterprise": factories.credit_code(1), "source": "HS77"}
    Responder(as_child(pair, None), pair.child).answer(
        client, seal(content, "310100", pair.parent, pair.child.public_key())
    )
    _, answer = unseal(client.published[0].payload, pair.child.public_key(), pair.parent, 600)
    assert answer["error"] == f"no hazard source {factories.credit_code(1)}/HS77 at this centre"


def test_an_answer_not_signed_by_the_child_is_not_taken(pair):
    forged = seal({"type": "live-reply", "id": "x"}, "310116", sm.generate_private_key(), pair.parent.public_key())
    with pytest.raises(LiveError, match="digest or SM2 signature does not match"):
        unseal(forged, pair.child.public_key(), pair.parent, 600)


# --- the parent's endpoint -----------------------------------------------------------------------


@pytest.fixture
def parent_settings(monkeypatch, tmp_path, pair):
    keys.write_private_key(tmp_path / "city.pem", pair.parent)
    monkeypatch.setenv("HAZMAP_CENTRE_KEY", str(tmp_path / "city.pem"))
    monkeypatch.setenv("HAZMAP_CENTRE_CODE", "310100")
    monkeypatch.setenv("HAZMAP_MQTT_PREFIX", PREFIX)


def browser_of(hierarchy, role: str = "regulator", region: str = "city", language: str = "en") -> tuple[Client, User]:
    user = User.objects.create_user(f"{role}-{region}", region=hierarchy.regions[region], role=role)
    browser = Client(HTTP_ACCEPT_LANGUAGE=language)
    browser.force_login(user)
    return browser, user


@pytest.mark.django_db(transaction=True)
def test_a_city_regulator_reads_the_countys_live_values_through_the_broker(
    hierarchy,
    unit,
    pair,
    parent_settings,
    monkeypatch,
    own_mosquitto,  # noqa: F811
):
    broker = own_mosquitto.broker
    monkeypatch.setenv("HAZMAP_BROKER", f"mqtt://{broker.host}:{broker.port}")
    child_gateway("310116", hierarchy.regions["county"], pair.child)
    transport = ChildTransport(as_child(pair, broker), Responder(as_child(pair, broker), pair.child).answer)
    transport.start(lambda _ack: None)
    try:
        wait_for(transport.connected, what="the child to connect")
        browser, user = browser_of(hierarchy)
        answer = browser.get(f"/app/hazard-sources/{unit.source.pk}/live")
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert (body["hazard_source"], body["centre"]) == (unit.source.pk, "310116")
        assert [(s["tag"], s["value"]) for s in body["sensors"]] == [("T1-LT1", 71.25)]
        entry = AuditEntry.objects.get(action="hierarchy.live")
        assert (entry.actor, entry.outcome, entry.detail) == (user, "done", {"centre": "310116"})
    finally:
        transport.stop()


def test_a_child_that_does_not_answer_is_a_504_saying_so(
    hierarchy,
    unit,
    pair,
    parent_settings,
    monkeypatch,
    own_mosquitto,  # noqa: F811
):
    broker = own_mosquitto.broker
    monkeypatch.setenv("HAZMAP_BROKER", f"mqtt://{broker.host}:{broker.port}")
    monkeypatch.setattr(views, "TIMEOUT_S", 0.5)
    child_gateway("310116", hierarchy.regions["county"], pair.child)
    browser, _ = browser_of(hierarchy)
    answer = browser.get(f"/app/hazard-sources/{unit.source.pk}/live")
    assert answer.status_code == 504
    assert answer.json()["code"] == "ChildCentreUnavailable"
    assert "child centre 310116 did not answer within 0.5 s" in answer.json()["description"]


def test_an_unreachable_broker_is_a_504_saying_so(hierarchy, unit, pair, parent_settings, monkeypatch):
    monkeypatch.setenv("HAZMAP_BROKER", f"mqtt://127.0.0.1:{free_port()}")
    child_gateway("310116", hierarchy.regions["county"], pair.child)
    browser, _ = browser_of(hierarchy)
    answer = browser.get(f"/app/hazard-sources/{unit.source.pk}/live")
    assert answer.status_code == 504 and "cannot be reached" in answer.json()["description"]


def test_a_role_that_does_not_watch_live_values_is_refused_and_recorded(hierarchy, unit, parent_settings):
    browser, user = browser_of(hierarchy, role="planner")
    answer = browser.get(f"/app/hazard-sources/{unit.source.pk}/live")
    assert answer.status_code == 403
    assert answer.json()["description"] == "Your role may not open a child centre's live readings."
    entry = AuditEntry.objects.get(action="hierarchy.live")
    assert (entry.actor, entry.outcome, entry.region) == (user, "refused", hierarchy.regions["city"])


def test_refusals_read_in_chinese_when_the_browser_asks_for_no_language(hierarchy, unit, parent_settings):
    browser, _ = browser_of(hierarchy, role="planner", language="")
    answer = browser.get(f"/app/hazard-sources/{unit.source.pk}/live")
    assert answer.json()["description"] == "您的角色无权查看下级中心的实时数据。"


def test_a_source_outside_the_users_scope_is_not_found(hierarchy, unit, parent_settings):
    other = User.objects.create_user("other-county", region=hierarchy.other_county, role="regulator")
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(other)
    answer = browser.get(f"/app/hazard-sources/{unit.source.pk}/live")
    assert answer.status_code == 404 and answer.json()["code"] == "NotFound"


def test_a_source_no_child_centre_answers_for_is_not_found_with_the_reason(hierarchy, unit, parent_settings):
    browser, _ = browser_of(hierarchy)
    answer = browser.get(f"/app/hazard-sources/{unit.source.pk}/live")
    assert answer.status_code == 404 and answer.json()["code"] == "NoChildCentre"


def test_an_inactive_child_centre_is_not_asked(hierarchy, unit, pair, parent_settings):
    child_gateway("310116", hierarchy.regions["county"], pair.child, active=False)
    browser, _ = browser_of(hierarchy)
    assert browser.get(f"/app/hazard-sources/{unit.source.pk}/live").json()["code"] == "NoChildCentre"


def test_the_deepest_child_centre_holding_the_source_is_asked(hierarchy, unit, pair):
    child_gateway("310116", hierarchy.regions["county"], pair.child)
    child_gateway("310116P01", hierarchy.regions["park"], pair.child)
    assert views.centre_of(unit.source).code == "310116P01"
