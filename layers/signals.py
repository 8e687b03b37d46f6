"""Every save and delete of a registry model publishes an event, so the live stream and tile versions follow.

This is the one general way a change reaches the map: whatever saves or deletes a row of a
collection of ``layers.registry`` (the admin, a form, the shell, another app's code) sends Django's
``post_save`` or ``post_delete``, connected here for each collection's model (``connect``, called
by ``LayersConfig.ready``):

- a save publishes ``create`` or ``update`` whose properties are the collection's public
  attributes as stored (``Collection.values``, without the geometry) and whose location is the
  feature's point (a point on the surface of an area);
- a delete publishes ``delete`` with no properties, its scope and location taken from the row as
  it was;
- a save of a row that tiles of another collection show through a relation (a substance's name is
  in the tiles of the equipment holding it: ``tile_dependents``) publishes ``update`` of those rows.

Events are written when the transaction commits (``transaction.on_commit``), in statements of their
own: an event's id is drawn only after the change is visible to every reader, so a tile rendered
at version v (``tiles.versions``: the latest event id) holds every change whose event id is ≤ v. A
change rolled back publishes nothing.

Writes that bypass ``save()`` and ``delete()`` send no signal — ``QuerySet.update``,
``bulk_create``, raw SQL, such as acquisition's ingest of live values — and publish their own
events with ``geo.events.publish_many``; a row saved with ``save()`` must not be published again
by hand.
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Iterable

from django.contrib.gis.geos import GEOSGeometry, Point
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from geo.events import event_for
from geo.models import Event
from layers.registry import COLLECTIONS, Collection

log = logging.getLogger(__name__)

BY_MODEL: dict[type[Model], Collection] = {entry.model: entry for entry in COLLECTIONS.values()}


def point_of(geometry: GEOSGeometry | None) -> Point | None:
    """Where an event about a feature lies: the point itself, or a point on the surface of a line or area."""
    if geometry is None or geometry.empty:
        return None
    return geometry if isinstance(geometry, Point) else geometry.point_on_surface


def scope_relations(model: type[Model]) -> list[str]:
    """The relations ``event_for`` follows to a row's scope (``hazard_source__enterprise__region``)."""
    lookups = (getattr(model, "scope_region", ""), getattr(model, "scope_enterprise", None) or "")
    return sorted({lookup.rsplit("__", 1)[0] for lookup in lookups if "__" in lookup})


def publish_stored(entry: Collection, pks: Iterable[int], action: str, using: str = "default") -> list[Event]:
    """Publish the rows ``pks`` of ``entry`` as they are stored now, in three statements whatever their number.

    Rows gone since are left out (their delete publishes that).
    """
    rows = entry.model._default_manager.using(using).filter(pk__in=list(pks))
    values = {row["pk"]: row for row in entry.values(rows)}
    events = []
    for feature in rows.select_related(*scope_relations(entry.model)):
        properties = dict(values[feature.pk])
        geometry = properties.pop(entry.geometry_field)
        del properties["pk"]
        events.append(event_for(entry.id, feature, properties, action, point_of(geometry)))
    return Event.objects.using(using).bulk_create(events)


def publish_bulk_load(using: str = "default") -> list[Event]:
    """After a bulk write that sent no signals (``hazmap load-demo``), one event per collection.

    A load publishes no event per row (hundreds of thousands would flood every stream). Instead the newest row of
    each collection is published as created: that moves the version of every tileset (``tiles.versions``), so no
    tile cached before the load is taken as current, and a connected map in its scope learns that features came
    (the command view then reloads its tiles). A collection left empty (a ``--replace`` that loads none of its
    rows) gets a deletion with no feature and no scope, which moves its version and reaches no map.
    """
    events = []
    for entry in COLLECTIONS.values():
        newest = entry.model._default_manager.using(using).order_by("-pk").values_list("pk", flat=True).first()
        if newest is not None:
            events += publish_stored(entry, [newest], Event.Action.CREATE, using)
        else:
            events.append(
                Event.objects.using(using).create(collection=entry.id, feature_id=0, action=Event.Action.DELETE)
            )
    return events


def tile_dependents() -> dict[type[Model], list[tuple[Collection, str]]]:
    """Models whose rows the tiles of a collection show through a relation: model → (collection, relation).

    From the registry's ``tile_fields``: equipment tiles carry ``substance__name_cn``, so a save of a
    substance publishes the equipment holding it.
    """
    dependents: dict[type[Model], list[tuple[Collection, str]]] = defaultdict(list)
    for entry in COLLECTIONS.values():
        for name in entry.tile_fields:
            lookup = entry.fields[name]
            if not isinstance(lookup, str) or "__" not in lookup:
                continue
            relation = lookup.split("__", 1)[0]
            related = entry.model._meta.get_field(relation).related_model
            if (entry, relation) not in dependents[related]:
                dependents[related].append((entry, relation))
    return dict(dependents)


DEPENDENTS = tile_dependents()


def saved(sender: type[Model], instance: Model, created: bool, using: str, **_kwargs) -> None:
    """``post_save``: publish the row, and the rows whose tiles show it, once the transaction commits."""
    if sender in BY_MODEL:
        action = Event.Action.CREATE if created else Event.Action.UPDATE
        publish = functools.partial(publish_stored, BY_MODEL[sender], [instance.pk], action, using)
        transaction.on_commit(publish, using=using, robust=True)
    if created:
        return  # nothing refers to a new row yet
    for entry, relation in DEPENDENTS.get(sender, ()):
        showing = entry.model._default_manager.using(using).filter(**{relation: instance.pk})
        pks = list(showing.values_list("pk", flat=True))
        if pks:
            publish = functools.partial(publish_stored, entry, pks, Event.Action.UPDATE, using)
            transaction.on_commit(publish, using=using, robust=True)


def deleted(sender: type[Model], instance: Model, using: str, **_kwargs) -> None:
    """``post_delete``: publish the deletion once the transaction commits, with the scope the row had."""
    entry = BY_MODEL[sender]
    location = point_of(getattr(instance, entry.geometry_field))
    try:
        event = event_for(entry.id, instance, {}, Event.Action.DELETE, location)
    except ObjectDoesNotExist:  # a row it belonged to went first in the same cascade: only superusers see it
        log.warning("%s %s deleted after the rows it belonged to; its event carries no scope", entry.id, instance.pk)
        event = Event(collection=entry.id, feature_id=instance.pk, action=Event.Action.DELETE, location=location)
    transaction.on_commit(functools.partial(event.save, using=using), using=using, robust=True)


def connect() -> None:
    """Connect ``saved`` and ``deleted`` to the model of every collection, and ``saved`` to their dependents'."""
    for model, entry in BY_MODEL.items():
        post_save.connect(saved, sender=model, dispatch_uid=f"layers-publish-save-{entry.id}")
        post_delete.connect(deleted, sender=model, dispatch_uid=f"layers-publish-delete-{entry.id}")
    for model in DEPENDENTS.keys() - BY_MODEL.keys():
        post_save.connect(saved, sender=model, dispatch_uid=f"layers-publish-save-{model._meta.label_lower}")
