"""The live event stream: Server-Sent Events of feature changes in the user's scope (``/ogc/events``).

A client opens ``GET /ogc/events`` (``Accept: text/event-stream``), optionally with ``bbox`` (CRS84
west,south,east,north: only changes located there) and ``collections`` (comma-separated registry
ids). Each change recorded by ``geo.events.publish`` that the user may see is sent as one event
whose ``id`` is the event's id and whose ``data`` is JSON: collection, feature id, action, time,
the changed properties and the location. A client that reconnects sends the last id it saw
(``Last-Event-ID``, which browsers send on their own, or ``?lastEventId=``) and receives every
change after it that is still kept (``HAZMAP_EVENT_RETENTION_HOURS``); a new client starts with
the changes from the moment it connects.

One watcher per process asks the database for the newest event id every ``POLL_INTERVAL_S`` while
any client listens, and wakes the streams when it grows; each stream then reads its own events
through ``geo.events.since`` (which applies the user's scope). A comment line every
``KEEPALIVE_S`` keeps proxies from closing a quiet stream. The stream ends when the client goes
(the ASGI server cancels it).

A stream holds no database connection while it waits: the reads run in worker threads that serve
no request, so each read hands its thread's connection back afterwards (``released``: to the
connection pool, or closed once older than ``CONN_MAX_AGE``), and so does the request's own thread
once the user is known. Otherwise every open stream would keep connections of the pool.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from http import HTTPStatus
from typing import TypeVar

from asgiref.sync import sync_to_async
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, connections
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from geo import events as geo_events
from geo.models import Event
from layers import params
from layers.auth import TOKEN_PARAMETER, AuthenticationFailed, arequest_user
from layers.registry import COLLECTIONS

logger = logging.getLogger(__name__)
T = TypeVar("T")

POLL_INTERVAL_S = 0.2  # how often the watcher looks for new events (the map should show a change within 0.5 s)
KEEPALIVE_S = 15.0  # a comment line after this long without events
RETRY_MS = 1000  # how long a browser waits before reconnecting
BATCH = 500  # events read per query
HOLE_WAIT_S = 10.0  # how long a missing event id is awaited (a transaction committing late)
MAX_HOLES = 10_000  # missing ids tracked at most (more: a bulk delete or reset, not late commits)
MAX_SCAN = 50_000  # new event ids read per poll
MAX_LATE = 1_000  # late events remembered for streams
ALLOWED = frozenset({"bbox", "collections", "lastEventId", "f", TOKEN_PARAMETER})


def release_connections() -> None:
    """Hand this thread's database connections back, as Django does at the end of a request (to the
    pool; without one, closed once older than ``CONN_MAX_AGE``); never one inside a transaction."""
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


def released(function: Callable[..., T]) -> Callable[..., T]:
    """``function`` made to hand its thread's database connections back when it returns."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs) -> T:
        try:
            return function(*args, **kwargs)
        finally:
            release_connections()

    return wrapper


class Watcher:
    """Knows the newest event id of the database, polling it while streams wait for news.

    Event ids come from a sequence, so a transaction that commits late can add an event below ids
    already seen (PostgreSQL with several writers). The watcher keeps the ids missing between those
    it has seen for ``HOLE_WAIT_S``; when one appears it is listed in ``late`` (with a sequence
    number) so that streams already past it send it too.
    """

    def __init__(self) -> None:
        self.latest: int | None = None
        self.sequence = 0
        self.late: list[tuple[int, int]] = []  # (sequence, event id), newest last
        self._holes: dict[int, float] = {}  # missing id → when it was first missed (monotonic s)
        self._changed: asyncio.Condition | None = None
        self._task: asyncio.Task | None = None
        self._waiting = 0

    async def wait(self, latest: int, sequence: int, timeout: float) -> bool:
        """Wait until an event newer than ``latest`` or a late one after ``sequence`` is known; False on timeout."""
        if self._changed is None:
            self._changed = asyncio.Condition()
        self._waiting += 1
        try:
            if self._task is None or self._task.done():
                self._task = asyncio.get_running_loop().create_task(self._poll())
            async with self._changed:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: (self.latest or 0) > latest or self.sequence > sequence), timeout
                )
            return True
        except TimeoutError:
            return False
        finally:
            self._waiting -= 1

    async def _poll(self) -> None:
        while self._waiting > 0:
            changed = await sync_to_async(released(self.scan), thread_sensitive=False)()
            if changed:
                async with self._changed:
                    self._changed.notify_all()
            await asyncio.sleep(POLL_INTERVAL_S)

    def scan(self) -> bool:
        """Look for new and late events (a few indexed queries); True when there is something to read."""
        try:
            return self._scan()
        except DatabaseError:
            logger.warning("the event watcher could not read the database; it tries again", exc_info=True)
            connection.close()  # this thread's connection; the next scan opens a fresh one
            return False

    def _scan(self) -> bool:
        now = time.monotonic()
        if self.latest is None:
            self.latest = newest_event_id()
            return True
        changed = False
        if self._holes:
            appeared = set(Event.objects.filter(id__in=list(self._holes)).values_list("id", flat=True))
            for event_id in sorted(appeared):
                self.sequence += 1
                self.late.append((self.sequence, event_id))
                changed = True
            self._holes = {i: t for i, t in self._holes.items() if i not in appeared and now - t < HOLE_WAIT_S}
            del self.late[:-MAX_LATE]
        new = list(Event.objects.filter(id__gt=self.latest).order_by("id").values_list("id", flat=True)[:MAX_SCAN])
        if new:
            expected = range(self.latest + 1, new[-1])
            if len(expected) - len(new) < MAX_HOLES:
                present = set(new)
                self._holes.update((i, now) for i in expected if i not in present)
            self.latest = new[-1]
            changed = True
        elif newest_event_id() < self.latest:  # the table was emptied or its ids reset
            self.latest, self._holes = newest_event_id(), {}
            changed = True
        return changed


