"""Tasks between levels (任务下达 / 汇报): a region issues down to an enterprise or a lower region, the target
acknowledges and reports, the issuing region closes; each step checked, recorded and told to the other side."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from geo import tasks
from geo.audit import Refused
from geo.models import Alarm, AuditEntry, Notification, Task
from tests.factories import enterprise, hazard_source, region_chain

T0 = dt.datetime(2026, 5, 1, 0, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture
def levels(db, settings):
    settings.HAZMAP_NOTIFY_CHANNELS = ["inbox"]
    regions = region_chain()
    zhejiang = region_chain("330000", "浙江")
    plant = enterprise(regions["park"], 1)
    neighbour = enterprise(regions["park"], 2, lon=121.34)
    far = enterprise(zhejiang["park"], 3, lon=120.5, lat=30.2)
    User = get_user_model()

    def user(name, role, region=None, ent=None):
        return User.objects.create_user(name, region=ent.region if ent else region, enterprise=ent, role=role)

    return {
        "regions": regions,
        "zhejiang": zhejiang,
        "plant": plant,
        "neighbour_plant": neighbour,
        "far": far,
        "source": hazard_source(plant, "HS01"),
        "county": user("county", "regulator", regions["county"]),
        "county_emergency": user("county_emergency", "emergency", regions["county"]),
        "county_planner": user("county_planner", "planner", regions["county"]),
        "park": user("park", "emergency", regions["park"]),
        "park_regulator": user("park_regulator", "regulator", regions["park"]),
        "city": user("city", "regulator", regions["city"]),
        "operator": user("operator", "enterprise", ent=plant),
        "neighbour": user("neighbour", "enterprise", ent=neighbour),
    }


def told(username: str) -> list[tuple[str, str]]:
    rows = Notification.objects.filter(recipient__username=username).order_by("id")
    return list(rows.values_list("subject", "body"))


def issue_to_plant(levels, **extra) -> Task:
    values = {"title": "罐区液位计校验", "text": "请于三日内完成 LT-101 校验并汇报。", "due_at": T0 + 3 * DAY}
    return tasks.issue(levels["county"], enterprise=levels["plant"], now=T0, **{**values, **extra})


def test_a_task_goes_down_to_an_enterprise_and_its_report_comes_back_up(levels):
    task = issue_to_plant(levels, hazard_source=levels["source"])
    assert (task.state, task.from_region, task.region, task.enterprise) == (
        "issued",
        levels["regions"]["county"],
        levels["regions"]["park"],
        levels["plant"],
    )
    assert told("operator") == [("任务已下达：罐区液位计校验", "请于三日内完成 LT-101 校验并汇报。")]
    tasks.take_step(task, "acknowledge", levels["operator"], now=T0 + dt.timedelta(hours=1))
    tasks.take_step(task, "report", levels["operator"], text="已校验，误差 0.2 %。", now=T0 + DAY)
    # the issuing side is told: the issuer and the county's regulators and commanders
    assert told("county") == [
        ("任务已签收：罐区液位计校验", ""),
        ("任务已汇报：罐区液位计校验", "已校验，误差 0.2 %。"),
    ]
    assert [s for s, _b in told("county_emergency")] == ["任务已签收：罐区液位计校验", "任务已汇报：罐区液位计校验"]
    tasks.take_step(task, "close", levels["county_emergency"], comment="同意", now=T0 + 2 * DAY)
    task.refresh_from_db()
    assert (task.state, task.report, task.reported_by_name, task.closed_by_name, task.comment) == (
        "closed",
        "已校验，误差 0.2 %。",
        "operator",
        "county_emergency",
        "同意",
    )
    assert told("operator")[-1] == ("任务已办结：罐区液位计校验", "同意")
    actions = AuditEntry.objects.filter(object_type="geo.task").order_by("id").values_list("action", "actor_name")
    assert list(actions) == [
        ("task.issue", "county"),
        ("task.acknowledge", "operator"),
        ("task.report", "operator"),
        ("task.close", "county_emergency"),
    ]


def test_a_task_goes_down_to_a_lower_region(levels):
    task = tasks.issue(
        levels["city"],
        region=levels["regions"]["county"],
        title="汛期检查",
        text="检查罐区防汛",
        due_at=T0 + DAY,
        now=T0,
    )
    assert [u for u in ("county", "county_emergency", "county_planner") if told(u)] == ["county", "county_emergency"]
    with pytest.raises(Refused):
        tasks.take_step(task, "acknowledge", levels["park"], now=T0)  # the park is below, not the target
    tasks.take_step(task, "acknowledge", levels["county"], now=T0)
    assert tasks.visible_tasks(levels["county"]).get() == task
    assert not tasks.visible_tasks(levels["operator"]).exists()


@pytest.mark.parametrize(
    ("who", "target", "reason"),
    [
        ("operator", "plant", "Only the regulators and emergency commanders of a region issue tasks."),
        ("county_planner", "plant", "Only the regulators and emergency commanders of a region issue tasks."),
        ("county", "far", "The enterprise lies outside your region."),
        ("county", "city_region", "Tasks go down: the region must lie below yours."),
        ("county", "county_region", "Tasks go down: the region must lie below yours."),
    ],
)
def test_issuing_is_refused_to_other_roles_outside_the_region_and_upwards(levels, who, target, reason):
    where = {
        "plant": {"enterprise": levels["plant"]},
        "far": {"enterprise": levels["far"]},
        "city_region": {"region": levels["regions"]["city"]},
        "county_region": {"region": levels["regions"]["county"]},
    }[target]
    with pytest.raises(Refused) as refused:
        tasks.issue(levels[who], title="t", text="x", due_at=T0 + DAY, now=T0, **where)
    assert (refused.value.status, refused.value.reason) == (403, reason)
    assert not Task.objects.exists()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.actor_name, entry.reason) == ("task.issue", "refused", who, reason)


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"due_at": T0}, "due_at", "The due date must be after the task is issued."),
        ({"text": " "}, "text", "This field is required."),
    ],
)
def test_a_bad_task_is_a_validation_error(levels, extra, field, message):
    with pytest.raises(ValidationError) as invalid:
        issue_to_plant(levels, **extra)
    assert invalid.value.message_dict == {field: [message]}


def test_a_task_about_another_enterprises_alarm_is_refused(levels):
    other = Alarm.objects.create(enterprise=levels["neighbour_plant"], kind="hi", started_at=T0)
    with pytest.raises(ValidationError) as invalid:
        issue_to_plant(levels, alarm=other)
    assert invalid.value.message_dict == {"alarm": ["The alarm is not one of the task's target."]}


@pytest.mark.parametrize(
    ("step", "who", "status", "reason"),
    [
        ("acknowledge", "neighbour", 403, "This task is not addressed to you."),
        ("acknowledge", "park", 403, "This task is not addressed to you."),
        ("close", "operator", 403, "Only the issuing region closes a task."),
        ("close", "city", 403, "Only the issuing region closes a task."),
        (
            "report",
            "operator",
            409,
            "The step “reported” cannot be taken now: the task is “issued”, and the step needs it “acknowledged”.",
        ),
        (
            "close",
            "county",
            409,
            "The step “completed” cannot be taken now: the task is “issued”, and the step needs it “reported”.",
        ),
    ],
)
def test_task_steps_are_refused_out_of_turn_and_recorded(levels, step, who, status, reason):
    task = issue_to_plant(levels)
    with pytest.raises(Refused) as refused:
        tasks.take_step(task, step, levels[who], text="报告", now=T0 + DAY)
    assert (refused.value.status, refused.value.reason) == (status, reason)
    task.refresh_from_db()
    assert task.state == "issued"
    entry = AuditEntry.objects.get(outcome="refused")
    assert (entry.action, entry.actor_name, entry.object_id) == (f"task.{step}", who, str(task.pk))


def test_an_enterprise_sees_only_the_tasks_addressed_to_it(levels):
    task = issue_to_plant(levels)
    assert list(tasks.visible_tasks(levels["operator"])) == [task]
    assert list(tasks.visible_tasks(levels["neighbour"])) == []
    assert list(tasks.visible_tasks(levels["city"])) == [task]
    assert tasks.allowed_steps(task, levels["operator"]) == ["acknowledge"]
    assert tasks.allowed_steps(task, levels["county"]) == []
