"""The live event stream under uvicorn: feature changes in the user's scope, bbox, resumption, keep-alive, goodbye."""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
import urllib.request

import pytest

from geo import events
from geo.models import Event
from layers import stream
from tests.factories import LAT, LON

pytestmark = pytest.mark.django_db(transaction=True)


class SseClient:
    """A Server-Sent Events reader over http.client (one connection, lines as they arrive)."""

    def __init__(self, base: str, token: str | None, params: dict | None = None, headers: dict | None = None):
        url = urllib.parse.urlsplit(base)
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=20)
        query = "?" + urllib.parse.urlencode(params) if params else ""
        sent = {"Accept": "text/event-stream", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        self.connection.request("GET", f"/ogc/events{query}", headers=sent)
        self.response = self.connection.getresponse()

    def block(self) -> list[str]:
        """The next message: its lines up to the blank line that ends it."""
        lines = []
        while True:
            raw = self.response.readline()
            if not raw:
                raise EOFError(f"the stream ended (HTTP {self.response.status}) after {lines}")
            line = raw.decode().rstrip("\n")
            if line == "" and lines:
                return lines
            if line:
                lines.append(line)

    def event(self) -> dict:
        """The next event (skipping comments and retry lines): {"id": int, **data}."""
        while True:
            block = self.block()
            fields = dict(line.split(": ", 1) for line in block if not line.startswith(":") and ": " in line)
            if "data" in fields:
                return {"event_id": int(fields["id"]), **json.loads(fields["data"])}

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def open_stream(server, world):
    opened = []

    def open_(who: str | None, **kwargs) -> SseClient:
        client = SseClient(server, world["tokens"][who] if who else None, **kwargs)
        opened.append(client)
        return client

    yield open_
    for client in opened:
        client.close()


def test_a_change_published_after_connecting_arrives_with_its_properties_and_place(world, open_stream):
    client = open_stream("commander")
    assert client.response.status == 200
    assert client.response.getheader("Content-Type").startswith("text/event-stream")
    assert client.block()[0].startswith("retry:")
    published = events.publish("sensors", world["level"], {"value": 91.0, "alarm_state": "hihi"})
    event = client.event()
    assert (event["event_id"], event["collection"], event["id"], event["action"]) == (
        published.id,
        "sensors",
        world["level"].pk,
        "update",
    )
    assert event["properties"] == {"value": 91.0, "alarm_state": "hihi"}
    assert event["geometry"]["coordinates"] == pytest.approx([LON, LAT], abs=1e-8)


def test_open_streams_hold_no_database_connection(server, world, open_stream, settings):
    """More streams than a worker's connection pool holds (HAZMAP_DB_POOL), each past a read: the API still
    answers at once (a stream that kept its connections would leave other requests waiting for the pool)."""
    size = settings.DATABASES["default"]["OPTIONS"].get("pool", {}).get("max_size", 4)
    clients = [open_stream("operator") for _ in range(size + 2)]
    for client in clients:
        client.block()
    published = events.publish("sensors", world["level"], {"value": 5.0})
    assert [client.event()["event_id"] for client in clients] == [published.id] * len(clients)
    token = urllib.parse.quote(world["tokens"]["operator"])
    with urllib.request.urlopen(f"{server}/ogc/collections/sensors/items?token={token}", timeout=5) as response:
        assert response.status == 200


def test_each_user_receives_only_the_changes_in_scope(world, open_stream):
    outsider, operator = open_stream("outsider"), open_stream("operator")
    outsider.block(), operator.block()
    events.publish("sensors", world["level"], {"value": 1.0})  # e1, province A
    theirs = events.publish("sensors", world["other"], {"value": 2.0})  # e2, province B
    ours = events.publish("personnel", world["person"], {"sos": True}, location=world["level"].location)
    assert outsider.event()["event_id"] == theirs.id
    received = [operator.event()["event_id"], operator.event()["event_id"]]
    assert theirs.id not in received and ours.id in received


def test_personnel_changes_reach_emergency_roles_but_not_regulators(world, open_stream):
    regulator, commander = open_stream("regulator"), open_stream("commander")
    regulator.block(), commander.block()
    sos = events.publish("personnel", world["person"], {"sos": True}, location=world["level"].location)
    after = events.publish("sensors", world["level"], {"value": 3.0})
    assert commander.event()["event_id"] == sos.id
    assert regulator.event()["event_id"] == after.id  # the SOS never came


def test_a_bbox_limits_the_stream_to_changes_located_inside_it(world, open_stream):
    near = f"{LON - 0.001},{LAT - 0.001},{LON + 0.001},{LAT + 0.001}"
    client = open_stream("root", params={"bbox": near})
    client.block()
    events.publish("sensors", world["other"], {"value": 1.0})  # 0.05° east: outside
    inside = events.publish("sensors", world["gas"], {"value": 2.0})
    assert client.event()["event_id"] == inside.id


def test_collections_limit_the_stream_to_some_kinds_of_feature(world, open_stream):
    client = open_stream("root", params={"collections": "alarms"})
    client.block()
    events.publish("sensors", world["level"], {"value": 1.0})
    alarm = events.publish("alarms", world["alarm"], {"state": "seen"}, location=world["level"].location)
    assert client.event()["event_id"] == alarm.id


def test_the_first_message_sets_the_resume_point_so_a_drop_before_any_event_loses_nothing(world, open_stream):
    before = events.publish("sensors", world["level"], {"value": 1.0})
    client = open_stream("operator")
    first = client.block()
    assert f"id: {before.id}" in first and not any(line.startswith("data:") for line in first)
    client.close()
    missed = events.publish("sensors", world["level"], {"value": 2.0})  # while the client is away
    again = open_stream("operator", headers={"Last-Event-ID": str(before.id)})
    assert again.event()["event_id"] == missed.id


def test_a_client_that_reconnects_with_last_event_id_receives_what_it_missed(world, open_stream):
    first = events.publish("sensors", world["level"], {"value": 1.0})
    second = events.publish("sensors", world["level"], {"value": 2.0})
    third = events.publish("sensors", world["gas"], {"value": 3.0})
    client = open_stream("operator", headers={"Last-Event-ID": str(first.id)})
    assert [client.event()["event_id"], client.event()["event_id"]] == [second.id, third.id]
    by_parameter = open_stream("operator", params={"lastEventId": str(second.id)})
    assert by_parameter.event()["event_id"] == third.id


def test_an_event_committed_after_a_newer_one_is_still_sent(world, open_stream):
    client = open_stream("operator")
    client.block()
    first = events.publish("sensors", world["level"], {"value": 1.0})
    assert client.event()["event_id"] == first.id
    newer = events.event_for("sensors", world["level"], {"value": 3.0})
    newer.id = first.id + 3
    newer.save()
    assert client.event()["event_id"] == newer.id
    late = events.event_for("sensors", world["gas"], {"value": 2.0})
    late.id = first.id + 2  # its transaction committed last
    late.save()
    assert client.event()["event_id"] == late.id


def test_a_quiet_stream_sends_keep_alive_comments(world, open_stream, monkeypatch):
    monkeypatch.setattr(stream, "KEEPALIVE_S", 0.2)
    client = open_stream("operator")
    client.block()
    assert client.block() == [": keep-alive"]


def test_when_the_client_goes_the_stream_stops_waiting(world, open_stream):
    client = open_stream("operator")
    client.block()
    events.publish("sensors", world["level"], {"value": 1.0})
    client.event()
    watcher = next(iter(stream._watchers.values()))

    def eventually(condition) -> bool:
        for _ in range(200):
            if condition():
                return True
            time.sleep(0.05)
        return False

    assert eventually(lambda: watcher._waiting >= 1)  # the stream waits for news
    client.close()
    assert eventually(lambda: watcher._waiting == 0)  # and stops when the client has gone


@pytest.mark.parametrize(
    ("who", "params", "headers", "status"),
    [
        (None, {}, {}, 401),
        ("operator", {"bbox": "1,2,3"}, {}, 400),
        ("operator", {"collections": "sensors,nothing"}, {}, 400),
        ("operator", {"ooga": "booga"}, {}, 400),
        ("operator", {}, {"Last-Event-ID": "yesterday"}, 400),
        ("operator", {}, {"Last-Event-ID": "99999999999999999999999"}, 400),
    ],
)
def test_bad_requests_get_a_clear_4xx(world, open_stream, who, params, headers, status):
    client = open_stream(who, params=params, headers=headers)
    assert client.response.status == status
    body = json.loads(client.response.read())
    assert body["code"] and body["description"]


def test_old_events_are_pruned_and_the_stream_goes_on(world, open_stream):
    old = events.publish("sensors", world["level"], {"value": 1.0})
    Event.objects.filter(pk=old.pk).delete()
    client = open_stream("operator", headers={"Last-Event-ID": str(old.id - 1)})
    fresh = events.publish("sensors", world["level"], {"value": 2.0})
    assert client.event()["event_id"] == fresh.id
