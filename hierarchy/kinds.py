"""The kinds of rows a centre forwards to its parent: how each is named, written down and applied.

A change is one JSON object, one chunk of an uplink message::

    {"kind": "hazard_source", "op": "upsert", "ref": "42",
     "key": {"enterprise": "91310116000000001X", "code": "HS01"},
     "data": {"enterprise": {"credit_code": "91310116000000001X"}, "code": "HS01", "name": "…",
              "footprint": "0106000020E6100000…", "gb_grade": 2, "registry_status": "registered", …}}

``ref`` is the row's id at the child; ``key`` its natural key, by which another centre knows the row
(an enterprise's credit code; a hazard source's enterprise and code; a piece of equipment's
enterprise, source and tag number; a substance's CAS number, or its Chinese name without one);
``data`` every forwarded field as stored, references to other rows by their natural keys,
geometries as hex EWKB (exact), times in ISO 8601 with their offset. A delete carries no ``data``.

At the parent a child's row is found by ``Replica`` (child, kind, ref) — so a renamed code or a
change sent twice finds the same row — else by its natural key (a row the parent already holds is
adopted, not doubled), else it is created. Applying a change again changes nothing.

Each kind is one ``Kind`` subclass: its model, the foreign keys and the kinds they refer to, the
fields that stay home, how to find a row by its natural key, and its rules at the parent. Adding a
kind (the registry's history steps, alarm handling records) is one subclass in ``KINDS``; the
centres' periodic summaries (``hierarchy.summary``) are one (``SummaryKind``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import JSONField, Model, QuerySet
from django.utils import timezone

from geo.audit import Refused
from geo.models import Alarm, AuditEntry, Enterprise, Equipment, HazardSource, Region, Replica, Substance, Summary

UPSERT, DELETE = "upsert", "delete"


@dataclass(frozen=True)
class Sender:
    """The child centre a change came from: its code and the region (path) its rows must lie in."""

    code: str
    region: Region

    @property
    def path(self) -> str:
        return self.region.path


def outside(reason: str) -> Refused:
    return Refused(reason, code="OutsideRegion", status=HTTPStatus.FORBIDDEN)


def unknown(reason: str) -> Refused:
    return Refused(reason, code="UnknownReference", status=HTTPStatus.CONFLICT)


def follow(row: Any, lookup: str) -> Any:
    """Follow an ORM lookup (``hazard_source__enterprise__region__path``) on an instance; None if a link is missing."""
    for name in lookup.split("__"):
        if row is None:
            return None
        try:
            row = getattr(row, name)
        except ObjectDoesNotExist:
            return None
    return row


def dump_value(field, value: Any) -> Any:
    """A field's value as JSON: geometries as hex EWKB, times and dates in ISO 8601."""
    if value is None:
        return None
    if isinstance(field, GeometryField):
        return value.hexewkb.decode()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def load_value(field, raw: Any) -> Any:
    """The inverse of ``dump_value``."""
    if raw is None:
        return None
    if isinstance(field, GeometryField):
        return GEOSGeometry(raw)
    if isinstance(field, JSONField):
        return raw
    return field.to_python(raw)


