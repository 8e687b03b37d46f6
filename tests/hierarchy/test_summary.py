"""A centre's periodic summary of its region: its figures, its way to the parent, and the parent's view of it.

The county (310116, with its park 310116P01) holds three hazard sources, four alarms and five sensors built
for known answers, beside another county's rows that its summary must not count. At the parent the
summary is stored once however often it arrives, refused (and recorded) when it lies outside the child's
region or is malformed, and served to the users whose scope holds its region.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from acquisition import envelope, sm
from acquisition.centre import Centre
from acquisition.envelope import Session
from geo.models import Alarm, AuditEntry, Forward, HazardSource, Sensor, Summary, User
from hierarchy import forward, summary
from hierarchy.receive import ChildChanges, apply_changes
from hierarchy.summary import SummaryClock, figures, summarise
from tests import factories
from tests.hierarchy.conftest import COUNTY, change_of, child_gateway

NOW = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
EPOCH = bytes.fromhex("2122232425262728")

# The county's figures at NOW, its period the hour before (see ``county_rows``).
EXPECTED = {
    "hazard_sources": {
        "total": 3,
        "major": 2,
        "by_grade": {"1": 1, "2": 0, "3": 1, "4": 0, "none": 1},
        "by_status": {"draft": 1, "applied": 1, "registered": 1, "cancel_applied": 0, "cancelled": 0},
        # HS01: grade 1 (40) + a second-level alarm open (25) = 65; HS02: grade 3 (20) + a first-level one (10) = 30
        "by_risk_level": {"red": 0, "orange": 1, "yellow": 1, "blue": 1},
    },
    "alarms": {
        "open": 3,
        "open_by_level": {"1": 2, "2": 1},
        "overdue": 2,
        "raised": 3,
        "raised_by_level": {"1": 2, "2": 1},
    },
    "sensors": {"total": 5, "online": 1, "stale": 2, "offline": 1, "never_reported": 1},
}


def source(enterprise, code: str, grade: int | None, status: str) -> HazardSource:
    """A hazard source with the grade and registry status given (as grading and the workflow would leave them)."""
    row = factories.hazard_source(enterprise, code=code)
    HazardSource.objects.filter(pk=row.pk).update(gb_grade=grade, is_major=grade is not None, registry_status=status)
    return row


def alarm(enterprise, hazard_source, level: int, state: str, started: dt.datetime) -> Alarm:
    closed = state == "closed"
    return Alarm.objects.create(
        enterprise=enterprise,
        hazard_source=hazard_source,
        kind="hihi" if level == 2 else "hi",
        level=level,
        state=state,
        started_at=started,
        ended_at=started + dt.timedelta(minutes=5) if closed else None,
        closed_at=started + dt.timedelta(minutes=20) if closed else None,
    )


def sensor(enterprise, tag: str, state: str = "normal", reported: dt.datetime | None = None) -> Sensor:
    """A gas detector whose live state ingest left as given."""
    row = factories.sensor(enterprise, tag, "combustible_gas", "%LEL")
    Sensor.objects.filter(pk=row.pk).update(
        alarm_state=state, value_time=reported, value=None if reported is None else 1
    )
    return row


@pytest.fixture
def county_rows(hierarchy):
    """The county's rows, and another county's that are not its own."""
    park = factories.enterprise(hierarchy.regions["park"], serial=1)
    hs01 = source(park, "HS01", 1, "registered")
    hs02 = source(park, "HS02", 3, "applied")
    source(park, "HS03", None, "draft")  # not a major hazard source
    alarm(park, hs01, 2, "new", NOW - dt.timedelta(minutes=10))  # raised, open, not seen within 3 min: overdue
    alarm(park, hs02, 1, "seen", NOW - dt.timedelta(days=2))  # open, not verified within 15 min: overdue
    alarm(park, hs01, 1, "closed", NOW - dt.timedelta(minutes=30))  # raised, closed
    alarm(park, None, 1, "new", NOW - dt.timedelta(minutes=1))  # raised, open, 4 min left to see it
    sensor(park, "GT1", reported=NOW - dt.timedelta(seconds=60))  # online
    sensor(park, "GT2", "offline", NOW - 2 * HOUR)
    sensor(park, "GT3", "stale", NOW - dt.timedelta(seconds=120))
    sensor(park, "GT4", reported=NOW - dt.timedelta(seconds=1000))  # silent for more than 900 s: stale
    sensor(park, "GT5")  # never reported: not in service
    elsewhere = factories.enterprise(hierarchy.other_county, serial=2)
    theirs = source(elsewhere, "HS01", 2, "registered")
    alarm(elsewhere, theirs, 2, "new", NOW - dt.timedelta(minutes=10))
    sensor(elsewhere, "GT1", reported=NOW - dt.timedelta(seconds=60))
    return hierarchy


@pytest.fixture
def child(county_rows, monkeypatch, tmp_path):
    """This database as the county's centre, with a parent."""
    key = tmp_path / "parent.pem"
    key.write_bytes(sm.public_key_pem(sm.generate_private_key().public_key()))
    monkeypatch.setenv("HAZMAP_PARENT_KEY", str(key))
    monkeypatch.setenv("HAZMAP_CENTRE_REGION", COUNTY)
    monkeypatch.setenv("HAZMAP_PARENT_BROKER", "mqtt://127.0.0.1:1883")
    monkeypatch.delenv("HAZMAP_CENTRE_CODE", raising=False)
    forward._paths.clear()
    return county_rows


