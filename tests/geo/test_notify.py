"""Notifications: written with the change, delivered by channels afterwards, retried, never lost."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.utils import timezone

from geo import notify
from geo.models import Notification
from tests.factories import region_chain

NOW = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def people(db):
    regions = region_chain()
    User = get_user_model()
    return {
        "wang": User.objects.create_user(
            "wang", email="wang@example.org", phone="13800000001", region=regions["county"], role="regulator"
        ),
        "li": User.objects.create_user("li", region=regions["county"], role="regulator"),
    }


def test_the_inbox_notification_is_delivered_when_written_and_the_others_wait(people, settings):
    settings.HAZMAP_NOTIFY_CHANNELS = ["inbox", "email", "sms"]
    rows = notify.notify(people.values(), "报警", "储罐 T1 液位高高")
    by_user = {(n.recipient.username, n.channel): n.state for n in rows}
    # li has neither e-mail nor phone: the inbox reaches him only
    assert by_user == {
        ("wang", "inbox"): "sent",
        ("wang", "email"): "pending",
        ("wang", "sms"): "pending",
        ("li", "inbox"): "sent",
    }


def test_notifications_written_in_a_step_that_fails_are_not_kept(people, settings):
    settings.HAZMAP_NOTIFY_CHANNELS = ["inbox", "email"]
    with pytest.raises(RuntimeError), transaction.atomic():
        notify.notify([people["wang"]], "报警")
        raise RuntimeError("the step failed")
    assert Notification.objects.count() == 0


def test_email_is_sent_by_the_delivery_and_marked_sent(people, settings):
    settings.HAZMAP_NOTIFY_CHANNELS = ["email"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notify.notify([people["wang"]], "报警：液位高高", "储罐 T1")
    assert notify.deliver_pending(now=NOW) == 1
    assert [(m.subject, m.to) for m in mail.outbox] == [("报警：液位高高", ["wang@example.org"])]
    assert Notification.objects.get().state == "sent"
    assert notify.deliver_pending(now=NOW) == 0  # nothing is sent twice


class _Gateway(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[tuple[dict, str]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).received.append((json.loads(self.rfile.read(length)), self.headers.get("Authorization", "")))
        self.send_response(type(self).answers.pop(0))
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def gateway():
    _Gateway.answers, _Gateway.received = [], []
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, _Gateway
    server.shutdown()
    server.server_close()


def test_a_failed_sms_is_retried_later_with_a_growing_delay_then_sent(people, settings, gateway):
    server, handler = gateway
    settings.HAZMAP_NOTIFY_CHANNELS = ["sms"]
    settings.HAZMAP_SMS_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.HAZMAP_SMS_TOKEN = "secret"
    handler.answers = [503, 503, 200]
    notify.notify([people["wang"]], "报警", "储罐 T1 液位高高")

    assert notify.deliver_pending(now=NOW) == 0
    row = Notification.objects.get()
    assert (row.state, row.attempts, row.next_attempt_at) == ("pending", 1, NOW + dt.timedelta(seconds=30))
    assert row.last_error == "the SMS gateway answered 503"
    assert notify.deliver_pending(now=NOW + dt.timedelta(seconds=29)) == 0  # not due yet
    assert notify.deliver_pending(now=NOW + dt.timedelta(seconds=30)) == 0
    row.refresh_from_db()
    assert (row.attempts, row.next_attempt_at) == (2, NOW + dt.timedelta(seconds=90))
    assert notify.deliver_pending(now=NOW + dt.timedelta(seconds=90)) == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == ("sent", 3, "")
    assert handler.received[-1] == ({"to": "13800000001", "text": "报警\n储罐 T1 液位高高"}, "Bearer secret")


def test_delivery_gives_up_after_the_most_attempts(people, settings):
    settings.HAZMAP_NOTIFY_CHANNELS = ["sms"]
    settings.HAZMAP_SMS_URL = "http://127.0.0.1:9/unreachable"  # the discard port: nothing listens
    settings.HAZMAP_NOTIFY_MAX_ATTEMPTS = 2
    notify.notify([people["wang"]], "报警")
    notify.deliver_pending(now=NOW)
    notify.deliver_pending(now=NOW + dt.timedelta(hours=1))
    row = Notification.objects.get()
    assert (row.state, row.attempts) == ("failed", 2)
    assert row.last_error.startswith("the SMS gateway is unreachable")


def test_an_inactive_user_is_not_notified(people, settings):
    settings.HAZMAP_NOTIFY_CHANNELS = ["inbox"]
    people["li"].is_active = False
    people["li"].save()
    rows = notify.notify(people.values(), "报警")
    assert [n.recipient.username for n in rows] == ["wang"]


def test_the_notify_command_sends_what_is_due(people, settings, capsys):
    from django.core.management import call_command

    settings.HAZMAP_NOTIFY_CHANNELS = ["email"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notify.notify(people.values(), "报警")
    call_command("notify")
    assert "notifications sent: 1; still pending (retrying later): 0" in capsys.readouterr().out
    assert Notification.objects.filter(sent_at__lte=timezone.now()).count() == 1


def test_the_people_of_a_region_are_those_placed_in_it_not_below_nor_in_its_enterprises(db):
    from tests.factories import enterprise

    regions = region_chain()
    User = get_user_model()
    city = User.objects.create_user("city", region=regions["city"], role="regulator")
    User.objects.create_user("city-viewer", region=regions["city"], role="viewer")
    User.objects.create_user("county", region=regions["county"], role="regulator")
    works = enterprise(regions["park"], 1)
    operator = User.objects.create_user("op", enterprise=works, region=regions["park"], role="enterprise")
    assert list(notify.people_of(regions["city"], roles=["regulator"])) == [city]
    assert list(notify.people_of(enterprise=works)) == [operator]
    assert list(notify.people_of()) == []
