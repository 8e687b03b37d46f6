"""``hazmap escalate-alarms``: announce new alarms and escalate overdue handling steps once, now or at ``--now``."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from geo.alarm_handling import check


class Command(BaseCommand):
    help = (
        "Tell the responsible people of the alarms not yet announced, and escalate every alarm whose next "
        "handling step is overdue to the levels above that are due (each once). `hazmap serve` does this every "
        "HAZMAP_ALARM_CHECK_INTERVAL_S seconds."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--now", help="check as of this ISO 8601 time with its offset (default: now), e.g. 2026-05-01T08:05+08:00"
        )

    def handle(self, *args, now: str | None = None, **options) -> None:
        moment = None
        if now:
            try:
                moment = dt.datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(f"--now {now!r} is not an ISO 8601 time") from None
            if moment.tzinfo is None:
                raise CommandError(f"--now {now!r} has no offset (e.g. +08:00)")
        result = check(moment)
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"alarms announced: {result.announced}; escalations: {result.escalated}; "
                f"notifications written: {result.notified}"
            )
