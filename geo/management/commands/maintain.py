"""``hazmap maintain``: daily upkeep of the reading history (partitions ahead, retention behind)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from geo import events
from geo.partitions import ensure_reading_partitions, prune_readings


class Command(BaseCommand):
    help = (
        "Create the reading partitions for the coming days (PostGIS), remove readings older than "
        "HAZMAP_READING_RETENTION_DAYS and live-stream events older than HAZMAP_EVENT_RETENTION_HOURS. "
        "Run it daily (cron or a systemd timer); "
        "`hazmap serve` runs it at start."
    )

    def handle(self, *args, **options) -> None:
        created = ensure_reading_partitions()
        removed = prune_readings()
        pruned = events.prune()
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"reading partitions created: {len(created)}; removed past "
                f"{settings.HAZMAP_READING_RETENTION_DAYS} days: {removed}; events older than "
                f"{settings.HAZMAP_EVENT_RETENTION_HOURS} h deleted: {pruned}"
            )