# --- the figures ----------------------------------------------------------------------------------------


def test_the_figures_count_the_region_and_nothing_outside_it(county_rows):
    assert figures(county_rows.regions["county"].path, NOW - HOUR, NOW) == EXPECTED


def test_the_city_counts_both_of_its_counties(county_rows):
    city = figures(county_rows.regions["city"].path, NOW - HOUR, NOW)
    assert city["hazard_sources"]["by_grade"] == {"1": 1, "2": 1, "3": 1, "4": 0, "none": 1}
    assert (city["alarms"]["open"], city["alarms"]["overdue"], city["sensors"]["online"]) == (4, 3, 2)


def test_a_summary_is_queued_for_the_parent_with_its_figures_and_period(child):
    made = summarise(NOW)
    assert (made.centre, made.region.code, made.received_from) == (COUNTY, COUNTY, "")
    assert (made.period_start, made.period_end, made.interval_s) == (NOW - HOUR, NOW, 3600)
    (queued,) = Forward.objects.filter(kind="summary")
    change = queued.change
    assert change["key"] == {"centre": COUNTY, "period_end": NOW.isoformat()}
    assert change["data"] == {
        "centre": COUNTY,
        "region": {"code": COUNTY},
        "period_start": (NOW - HOUR).isoformat(),
        "period_end": NOW.isoformat(),
        "interval_s": 3600,
        "figures": EXPECTED,
    }


def test_the_next_summary_covers_the_time_since_the_last_so_an_alarm_is_raised_in_one_period(child):
    summarise(NOW)
    alarm(Alarm.objects.first().enterprise, None, 1, "new", NOW + dt.timedelta(minutes=40))
    later = summarise(NOW + 2 * HOUR)  # the centre was down for an hour: its period is two
    assert (later.period_start, later.period_end) == (NOW, NOW + 2 * HOUR)
    assert later.figures["alarms"]["raised"] == 1


def test_a_summary_is_made_when_the_last_is_an_interval_old_and_not_before(child, settings):
    settings.HAZMAP_HIERARCHY_SUMMARY_INTERVAL_S = 600
    clock = SummaryClock()  # not started: its ticks are called here with their times
    assert clock.tick(NOW) == 600  # none yet: made at once
    assert clock.tick(NOW + dt.timedelta(seconds=240)) == 360  # a restart within the interval makes none
    assert clock.tick(NOW + dt.timedelta(seconds=600)) == 600
    assert list(Summary.objects.values_list("period_end", flat=True)) == [NOW + dt.timedelta(seconds=600), NOW]


def test_a_resync_queues_the_latest_summary_of_each_centre_and_a_new_one(child):
    summarise(NOW - HOUR)
    summarise(NOW)
    Forward.objects.all().delete()
    counts = forward.resync()
    assert counts["summary"] == 2
    queued = [f.change["data"]["period_end"] for f in Forward.objects.filter(kind="summary").order_by("id")]
    made_now = Summary.objects.exclude(period_end__in=[NOW - HOUR, NOW]).get()
    assert queued == [NOW.isoformat(), made_now.period_end.isoformat()]  # the latest it held, then one made now


