"""Load the demo data into the database: one transaction, every object validated, bulk inserts.

``load(scale, seed, replace)`` writes, in one ``transaction.atomic()``: the substances of
``geo/data/substances.json``, then park after park (``geo.demo.generated.plans``) the regions it needs
and its objects, stage by stage (enterprises, hazard sources, equipment, sensors, fences, tags,
emergency resources, sensitive targets) — at the nation scale followed by a year of its history
(``geo.demo.history``: alarms, hidden dangers, inspections, accidents) — and finally the demo accounts.
It stops adding parks once the scale's number of hazard sources is reached (``generated.SOURCE_TARGETS``).

Validation is the models' own, made cheap enough for 600,000 sensors (``validate``): ``full_clean``
runs field validators and ``clean()`` on every object, while the two checks that cost one query per
object are done in bulk instead — that a foreign key points at a saved row (it points at an object of
this load, saved in an earlier stage, or an existing row) and the unique fields and unique constraints
(checked within the load and against the table with one query per 500 values). Any invalid object
raises ``DemoDataError`` naming it; the transaction is rolled back and nothing stays written.

Hazard sources are graded in memory before they are inserted (``geo.demo.park.grade_in_memory``, the
same holdings and the same ``geo.gb18218.identify`` as ``geo.grading.regrade``).
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from django.contrib.auth.models import Permission
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from geo.demo import generated, history, park, shanghai
from geo.demo.frame import as_multipolygon
from geo.demo.regions import RegionSpec
from geo.models import (
    Accident,
    Alarm,
    AuditEntry,
    ConsequenceZone,
    EmergencyResource,
    Enterprise,
    Equipment,
    Fence,
    HazardSource,
    HiddenDanger,
    Inspection,
    PersonnelTag,
    Position,
    Reading,
    Region,
    RegistryEvent,
    Scenario,
    SensitiveTarget,
    Sensor,
    Substance,
    User,
)

DEFAULT_SEED = 2019
SUBSTANCES_FILE = Path(__file__).resolve().parent.parent / "data" / "substances.json"
PASSWORD = "hazmap-demo"
DEMO_USERS = ("admin", "shanghai", "regulator", "park", "inspector", "planner", "operator")
BATCH_SIZE = 1000
UNIQUE_QUERY_CHUNK = 500

# What --replace deletes, children before parents.
DATA_MODELS = (
    AuditEntry,
    Reading,
    Position,
    Alarm,
    Accident,
    HiddenDanger,
    Inspection,
    ConsequenceZone,
    Scenario,
    Sensor,
    Fence,
    PersonnelTag,
    Equipment,
    RegistryEvent,
    HazardSource,
    EmergencyResource,
    SensitiveTarget,
    Enterprise,
    Region,
    Substance,
)


class DemoDataError(Exception):
    """The demo data cannot be loaded; the message says why and names the object."""


@dataclass
class Report:
    """What a load wrote (rows per model) and where the time went (seconds per stage)."""

    scale: str
    seed: int
    counts: Counter = field(default_factory=Counter)
    seconds: defaultdict = field(default_factory=lambda: defaultdict(float))
    parks: int = 0
    total_seconds: float = 0.0


def load(
    scale: str = "park",
    seed: int = DEFAULT_SEED,
    replace: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Load the demo data of ``scale`` ("park", "province" or "nation") drawn with ``seed``.

    With ``replace``, every geo row (and the demo accounts) is deleted first, in the same transaction;
    without it, a database that already holds enterprises, regions or substances is refused.
    """
    if scale not in generated.SCALES:
        raise DemoDataError(f"unknown scale {scale!r}; choose one of {', '.join(generated.SCALES)}")
    say = progress or (lambda message: None)
    report = Report(scale, seed)
    started = time.perf_counter()
    graded_at = timezone.now()
    with transaction.atomic():
        if replace:
            _delete_all(report, say)
        else:
            _refuse_if_loaded()
        substances = _load_substances(report)
        say(f"substances: {len(substances)}")
        known: dict[str, Region] = {}
        counters = park.Counters()
        target = generated.SOURCE_TARGETS[scale]
        step = 10 if scale == "nation" else 1
        first: park.ParkData | None = None
        for plan in generated.plans(scale, seed):
            chain = _regions(plan.chain, known, report)
            clock = time.perf_counter()
            data = park.build(plan.spec, chain[-1], chain[-2], substances, plan.rng, counters, graded_at)
            past_rng = random.Random(f"{seed}:history:{chain[-1].code}")  # leaves the park's own draws alone
            history.possible_deaths(data.sources, past_rng)
            report.seconds["build"] += time.perf_counter() - clock
            for stage, objects in data.stages():
                _insert(objects, stage, report)
            if scale in history.HISTORY_SCALES:
                clock = time.perf_counter()
                past = history.build(data.sources, data.sensors, past_rng, graded_at)
                report.seconds["build history"] += time.perf_counter() - clock
                for stage, objects in past.stages():
                    # history.build keeps one alarm per sensor, kind and start; the table holds none of this load's
                    _insert(objects, stage, report, unchecked=("geo_alarm_sensor_kind_start",))
            report.parks += 1
            first = first or data
            if (report.parks - 1) % step == 0:
                say(
                    f"park {report.parks:4d} {plan.spec.name}: {len(data.enterprises)} enterprises, "
                    f"{len(data.sources)} hazard sources, {len(data.sensors)} sensors "
                    f"(so far {report.counts['hazard sources']:,} sources, {report.counts['sensors']:,} sensors, "
                    f"{time.perf_counter() - started:.0f} s)"
                )
            if report.counts["hazard sources"] >= target:
                break
        _accounts(known, first, report)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # planner statistics for the new rows, before the first map request
    report.total_seconds = time.perf_counter() - started
    return report


