"""Positions in at the centre: the one place where tag positions enter ``geo``.

``Positioning.ingest(fixes, scope)`` resolves each fix's tag within the sender's scope (an MQTT topic's
enterprise, an HTTP token's enterprise), refuses what cannot be right (unknown tag, a time too far
ahead of the centre's clock or before the retention period, a plant x/y without a plant grid, a place
far outside the site, a jump no person or vehicle makes), and in one transaction:

- stores the track (``geo.Position``, each ``(tag, time)`` once, late fixes included);
- sets the tag's last position (``location``, ``floor``, ``position_time``, ``battery_pct``, ``sos``,
  ``moving``), never moving it back to an older time;
- evaluates the fence rules (``acquisition.positioning.rules``) and raises or clears ``geo.Alarm`` rows
  (one per ``(kind, tag, fence, started_at)``, the value and threshold that caused them), each saved
  and so published for the map by ``layers.signals``;
- publishes the tags' new positions (collection ``personnel``; bulk updates send no signal), a tag's
  at most every ``EVENT_INTERVAL_S`` of its own time unless its SOS or floor changed.

``Positioning.tick(now)`` lets time alone raise and clear (dwell times, head-counts, crowds); the MQTT
listener calls it every second, and every ingest ends with it. The rules live in this process's
memory: run one process per set of enterprises (the MQTT listener of ``hazmap serve``); several
HTTP workers each evaluate what they receive. When a transaction fails (SQLite busy, a lost
connection) the sites it touched are read again from the database by the next message, so that what
the rules hold never runs ahead of what is stored; a message the database refused as busy is tried
again at once (``BUSY_ATTEMPTS``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings as django_settings
from django.contrib.gis.geos import Point
from django.db import DatabaseError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from acquisition.conf import max_clock_skew_s
from acquisition.directory import EVERYTHING, Scope
from acquisition.ingest import EVENT_INTERVAL_S, _first_in_a_while
from acquisition.positioning import conf, sites, track
from acquisition.positioning.messages import Fix
from acquisition.positioning.rules import CLEAR, LATE, OFF_SITE, OK, RAISE, TELEPORT, Change, Settings
from geo.events import event_row, publish_rows
from geo.models import Alarm, PersonnelTag

log = logging.getLogger(__name__)

TAG_TTL_S = 300.0
BUSY_ATTEMPTS = 3
UNKNOWN_TTL_S = 30.0


@dataclass
class PositionResult:
    """What one message did: positions offered, evaluated, stored only in the track, alarms, refusals."""

    positions: int = 0
    accepted: int = 0
    late: int = 0
    raised: int = 0
    cleared: int = 0
    refused: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "positions": self.positions,
            "accepted": self.accepted,
            "late": self.late,
            "alarms_raised": self.raised,
            "alarms_cleared": self.cleared,
            "refused": self.refused,
        }


@dataclass(frozen=True)
class TagRef:
    id: int
    kind: str
    enterprise_id: int
    region_path: str


def _moment(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


class Positioning:
    """The fence rules of every site this process has received positions for; thread-safe."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or conf.settings()
        self.sites: dict[int, sites.Entry] = {}
        self._tags: dict[str, tuple[float, TagRef | None]] = {}
        self._lock = threading.RLock()

    # --- what changed in the database ------------------------------------------------------------

    def forget(self, **_kwargs) -> None:
        """Fences, rules, tags or grids changed: read them again before the next evaluation."""
        with self._lock:
            self._tags.clear()
            for entry in self.sites.values():
                entry.dirty = True

    def _resolve(self, codes: set[str]) -> dict[str, TagRef | None]:
        now = timezone.now().timestamp()
        missing = [c for c in codes if c not in self._tags or self._tags[c][0] < now]
        if missing:
            found = {
                code: TagRef(pk, kind, enterprise_id, path)
                for code, pk, kind, enterprise_id, path in PersonnelTag.objects.filter(code__in=missing).values_list(
                    "code", "pk", "kind", "enterprise_id", "enterprise__region__path"
                )
            }
            for code in missing:
                ref = found.get(code)
                self._tags[code] = (now + (TAG_TTL_S if ref else UNKNOWN_TTL_S), ref)
        return {code: self._tags[code][1] for code in codes}

    def _entry(self, enterprise_id: int, now: float, changes: list[tuple[sites.Entry, list[Change]]]) -> sites.Entry:
        entry = self.sites.get(enterprise_id)
        if entry is None:
            entry = self.sites[enterprise_id] = sites.build(enterprise_id, self.settings)
        elif entry.dirty:
            changes.append((entry, sites.refresh(entry, now)))
        return entry

    # --- positions -------------------------------------------------------------------------------

    def ingest(
        self, fixes: list[Fix], scope: Scope = EVERYTHING, source: str = "http", now: dt.datetime | None = None
    ) -> PositionResult:
        """Check, store and evaluate ``fixes`` for tags within ``scope``; ``source`` names the sender in log lines.

        A transaction the database refuses as busy (SQLite: another writer) is tried again, up to
        ``BUSY_ATTEMPTS`` times, unless the caller holds a transaction of its own.
        """
        return _when_not_busy(self._ingest, fixes, scope, source, now)

    def _ingest(self, fixes: list[Fix], scope: Scope, source: str, now: dt.datetime | None) -> PositionResult:
        now = now or timezone.now()
        result = PositionResult(positions=len(fixes))
        latest = now + dt.timedelta(seconds=max_clock_skew_s())
        earliest = now - dt.timedelta(days=django_settings.HAZMAP_READING_RETENTION_DAYS)
        with self._lock:
            refs = self._resolve({f.tag for f in fixes})
            groups: dict[int, list[tuple[Fix, TagRef]]] = defaultdict(list)
            for fix in fixes:
                ref = refs.get(fix.tag)
                if ref is None or not _within(ref, scope):
                    self._refuse(result, source, fix.tag, "unknown", _("no such tag for this sender"))
                elif fix.time > latest:
                    self._refuse(result, source, fix.tag, "future", _("the time is ahead of the centre's clock"))
                elif fix.time < earliest:
                    self._refuse(result, source, fix.tag, "past", _("the time is before the retention period"))
                else:
                    groups[ref.enterprise_id].append((fix, ref))
            pending: list[tuple[sites.Entry, list[Change]]] = []
            entries = [self._entry(eid, now.timestamp(), pending) for eid in groups]  # reads before writing
            with self._forgotten_on_error(entries), transaction.atomic():
                events: list[tuple] = []  # rows of geo.events.event_row
                for entry in entries:
                    changes = self._evaluate(entry, groups[entry.enterprise.pk], result, source, events)
                    pending.append((entry, changes))
                for entry in entries:
                    pending.append((entry, entry.site.tick(now.timestamp())))
                for entry, changes in pending:
                    self._apply(entry, changes, result)
                publish_rows(events)
        return result

    def tick(self, now: dt.datetime | None = None) -> int:
        """Raise and clear what time alone decides at ``now`` on every site; how many alarms changed."""
        return _when_not_busy(self._tick, now)

    def _tick(self, now: dt.datetime | None) -> int:
        now = now or timezone.now()
        result = PositionResult()
        with self._lock:
            pending: list[tuple[sites.Entry, list[Change]]] = []
            entries = [self._entry(eid, now.timestamp(), pending) for eid in list(self.sites)]
            with self._forgotten_on_error(entries), transaction.atomic():
                for entry in entries:
                    pending.append((entry, entry.site.tick(now.timestamp())))
                for entry, changes in pending:
                    self._apply(entry, changes, result)
        return result.raised + result.cleared

    @contextlib.contextmanager
    def _forgotten_on_error(self, entries: list[sites.Entry]):
        """When the transaction fails (SQLite busy, a lost connection), the rules have moved on and the database
        has not: forget those sites, so that the next message reads them again as they are stored (last
        positions, open alarms) and evaluates its positions afresh; the error goes on to the caller."""
        try:
            yield
        except DatabaseError:
            for entry in entries:
                self.sites.pop(entry.enterprise.pk, None)
            raise

    def _refuse(self, result: PositionResult, source: str, tag: str, fault: str, reason: str) -> None:
        result.refused[tag] = reason
        if _first_in_a_while(source, tag, fault):
            log.warning("%s: position of tag %s refused: %s", source, tag, reason)

    def _evaluate(
        self, entry: sites.Entry, items: list[tuple[Fix, TagRef]], result: PositionResult, source: str, events: list
    ) -> list[Change]:
        site = entry.site
        grid = [i for i, (fix, _ref) in enumerate(items) if fix.lon is None]
        if grid and entry.grid is None:
            for i in grid:
                reason = _("plant x/y given, but the enterprise has no plant grid")
                self._refuse(result, source, items[i][0].tag, "grid", reason)
            items = [item for item in items if item[0].lon is not None]
            grid = []
        lon = np.array([fix.lon if fix.lon is not None else np.nan for fix, _ref in items], dtype=float)
        lat = np.array([fix.lat if fix.lat is not None else np.nan for fix, _ref in items], dtype=float)
        if grid:
            gx = np.array([items[i][0].x for i in grid])
            gy = np.array([items[i][0].y for i in grid])
            lon[grid], lat[grid] = entry.grid.lonlat(gx, gy)
        x, y = site.local(lon, lat)
        changes, verdicts = site.observe(
            [ref.id for _fix, ref in items],
            [ref.kind for _fix, ref in items],
            [fix.time.timestamp() for fix, _ref in items],
            x,
            y,
            [fix.battery_pct for fix, _ref in items],
            [fix.sos for fix, _ref in items],
            [fix.moving for fix, _ref in items],
        )
        rows, newest = [], {}
        for (fix, ref), verdict, lon_i, lat_i in zip(items, verdicts, lon.tolist(), lat.tolist(), strict=True):
            if verdict == TELEPORT:
                self._refuse(result, source, fix.tag, "teleport", _("the tag cannot have moved there so fast"))
                continue
            if verdict == OFF_SITE:
                reason = _("the position is far outside the enterprise's site")
                self._refuse(result, source, fix.tag, "off_site", reason)
                continue
            row = track.Row(ref.id, fix.time, lon_i, lat_i, fix.floor, fix.battery_pct, fix.sos, bool(fix.moving))
            rows.append(row)
            if verdict == LATE:
                result.late += 1
            elif verdict == OK:
                result.accepted += 1
                if ref.id not in newest or newest[ref.id].time < fix.time:
                    newest[ref.id] = row
        track.store(rows)
        for tag_id in track.update_last(list(newest.values())):
            self._publish(entry, newest[tag_id], events)
        return changes

    def _publish(self, entry: sites.Entry, row: track.Row, events: list) -> None:
        """The event of a tag's new last position, when worth sending to the map."""
        tag = entry.tags.get(row.tag_id)
        if tag is None:
            return
        t = row.time.timestamp()
        last = entry.published.get(row.tag_id)
        if last is None or t - last[0] >= EVENT_INTERVAL_S or (row.sos, row.floor) != last[1:]:
            entry.published[row.tag_id] = (t, row.sos, row.floor)
            props = {"floor": row.floor, "position_time": row.time, "sos": row.sos, "moving": row.moving}
            if row.battery_pct is not None:
                props["battery_pct"] = row.battery_pct
            events.append(event_row("personnel", tag, props, row.lon, row.lat, timezone.now()))

    # --- alarms ----------------------------------------------------------------------------------

    def _apply(self, entry: sites.Entry, changes: list[Change], result: PositionResult) -> None:
        """Store the alarm changes: a raise once per ``(kind, tag, fence, started_at)``, a clear or update on
        that alarm while it is open (the alarms the changes name are read in one query)."""
        if not changes:
            return
        enterprise = entry.enterprise
        stored = {
            (a.kind, a.tag_id, a.fence_id, a.started_at): a
            for a in Alarm.objects.filter(
                enterprise=enterprise,
                kind__in={c.kind for c in changes},
                started_at__in={_moment(c.started_at) for c in changes},
            )
        }
        for change in changes:
            started = _moment(change.started_at)
            key = (change.kind, change.tag_id, change.area_id, started)
            alarm = stored.get(key)
            if change.action == RAISE:
                if alarm is not None:
                    continue
                lon, lat = entry.site.lonlat(change.x, change.y)
                fence = entry.site.area(change.area_id) if change.area_id in entry.site.by_id else None
                alarm = Alarm(
                    region_id=enterprise.region_id,
                    enterprise=enterprise,
                    hazard_source_id=entry.hazard_sources.get(change.area_id),
                    tag_id=change.tag_id,
                    fence_id=change.area_id,
                    kind=change.kind,
                    level=change.level,
                    value=change.value,
                    threshold=change.threshold,
                    unit=change.unit,
                    started_at=started,
                    location=Point(lon, lat, srid=4326),
                    message=self.message(entry, change, fence.name if fence else "")[:300],
                )
                alarm.save()  # publishes its event on commit (layers.signals)
                stored[key] = alarm
                result.raised += 1
                continue
            if alarm is None or alarm.ended_at is not None:
                continue
            alarm.level, alarm.value, alarm.threshold = change.level, change.value, change.threshold
            fields = ["level", "value", "threshold"]
            if change.action == CLEAR:
                alarm.ended_at = _moment(change.ended_at)
                fields.append("ended_at")
                result.cleared += 1
            alarm.save(update_fields=fields)

    def message(self, entry: sites.Entry, change: Change, fence: str) -> str:
        """The alarm's message in the users' words: tag code (never the holder's name), fence, value and limit."""
        tag = entry.tags.get(change.tag_id)
        values = {
            "tag": tag.code if tag else "",
            "fence": fence or _("outside any fence"),
            "value": change.value,
            "threshold": change.threshold,
            "kmh": (change.value or 0.0) * 3.6,
            "limit_kmh": (change.threshold or 0.0) * 3.6,
            "radius": self.settings.crowd_radius_m,
            "duration": self.settings.crowd_duration_s,
        }
        texts = {
            "fence_entry": _("%(tag)s entered the restricted area %(fence)s"),
            "off_post": _("%(tag)s has been outside the work area %(fence)s for %(threshold).0f s"),
            "linger": _("%(tag)s has stayed in %(fence)s for %(threshold).0f s"),
            "static": _("%(tag)s has not moved for %(threshold).0f s in %(fence)s (possible fall)"),
            "overcrowd": _("%(fence)s: %(value).0f people inside (at most %(threshold).0f)"),
            "understaff": _("%(fence)s: %(value).0f people inside (at least %(threshold).0f)"),
            "crowd": _("%(value).0f people gathered within %(radius).0f m for more than %(duration).0f s (%(fence)s)"),
            "overspeed": _("%(tag)s: %(kmh).0f km/h (limit %(limit_kmh).0f km/h)"),
            "low_battery": _("%(tag)s: battery %(value).0f %% (below %(threshold).0f %%)"),
            "sos": _("%(tag)s: SOS"),
        }
        return texts[change.kind] % values