def test_the_status_tells_when_the_centre_last_summarised(child):
    summarise(NOW)
    out = io.StringIO()
    call_command("hierarchy", "--status", stdout=out)
    assert f"summaries of this centre for the parent: every 3600 s, the last at {NOW.isoformat()}" in out.getvalue()


# --- at the parent --------------------------------------------------------------------------------------


@pytest.fixture
def sent(child, numbers):
    """The county's summary at NOW as the child sends it; then this database plays the parent without it."""
    made = summarise(NOW)
    change = change_of(made, numbers)
    made.delete()
    return change


def test_the_parent_stores_a_childs_summary_once_however_often_it_arrives(hierarchy, sent, numbers):
    assert apply_changes(hierarchy.child, [sent]).applied == 1
    assert apply_changes(hierarchy.child, [sent]).stale == 1  # the same change again (a message sent twice)
    assert apply_changes(hierarchy.child, [dict(sent, n=numbers())]).applied == 1  # resent under a new number
    (stored,) = Summary.objects.all()
    assert (stored.centre, stored.region.code, stored.received_from) == (COUNTY, COUNTY, COUNTY)
    assert (stored.period_start, stored.period_end, stored.figures) == (NOW - HOUR, NOW, EXPECTED)
    assert stored.received_at is not None


def test_a_city_forwards_its_countys_summary_to_its_own_parent_as_it_came(hierarchy, sent, monkeypatch):
    monkeypatch.setenv("HAZMAP_CENTRE_REGION", "310100")  # this database as the city, with a parent
    forward._paths.clear()
    Forward.objects.all().delete()
    apply_changes(hierarchy.child, [sent])
    (queued,) = Forward.objects.filter(kind="summary")
    assert (queued.change["key"], queued.change["data"]) == (sent["key"], sent["data"])  # not who passed it on


def test_a_replayed_summary_is_refused_recorded_and_stored_once(hierarchy, sent):
    key = sm.generate_private_key()
    child_gateway(COUNTY, hierarchy.regions["county"], key)
    parent = Centre(sm.generate_private_key(), max_age_s=600, handler=ChildChanges())
    payload = envelope.pack_chunks([json.dumps(sent).encode()])
    message = envelope.seal(payload, COUNTY, EPOCH, 1, Session.new(parent.public_key), key)
    assert parent.receive(message).status == "accepted"
    assert parent.receive(message).status == "duplicate"
    assert Summary.objects.count() == 1
    refused = AuditEntry.objects.get(action="hierarchy.receive", outcome="refused")
    assert (refused.actor_name, refused.reason) == (COUNTY, "message refused: replayed (already accepted)")


def test_a_summary_of_a_region_outside_the_childs_is_refused_and_recorded(hierarchy, sent):
    elsewhere = dict(sent, data=dict(sent["data"], region={"code": hierarchy.other_county.code}))
    outcome = apply_changes(hierarchy.child, [elsewhere])
    assert outcome.applied == 0
    assert outcome.refused == [
        f"summary {COUNTY}/{NOW.isoformat()} lies in region 100000/310000/310100/310117/, "
        "outside child centre 310116's 100000/310000/310100/310116/"
    ]
    entry = AuditEntry.objects.get(action="hierarchy.apply")
    assert (entry.outcome, entry.actor_name, entry.detail["code"]) == ("refused", COUNTY, "OutsideRegion")
    assert not Summary.objects.exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"figures": {"alarms": {"open": -1}}}, "The figure “alarms.open” is not a count"),
        ({"figures": {"alarms": {"open_by_level": {"1": "two"}}}}, "The figure “alarms.open_by_level” is not a count"),
        ({"figures": {"alarms": 3}}, "The figures' section “alarms” is not an object."),
        ({"figures": [1, 2]}, "The figures must be a JSON object of sections."),
        ({"period_start": (NOW + HOUR).isoformat()}, "The period cannot start after it ends."),
        ({"period_start": "yesterday"}, "“yesterday” value has an invalid format"),
        ({"period_end": None}, "a summary's period_end must be a non-empty text, not None"),
        ({"region": "310116"}, "a summary's region must be {\"code\": …}, not '310116'"),
        ({"interval_s": 0}, "Ensure this value is greater than or equal to 1."),
        ({"centre": "310117"}, "is not its centre and period_end"),
    ],
)
def test_a_malformed_summary_is_refused_with_the_reason_and_recorded(hierarchy, sent, change, reason):
    malformed = dict(sent, data=dict(sent["data"], **change))
    outcome = apply_changes(hierarchy.child, [malformed])
    assert outcome.applied == 0 and len(outcome.refused) == 1
    assert reason in outcome.refused[0]
    entry = AuditEntry.objects.get(action="hierarchy.apply")
    assert (entry.outcome, entry.detail["code"]) == ("refused", "InvalidValue")
    assert not Summary.objects.exists()