# --- validation -----------------------------------------------------------------------------------


def validate(objects: list[models.Model], unchecked: tuple[str, ...] = ()) -> None:
    """Validate unsaved objects of one model as ``full_clean`` would, in bulk; raise DemoDataError.

    Every field validator and the model's ``clean()`` run on each object. Foreign keys are checked in
    memory (set, and pointing at a saved object) except where a ``limit_choices_to`` needs the query;
    unique fields and total unique constraints are checked within ``objects`` and against the table;
    other constraints run their own ``validate`` (a query per object), except those named in
    ``unchecked``, which the caller has made sure of.
    """
    if not objects:
        return
    model = type(objects[0])
    relations = [f for f in model._meta.concrete_fields if f.is_relation]
    exclude = {f.name for f in relations}
    for obj in objects:
        errors: dict[str, list[str]] = {}
        for relation in relations:
            message = _check_relation(obj, relation)
            if message:
                errors[relation.name] = [message]
        try:
            obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors.setdefault(name, []).extend(messages)
        if errors:
            raise DemoDataError(describe(obj, errors))
    _check_unique(model, objects)
    for constraint in model._meta.constraints:
        if constraint not in model._meta.total_unique_constraints and constraint.name not in unchecked:
            for obj in objects:
                try:
                    constraint.validate(model, obj)
                except ValidationError as error:
                    raise DemoDataError(describe(obj, {"__all__": error.messages})) from None


def _check_relation(obj: models.Model, relation: models.Field) -> str | None:
    """Bind a foreign key to the object it was given (saved since) and check it; a message or None."""
    if relation.is_cached(obj):
        related = getattr(obj, relation.name)
        if related is not None:
            if related.pk is None:
                return f"refers to {related!r}, which is not saved"
            setattr(obj, relation.name, related)  # sets the id of an object saved after the assignment
    value = getattr(obj, relation.attname)
    if value is None:
        return None if relation.null else str(relation.error_messages["null"])
    if relation.get_limit_choices_to():
        try:
            relation.validate(value, obj)
        except ValidationError as error:
            return " ".join(error.messages)
    return None


