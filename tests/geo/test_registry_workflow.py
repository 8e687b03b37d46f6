"""The registry workflow (备案): who may take each step, in which order, and what each step leaves behind.

The sources hold sulphur dioxide, GB 18218-2018 Table 1 row 4: Q = 20 t, β = 2 (Table 3); their enterprises
have 60 residents within 500 m, α = 1.5 (Table 5). A 40 t tank gives S = 2, R = 1.5 × 2 × 2 = 6, grade 4;
400 t gives R = 60, grade 2; 700 t gives R = 105, grade 1 (Table 6).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import translation

from geo import registry_workflow as workflow
from geo.audit import Refused
from geo.models import AuditEntry, HazardSource, Notification, RegistryEvent
from tests.factories import enterprise, hazard_source, region_chain, substance, tank

UTC = dt.UTC
MARCH_1 = dt.datetime(2026, 3, 1, 17, 0, tzinfo=UTC)  # 2 March 01:00 in Shanghai

STEP_LABELS = {
    "apply": "application for registration",
    "register": "registration",
    "return": "return of the application",
    "cancel_apply": "application for cancellation",
    "cancel_register": "registration of the cancellation",
    "cancel_return": "return of the cancellation application",
}
STATUS_LABELS = {
    "draft": "draft",
    "applied": "registration applied",
    "registered": "registered",
    "cancel_applied": "cancellation applied",
    "cancelled": "cancelled",
}
BEFORE = {
    "apply": "draft",
    "register": "applied",
    "return": "applied",
    "cancel_apply": "registered",
    "cancel_register": "cancel_applied",
    "cancel_return": "cancel_applied",
}
AFTER = {
    "apply": "applied",
    "register": "registered",
    "return": "draft",
    "cancel_apply": "cancel_applied",
    "cancel_register": "cancelled",
    "cancel_return": "registered",
}
NEEDS = {
    "apply": "“draft” / “cancelled”",
    "register": "“registration applied”",
    "return": "“registration applied”",
    "cancel_apply": "“registered”",
    "cancel_register": "“cancellation applied”",
    "cancel_return": "“cancellation applied”",
}
ENTERPRISE_STEPS = ("apply", "cancel_apply")
REGISTRAR_STEPS = ("register", "return", "cancel_register", "cancel_return")


@pytest.fixture
def world(db, settings):
    """Shanghai's chain with two enterprises in the park and one in the county; Zhejiang's with one more."""
    settings.HAZMAP_NOTIFY_CHANNELS = ["inbox"]
    sh, zj = region_chain(), region_chain("330000", "浙江")
    so2 = substance()
    works = enterprise(sh["park"], 1)
    neighbour = enterprise(sh["park"], 2, lon=121.34)
    county_works = enterprise(sh["county"], 3, lon=121.32)
    far = enterprise(zj["park"], 4, lon=120.5, lat=30.2)
    sources = {}
    for key, ent, code, tonnes in [
        ("hs01", works, "HS01", 40),
        ("grade2", works, "HS02", 400),
        ("grade1", works, "HS03", 700),
        ("county", county_works, "HS05", 40),
        ("far", far, "HS09", 40),
    ]:
        source = hazard_source(ent, code)
        tank(source, so2, tonnes * 1000.0)
        source.refresh_from_db()
        sources[key] = source
    sources["minor"] = hazard_source(works, "HS04")  # no equipment: S = 0
    User = get_user_model()
    users = {
        "operator": User.objects.create_user("operator", enterprise=works, region=sh["park"], role="enterprise"),
        "other_operator": User.objects.create_user(
            "other_operator", enterprise=neighbour, region=sh["park"], role="enterprise"
        ),
        "park_regulator": User.objects.create_user("park_regulator", region=sh["park"], role="regulator"),
        "county_regulator": User.objects.create_user("county_regulator", region=sh["county"], role="regulator"),
        "city_regulator": User.objects.create_user("city_regulator", region=sh["city"], role="regulator"),
        "province_regulator": User.objects.create_user("province_regulator", region=sh["province"], role="regulator"),
        "viewer": User.objects.create_user("viewer", region=sh["park"], role="viewer"),
        "commander": User.objects.create_user("commander", region=sh["park"], role="emergency"),
        "other_region_regulator": User.objects.create_user(
            "other_region_regulator", region=zj["park"], role="regulator"
        ),
        "county_operator": User.objects.create_user(
            "county_operator", enterprise=county_works, region=sh["county"], role="enterprise"
        ),
        "other_region_operator": User.objects.create_user(
            "other_region_operator", enterprise=far, region=zj["park"], role="enterprise"
        ),
    }
    return {"regions": sh, "sources": sources, "users": users, "works": works}


def at(source: HazardSource, status: str) -> HazardSource:
    HazardSource.objects.filter(pk=source.pk).update(registry_status=status)
    source.refresh_from_db()
    return source


def test_the_sources_hold_the_grades_the_module_docstring_computes(world):
    s = world["sources"]
    assert [(s[k].gb_s, s[k].gb_r, s[k].gb_alpha, s[k].gb_grade) for k in ("hs01", "grade2", "grade1")] == [
        (2.0, 6.0, 1.5, 4),
        (20.0, 60.0, 1.5, 2),
        (35.0, 105.0, 1.5, 1),
    ]
    assert (s["minor"].is_major, s["minor"].gb_s) == (False, 0.0)


# --- who may take each step ---------------------------------------------------------------------------------

OUTSIDE = "“HS01 罐区” is outside your scope."
ENTERPRISE_ONLY = "“{step}” is taken by the operators of 测试化工有限公司1 only."
REGISTRAR_ONLY = "“{step}” is taken only by the regulators of 上海化工园区, with whom “HS01 罐区” registers."

# For each user: what they get on a step of the enterprise and on a step of the registering regulator.
PERMISSIONS = {
    "operator": ("allowed", REGISTRAR_ONLY),
    "other_operator": (OUTSIDE, OUTSIDE),
    "park_regulator": (ENTERPRISE_ONLY, "allowed"),
    "county_regulator": (ENTERPRISE_ONLY, REGISTRAR_ONLY),
    "city_regulator": (ENTERPRISE_ONLY, REGISTRAR_ONLY),
    "viewer": (ENTERPRISE_ONLY, REGISTRAR_ONLY),
    "commander": (ENTERPRISE_ONLY, REGISTRAR_ONLY),
    "other_region_regulator": (OUTSIDE, OUTSIDE),
    "other_region_operator": (OUTSIDE, OUTSIDE),
}


@pytest.mark.parametrize("who", list(PERMISSIONS))
@pytest.mark.parametrize("step", list(STEP_LABELS))
def test_each_step_is_taken_by_its_actor_only_and_refused_to_everyone_else_with_the_reason(world, step, who):
    source = at(world["sources"]["hs01"], BEFORE[step])
    user = world["users"][who]
    expected = PERMISSIONS[who][0 if step in ENTERPRISE_STEPS else 1]
    if expected == "allowed":
        event = workflow.take(step, source, user, comment="理由")
        assert (event.step, event.from_status, event.to_status) == (step, BEFORE[step], AFTER[step])
        assert HazardSource.objects.get(pk=source.pk).registry_status == AFTER[step]
        assert AuditEntry.objects.get().outcome == "done"
        return
    reason = expected.format(step=STEP_LABELS[step])
    with pytest.raises(Refused) as refused:
        workflow.take(step, source, user, comment="理由")
    assert (refused.value.reason, refused.value.status) == (reason, 403)
    assert refused.value.code == ("OutsideScope" if expected == OUTSIDE else "NotYourStep")
    entry = AuditEntry.objects.get()
    assert (entry.actor_name, entry.action, entry.outcome, entry.reason, entry.object_id) == (
        who,
        f"registry.{step}",
        "refused",
        reason,
        str(source.pk),
    )
    assert entry.region == world["regions"]["park"]  # the source's regulators see who tried
    assert HazardSource.objects.get(pk=source.pk).registry_status == BEFORE[step]
    assert not RegistryEvent.objects.exists()
    assert not Notification.objects.exists()


def test_a_county_enterprises_source_registers_with_the_county_regulator(world):
    source = at(world["sources"]["county"], "applied")
    users = world["users"]
    with pytest.raises(Refused) as refused:
        workflow.register(source, users["park_regulator"])
    assert refused.value.reason == "“HS05 罐区” is outside your scope."
    event = workflow.register(source, users["county_regulator"])
    assert (event.registry_region, source.registry_status) == (world["regions"]["county"], "registered")


def test_with_parks_not_registering_the_county_registers_the_parks_sources(world, settings):
    settings.HAZMAP_PARKS_REGISTER = False
    source = at(world["sources"]["hs01"], "applied")
    users = world["users"]
    assert workflow.registering_region(source) == world["regions"]["county"]
    with pytest.raises(Refused) as refused:
        workflow.register(source, users["park_regulator"])
    assert refused.value.reason == (
        "“registration” is taken only by the regulators of 上海区, with whom “HS01 罐区” registers."
    )
    assert list(workflow.awaiting(users["park_regulator"])) == []
    assert list(workflow.awaiting(users["county_regulator"])) == [source]
    event = workflow.register(source, users["county_regulator"])
    assert event.registry_region == world["regions"]["county"]


def test_a_superuser_takes_no_step(world):
    admin = get_user_model().objects.create_superuser("admin", password="x")
    with pytest.raises(Refused) as refused:
        workflow.apply_for_registration(world["sources"]["hs01"], admin)
    assert refused.value.code == "NotYourStep"


# --- order ---------------------------------------------------------------------------------------------------

ACTOR = {step: "operator" if step in ENTERPRISE_STEPS else "park_regulator" for step in STEP_LABELS}
OUT_OF_ORDER = [
    (step, status)
    for step in STEP_LABELS
    for status in STATUS_LABELS
    if f"“{STATUS_LABELS[status]}”" not in NEEDS[step].split(" / ")
]


def test_every_out_of_order_case_is_listed():
    assert len(OUT_OF_ORDER) == 6 * 5 - 7  # seven (step, status) pairs are in order


@pytest.mark.parametrize(("step", "status"), OUT_OF_ORDER)
def test_a_step_out_of_order_is_refused_recorded_and_changes_nothing(world, step, status):
    source = at(world["sources"]["hs01"], status)
    with pytest.raises(Refused) as refused:
        workflow.take(step, source, world["users"][ACTOR[step]], comment="理由")
    reason = (
        f"“{STEP_LABELS[step]}” is not possible now: “HS01 罐区” is “{STATUS_LABELS[status]}”, "
        f"and this step needs {NEEDS[step]}."
    )
    assert (refused.value.reason, refused.value.code, refused.value.status) == (reason, "OutOfOrder", 409)
    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.action, entry.reason, entry.detail) == (
        "refused",
        f"registry.{step}",
        reason,
        {"code": "OutOfOrder"},
    )
    assert HazardSource.objects.get(pk=source.pk).registry_status == status
    assert (RegistryEvent.objects.count(), Notification.objects.count()) == (0, 0)


def test_a_source_that_is_not_major_may_not_apply(world):
    with pytest.raises(Refused) as refused:
        workflow.apply_for_registration(world["sources"]["minor"], world["users"]["operator"])
    assert refused.value.reason == (
        "“HS04 罐区” is not a major hazard source (S = 0.00 < 1 under GB 18218-2018): it needs no registration."
    )
    assert (refused.value.code, refused.value.status) == ("NotMajor", 409)
    assert AuditEntry.objects.get().outcome == "refused"


@pytest.mark.parametrize("step", ["return", "cancel_apply", "cancel_return"])
def test_returning_and_applying_for_cancellation_need_a_reason(world, step):
    source = at(world["sources"]["hs01"], BEFORE[step])
    with pytest.raises(ValidationError) as invalid:
        workflow.take(step, source, world["users"][ACTOR[step]], comment="  ")
    assert invalid.value.message_dict == {"comment": [f"Give the reason for the “{STEP_LABELS[step]}” (comment)."]}
    assert HazardSource.objects.get(pk=source.pk).registry_status == BEFORE[step]
    assert (RegistryEvent.objects.count(), AuditEntry.objects.count(), Notification.objects.count()) == (0, 0, 0)


def test_a_comment_must_be_text_of_at_most_2000_characters(world):
    for comment in (42, "长" * 2001):
        with pytest.raises(ValidationError) as invalid:
            workflow.apply_for_registration(world["sources"]["hs01"], world["users"]["operator"], comment)
        assert invalid.value.message_dict == {"comment": ["The comment must be text of at most 2000 characters."]}


def test_the_reasons_are_in_chinese_for_a_chinese_user(world):
    source = at(world["sources"]["hs01"], "applied")
    with translation.override("zh-hans"), pytest.raises(Refused) as refused:
        workflow.register(source, world["users"]["county_regulator"])
    assert refused.value.reason == "“备案登记”只能由“HS01 罐区”的备案机关上海化工园区的监管人员办理。"
    with translation.override("zh-hans"), pytest.raises(Refused) as refused:
        workflow.apply_for_registration(source, world["users"]["operator"])
    assert refused.value.reason == (
        "当前不能办理“备案申请”：“HS01 罐区”的备案状态为“已申请备案”，该步骤要求“草稿” / “已核销”。"
    )


# --- what a step leaves behind --------------------------------------------------------------------------------


def inbox() -> list[tuple[str, str, str]]:
    return [(n.recipient.username, n.subject, n.body) for n in Notification.objects.order_by("id")]


def test_registration_and_cancellation_step_by_step_leave_history_audit_and_notifications(world):
    source, users = world["sources"]["hs01"], world["users"]
    # notifications are written in the site's language (Chinese), whatever the actor's
    workflow.apply_for_registration(source, users["operator"], now=MARCH_1)
    assert source.registry_status == "applied"
    assert inbox() == [
        (
            "park_regulator",
            "备案申请：测试化工有限公司1，HS01 罐区",
            "测试化工有限公司1的HS01 罐区（HS01）：四级，S = 2.00，R = 6.00。\n请登记或说明理由退回（见待办）。",
        )
    ]

    Notification.objects.all().delete()
    workflow.register(source, users["park_regulator"], now=MARCH_1 + dt.timedelta(days=3))
    assert (source.registry_status, source.registered_on) == ("registered", dt.date(2026, 3, 5))
    # grade 4 in a park: the enterprise and the county above the park are told, the city and province not
    assert inbox() == [
        (
            who,
            "已备案：测试化工有限公司1，HS01 罐区",
            "测试化工有限公司1的HS01 罐区（HS01）：四级，S = 2.00，R = 6.00。\n已由上海化工园区于2026-03-05备案登记。",
        )
        for who in ("operator", "county_regulator")
    ]

    Notification.objects.all().delete()
    workflow.apply_for_cancellation(
        source, users["operator"], "经安全评估不再构成重大危险源", now=MARCH_1 + dt.timedelta(days=40)
    )
    assert [n[0] for n in inbox()] == ["park_regulator"]
    assert inbox()[0][2].split("\n")[1] == "理由：经安全评估不再构成重大危险源"

    Notification.objects.all().delete()
    workflow.register_cancellation(source, users["park_regulator"], now=MARCH_1 + dt.timedelta(days=45))
    assert source.registry_status == "cancelled"
    assert inbox() == [
        (
            who,
            "已核销：测试化工有限公司1，HS01 罐区",
            "测试化工有限公司1的HS01 罐区（HS01）：四级，S = 2.00，R = 6.00。\n已由上海化工园区于2026-04-16核销。",
        )
        for who in ("operator", "county_regulator")
    ]

    history = [
        (e.step, e.from_status, e.to_status, e.actor_name, e.actor_role, e.registry_region.code, e.comment, e.time)
        for e in source.registry_events.all()
    ]
    assert history == [
        ("apply", "draft", "applied", "operator", "enterprise", "310116P01", "", MARCH_1),
        (
            "register",
            "applied",
            "registered",
            "park_regulator",
            "regulator",
            "310116P01",
            "",
            MARCH_1 + dt.timedelta(days=3),
        ),
        (
            "cancel_apply",
            "registered",
            "cancel_applied",
            "operator",
            "enterprise",
            "310116P01",
            "经安全评估不再构成重大危险源",
            MARCH_1 + dt.timedelta(days=40),
        ),
        (
            "cancel_register",
            "cancel_applied",
            "cancelled",
            "park_regulator",
            "regulator",
            "310116P01",
            "",
            MARCH_1 + dt.timedelta(days=45),
        ),
    ]
    audit = [
        (e.actor_name, e.action, e.outcome, e.detail["from"], e.detail["to"]) for e in AuditEntry.objects.order_by("id")
    ]
    assert audit == [
        ("operator", "registry.apply", "done", "draft", "applied"),
        ("park_regulator", "registry.register", "done", "applied", "registered"),
        ("operator", "registry.cancel_apply", "done", "registered", "cancel_applied"),
        ("park_regulator", "registry.cancel_register", "done", "cancel_applied", "cancelled"),
    ]
    uids = {str(e.uid) for e in RegistryEvent.objects.all()}
    assert {e.detail["event"] for e in AuditEntry.objects.all()} == uids


def test_a_returned_application_goes_back_to_draft_with_its_reason_and_may_be_made_again(world):
    source, users = world["sources"]["hs01"], world["users"]
    workflow.apply_for_registration(source, users["operator"])
    Notification.objects.all().delete()
    workflow.return_application(source, users["park_regulator"], "安全评估报告缺少周边环境说明")
    assert source.registry_status == "draft"
    assert inbox() == [
        (
            "operator",
            "备案申请退回：测试化工有限公司1，HS01 罐区",
            "测试化工有限公司1的HS01 罐区（HS01）：四级，S = 2.00，R = 6.00。\n理由：安全评估报告缺少周边环境说明\n"
            "申请已退回，修改后可重新申请。",
        )
    ]
    workflow.apply_for_registration(source, users["operator"])
    assert [e.step for e in source.registry_events.all()] == ["apply", "return", "apply"]


def test_a_returned_cancellation_leaves_the_source_registered(world):
    source, users = at(world["sources"]["hs01"], "cancel_applied"), world["users"]
    workflow.return_cancellation(source, users["park_regulator"], "评估报告结论与现场不符")
    assert source.registry_status == "registered"
    assert [n[0] for n in inbox()] == ["operator"]


def test_a_cancelled_source_that_is_major_again_may_apply_again(world):
    source = at(world["sources"]["hs01"], "cancelled")
    event = workflow.apply_for_registration(source, world["users"]["operator"])
    assert (event.from_status, event.to_status) == ("cancelled", "applied")


@pytest.mark.parametrize(
    ("key", "told"),
    [
        ("hs01", ["operator", "county_regulator"]),
        ("grade2", ["operator", "county_regulator", "city_regulator"]),
        ("grade1", ["operator", "province_regulator", "city_regulator", "county_regulator"]),
    ],
)
def test_the_levels_above_told_of_a_registration_depend_on_the_grade(world, key, told):
    source = at(world["sources"][key], "applied")
    workflow.register(source, world["users"]["park_regulator"])
    assert sorted(n.recipient.username for n in Notification.objects.all()) == sorted(told)


def test_the_event_keeps_the_registered_data_as_it_was(world):
    source, users = at(world["sources"]["hs01"], "applied"), world["users"]
    event = workflow.register(source, users["park_regulator"])
    graded_at = source.graded_at
    equipment = source.equipment.get()
    equipment.design_max_kg = 400_000.0
    equipment.save()  # regraded: now grade 2
    assert HazardSource.objects.get(pk=source.pk).gb_grade == 2
    event.refresh_from_db()
    assert event.payload == {
        "enterprise": {"credit_code": world["works"].credit_code, "name": "测试化工有限公司1", "region": "310116P01"},
        "source": {"code": "HS01", "name": "HS01 罐区", "kind": "tank_area"},
        "gb18218": {
            "is_major": True,
            "s": 2.0,
            "r": 6.0,
            "alpha": 1.5,
            "grade": 4,
            "graded_at": graded_at.isoformat(),
        },
        "accidents": {"fire": False, "explosion": False, "poisoning": False},
        "responsible": {"principal": ["张三", ""], "technical": ["李四", ""], "operational": ["王五", ""]},
    }


def test_a_source_with_history_cannot_be_deleted(world):
    from django.db.models import ProtectedError

    source = world["sources"]["hs01"]
    workflow.apply_for_registration(source, world["users"]["operator"])
    with pytest.raises(ProtectedError):
        source.delete()


# --- to-do lists and statistics ----------------------------------------------------------------------------------


def test_each_user_awaits_the_steps_the_table_gives_them(world):
    s, users = world["sources"], world["users"]
    at(s["grade2"], "applied")
    at(s["grade1"], "cancel_applied")
    at(s["county"], "applied")
    registered_minor = at(s["minor"], "registered")  # no longer major: its cancellation is due

    def codes(who: str) -> list[str]:
        return sorted(workflow.awaiting(users[who]).values_list("code", flat=True))

    assert codes("operator") == ["HS01", "HS04"]  # HS01 to apply for, HS04 to cancel
    assert codes("park_regulator") == ["HS02", "HS03"]
    assert codes("county_regulator") == ["HS05"]
    assert codes("city_regulator") == codes("viewer") == codes("other_operator") == []
    assert workflow.steps_open_to(registered_minor, users["operator"]) == ["cancel_apply"]
    assert workflow.steps_open_to(s["grade1"], users["park_regulator"]) == ["cancel_register", "cancel_return"]
    assert workflow.steps_open_to(s["grade1"], users["other_region_regulator"]) == []


def test_statistics_count_the_registry_in_the_users_scope(world):
    s, users = world["sources"], world["users"]
    op, park, county = users["operator"], users["park_regulator"], users["county_regulator"]
    last_year, this_year = dt.datetime(2025, 6, 1, tzinfo=UTC), dt.datetime(2026, 2, 1, tzinfo=UTC)
    workflow.apply_for_registration(s["hs01"], op, now=last_year)
    workflow.register(s["hs01"], park, now=last_year)
    workflow.apply_for_cancellation(s["hs01"], op, "不再构成", now=this_year)
    workflow.apply_for_registration(s["grade2"], op, now=last_year)
    workflow.return_application(s["grade2"], park, "材料不全", now=last_year)
    workflow.apply_for_registration(s["grade2"], op, now=this_year)
    workflow.register(s["grade2"], park, now=this_year)
    workflow.apply_for_registration(s["grade1"], op, now=this_year)
    workflow.apply_for_registration(s["county"], users["county_operator"], now=this_year)
    workflow.register(s["county"], county, now=this_year)
    workflow.apply_for_registration(s["far"], users["other_region_operator"], now=this_year)
    # Shanghai: HS01 cancel_applied, HS02 registered, HS03 applied, HS04 draft (minor), HS05 registered

    figures = workflow.statistics(county, year=2026)
    assert figures["total"] == 5
    assert figures["by_status"] == {"draft": 1, "applied": 1, "registered": 2, "cancel_applied": 1, "cancelled": 0}
    assert figures["major_not_registered"] == 1  # HS03 (HS04 is not major)
    assert figures["by_region"] == [
        {
            "code": "310116",
            "name": "上海区",
            "name_en": "",
            "by_status": {"draft": 0, "applied": 0, "registered": 1, "cancel_applied": 0, "cancelled": 0},
        },
        {
            "code": "310116P01",
            "name": "上海化工园区",
            "name_en": "",
            "by_status": {"draft": 1, "applied": 1, "registered": 1, "cancel_applied": 1, "cancelled": 0},
        },
    ]
    assert figures["in_year"] == {
        "apply": 3,  # HS02, HS03, HS05 (Zhejiang's is outside the scope)
        "register": 2,
        "return": 0,
        "cancel_apply": 1,
        "cancel_register": 0,
        "cancel_return": 0,
    }
    assert figures["awaiting_you"] == 0  # HS05 is registered
    assert workflow.statistics(county, year=2025)["in_year"] == {
        "apply": 2,
        "register": 1,
        "return": 1,
        "cancel_apply": 0,
        "cancel_register": 0,
        "cancel_return": 0,
    }
    park_figures = workflow.statistics(park, year=2026)
    assert (park_figures["total"], park_figures["awaiting_you"]) == (4, 2)  # HS01's cancellation, HS03
    assert workflow.statistics(op, year=2026)["total"] == 4
    assert workflow.statistics(users["other_region_regulator"], year=2026)["by_status"]["applied"] == 1


def test_the_year_boundary_is_new_year_in_shanghai(world):
    source, users = world["sources"]["hs01"], world["users"]
    workflow.apply_for_registration(source, users["operator"], now=dt.datetime(2025, 12, 31, 16, 30, tzinfo=UTC))
    assert workflow.statistics(users["park_regulator"], year=2026)["in_year"]["apply"] == 1
    assert workflow.statistics(users["park_regulator"], year=2025)["in_year"]["apply"] == 0


# --- the admin ---------------------------------------------------------------------------------------------------


def test_the_admin_shows_the_registry_status_and_history_read_only(world, client):
    from django.contrib import admin
    from django.test import RequestFactory

    source = world["sources"]["hs01"]
    workflow.apply_for_registration(source, world["users"]["operator"])
    root = get_user_model().objects.create_superuser("root", password="a-long-password-1")
    request = RequestFactory().get("/")
    request.user = root
    form = admin.site._registry[HazardSource].get_form(request, source)
    assert {"registry_status", "registered_on"} & set(form.base_fields) == set()
    events = admin.site._registry[RegistryEvent]
    event = RegistryEvent.objects.get()
    assert (events.has_add_permission(request), events.has_change_permission(request, event)) == (False, False)
    assert events.has_delete_permission(request, event) is False

    client.force_login(root)
    page = client.get(f"/admin/geo/hazardsource/{source.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "application for registration" in page  # the history inline
    answer = client.post(f"/admin/geo/registryevent/{event.pk}/change/", {"comment": "changed"})
    assert answer.status_code == 403
    assert RegistryEvent.objects.get().comment == ""
