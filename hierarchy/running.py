"""What a centre of the hierarchy runs beside its server: the listener for its children, the forwarder to its parent.

``start()`` is called by ``hazmap serve`` and ``hazmap hierarchy``:

- with HAZMAP_BROKER and HAZMAP_CENTRE_REGION set, the centre listens for its child centres on
  ``{HAZMAP_MQTT_PREFIX}/child-up/+`` (MQTT client id ``hazmap-parent-{HAZMAP_CENTRE_CODE}``);
- with HAZMAP_PARENT_KEY set, it forwards its queued changes to its parent and answers the parent's
  live requests (client id ``hazmap-child-{HAZMAP_CENTRE_CODE}``), and makes the summary of its region
  every HAZMAP_HIERARCHY_SUMMARY_INTERVAL_S (``hierarchy.summary``), queued with the changes.

Run it in one process per database: the forwarder numbers the queue for sending.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from acquisition import conf as acquisition_conf
from acquisition import keys
from hierarchy import conf

log = logging.getLogger(__name__)


@dataclass
class Running:
    listener: object | None = None
    forwarder: object | None = None
    summaries: object | None = None
    notes: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.summaries is not None:
            self.summaries.stop()
        if self.forwarder is not None:
            self.forwarder.stop()
        if self.listener is not None:
            self.listener.stop()


def start(listen: bool = True, forward: bool = True) -> Running:
    """Start what this centre's settings ask for; ``Running.stop()`` ends it."""
    running = Running()
    broker = acquisition_conf.broker()
    if listen and broker is not None and conf.centre_region():
        from hierarchy.receive import listener

        code = conf.centre_code()
        running.listener = listener(broker, acquisition_conf.mqtt_prefix(), keys.centre_key(), f"hazmap-parent-{code}")
        running.listener.start()
        running.notes.append(
            f"hierarchy: child centres are received on mqtt://{broker.host}:{broker.port} "
            f"under {acquisition_conf.mqtt_prefix()}/child-up/+"
        )
    parent = conf.parent()
    if forward and parent is not None:
        from django.conf import settings

        from hierarchy.forward import Forwarder
        from hierarchy.summary import SummaryClock

        running.forwarder = Forwarder(parent, keys.centre_key()).start()
        running.summaries = SummaryClock().start()
        running.notes.append(
            f"hierarchy: changes of region {parent.region} are forwarded to the parent on "
            f"mqtt://{parent.broker.host}:{parent.broker.port} as {parent.code}, with a summary of the region "
            f"every {settings.HAZMAP_HIERARCHY_SUMMARY_INTERVAL_S} s"
        )
    return running