def _check_unique(model: type[models.Model], objects: list[models.Model]) -> None:
    """Unique fields and total unique constraints: no two objects alike, and none already in the table."""
    checks = [(f.name,) for f in model._meta.concrete_fields if f.unique and not f.primary_key]
    checks += [tuple(c.fields) for c in model._meta.total_unique_constraints]
    checks += [tuple(fields) for fields in model._meta.unique_together]
    for names in checks:
        attnames = [model._meta.get_field(name).attname for name in names]
        seen: dict[tuple, models.Model] = {}
        for obj in objects:
            key = tuple(getattr(obj, a) for a in attnames)
            if None in key:
                continue  # NULLs never clash
            if key in seen:
                raise DemoDataError(describe(obj, {"__all__": obj.unique_error_message(model, names).messages}))
            seen[key] = obj
        keys = list(seen)
        for start in range(0, len(keys), UNIQUE_QUERY_CHUNK):
            chunk = keys[start : start + UNIQUE_QUERY_CHUNK]
            stored = set(
                model._default_manager.filter(**{f"{attnames[0]}__in": {k[0] for k in chunk}}).values_list(*attnames)
            )
            for key in chunk:
                if key in stored:
                    obj = seen[key]
                    raise DemoDataError(describe(obj, {"__all__": obj.unique_error_message(model, names).messages}))


def describe(obj: models.Model, errors: dict[str, list[str]]) -> str:
    """The message of a DemoDataError: '<kind> “<object>” (<where>) is invalid: <field>: <message>; …'."""
    where = []
    for name in ("equipment", "hazard_source", "enterprise", "region"):
        try:
            related = getattr(obj, name, None)
        except ObjectDoesNotExist:  # a required relation that is not set
            related = None
        if isinstance(related, models.Model) and str(related) not in where:
            where.append(str(related))
    context = f" ({', '.join(where)})" if where else ""
    problems = "; ".join(
        f"{'' if name == '__all__' else name + ': '}{' '.join(str(m) for m in messages)}"
        for name, messages in errors.items()
    )
    return f"{obj._meta.verbose_name} “{obj}”{context} is invalid: {problems}"


# --- writing --------------------------------------------------------------------------------------


def _insert(objects: list[models.Model], stage: str, report: Report, unchecked: tuple[str, ...] = ()) -> None:
    if not objects:
        return
    clock = time.perf_counter()
    validate(objects, unchecked)
    checked = time.perf_counter()
    type(objects[0])._default_manager.bulk_create(objects, batch_size=BATCH_SIZE)
    report.seconds[f"validate {stage}"] += checked - clock
    report.seconds[f"insert {stage}"] += time.perf_counter() - checked
    report.counts[stage] += len(objects)


def _load_substances(report: Report) -> dict[str, Substance]:
    rows = json.loads(SUBSTANCES_FILE.read_text(encoding="utf-8"))["substances"]
    substances = [Substance(**row) for row in rows]
    _insert(substances, "substances", report)
    return {s.name_cn: s for s in substances}


def _regions(chain: list[RegionSpec], known: dict[str, Region], report: Report) -> list[Region]:
    """The regions of a chain (national → … → park), creating those not made yet, parents first."""
    result = []
    for spec in chain:
        region = known.get(spec.code)
        if region is None:
            parent = known[spec.parent] if spec.parent else None
            region = Region(
                code=spec.code,
                name=spec.name,
                name_en=spec.name_en,
                level=spec.level,
                parent=parent,
                boundary=_multipolygon(spec.boundary),
            )
            region.path = region.build_path()
            _insert([region], "regions", report)
            known[spec.code] = region
        result.append(region)
    return result


def _multipolygon(shape: shapely.Geometry | None):
    if shape is None:
        return None
    return as_multipolygon(GEOSGeometry(memoryview(shapely.to_wkb(shape, output_dimension=2)), srid=4326))


