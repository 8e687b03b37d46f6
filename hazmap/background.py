"""Work a centre does on a clock while it serves: delivering notifications, and what workflows add.

``PERIODIC`` names each task and how often it runs (seconds); ``hazmap serve`` starts one daemon
thread (``start``) that runs them in turn and logs, never raises, what fails, so that a broken
mail server does not stop the centre. Each task is a plain function that can be run by hand too
(``hazmap notify`` runs the delivery once, ``hazmap escalate-alarms`` the alarm check).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections

log = logging.getLogger("hazmap.background")


def _deliver_notifications() -> None:
    from geo.notify import deliver_pending

    deliver_pending()


def _check_alarms() -> None:
    from geo.alarm_handling import check

    check()


def periodic() -> list[tuple[str, float, Callable[[], object]]]:
    """The tasks and their intervals in seconds."""
    return [
        ("notifications", settings.HAZMAP_NOTIFY_INTERVAL_S, _deliver_notifications),
        ("alarm escalation", settings.HAZMAP_ALARM_CHECK_INTERVAL_S, _check_alarms),
    ]


class Background:
    """One daemon thread running ``periodic()`` tasks until ``stop``."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hazmap-background", daemon=True)

    def _run(self) -> None:
        tasks = periodic()
        due = dict.fromkeys((name for name, _interval, _task in tasks), 0.0)
        while not self._stop.is_set():
            now = time.monotonic()
            for name, interval, task in tasks:
                if now < due[name]:
                    continue
                due[name] = now + interval
                try:
                    close_old_connections()
                    task()
                except Exception:  # a failing task is logged and tried again at its next turn
                    log.exception("background task %s failed", name)
            self._stop.wait(min(interval for _name, interval, _task in tasks))
        close_old_connections()

    def start(self) -> Background:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


def start() -> Background:
    """Start the background thread; ``stop()`` it before the process ends."""
    return Background().start()