def _when_not_busy(function, *args):
    """``function(*args)``, called again after 0.1 s, 0.2 s … when the database was busy (the sites it touched
    are read again, ``Positioning._forgotten_on_error``); at once inside a caller's transaction."""
    for attempt in range(1, BUSY_ATTEMPTS + 1):
        try:
            return function(*args)
        except OperationalError:
            if attempt == BUSY_ATTEMPTS or connection.in_atomic_block:
                raise
            log.info("positioning: the database was busy; trying again")
            time.sleep(0.1 * attempt)
    raise AssertionError("unreachable")


def _within(ref: TagRef, scope: Scope) -> bool:
    if scope.enterprise_id is not None and ref.enterprise_id != scope.enterprise_id:
        return False
    return not scope.region_path or ref.region_path.startswith(scope.region_path)


class Ticker:
    """A daemon thread that ticks a ``Positioning`` every ``every_s`` seconds of the wall clock until stopped."""

    def __init__(self, positioning: Positioning, every_s: float = 1.0) -> None:
        self.positioning = positioning
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="positioning-tick", daemon=True)

    def _run(self) -> None:
        from django.db import close_old_connections, connection

        while not self._stop.wait(self.every_s):
            close_old_connections()
            try:
                self.positioning.tick(timezone.now())
            except Exception:
                log.exception("positioning: the rules could not be ticked")
        connection.close()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


_shared: Positioning | None = None
_shared_lock = threading.Lock()


def shared() -> Positioning:
    """The positioning of this process (MQTT listener, HTTP push and the ticker share it)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Positioning()
        return _shared


def forget(**_kwargs) -> None:
    """Connected to the save and delete signals of fences, rules, tags, grids and enterprises."""
    if _shared is not None:
        _shared.forget()