def _accounts(known: dict[str, Region], first: park.ParkData | None, report: Report) -> None:
    """The demo accounts, one per role (regulators at the province and the park), password ``PASSWORD`` (set
    directly, bypassing the password validators), and the demo API token (``layers.tokens.DEMO_TOKEN``) with
    which an OGC client acts as ``park``.
    """
    from layers.tokens import DEMO_TOKEN, issue  # the token model lives with the OGC API that reads it

    operator_company = next(e for e in first.enterprises if e.name == shanghai.OPERATOR_COMPANY)
    park_region = known[shanghai.CODE]
    users = [
        User(username="admin", is_staff=True, is_superuser=True, first_name="演示管理员"),
        User(
            username="shanghai",
            region=known["310000"],
            role=User.Role.REGULATOR,
            is_staff=True,
            first_name="上海市监管演示账号",
        ),
        User(
            username="regulator",
            region=park_region,
            role=User.Role.REGULATOR,
            is_staff=True,
            first_name="化工园区监管（备案登记）演示账号",
        ),
        User(
            username="park",
            region=park_region,
            role=User.Role.EMERGENCY,
            is_staff=True,
            first_name="化工园区应急指挥演示账号",
        ),
        User(
            username="inspector",
            region=park_region,
            role=User.Role.INSPECTOR,
            is_staff=True,
            first_name="巡检员演示账号",
        ),
        User(
            username="planner", region=park_region, role=User.Role.PLANNER, is_staff=True, first_name="规划分析演示账号"
        ),
        User(
            username="operator",
            enterprise=operator_company,
            role=User.Role.ENTERPRISE,
            is_staff=True,
            first_name="企业操作员演示账号",
        ),
    ]
    permissions = list(
        Permission.objects.filter(content_type__app_label="geo")
        .filter(Q(codename__startswith="view_") | Q(codename__startswith="change_"))
        .exclude(content_type__model="user")
    )
    for user in users:
        user.set_password(PASSWORD)
        try:
            user.full_clean()
        except ValidationError as error:
            raise DemoDataError(describe(user, error.message_dict)) from None
        user.save()
        if not user.is_superuser:
            user.user_permissions.set(permissions)
    report.counts["users"] += len(users)
    issue(next(u for u in users if u.username == "park"), "demo OGC client", raw=DEMO_TOKEN)
    report.counts["API tokens"] += 1


def _refuse_if_loaded() -> None:
    held = {
        "enterprises": Enterprise.objects.count(),
        "regions": Region.objects.count(),
        "substances": Substance.objects.count(),
    }
    users = list(User.objects.filter(username__in=DEMO_USERS).values_list("username", flat=True))
    if any(held.values()) or users:
        found = ", ".join(f"{count} {name}" for name, count in held.items() if count)
        if users:
            found += (", " if found else "") + "the accounts " + ", ".join(sorted(users))
        raise DemoDataError(
            f"The database already holds data ({found}). Load the demo into an empty database, or add "
            "--replace to delete every region, enterprise, substance and demo account first."
        )


def _delete_all(report: Report, say: Callable[[str], None]) -> None:
    """Delete the demo accounts and every geo row, children first (raw DELETEs: fast at any scale)."""
    clock = time.perf_counter()
    User.objects.filter(username__in=DEMO_USERS).delete()
    others = list(
        User.objects.filter(Q(region__isnull=False) | Q(enterprise__isnull=False)).values_list("username", flat=True)
    )
    if others:
        raise DemoDataError(
            "--replace would delete the regions and enterprises that these accounts belong to: "
            + ", ".join(sorted(others))
            + ". Delete the accounts or clear their region and enterprise first."
        )
    with connection.cursor() as cursor:
        for model in DATA_MODELS:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
    report.seconds["delete"] += time.perf_counter() - clock
    say("existing data deleted")