@pytest.fixture
def received(hierarchy):
    """Summaries received from two counties: two of 310116 (an hour apart) and one of 310117."""

    def stored(centre: str, region, end: dt.datetime) -> Summary:
        return Summary.objects.create(
            centre=centre,
            region=region,
            period_start=end - HOUR,
            period_end=end,
            interval_s=3600,
            figures=EXPECTED,
            received_from=centre,
            received_at=end,
        )

    county, other = hierarchy.regions["county"], hierarchy.other_county
    stored(COUNTY, county, NOW - HOUR)
    stored(COUNTY, county, NOW)
    stored(other.code, other, NOW - 3 * HOUR)
    Summary.objects.create(  # the parent's own, made for its parent: not a child's
        centre="310100",
        region=hierarchy.regions["city"],
        period_start=NOW - HOUR,
        period_end=NOW,
        interval_s=3600,
        figures=EXPECTED,
    )
    return hierarchy


def user(name: str, region, role: str = "regulator", **fields) -> User:
    return User.objects.create_user(name, region=region, role=role, **fields)


def test_each_childs_latest_summary_is_listed_with_its_age_in_the_users_scope(received):
    city = user("city", received.regions["city"])
    listed = summary.latest(city, now=NOW + dt.timedelta(minutes=30))
    assert [(s["centre"], s["period_end"], s["age_s"], s["late"]) for s in listed] == [
        (COUNTY, NOW.isoformat(), 1800, False),
        ("310117", (NOW - 3 * HOUR).isoformat(), 3 * 3600 + 1800, True),  # older than two of its intervals
    ]
    assert listed[0]["region"] == {"code": COUNTY, "name": "上海区", "name_en": ""}
    assert (listed[0]["received_from"], listed[0]["figures"]) == (COUNTY, EXPECTED)
    county = user("county", received.regions["county"])
    assert [s["centre"] for s in summary.latest(county, now=NOW)] == [COUNTY]


def test_the_summaries_endpoint_serves_the_latest_and_the_history_in_the_users_scope(received):
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(user("county", received.regions["county"], role="emergency"))
    answer = browser.get("/app/hierarchy/summaries")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["number_returned"] == 1
    assert [(s["centre"], s["period_end"], s["figures"]) for s in body["items"]] == [
        (COUNTY, NOW.isoformat(), EXPECTED)
    ]
    history = browser.get(f"/app/hierarchy/summaries/{COUNTY}?limit=5").json()
    assert [s["period_end"] for s in history["items"]] == [NOW.isoformat(), (NOW - HOUR).isoformat()]
    assert browser.get(f"/app/hierarchy/summaries/{COUNTY}?limit=1").json()["number_returned"] == 1
    outside = browser.get("/app/hierarchy/summaries/310117")
    assert (outside.status_code, outside.json()["description"]) == (404, "No summary of centre 310117 in your scope.")
    assert browser.get("/app/hierarchy/summaries?centre=1").status_code == 400
    assert browser.get(f"/app/hierarchy/summaries/{COUNTY}?limit=0").status_code == 400


def test_an_enterprises_operator_and_a_stranger_see_no_summaries(received):
    enterprise = factories.enterprise(received.regions["park"], serial=7)
    operator = user("operator", received.regions["park"], role="enterprise", enterprise=enterprise)
    assert summary.latest(operator, now=NOW) == []
    assert Client().get("/app/hierarchy/summaries").status_code == 401


def test_the_status_tells_when_each_child_last_summarised(received):
    child_gateway(COUNTY, received.regions["county"], sm.generate_private_key())
    out = io.StringIO()
    call_command("hierarchy", "--status", stdout=out)
    assert f"child centre {COUNTY} ({COUNTY}, active): last heard never, last summary {NOW.isoformat()}" in (
        out.getvalue()
    )
