"""Alarm handling and tasks over HTTP: the steps, the timeline, the open alarms with their deadlines, the PDF report
of a closed alarm, and tasks — each narrowed to the user's scope, refusals answered with their reason."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from pypdf import PdfReader

from geo.models import Alarm, AuditEntry, Task
from tests.factories import enterprise, hazard_source, region_chain, sensor

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def park(db, settings):
    settings.HAZMAP_NOTIFY_CHANNELS = ["inbox"]
    regions = region_chain()
    zhejiang = region_chain("330000", "浙江")
    plant = enterprise(regions["park"], 1)
    source = hazard_source(plant, "HS01")
    level = sensor(plant, "LT-101", hazard_source=source)
    started = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=1)
    alarm = Alarm.objects.create(
        sensor=level,
        hazard_source=source,
        kind="hihi",
        level=2,
        value=96.0,
        threshold=95.0,
        unit="%",
        started_at=started,
        ended_at=started + dt.timedelta(seconds=40),
        message="LT-101 液位：高高报警，96 %（限值 95 %）",
    )
    User = get_user_model()
    return {
        "regions": regions,
        "plant": plant,
        "source": source,
        "alarm": alarm,
        "started": started,
        "operator": User.objects.create_user("operator", region=plant.region, enterprise=plant, role="enterprise"),
        "regulator": User.objects.create_user("regulator", region=regions["park"], role="regulator"),
        "county": User.objects.create_user("county", region=regions["county"], role="regulator"),
        "planner": User.objects.create_user("planner", region=regions["park"], role="planner"),
        "other": User.objects.create_user("other", region=zhejiang["county"], role="regulator"),
    }


def post(client, path: str, data: dict | None = None, **headers):
    return client.post(path, data or {}, content_type="application/json", **{**EN, **headers})


def handle_to_closure(client, park) -> None:
    pk = park["alarm"].pk
    client.force_login(park["operator"])
    assert post(client, f"/app/alarms/{pk}/see").status_code == 200
    assert post(client, f"/app/alarms/{pk}/verify", {"finding": "real", "comment": "现场确认液位高"}).status_code == 200
    measures = {"measures": ["停止进料", "倒罐至 T2"], "plan": "储罐溢流处置方案"}
    assert post(client, f"/app/alarms/{pk}/apply_plan", measures).status_code == 200
    report = {"text": "进料阀未及时关闭导致液位高高，已倒罐。", "cause": "操作失误", "corrective": "增加联锁"}
    assert post(client, f"/app/alarms/{pk}/report", report).status_code == 200
    client.force_login(park["regulator"])
    answer = post(client, f"/app/alarms/{pk}/close", {"comment": "同意销账"})
    assert answer.status_code == 200
    assert answer.json()["alarm"]["state"] == "closed"


def test_an_alarm_is_handled_to_closure_over_http_and_its_timeline_lists_every_step(client, park):
    handle_to_closure(client, park)
    answer = client.get(f"/app/alarms/{park['alarm'].pk}/handling", **EN).json()
    assert [(r["step"], r["actor"]) for r in answer["timeline"]] == [
        ("see", "operator"),
        ("verify", "operator"),
        ("apply_plan", "operator"),
        ("report", "operator"),
        ("close", "regulator"),
    ]
    assert answer["timeline"][1]["comment"] == "现场确认液位高"
    assert answer["alarm"]["finding"] == "real"
    assert answer["alarm"]["report_pdf"] == f"/app/alarms/{park['alarm'].pk}/report.pdf"
    assert answer["alarm"]["next_step"] is None


def test_the_report_pdf_of_a_closed_alarm_holds_the_alarm_the_source_the_timeline_and_the_report(client, park):
    pk = park["alarm"].pk
    client.force_login(park["regulator"])
    assert client.get(f"/app/alarms/{pk}/report.pdf", **EN).json()["description"] == (
        f"Alarm {pk} is not closed: its report comes with closing."
    )
    handle_to_closure(client, park)
    answer = client.get(f"/app/alarms/{pk}/report.pdf", **EN)  # in Chinese, as the pages, whatever the browser says
    assert (answer.status_code, answer["Content-Type"]) == (200, "application/pdf")
    assert answer.content.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
    started = timezone.localtime(park["started"]).strftime("%Y-%m-%d %H:%M:%S")
    for expected in (
        "报警处置报告",
        "LT-101 液位：高高报警，96 %（限值 95 %）",
        "二级报警",
        "测试化工有限公司1",
        "HS01 HS01 罐区",
        "张三",
        started,
        "已查看",
        "已核实",
        "真实报警",
        "停止进料",
        "倒罐至 T2",
        "储罐溢流处置方案",
        "进料阀未及时关闭导致液位高高，已倒罐。",
        "操作失误",
        "增加联锁",
        "已销账",
        "regulator",
        "同意销账",
    ):
        assert expected in text, expected
    client.cookies["django_language"] = "en"
    english = client.get(f"/app/alarms/{pk}/report.pdf")
    assert "Alarm handling report" in PdfReader(io.BytesIO(english.content)).pages[0].extract_text()
    client.force_login(park["other"])
    assert client.get(f"/app/alarms/{pk}/report.pdf").status_code == 404


def test_a_step_out_of_order_is_409_with_its_reason_and_recorded(client, park):
    client.force_login(park["operator"])
    answer = post(client, f"/app/alarms/{park['alarm'].pk}/report", {"text": "x"})
    assert answer.status_code == 409
    assert answer.json()["description"] == (
        "The step “report written” cannot be taken now: the alarm is “new”, and the step needs it “plan applied” / "
        "“situation verified”."
    )
    assert AuditEntry.objects.get().outcome == "refused"
    park["alarm"].refresh_from_db()
    assert park["alarm"].state == "new"


def test_a_refusal_is_said_in_chinese_by_default(client, park):
    client.force_login(park["planner"])
    answer = client.post(f"/app/alarms/{park['alarm'].pk}/see", {}, content_type="application/json")
    assert (answer.status_code, answer.json()["description"]) == (403, "角色“规划人员”不能执行“已查看”环节。")


def test_a_step_outside_the_scope_is_403_and_recorded_but_the_timeline_is_404(client, park):
    client.force_login(park["other"])
    pk = park["alarm"].pk
    assert post(client, f"/app/alarms/{pk}/see").status_code == 403
    entry = AuditEntry.objects.get()
    assert (entry.actor_name, entry.action, entry.outcome) == ("other", "alarm.see", "refused")
    assert client.get(f"/app/alarms/{pk}/handling").status_code == 404


@pytest.mark.parametrize(
    ("path", "data", "status", "description"),
    [
        ("verify", {"finding": "maybe"}, 422, "Say what was found: one of real, false_alarm, test."),
        ("fly", {}, 404, "There is no step “fly”; the steps are see, verify, apply_plan, report, close."),
        ("see", {"comment": 5}, 422, "Give text."),
    ],
)
def test_bad_requests_are_4xx_with_a_clear_message(client, park, path, data, status, description):
    pk = park["alarm"].pk
    client.force_login(park["regulator"])
    if path == "verify":
        post(client, f"/app/alarms/{pk}/see")
    answer = post(client, f"/app/alarms/{pk}/{path}", data)
    assert (answer.status_code, answer.json()["description"]) == (status, description)


def test_a_body_that_is_not_json_is_400(client, park):
    client.force_login(park["regulator"])
    answer = client.post(f"/app/alarms/{park['alarm'].pk}/see", "{", content_type="application/json")
    assert answer.status_code == 400


def test_the_open_alarms_to_handle_come_with_their_next_step_and_deadline(client, park):
    client.force_login(park["operator"])
    alarms = client.get("/app/alarms/todo", **EN).json()["alarms"]
    deadline = (park["started"] + dt.timedelta(minutes=3)).isoformat()
    assert [(a["id"], a["next_step"], a["deadline"], a["overdue"], a["steps"]) for a in alarms] == [
        (park["alarm"].pk, "see", deadline, False, ["see"])
    ]
    post(client, f"/app/alarms/{park['alarm'].pk}/see")
    post(client, f"/app/alarms/{park['alarm'].pk}/verify", {"finding": "test"})
    post(client, f"/app/alarms/{park['alarm'].pk}/report", {"text": "联锁测试"})
    assert client.get("/app/alarms/todo").json()["alarms"] == []  # closing is the regulator's
    client.force_login(park["regulator"])
    assert [a["next_step"] for a in client.get("/app/alarms/todo").json()["alarms"]] == ["close"]
    client.force_login(park["planner"])
    assert client.get("/app/alarms/todo").json()["alarms"] == []
    assert [a["id"] for a in client.get("/app/alarms/todo?all=1").json()["alarms"]] == [park["alarm"].pk]


def test_tasks_are_issued_acknowledged_reported_and_closed_over_http(client, park):
    client.force_login(park["county"])
    due = (timezone.now() + dt.timedelta(days=3)).isoformat()
    issued = post(
        client,
        "/app/tasks",
        {
            "title": "液位高高报警原因分析",
            "text": "请分析原因并汇报",
            "due_at": due,
            "enterprise": park["plant"].pk,
            "alarm": park["alarm"].pk,
        },
    )
    assert issued.status_code == 201
    task = issued.json()
    assert (task["state"], task["to_enterprise"]["id"], task["alarm"], task["steps"]) == (
        "issued",
        park["plant"].pk,
        park["alarm"].pk,
        [],
    )
    client.force_login(park["operator"])
    assert [t["id"] for t in client.get("/app/tasks").json()["tasks"]] == [task["id"]]
    assert post(client, f"/app/tasks/{task['id']}/report", {"text": "x"}).status_code == 409
    assert post(client, f"/app/tasks/{task['id']}/acknowledge").json()["state"] == "acknowledged"
    assert post(client, f"/app/tasks/{task['id']}/report", {"text": "操作失误，已培训"}).json()["state"] == "reported"
    assert post(client, f"/app/tasks/{task['id']}/close").status_code == 403
    client.force_login(park["county"])
    closed = post(client, f"/app/tasks/{task['id']}/close", {"comment": "同意"}).json()
    assert (closed["state"], closed["report"], closed["closed_by"]) == ("closed", "操作失误，已培训", "county")
    assert client.get("/app/tasks?state=closed").json()["tasks"][0]["id"] == task["id"]


@pytest.mark.parametrize(
    ("data", "status", "description"),
    [
        (
            {"due_at": "tomorrow"},
            422,
            "due_at must be an ISO 8601 time with its offset, e.g. 2026-05-03T17:00:00+08:00.",
        ),
        ({"enterprise": 999999}, 422, "There is no enterprise “999999”."),
        ({"colour": "red"}, 400, "Unknown field “colour”."),
        ({"region": "310000"}, 403, "Tasks go down: the region must lie below yours."),
    ],
)
def test_bad_tasks_are_refused_with_a_clear_message(client, park, data, status, description):
    client.force_login(park["county"])
    base = {"title": "t", "text": "x", "due_at": (timezone.now() + dt.timedelta(days=1)).isoformat()}
    if "region" not in data:
        base["enterprise"] = park["plant"].pk
    answer = post(client, "/app/tasks", {**base, **data})
    assert (answer.status_code, answer.json()["description"]) == (status, description)
    assert not Task.objects.exists()


def test_a_task_outside_the_scope_is_404(client, park):
    client.force_login(park["county"])
    due = (timezone.now() + dt.timedelta(days=1)).isoformat()
    task = post(client, "/app/tasks", {"title": "t", "text": "x", "due_at": due, "enterprise": park["plant"].pk}).json()
    client.force_login(park["other"])
    assert client.get(f"/app/tasks/{task['id']}").status_code == 404
    assert client.get("/app/tasks").json()["tasks"] == []


def test_the_endpoints_need_a_signed_in_user(client, park):
    assert client.get("/app/alarms/todo").status_code == 401
    assert client.post(f"/app/alarms/{park['alarm'].pk}/see").status_code == 401
    assert client.get("/app/tasks").status_code == 401


def test_the_admin_shows_the_timeline_read_only_and_no_state_to_edit(client, park):
    handle_to_closure(client, park)
    client.force_login(get_user_model().objects.create_superuser("root"))
    page = client.get(f"/admin/geo/alarm/{park['alarm'].pk}/change/", **EN).content.decode()
    assert "同意销账" in page  # the closing comment, in the handling inline
    assert 'name="state"' not in page and 'name="closed_at"' not in page
    assert client.get("/admin/geo/task/", **EN).status_code == 200
