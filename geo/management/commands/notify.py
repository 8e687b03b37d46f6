"""``hazmap notify``: deliver the notifications that are due now (``hazmap serve`` does it every few seconds)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from geo.models import Notification
from geo.notify import deliver_pending


class Command(BaseCommand):
    help = (
        "Send the pending notifications that are due (e-mail, SMS) once, and say how many were sent and "
        "how many wait. `hazmap serve` does this every HAZMAP_NOTIFY_INTERVAL_S seconds."
    )

    def handle(self, *args, **options) -> None:
        sent = 0
        while True:
            batch = deliver_pending()
            sent += batch
            if batch == 0:
                break
        waiting = Notification.objects.filter(state=Notification.State.PENDING).count()
        if options["verbosity"] >= 1:
            self.stdout.write(f"notifications sent: {sent}; still pending (retrying later): {waiting}")
