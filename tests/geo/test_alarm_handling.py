"""Alarm handling to closure: seen → verified → plan applied → report → closed, who may take each step, what is
refused (and recorded), who is told, and escalation to the levels above when a step is late.

The time limits are hazmap's defaults (README, "Alarm handling"): a first-level alarm is to be seen within 5 min,
verified within 15 min, its plan applied within 1 h, reported within 24 h and closed within 3 days.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command

from geo import alarm_handling as handling
from geo.audit import Refused
from geo.models import Alarm, AlarmHandling, AuditEntry, Notification
from tests.factories import enterprise, hazard_source, region_chain, sensor

T0 = dt.datetime(2026, 5, 1, 0, 0, tzinfo=dt.UTC)  # 08:00 in Shanghai
MIN = dt.timedelta(minutes=1)

# Payloads that take each step.
PAYLOADS = {
    "see": {},
    "verify": {"finding": "real"},
    "apply_plan": {"measures": ["关闭进料阀 XV-101", "启动喷淋"], "plan": "罐区泄漏专项预案"},
    "report": {"text": "液位计故障导致高高报警，已更换。", "cause": "液位计浮子卡涩", "corrective": "每月校验液位计"},
    "close": {},
}
BEFORE = {"see": "new", "verify": "seen", "apply_plan": "verified", "report": "plan_applied", "close": "reported"}


@pytest.fixture
def park(db, settings):
    settings.HAZMAP_NOTIFY_CHANNELS = ["inbox"]
    regions = region_chain()
    zhejiang = region_chain("330000", "浙江")
    plant = enterprise(regions["park"], 1)
    neighbour = enterprise(regions["park"], 2, lon=121.34)
    source = hazard_source(plant, "HS01")
    level = sensor(plant, "LT-101", hazard_source=source)
    User = get_user_model()

    def user(name, role, region=None, ent=None, **extra):
        region = ent.region if ent is not None else region
        return User.objects.create_user(name, region=region, enterprise=ent, role=role, **extra)

    people = {
        "operator": user("operator", "enterprise", ent=plant),
        "operator2": user("operator2", "enterprise", ent=plant),
        "neighbour": user("neighbour", "enterprise", ent=neighbour),
        "park_regulator": user("park_regulator", "regulator", regions["park"]),
        "park_emergency": user("park_emergency", "emergency", regions["park"]),
        "park_inspector": user("park_inspector", "inspector", regions["park"]),
        "park_planner": user("park_planner", "planner", regions["park"]),
        "county_regulator": user("county_regulator", "regulator", regions["county"]),
        "county_emergency": user("county_emergency", "emergency", regions["county"]),
        "city_regulator": user("city_regulator", "regulator", regions["city"]),
        "province_regulator": user("province_regulator", "regulator", regions["province"]),
        "national_regulator": user("national_regulator", "regulator", regions["national"]),
        "zhejiang_regulator": user("zhejiang_regulator", "regulator", zhejiang["county"]),
        "admin": User.objects.create_superuser("admin"),
    }
    alarm = Alarm.objects.create(
        sensor=level,
        hazard_source=source,
        kind="hi",
        level=1,
        value=91.0,
        threshold=90.0,
        unit="%",
        started_at=T0,
        ended_at=T0 + 2 * MIN,
        message="LT-101 液位：高报警，91 %（限值 90 %）",
    )
    return {"regions": regions, "alarm": alarm, "plant": plant, **people}


def advance(alarm: Alarm, to: str, now: dt.datetime = T0 + MIN) -> Alarm:
    """Take the steps up to state ``to`` as the superuser."""
    admin = get_user_model().objects.get(username="admin")
    for step in handling.STEPS:
        alarm.refresh_from_db()
        if alarm.state == to:
            break
        handling.take_step(alarm, step, admin, payload=PAYLOADS[step], now=now)
    alarm.refresh_from_db()
    assert alarm.state == to
    return alarm


def inbox(username: str) -> list[str]:
    return list(
        Notification.objects.filter(recipient__username=username).order_by("id").values_list("subject", flat=True)
    )


# --- the whole way ---------------------------------------------------------------------------------


def test_an_alarm_goes_from_new_to_closed_with_a_record_of_every_step(park):
    alarm, at = park["alarm"], T0 + MIN
    handling.take_step(alarm, "see", park["operator"], now=at)
    handling.take_step(alarm, "verify", park["operator"], payload={"finding": "real"}, now=at + MIN)
    handling.take_step(alarm, "apply_plan", park["operator"], payload=PAYLOADS["apply_plan"], now=at + 2 * MIN)
    handling.take_step(alarm, "report", park["operator"], payload=PAYLOADS["report"], now=at + 3 * MIN)
    handling.take_step(alarm, "close", park["park_regulator"], comment="同意销账", now=at + 4 * MIN)
    alarm.refresh_from_db()
    assert (alarm.state, alarm.finding, alarm.closed_at) == ("closed", "real", at + 4 * MIN)
    timeline = list(alarm.handling.values_list("step", "actor_name", "time"))
    assert timeline == [
        ("see", "operator", at),
        ("verify", "operator", at + MIN),
        ("apply_plan", "operator", at + 2 * MIN),
        ("report", "operator", at + 3 * MIN),
        ("close", "park_regulator", at + 4 * MIN),
    ]
    report = alarm.handling.get(step="report")
    assert report.payload == {
        **PAYLOADS["report"],
        "from": "plan_applied",
        "deadline": (T0 + dt.timedelta(hours=24)).isoformat(),
        "late": False,
    }
    assert alarm.handling.get(step="close").comment == "同意销账"
    actions = AuditEntry.objects.filter(object_id=str(alarm.pk)).order_by("id").values_list("action", "outcome")
    assert list(actions) == [(f"alarm.{s}", "done") for s in handling.STEPS]


def test_a_false_alarm_goes_from_verified_straight_to_the_report(park):
    alarm = advance(park["alarm"], "seen")
    handling.take_step(alarm, "verify", park["operator"], payload={"finding": "false_alarm"}, now=T0 + 2 * MIN)
    handling.take_step(alarm, "report", park["operator"], payload={"text": "误报：探头受潮"}, now=T0 + 3 * MIN)
    alarm.refresh_from_db()
    assert (alarm.state, alarm.finding) == ("reported", "false_alarm")


def test_a_real_alarm_needs_its_plan_before_the_report(park):
    alarm = advance(park["alarm"], "verified")  # verified as real
    with pytest.raises(Refused) as refused:
        handling.take_step(alarm, "report", park["operator"], payload={"text": "已处置"}, now=T0 + 3 * MIN)
    assert (refused.value.status, refused.value.reason) == (
        409,
        "A real alarm needs its plan applied before the report is written.",
    )


# --- who may take each step ------------------------------------------------------------------------

ROLES = (
    "operator",
    "neighbour",
    "park_regulator",
    "park_emergency",
    "park_inspector",
    "park_planner",
    "county_regulator",
    "zhejiang_regulator",
)
# The specification of WHO_MAY (geo.alarm_handling): ✓ may take the step, · may not.
ALLOWED = {
    #              oper  neigh park_reg park_emer park_insp planner county_reg zhejiang
    "see": ("✓", "·", "✓", "✓", "✓", "·", "✓", "·"),
    "verify": ("✓", "·", "✓", "✓", "✓", "·", "✓", "·"),
    "apply_plan": ("✓", "·", "·", "✓", "·", "·", "·", "·"),
    "report": ("✓", "·", "·", "✓", "·", "·", "·", "·"),
    "close": ("·", "·", "✓", "✓", "·", "·", "✓", "·"),
}
CASES = [(step, role, ALLOWED[step][i] == "✓") for step in handling.STEPS for i, role in enumerate(ROLES)]


@pytest.mark.parametrize(("step", "role", "allowed"), CASES, ids=[f"{s}-{r}" for s, r, _a in CASES])
def test_each_role_may_take_only_its_steps(park, step, role, allowed):
    alarm = advance(park["alarm"], BEFORE[step])
    user = park[role]
    assert (step in handling.allowed_steps(alarm, user)) is allowed
    if allowed:
        handling.take_step(alarm, step, user, payload=PAYLOADS[step], now=T0 + 10 * MIN)
        alarm.refresh_from_db()
        assert alarm.state == handling.ORDER[step][1]
        return
    records = AlarmHandling.objects.count()
    with pytest.raises(Refused) as refused:
        handling.take_step(alarm, step, user, payload=PAYLOADS[step], now=T0 + 10 * MIN)
    assert refused.value.status == 403
    alarm.refresh_from_db()
    assert alarm.state == BEFORE[step]
    assert AlarmHandling.objects.count() == records
    entry = AuditEntry.objects.get(outcome="refused")
    assert (entry.actor_name, entry.action, entry.object_id, entry.reason) == (
        role,
        f"alarm.{step}",
        str(alarm.pk),
        refused.value.reason,
    )


@pytest.mark.parametrize(
    ("role", "reason"),
    [
        ("neighbour", "This alarm is outside your area of responsibility."),
        ("zhejiang_regulator", "This alarm is outside your area of responsibility."),
        ("park_planner", "The role “planner” may not take the step “seen”."),
    ],
)
def test_a_refusal_says_why(park, role, reason):
    with pytest.raises(Refused) as refused:
        handling.take_step(park["alarm"], "see", park[role], now=T0 + MIN)
    assert refused.value.reason == reason


def test_an_enterprise_does_not_handle_an_alarm_of_its_region_that_is_no_enterprises(park):
    station = Alarm.objects.create(region=park["regions"]["park"], kind="offline", started_at=T0, message="气象站离线")
    with pytest.raises(Refused) as refused:
        handling.take_step(station, "see", park["operator"], now=T0 + MIN)
    assert refused.value.reason == (
        "This alarm is not your enterprise's: its handling is for the regulators of its region."
    )
    handling.take_step(station, "see", park["park_emergency"], now=T0 + MIN)


def test_the_superuser_may_take_every_step(park):
    advance(park["alarm"], "closed")


# --- order -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "step", "reason"),
    [
        ("new", "verify", "The step “situation verified” cannot be taken now: the alarm is “new”, and the step "
         "needs it “seen”."),
        ("new", "close", "The step “closed” cannot be taken now: the alarm is “new”, and the step needs it "
         "“report written”."),
        ("seen", "see", "The step “seen” cannot be taken now: the alarm is “seen”, and the step needs it “new”."),
        ("plan_applied", "verify", "The step “situation verified” cannot be taken now: the alarm is “plan "
         "applied”, and the step needs it “seen”."),
        ("closed", "see", "The alarm is already closed."),
    ],
)  # fmt: skip
def test_steps_out_of_order_are_refused_recorded_and_change_nothing(park, state, step, reason):
    alarm = advance(park["alarm"], state)
    records, notes = AlarmHandling.objects.count(), Notification.objects.count()
    with pytest.raises(Refused) as refused:
        handling.take_step(alarm, step, park["park_emergency"], payload=PAYLOADS[step], now=T0 + 20 * MIN)
    assert (refused.value.status, refused.value.code, refused.value.reason) == (409, "OutOfOrder", reason)
    alarm.refresh_from_db()
    assert alarm.state == state
    assert (AlarmHandling.objects.count(), Notification.objects.count()) == (records, notes)
    entry = AuditEntry.objects.get(outcome="refused")
    assert (entry.actor_name, entry.action, entry.reason, entry.detail) == (
        "park_emergency",
        f"alarm.{step}",
        reason,
        {"code": "OutOfOrder"},
    )


def test_an_alarm_whose_condition_lasts_cannot_be_closed(park):
    alarm = park["alarm"]
    Alarm.objects.filter(pk=alarm.pk).update(ended_at=None)
    alarm = advance(alarm, "reported")
    with pytest.raises(Refused) as refused:
        handling.take_step(alarm, "close", park["park_regulator"], now=T0 + 30 * MIN)
    assert (refused.value.status, refused.value.reason) == (
        409,
        "The alarm's condition still lasts: it can be closed once it has cleared.",
    )


@pytest.mark.parametrize(
    ("step", "payload", "field", "message"),
    [
        ("verify", {}, "finding", "Say what was found: one of real, false_alarm, test."),
        ("verify", {"finding": "maybe"}, "finding", "Say what was found: one of real, false_alarm, test."),
        ("apply_plan", {"measures": []}, "measures", "List the measures taken (1 to 50)."),
        ("report", {"text": ""}, "text", "This field is required."),
        ("see", {"finding": "real"}, "finding", "The step “seen” takes no “finding”."),
    ],
)
def test_a_bad_payload_is_a_validation_error_and_changes_nothing(park, step, payload, field, message):
    alarm = advance(park["alarm"], BEFORE[step])
    with pytest.raises(ValidationError) as invalid:
        handling.take_step(alarm, step, park["operator"], payload=payload, now=T0 + 3 * MIN)
    assert invalid.value.message_dict == {field: [message]}
    alarm.refresh_from_db()
    assert alarm.state == BEFORE[step]


# --- who is told -----------------------------------------------------------------------------------


def test_a_step_tells_the_responsible_people_but_not_the_actor(park):
    handling.take_step(park["alarm"], "see", park["operator"], comment="值班员已到现场", now=T0 + MIN)
    told = Notification.objects.order_by("recipient__username")
    assert list(told.values_list("recipient__username", flat=True)) == [
        "operator2",
        "park_emergency",
        "park_inspector",
        "park_regulator",
    ]
    subject = "报警已查看：LT-101 液位：高报警，91 %（限值 90 %）（测试化工有限公司1）"
    assert {(n.subject, n.body, n.object_type, n.object_id) for n in told} == {
        (subject, "operator，2026-05-01 08:01:00。\n值班员已到现场", "geo.alarm", str(park["alarm"].pk))
    }


def test_a_new_alarm_is_announced_once_to_its_responsible_people(park):
    assert handling.check(T0 + dt.timedelta(seconds=10)).announced == 1
    assert handling.check(T0 + MIN).announced == 0
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == [
        "operator",
        "operator2",
        "park_emergency",
        "park_inspector",
        "park_regulator",
    ]
    assert inbox("operator") == ["一级报警：LT-101 液位：高报警，91 %（限值 90 %）（测试化工有限公司1）"]
    assert Notification.objects.filter(recipient__username="operator").get().body == (
        "开始于 2026-05-01 08:00:00，应于 2026-05-01 08:05:00 前查看。"
    )
    raised = park["alarm"].handling.get(step="raised")
    assert raised.payload["notified"] == ["operator", "operator2", "park_emergency", "park_inspector", "park_regulator"]


# --- escalation ------------------------------------------------------------------------------------


def escalations(alarm: Alarm) -> list[tuple[str, str, int]]:
    rows = alarm.handling.filter(step="escalate").order_by("id")
    return [(r.overdue_step, r.region.code, r.payload["level"]) for r in rows]


def test_a_step_not_taken_in_time_escalates_at_exactly_its_limit_and_only_once(park):
    alarm = park["alarm"]
    handling.check(T0)  # announced
    assert handling.check(T0 + 5 * MIN - dt.timedelta(microseconds=1)).escalated == 0
    result = handling.check(T0 + 5 * MIN)
    assert (result.escalated, result.notified) == (1, 2)
    assert escalations(alarm) == [("see", "310116", 1)]
    assert inbox("county_regulator") == [
        "逾期，已升级至上海区：LT-101 液位：高报警，91 %（限值 90 %）（测试化工有限公司1）"
    ]
    assert Notification.objects.get(recipient__username="county_regulator").body == (
        "“已查看”应于 2026-05-01 08:05:00 前完成，至今未完成。"
    )
    assert handling.check(T0 + 5 * MIN).escalated == 0
    assert handling.check(T0 + 9 * MIN).escalated == 0
    assert inbox("city_regulator") == []


def test_each_further_limit_overdue_escalates_one_level_higher_up_to_the_nation(park):
    alarm = park["alarm"]
    for minutes, expected in [(5, "310116"), (10, "310100"), (15, "310000"), (20, "100000")]:
        handling.check(T0 + minutes * MIN)
        assert escalations(alarm)[-1][1] == expected
    assert handling.check(T0 + 60 * MIN).escalated == 0  # no level above the nation
    assert [len(inbox(u)) for u in ("county_regulator", "city_regulator", "province_regulator")] == [1, 1, 1]
    assert len(inbox("national_regulator")) == 1


def test_a_check_long_after_the_deadline_escalates_every_level_due_once(park):
    assert handling.check(T0 + 12 * MIN).escalated == 2  # county at 5 min, city at 10 min
    assert escalations(park["alarm"]) == [("see", "310116", 1), ("see", "310100", 2)]


def test_the_next_step_has_its_own_deadline_and_escalations(park):
    alarm = park["alarm"]
    handling.check(T0 + 5 * MIN)  # "see" escalated to the county
    handling.take_step(alarm, "see", park["operator"], now=T0 + 6 * MIN)
    assert handling.check(T0 + 15 * MIN - dt.timedelta(microseconds=1)).escalated == 0
    assert handling.check(T0 + 15 * MIN).escalated == 1
    assert escalations(alarm) == [("see", "310116", 1), ("verify", "310116", 1)]
    # once escalated to the county, the county is among the responsible people of later steps
    handling.take_step(alarm, "verify", park["operator"], payload={"finding": "test"}, now=T0 + 16 * MIN)
    assert inbox("county_emergency")[-1] == "报警已核实：LT-101 液位：高报警，91 %（限值 90 %）（测试化工有限公司1）"
    assert alarm.handling.get(step="verify").payload["late"] is True


def test_two_checkers_escalating_the_same_step_to_the_same_level_record_it_once(park):
    county = park["regions"]["county"]
    people = handling.People()
    assert handling._escalate(park["alarm"], "see", [(1, county)], T0 + 5 * MIN, people) == 2
    assert handling._escalate(park["alarm"], "see", [(1, county)], T0 + 5 * MIN, people) is None  # unique
    assert escalations(park["alarm"]) == [("see", "310116", 1)]
    assert len(inbox("county_regulator")) == 1


def test_a_second_level_alarm_has_shorter_limits(park):
    Alarm.objects.filter(pk=park["alarm"].pk).update(level=2)
    assert handling.check(T0 + 3 * MIN).escalated == 1


def test_a_closed_alarm_and_an_alarm_older_than_the_horizon_never_escalate(park, settings):
    alarm = advance(park["alarm"], "closed")
    assert handling.check(T0 + dt.timedelta(days=5)).escalated == 0
    Alarm.objects.filter(pk=alarm.pk).update(state="new")
    settings.HAZMAP_ALARM_HORIZON_DAYS = 30
    assert handling.check(T0 + dt.timedelta(days=31)).escalated == 0


def test_the_management_command_runs_the_check(park, capsys):
    call_command("escalate-alarms", now="2026-05-01T08:05:00+08:00")
    assert capsys.readouterr().out.strip() == "alarms announced: 1; escalations: 1; notifications written: 7"


def test_deadlines_follow_the_level_and_the_finding(park):
    alarm = park["alarm"]
    assert handling.deadline(alarm) == T0 + 5 * MIN
    alarm = advance(alarm, "seen")
    handling.take_step(alarm, "verify", park["operator"], payload={"finding": "false_alarm"}, now=T0 + 2 * MIN)
    alarm.refresh_from_db()
    assert (handling.next_step(alarm), handling.deadline(alarm)) == ("report", T0 + dt.timedelta(hours=24))


# --- the report document ---------------------------------------------------------------------------


def test_the_report_of_a_late_false_alarm_lists_its_announcement_escalation_and_lateness(park):
    import io

    from django.utils import translation
    from pypdf import PdfReader

    from geo.alarm_report import alarm_report_pdf

    alarm = park["alarm"]
    handling.check(T0 + 5 * MIN)  # announced, and "see" escalated to the county
    handling.take_step(alarm, "see", park["operator"], now=T0 + 6 * MIN)
    handling.take_step(alarm, "verify", park["operator"], payload={"finding": "false_alarm"}, now=T0 + 7 * MIN)
    handling.take_step(alarm, "report", park["operator"], payload={"text": "探头受潮误报"}, now=T0 + 8 * MIN)
    handling.take_step(alarm, "close", park["county_regulator"], now=T0 + 9 * MIN)
    with translation.override("zh-hans"):
        pdf = alarm_report_pdf(alarm, now=T0 + 10 * MIN)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")
    for expected in (
        f"报警编号 {alarm.pk} · hazmap 生成于 2026-05-01 08:10:00",
        "已通知 5 人",
        "“已查看”逾期（期限 2026-05-01 08:05:00）：已通知上海区",
        "（逾期：期限 2026-05-01 08:05:00）",
        "核实结论：误报",
        "探头受潮误报",
        "county_regulator",
    ):
        assert expected in text, expected


# --- settings and the clock ------------------------------------------------------------------------


def test_hazmap_serve_runs_the_check_at_its_interval(settings):
    from hazmap import background

    settings.HAZMAP_ALARM_CHECK_INTERVAL_S = 7
    assert ("alarm escalation", 7) in [(name, interval) for name, interval, _task in background.periodic()]


def test_time_limits_are_read_from_the_environment_and_bad_ones_refused(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from hazmap.settings import env_step_limits

    monkeypatch.setenv("LIMITS", "see=90s,verify=15m,apply_plan=1h,report=1d,close=3d")
    assert env_step_limits("LIMITS", "") == {
        "see": 90,
        "verify": 900,
        "apply_plan": 3600,
        "report": 86400,
        "close": 259200,
    }
    for raw, message in [
        ("see=5m", "LIMITS gives no limit for verify, apply_plan, report, close"),
        ("see=5x,verify=1m", "LIMITS: 'see=5x' is not step=duration"),
        ("see=1h,verify=15m,apply_plan=1h,report=1d,close=3d", "LIMITS: the limit of verify is shorter than"),
    ]:
        monkeypatch.setenv("LIMITS", raw)
        with pytest.raises(ImproperlyConfigured, match=message):
            env_step_limits("LIMITS", "")