class Kind:
    """One kind of forwarded row. Subclasses set the class attributes and ``key``/``find``."""

    name: str = ""
    model: type[Model]
    refs: dict[str, str] = {}  # foreign key → the kind of the row it refers to ("region": by code)
    home: tuple[str, ...] = ()  # fields that are not forwarded
    related: tuple[str, ...] = ()  # select_related when a row is read for sending
    adopt = True  # a row the parent does not know as a replica is looked for by its natural key

    # --- both sides ------------------------------------------------------------------------------

    def key(self, row: Model) -> dict | None:
        """The row's natural key (None: the kind has none, rows are known by (child, id) only)."""
        return None

    def find(self, key: dict) -> Model | None:
        """The local row of that natural key."""
        return None

    def fields(self) -> list:
        """The forwarded fields other than references: every concrete field but the id and ``home``."""
        return [
            f
            for f in self.model._meta.concrete_fields
            if not f.primary_key and not f.is_relation and f.name not in self.home
        ]

    # --- child side ------------------------------------------------------------------------------

    def region_path(self, row: Model) -> str | None:
        """The path of the region the row lies in (None: it belongs to no region)."""
        lookup = getattr(self.model, "scope_region", "")
        return follow(row, lookup) if lookup else None

    def dump(self, row: Model) -> dict:
        """The ``data`` of an upsert of ``row``."""
        data = {f.name: dump_value(f, getattr(row, f.attname)) for f in self.fields()}
        for name, kind in self.refs.items():
            target = follow(row, name)
            data[name] = None if target is None else reference_key(kind, target)
        return data

    def change(self, row: Model, op: str) -> dict:
        """The change to send for ``row``: an upsert of it as it is stored, or its delete."""
        try:
            key = self.key(row)
        except ObjectDoesNotExist:  # deleted after the row it belonged to, in one cascade
            key = None
        change = {"kind": self.name, "op": op, "ref": str(row.pk), "key": key}
        if op == UPSERT:
            change["data"] = self.dump(row)
        return change

    def to_resync(self, rows: QuerySet) -> QuerySet:
        """Which of ``rows`` (this centre's region's) a resync queues again: all of them."""
        return rows

    def stored(self, pk: int) -> Model | None:
        """The row as stored now, with what its key and references need."""
        return self.model._default_manager.select_related(*self.related).filter(pk=pk).first()

    # --- parent side -----------------------------------------------------------------------------

    def local(self, change: dict, replica: Replica | None) -> Model | None:
        """The local row of a child's row: by its replica, else (``adopt``) by its natural key."""
        if replica is not None:
            if replica.local_id is None:
                return None  # deleted
            row = self.model._default_manager.filter(pk=replica.local_id).first()
            if row is not None:
                return row
        if self.adopt and change.get("key"):
            return self.find(change["key"])
        return None

    def check_region(self, sender: Sender, row: Model, what: str) -> None:
        """``Refused`` unless ``row`` lies in the child's region (kinds of no region pass)."""
        lookup = getattr(self.model, "scope_region", "")
        if not lookup:
            return
        path = follow(row, lookup)
        if not path or not path.startswith(sender.path):
            raise outside(
                f"{what} lies in region {path or '(none)'}, outside child centre {sender.code}'s {sender.path}"
            )

    def assign(self, row: Model, data: dict, sender: Sender) -> None:
        """Set ``row``'s fields from ``data``, references resolved to local rows by their natural keys."""
        for field in self.fields():
            if field.name in data:
                setattr(row, field.attname, load_value(field, data[field.name]))
        for name, kind in self.refs.items():
            if name not in data:
                continue
            key = data[name]
            target = None if key is None else resolve(kind, key)
            if key is not None and target is None:
                raise unknown(f"the {kind.replace('_', ' ')} {describe(key)} of this {self.name} is not known here")
            setattr(row, name, target)

    def upsert(self, sender: Sender, change: dict, replica: Replica | None) -> Model:
        """Create or update the local row of ``change``; the row. A row the change leaves as it was is not saved."""
        row = self.local(change, replica)
        what = f"{self.name} {describe(change.get('key') or change['ref'])}"
        if row is None:
            row = self.model()
        else:
            self.check_region(sender, row, what)
        before = values(row)
        self.assign(row, change.get("data") or {}, sender)
        self.check_region(sender, row, what)
        if row.pk is None or values(row) != before:
            row.save()
        return row

    def delete(self, sender: Sender, change: dict, replica: Replica | None) -> None:
        """Delete the local row of ``change`` if there is one."""
        row = self.local(change, replica)
        if row is not None:
            self.check_region(sender, row, f"{self.name} {describe(change.get('key') or change['ref'])}")
            row.delete()


def values(row: Model) -> dict:
    """Every stored value of ``row`` (to tell whether a change changed it)."""
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}


def describe(key: Any) -> str:
    if isinstance(key, dict):
        return "/".join(str(v) for v in key.values())
    return str(key)


