"""The words of the data, in Chinese and English, for the front end: collection titles, attribute names
and the labels of coded values (``alarm_state`` ``hihi`` → 高高报 / high-high).

They come from the models' own ``verbose_name`` and ``choices`` (translated in ``locale/``), so the
map and the admin say the same thing; the front end keeps only its own interface words.
"""

from __future__ import annotations

from django.db.models import Choices
from django.utils import translation

from geo import models as geo
from geo import risk
from layers.registry import COLLECTIONS

LANGUAGES = {"zh": "zh-hans", "en": "en"}  # the front end's language codes → Django's

# Coded attributes of each collection and the choices that label their values.
CHOICES: dict[str, dict[str, type[Choices]]] = {
    "regions": {"level": geo.Region.Level},
    "enterprises": {"industry": geo.Enterprise.Industry},
    "hazard-sources": {
        "kind": geo.HazardSource.Kind,
        "registry_status": geo.HazardSource.RegistryStatus,
        "risk_level": risk.Level,
    },
    "equipment": {"kind": geo.Equipment.Kind, "tank_type": geo.Equipment.TankType, "storage": geo.Equipment.Storage},
    "sensors": {"kind": geo.Sensor.Kind, "alarm_state": geo.Sensor.AlarmState, "quality": geo.Quality},
    "alarms": {"kind": geo.Alarm.Kind, "level": geo.Alarm.Level, "state": geo.Alarm.State},
    "personnel": {"kind": geo.PersonnelTag.Kind},
    "fences": {"kind": geo.Fence.Kind},
    "layout-features": {"kind": geo.LayoutFeature.Kind},
    "consequence-zones": {"severity": geo.ConsequenceZone.Severity},
    "scenarios": {"kind": geo.Scenario.Kind},
    "emergency-resources": {"kind": geo.EmergencyResource.Kind},
    "sensitive-targets": {"kind": geo.SensitiveTarget.Kind},
    "users": {"role": geo.User.Role},
}


NAMING_PARTS = ("name", "name_cn", "code", "tag", "id")  # ``enterprise__name`` is named "enterprise"


def _field_name(model, lookup) -> str | None:
    """The name of an attribute: its field's verbose name; for ``relation__name`` (or code, tag, id) the
    relation's; for an expression its ``verbose_name``, if it has one (else None)."""
    if not isinstance(lookup, str):
        name = getattr(lookup, "verbose_name", None)
        return None if name is None else str(name)
    parts = lookup.split("__")
    first = model._meta.get_field(parts[0])
    if len(parts) > 1 and parts[-1] in NAMING_PARTS:
        return str(first.verbose_name)
    field = first
    for part in parts[1:]:
        field = field.related_model._meta.get_field(part)
    return str(field.verbose_name)


def _in_each_language(make) -> dict[str, object]:
    """``make()`` evaluated once per front-end language."""
    words = {}
    for short, code in LANGUAGES.items():
        with translation.override(code):
            words[short] = make()
    return words


def _words() -> dict[str, object]:
    collections = {cid: str(c.title) for cid, c in COLLECTIONS.items()}
    fields = {
        cid: {name: label for name in c.fields if (label := _field_name(c.model, c.fields[name])) is not None}
        for cid, c in COLLECTIONS.items()
    }
    choices = {
        cid: {attr: {str(value): str(label) for value, label in kind.choices} for attr, kind in attrs.items()}
        for cid, attrs in CHOICES.items()
    }
    return {"collections": collections, "fields": fields, "choices": choices}


def labels() -> dict[str, object]:
    """``{"zh": {...}, "en": {...}}``, each with ``collections`` (id → title), ``fields`` (id → attribute →
    name) and ``choices`` (id → attribute → value → label)."""
    return _in_each_language(_words)