_watchers: dict[asyncio.AbstractEventLoop, Watcher] = {}


def watcher() -> Watcher:
    """The watcher of the running event loop (one per ASGI worker)."""
    loop = asyncio.get_running_loop()
    if loop not in _watchers:
        _watchers.clear()  # a new loop (tests, restarts): the old one's watcher is gone with it
        _watchers[loop] = Watcher()
    return _watchers[loop]


def newest_event_id() -> int:
    """The id of the newest event in the database (0 when there is none)."""
    return Event.objects.aggregate(newest=Max("id"))["newest"] or 0


def message(event: Event) -> str:
    """One event as an SSE message (``id:`` and one ``data:`` line of JSON)."""
    data = {
        "collection": event.collection,
        "id": event.feature_id,
        "action": event.action,
        "time": event.time,
        "properties": event.properties,
        "geometry": {"type": "Point", "coordinates": [event.location.x, event.location.y]} if event.location else None,
    }
    return f"id: {event.id}\ndata: {json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)}\n\n"


def _read(last_id: int, late: list[int], user, bbox, collections: list[str] | None) -> tuple[list, list]:
    """The user's events that arrived late (ids in ``late``), and up to ``BATCH`` after ``last_id``.

    A database error ends the stream (the browser reconnects with its Last-Event-ID); the broken
    connection is closed first so that the next stream opens a fresh one.
    """
    try:
        return _read_rows(last_id, late, user, bbox, collections)
    except DatabaseError:
        connection.close()
        raise


def _read_rows(last_id: int, late: list[int], user, bbox, collections: list[str] | None) -> tuple[list, list]:
    rows = geo_events.since(0, user, bbox)
    if collections:
        rows = rows.filter(collection__in=collections)
    late_rows = [(event.id, message(event)) for event in rows.filter(id__in=late)] if late else []
    return late_rows, [(event.id, message(event)) for event in rows.filter(id__gt=last_id)[:BATCH]]


async def _messages(user, start: int, bbox, collections: list[str] | None) -> AsyncIterator[str]:
    # The id sets the browser's Last-Event-ID before any event, so a client that loses the connection
    # before its first event still resumes from where it started and misses nothing.
    yield f"retry: {RETRY_MS}\nid: {start}\n: connected\n\n"
    hub = watcher()
    last_id, seen, sequence = start, start, hub.sequence
    while True:
        latest, newest_sequence = hub.latest or 0, hub.sequence
        late = [event_id for s, event_id in hub.late if s > sequence and event_id <= last_id]
        sequence = newest_sequence
        late_rows, batch = await sync_to_async(released(_read), thread_sensitive=False)(
            last_id, late, user, bbox, collections
        )
        for _event_id, text in late_rows:
            yield text
        for event_id, text in batch:
            yield text
            last_id = event_id
        if len(batch) >= BATCH:
            continue
        seen = max(seen, latest, last_id)
        if not await hub.wait(seen, sequence, KEEPALIVE_S):
            yield ": keep-alive\n\n"


def _error(status: int, code: str, description: str) -> HttpResponse:
    from layers.views import exception  # the views import pygeoapi, which this module does not need

    return exception(status, code, description)


def _start(request: HttpRequest) -> int | None:
    text = request.headers.get("Last-Event-ID") or request.GET.get("lastEventId")
    if text is None or text == "":
        return None
    try:
        value = int(text)
    except ValueError:
        raise params.BadParameter(_("Last-Event-ID must be an event id (a whole number).")) from None
    if not 0 <= value <= params.BIGGEST_INTEGER:
        raise params.BadParameter(_("Last-Event-ID must be an event id (a whole number)."))
    return value


async def events(request: HttpRequest) -> HttpResponse:
    """The SSE stream of feature changes the user may see (see the module docstring)."""
    if request.method not in ("GET", "HEAD"):
        response = _error(HTTPStatus.METHOD_NOT_ALLOWED, "MethodNotAllowed", _("Use GET here."))
        response["Allow"] = "GET, HEAD"
        return response
    try:
        user = await arequest_user(request)
    except AuthenticationFailed as error:
        return _error(HTTPStatus.UNAUTHORIZED, "InvalidToken", str(error))
    await sync_to_async(release_connections)()  # the request's thread, which found the user, waits without one
    if not (user.is_authenticated and user.is_active):
        return _error(
            HTTPStatus.UNAUTHORIZED, "Unauthorized", _("Sign in, or send an API token, to follow live changes.")
        )
    try:
        params.check_known(request.GET, ALLOWED)
        bbox = params.parse_bbox(request.GET["bbox"]) if "bbox" in request.GET else None
        collections = None
        if request.GET.get("collections"):
            collections = [c.strip() for c in request.GET["collections"].split(",")]
            unknown = [c for c in collections if c not in COLLECTIONS]
            if unknown:
                raise params.BadParameter(
                    _("collections: unknown collection “%(id)s”; use ids from /ogc/collections.") % {"id": unknown[0]}
                )
        start = _start(request)
    except params.BadParameter as error:
        return _error(HTTPStatus.BAD_REQUEST, "InvalidParameterValue", str(error))
    if start is None:
        start = await sync_to_async(released(newest_event_id), thread_sensitive=False)()
    response = StreamingHttpResponse(_messages(user, start, bbox, collections), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response