class SubstanceKind(Kind):
    """Substances are the parent's reference data, shared by all its children: one unknown here is created from
    the child's row; one the parent holds is left as it is (a child cannot change what other regions' grades
    rest on; the child's grades arrive with its hazard sources); a child's delete removes nothing."""

    name = "substance"
    model = Substance

    def key(self, row: Substance) -> dict:
        return {"cas": row.cas} if row.cas else {"name_cn": row.name_cn}

    def find(self, key: dict) -> Substance | None:
        if key.get("cas"):
            return Substance.objects.filter(cas=key["cas"]).order_by("pk").first()
        return Substance.objects.filter(name_cn=key.get("name_cn")).first()

    def upsert(self, sender: Sender, change: dict, replica: Replica | None) -> Model:
        return self.local(change, replica) or super().upsert(sender, change, None)

    def delete(self, sender: Sender, change: dict, replica: Replica | None) -> None:
        return None


class EnterpriseKind(Kind):
    name = "enterprise"
    model = Enterprise
    refs = {"region": "region"}
    related = ("region",)

    def key(self, row: Enterprise) -> dict:
        return {"credit_code": row.credit_code}

    def find(self, key: dict) -> Enterprise | None:
        return Enterprise.objects.filter(credit_code=key.get("credit_code")).first()


class HazardSourceKind(Kind):
    """A hazard source with its registry status and GB 18218 grade as the child graded it."""

    name = "hazard_source"
    model = HazardSource
    refs = {"enterprise": "enterprise"}
    related = ("enterprise__region",)

    def key(self, row: HazardSource) -> dict:
        return {"enterprise": row.enterprise.credit_code, "code": row.code}

    def find(self, key: dict) -> HazardSource | None:
        return HazardSource.objects.filter(enterprise__credit_code=key.get("enterprise"), code=key.get("code")).first()


class EquipmentKind(Kind):
    """A tank, warehouse room or process unit; its live inventory stays home (live readings are asked for)."""

    name = "equipment"
    model = Equipment
    refs = {"hazard_source": "hazard_source", "substance": "substance"}
    home = ("inventory_kg",)
    related = ("hazard_source__enterprise__region", "substance")

    def key(self, row: Equipment) -> dict:
        source = row.hazard_source
        return {"enterprise": source.enterprise.credit_code, "source": source.code, "code": row.code}

    def find(self, key: dict) -> Equipment | None:
        return Equipment.objects.filter(
            hazard_source__enterprise__credit_code=key.get("enterprise"),
            hazard_source__code=key.get("source"),
            code=key.get("code"),
        ).first()


class AlarmKind(Kind):
    """An alarm and its handling state; known at the parent by (child centre, the child's alarm id). Its sensor,
    tag and fence stay home (the parent holds no sensors of its children); its hazard source comes along."""

    name = "alarm"
    model = Alarm
    refs = {"region": "region", "enterprise": "enterprise", "hazard_source": "hazard_source"}
    home = ("sensor", "tag", "fence")
    related = ("region", "enterprise", "hazard_source__enterprise")
    adopt = False


class AuditKind(Kind):
    """An audit entry (a step taken or refused), only ever added: known by (child centre, the child's id).

    Its actor is no local user: ``actor_name`` becomes ``{child code}/{name}`` at the first parent (and
    ``detail.centre`` names that child); the object it is about is the local replica of the child's row.
    """

    name = "audit"
    model = AuditEntry
    refs = {"region": "region", "enterprise": "enterprise"}
    home = ("actor",)
    related = ("region", "enterprise")
    adopt = False

    def upsert(self, sender: Sender, change: dict, replica: Replica | None) -> Model:
        known = self.local(change, replica)
        if known is not None:
            return known  # entries are never changed
        data = dict(change.get("data") or {})
        detail = dict(data.get("detail") or {})
        if "centre" not in detail:
            detail["centre"] = sender.code
            data["actor_name"] = f"{sender.code}/{data.get('actor_name') or ''}"
        detail.setdefault("origin_id", change["ref"])
        data["detail"] = detail
        enterprise = data.get("enterprise")
        if enterprise is not None and resolve("enterprise", enterprise) is None:
            data["enterprise"] = None  # an entry about an enterprise not (yet) here keeps its region
        entry = AuditEntry()
        self.assign(entry, data, sender)
        if entry.region_id is None:
            entry.region = sender.region
        entry.object_id = self.local_object_id(sender, entry.object_type, entry.object_id)
        self.check_region(sender, entry, f"audit entry {change['ref']}")
        entry.save()
        if data.get("time"):  # auto_now_add set the time of arrival: keep the time of the step
            time = load_value(AuditEntry._meta.get_field("time"), data["time"])
            AuditEntry.objects.filter(pk=entry.pk).update(time=time)
        return entry

    def local_object_id(self, sender: Sender, object_type: str, object_id: str) -> str:
        """The local id of the row the entry is about, when it is a forwarded row ("" if it is not here)."""
        kind = KIND_OF_LABEL.get(object_type)
        if kind is None or not object_id:
            return object_id
        replica = Replica.objects.filter(origin=sender.code, kind=kind, ref=object_id).first()
        return str(replica.local_id) if replica else ""

    def delete(self, sender: Sender, change: dict, replica: Replica | None) -> None:
        return None  # nor deleted


