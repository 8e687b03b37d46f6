"""Benchmarks of alarm handling, each against a baseline measured in the same run.

- a step (``take_step("see")``: scope, role and order checked, the alarm locked and saved, its handling record,
  audit entry and notifications to the responsible people, one transaction) against saving the alarm's state
  alone (the save publishes its event either way); the seed's target for interactive writes is under 0.8 s;
- the periodic check (``check``) over ``OPEN`` open alarms, all overdue: a steady pass once everything due is
  done (what ``hazmap serve`` does every ``HAZMAP_ALARM_CHECK_INTERVAL_S``) against counting the open alarms in
  one query; and the backlog before it (every alarm announced, 500 a pass, and every escalation due recorded,
  up to four levels each, with their notifications), against the same count;
- the PDF report of a closed alarm (``alarm_report_pdf``) against reading its timeline as JSON.

Usage: ``python -m tests.bench.bench_alarm_handling`` (PostGIS: DATABASE_URL=postgis://…), or ``run()``.
Nothing is asserted; every figure is printed with its ratio.
"""

from __future__ import annotations

import datetime as dt
import time

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from tests.bench.harness import Figure, compare

OPEN = 2000
PEOPLE_PER_LEVEL = 3


def _setting():
    from geo.models import Alarm
    from tests import factories

    regions = factories.region_chain(province="640000", prefix="基准")
    plant = factories.enterprise(regions["park"], serial=876_543, lon=106.2, lat=38.5)
    User = get_user_model()
    for level, region in regions.items():
        for i in range(PEOPLE_PER_LEVEL):
            role = ("regulator", "emergency", "inspector")[i]
            User.objects.create_user(f"bench-{level}-{i}", region=region, role=role)
    operator = User.objects.create_user("bench-operator", region=plant.region, enterprise=plant, role="enterprise")
    now = timezone.now()
    started = now - dt.timedelta(hours=1)  # every step of a first-level alarm but the report and close is overdue
    Alarm.objects.bulk_create(
        Alarm(
            region=plant.region,
            enterprise=plant,
            kind="hi",
            level=1,
            started_at=started + dt.timedelta(microseconds=i),
            ended_at=started + dt.timedelta(minutes=1),
            message=f"基准报警 {i}",
        )
        for i in range(OPEN)
    )
    return plant, operator, now


def run() -> list[Figure]:
    from geo import alarm_handling as handling
    from geo.alarm_report import alarm_report_pdf
    from geo.models import Alarm
    from web.alarm_handling import _timeline

    plant, operator, now = _setting()
    alarms = iter(Alarm.objects.filter(enterprise=plant).order_by("pk").values_list("pk", flat=True))
    figures = []

    began = time.perf_counter()
    announced = escalated = notified = passes = 0
    while True:  # the backlog: announced 500 a pass, every escalation due recorded
        done = handling.check(now)
        passes += 1
        announced, escalated, notified = (
            announced + done.announced,
            escalated + done.escalated,
            notified + done.notified,
        )
        if not done.announced and not done.escalated:
            break
    backlog_s = time.perf_counter() - began
    figures.append(
        compare(
            f"check, steady pass, {OPEN:,} open alarms",
            lambda: handling.check(now),
            lambda: Alarm.objects.exclude(state=Alarm.State.CLOSED).filter(enterprise=plant).count(),
            note="vs. counting them",
        )
    )
    figures.append(
        Figure(
            f"check, backlog of {OPEN:,} overdue alarms",
            backlog_s,
            figures[-1].baseline_s,
            f"{passes} passes: {announced:,} announced, {escalated:,} escalations, {notified:,} notifications; "
            f"{backlog_s / OPEN * 1e3:.1f} ms an alarm",
        )
    )
    print(figures[-1].line(), flush=True)

    def step() -> None:
        handling.take_step(next(alarms), "see", operator)

    def save_state() -> None:
        with transaction.atomic():
            alarm = Alarm.objects.get(pk=next(alarms))
            alarm.state = Alarm.State.SEEN
            alarm.save(update_fields=["state"])

    figures.append(compare("alarm step (see), one transaction", step, save_state, repeat=15, note="vs. saving state"))

    closed = Alarm.objects.get(pk=next(alarms))
    admin = get_user_model().objects.create_superuser("bench-admin")
    for name, payload in [
        ("see", {}),
        ("verify", {"finding": "real"}),
        ("apply_plan", {"measures": ["关闭阀门", "启动喷淋"]}),
        ("report", {"text": "已处置" * 50, "cause": "阀门内漏", "corrective": "更换阀门"}),
        ("close", {}),
    ]:
        handling.take_step(closed, name, admin, payload=payload)
    figures.append(
        compare(
            "PDF report of a closed alarm",
            lambda: alarm_report_pdf(closed),
            lambda: _timeline(closed, admin),
            note="vs. its timeline as JSON",
        )
    )
    return figures


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazmap.settings")
    import django

    django.setup()
    from django.test.utils import setup_databases, teardown_databases

    from tests.bench.harness import HEADER

    print(HEADER)
    state = setup_databases(verbosity=0, interactive=False)
    try:
        run()
    finally:
        teardown_databases(state, verbosity=0)
