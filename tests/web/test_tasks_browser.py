"""The tasks view (``/tasks``) in Chromium, in the interface's default language (Chinese): the park's regulator
issues a task to the operator's enterprise through the form, the operator acknowledges it and reports (an empty
report is refused with the server's words), the regulator closes it with a comment; each state is read in the
page and through ``/app/tasks/{id}``, and a step the user may not take is not offered.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from geo.demo.shanghai import NAME as PARK
from geo.demo.shanghai import OPERATOR_COMPANY
from tests.web.test_browser import api, browser, screenshot, server, sign_in  # noqa: F401 (fixtures)

BEIJING = ZoneInfo("Asia/Shanghai")


def visit(page, path: str) -> None:
    """Go to ``path`` in the signed-in page (a link into the view) and wait until the view is ready."""
    page.goto(page.evaluate("location.origin") + path)
    page.wait_for_function("window.hazmap && (window.hazmap.handle || window.hazmap.error)", timeout=20000)
    assert page.evaluate("window.hazmap.error") is None
    page.evaluate("window.hazmap.handle.ready")


def steps_offered(page) -> list[str]:
    return page.eval_on_selector_all(".task .handling-steps button", "bs => bs.map((b) => b.dataset.step)")


def wait_for_state(page, task: int, state: str) -> None:
    page.wait_for_selector(f".task[data-task='{task}'][data-state={state}]", timeout=10000)
    page.wait_for_selector(f".task-row[data-task='{task}'][data-state={state}]", timeout=10000)


def test_a_task_goes_down_to_an_enterprise_and_its_report_comes_back_up(browser, server):  # noqa: F811
    regulator = sign_in(browser, server, "regulator", "/tasks")
    assert regulator.locator(".views a[aria-current=page]").inner_text() == "任务"
    assert regulator.locator(".task-panel h2").inner_text() == "任务下达与汇报"
    regulator.click(".task-new")
    form = regulator.locator(".task-issue-form")
    form.wait_for()
    assert regulator.locator(".task-issue header small").inner_text() == f"由 {PARK} 下达"
    # the targets: the park's enterprises (it has no region below it), as the OGC API gives them to the user
    offered = form.locator("select[name=target] option").all_inner_texts()[1:]
    enterprises = api(regulator, "/ogc/collections/enterprises/items?f=json&limit=1000&skipGeometry=true")["features"]
    assert sorted(offered) == sorted(e["properties"]["name"] for e in enterprises) and OPERATOR_COMPANY in offered

    # refused by the server, with its words and the field's name: nothing is issued
    form.locator("select[name=target]").select_option(label=OPERATOR_COMPANY)
    form.locator("textarea[name=text]").fill("请于周五前完成氯气罐区泄漏检测报警仪的校验，并汇报结果。")
    form.locator("button[type=submit]").click()
    regulator.wait_for_selector(".task-issue .error >> text=标题：此项为必填项。")
    assert api(regulator, "/app/tasks")["tasks"] == []
    screenshot(regulator, "tasks-issue-refused")

    due = (dt.datetime.now(BEIJING) + dt.timedelta(days=3)).replace(hour=17, minute=30, second=0, microsecond=0)
    form.locator("input[name=title]").fill("氯气报警仪校验")
    form.locator("input[name=due_at]").fill(due.strftime("%Y-%m-%dT%H:%M"))
    form.locator("button[type=submit]").click()
    regulator.wait_for_selector(".task[data-state=issued]", timeout=10000)
    task = regulator.evaluate("window.hazmap.handle.current().id")
    assert regulator.url.endswith(f"/tasks?task={task}")
    issued = api(regulator, f"/app/tasks/{task}")
    assert issued["state"] == "issued" and issued["title"] == "氯气报警仪校验"
    assert issued["to_enterprise"]["name"] == OPERATOR_COMPANY and issued["issued_by"] == "regulator"
    assert dt.datetime.fromisoformat(issued["due_at"]) == due
    row = regulator.locator(".task-list li").first.locator(".task-row")  # newest first, and marked as open
    assert row.get_attribute("data-task") == str(task) and row.get_attribute("aria-current") == "true"
    assert row.locator(".task-route").inner_text() == f"{PARK} → {OPERATOR_COMPANY}"
    assert row.locator(".task-state").inner_text() == "已下达"
    assert steps_offered(regulator) == []  # the enterprise acknowledges first; closing comes after the report
    screenshot(regulator, "tasks-issued")

    # the due time passes while the operator has it (the task issued two days ago, due an hour ago): overdue
    server.shell(
        "import datetime as dt; from django.utils import timezone; from geo.models import Task; "
        "now = timezone.now(); hour = dt.timedelta(hours=1); "
        f"Task.objects.filter(pk={task}).update(issued_at=now - 48 * hour, due_at=now - hour)"
    )
    operator = sign_in(browser, server, "operator", "/tasks")
    visit(operator, f"/tasks?task={task}")  # a link to the task opens it
    operator.wait_for_selector(f".task[data-task='{task}'][data-state=issued]")
    assert operator.locator(".task-new").count() == 0  # an enterprise issues no task
    mine = operator.evaluate("window.hazmap.handle.tasks()")
    assert [t["id"] for t in mine] == [task]  # only what is addressed to its enterprise
    assert operator.locator(f".task-row[data-task='{task}']").get_attribute("data-overdue") == "true"
    assert "已逾期" in operator.locator(".task > header").inner_text()
    assert operator.locator(".task-body").inner_text() == "请于周五前完成氯气罐区泄漏检测报警仪的校验，并汇报结果。"
    assert operator.locator(".task .handling-steps button").all_inner_texts() == ["签收"]
    operator.click(".task .handling-steps button[data-step=acknowledge]")
    wait_for_state(operator, task, "acknowledged")
    assert api(operator, f"/app/tasks/{task}")["acknowledged_by"] == "operator"
    assert steps_offered(operator) == ["report"]

    operator.click(".task .handling-steps button[data-step=report]")
    report = operator.locator(".task .handling-form[data-step=report]")
    report.locator("button[type=submit]").click()  # nothing written: the server refuses, and says why
    operator.wait_for_selector(".task .error >> text=汇报内容：此项为必填项。")
    assert api(operator, f"/app/tasks/{task}")["state"] == "acknowledged"
    report.locator("textarea[name=text]").fill("已完成 6 台报警仪校验，1 台零点漂移已更换。")
    report.locator("button[type=submit]").click()
    wait_for_state(operator, task, "reported")
    assert operator.locator(".task-report").inner_text() == "已完成 6 台报警仪校验，1 台零点漂移已更换。"
    assert steps_offered(operator) == []  # closing is for the issuing region
    assert operator.locator(".task .error").count() == 0
    reported = api(operator, f"/app/tasks/{task}")
    assert (reported["state"], reported["reported_by"], reported["steps"]) == ("reported", "operator", [])
    screenshot(operator, "tasks-operator-reported")
    operator.context.close()

    regulator.click(".task-refresh")
    wait_for_state(regulator, task, "reported")
    assert regulator.locator(".task .handling-steps button").all_inner_texts() == ["办结"]
    regulator.click(".task .handling-steps button[data-step=close]")
    close = regulator.locator(".task .handling-form[data-step=close]")
    close.locator("textarea[name=comment]").fill("校验记录齐全，同意办结。")
    close.locator("button[type=submit]").click()
    wait_for_state(regulator, task, "closed")
    assert regulator.locator(".task-comment").inner_text() == "校验记录齐全，同意办结。"
    assert regulator.eval_on_selector_all(".task-timeline li", "ls => ls.map((l) => l.dataset.step)") == [
        "issued",
        "acknowledged",
        "reported",
        "closed",
    ]
    assert "已逾期" not in regulator.locator(".task").inner_text()
    closed = api(regulator, f"/app/tasks/{task}")
    assert (closed["state"], closed["closed_by"]) == ("closed", "regulator")
    assert closed["comment"] == "校验记录齐全，同意办结。"
    assert steps_offered(regulator) == []

    # filtered by state: completed holds it, issued does not
    regulator.click(".task-filter button[data-state=closed]")
    regulator.wait_for_selector(f".task-row[data-task='{task}']")
    regulator.click(".task-filter button[data-state=issued]")
    regulator.wait_for_selector(".task-status >> text=没有“已下达”的任务")
    assert regulator.locator(".task-row").count() == 0
    regulator.click(".task-filter button[data-state=all]")
    regulator.wait_for_selector(f".task-row[data-task='{task}'][aria-current=true]")
    screenshot(regulator, "tasks")

    regulator.click("button.lang")  # every word of the view follows the language switch
    assert regulator.locator(".task-panel h2").inner_text() == "Tasks and reports"
    assert regulator.locator(".task > header .task-state").inner_text() == "Completed"
    screenshot(regulator, "tasks-english")
    regulator.click("button.lang")
    regulator.context.close()


def test_a_link_to_a_task_outside_the_users_view_says_so(browser, server):  # noqa: F811
    page = sign_in(browser, server, "operator", "/tasks")
    visit(page, "/tasks?task=999999")
    page.wait_for_selector(".task-detail .error >> text=您没有编号为 999999 的任务。")
    page.context.close()


def test_a_province_regulator_issues_to_the_region_directly_below_it(browser, server):  # noqa: F811
    page = sign_in(browser, server, "shanghai", "/tasks")
    page.click(".task-new")
    select = page.locator(".task-issue-form select[name=target]")
    select.wait_for()
    # no enterprise lies directly in the province: the city below it is what it may issue to
    assert select.locator("optgroup").evaluate_all("gs => gs.map((g) => g.label)") == ["下级区域"]
    assert select.locator("option").all_inner_texts() == ["请选择…", "上海市市辖区"]
    assert select.locator("option").nth(1).get_attribute("value") == "region:310100"
    page.context.close()