class SummaryKind(Kind):
    """A centre's summary of its region (``hierarchy.summary``), only ever added: known by the centre that made
    it and its time (``period_end``), so it is stored once however often it arrives, by whichever child.

    Its region must lie in the sending child's; ``received_from`` and ``received_at`` are the receiving
    centre's own (the child it came from, when). A summary of the wrong form is refused with what is wrong.
    """

    name = "summary"
    model = Summary
    refs = {"region": "region"}
    home = ("received_from", "received_at")
    related = ("region",)

    TEXTS = ("centre", "period_start", "period_end")

    def key(self, row: Summary) -> dict:
        return {"centre": row.centre, "period_end": row.period_end.isoformat()}

    def find(self, key: dict) -> Summary | None:
        end = load_value(Summary._meta.get_field("period_end"), key.get("period_end"))
        return Summary.objects.filter(centre=key.get("centre"), period_end=end).first()

    def check_form(self, change: dict) -> None:
        """``ValidationError`` unless the change's data has the types of a summary and its key is the data's."""
        data = change["data"]
        for name in self.TEXTS:
            if not isinstance(data.get(name), str) or not data[name]:
                raise ValidationError(f"a summary's {name} must be a non-empty text, not {data.get(name)!r}")
        region = data.get("region")
        if not isinstance(region, dict) or not isinstance(region.get("code"), str):
            raise ValidationError(f'a summary\'s region must be {{"code": …}}, not {region!r}')
        if change.get("key") != {"centre": data["centre"], "period_end": data["period_end"]}:
            raise ValidationError(f"a summary's key {change.get('key')!r} is not its centre and period_end")

    def to_resync(self, rows: QuerySet) -> QuerySet:
        """The latest summary of each centre only: the history a parent lacks is not sent again (a province's
        children's hourly summaries are near a million rows a year); a new summary follows (``forward.resync``)."""
        return rows.latest_of_each_centre()

    def upsert(self, sender: Sender, change: dict, replica: Replica | None) -> Model:
        self.check_form(change)
        known = self.local(change, replica)
        if known is not None:
            return known  # summaries are never changed
        summary = Summary(received_from=sender.code, received_at=timezone.now())
        self.assign(summary, change["data"], sender)
        self.check_region(sender, summary, f"summary {describe(change['key'])}")
        summary.save()
        return summary

    def delete(self, sender: Sender, change: dict, replica: Replica | None) -> None:
        return None  # nor deleted


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        SubstanceKind(),
        EnterpriseKind(),
        HazardSourceKind(),
        EquipmentKind(),
        AlarmKind(),
        AuditKind(),
        SummaryKind(),
    )
}
BY_MODEL: dict[type[Model], Kind] = {kind.model: kind for kind in KINDS.values()}
KIND_OF_LABEL = {kind.model._meta.label_lower: kind.name for kind in KINDS.values()}


def reference_key(kind: str, row: Model) -> dict:
    """How a reference to ``row`` (of ``kind``, or a region) is written: its natural key."""
    if kind == "region":
        return {"code": row.code}
    return KINDS[kind].key(row)


def resolve(kind: str, key: dict) -> Model | None:
    """The local row a reference names."""
    if kind == "region":
        return Region.objects.filter(code=key.get("code")).first()
    return KINDS[kind].find(key)
