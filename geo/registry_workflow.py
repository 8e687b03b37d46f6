"""The registry workflow (重大危险源备案): application, registration, cancellation, each step a recorded event.

The national construction guide for major-hazard-source monitoring (function table, rows 17–23) lists
备案申请, 备案登记, 备案告知, 核销申请, 核销登记, 核销告知 and 信息统计, deployed at the county (park):
"由企业完成申请；区县（园区）完成登记、审批；备案数据通过数据交换上报到上级监管部门". The 2011 regulation
(国家安监总局令第40号, amended 2015) has the enterprise register with the county-level authority where it
lies (§23) and apply there for cancellation when a unit is no longer a major hazard source (§27); the
county sends the files of grade 1 and 2 sources to the city, the city those of grade 1 to the province
(§23). hazmap follows that:

**Where a source registers** (its 备案机关, ``registering_region``): the region of its enterprise — the
county, or the chemical park when the enterprise lies in one. With ``HAZMAP_PARKS_REGISTER=false`` a
park's sources register with the county (or city) the park belongs to instead.

**Who takes each step** (``STEPS``, the one table of the rules):

===================  =====================================  ============================  ====================
step                 who                                    status before → after         notified
===================  =====================================  ============================  ====================
``apply``            an operator of the source's enterprise  draft, cancelled → applied    registering regulators
``register``         a regulator of the registering region   applied → registered          enterprise, levels above
``return``           a regulator of the registering region   applied → draft               enterprise
``cancel_apply``     an operator of the source's enterprise  registered → cancel_applied   registering regulators
``cancel_register``  a regulator of the registering region   cancel_applied → cancelled    enterprise, levels above
``cancel_return``    a regulator of the registering region   cancel_applied → registered   enterprise
===================  =====================================  ============================  ====================

Only a major hazard source (S ≥ 1) may apply. Returning an application, and applying for cancellation,
need a reason (``comment``). The notification of a registration or a cancellation is the guide's
备案告知 / 核销告知. **Levels above** are the regions above the registering one, up to the level that
§23 names for the source's grade (``TOLD_UP_TO``): grade 1 up to the province, grade 2 up to the city,
other grades up to the county (a park's county hears of every source of the park).

Every step checks, in this order, that the source is in the user's scope (403), that the table lets
this user take it (403), that the source's status allows it (409) and, to apply, that the source is a
major hazard source (409). A refused step changes nothing and is recorded in the audit log with its
reason (``geo.audit.record_refusal``, outside the step's transaction). A step taken changes the status
and writes its ``RegistryEvent`` (history, with a snapshot of the registered data), its audit entry and
its notifications in one transaction.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from geo import audit, notify
from geo.models import HazardSource, Region, RegistryEvent, User
from geo.scope import ancestor_paths, scoped

Status = HazardSource.RegistryStatus

ENTERPRISE = "enterprise"  # an operator (role enterprise) of the source's own enterprise
REGISTRAR = "registrar"  # a regulator (role regulator, no enterprise) placed in the source's registering region

# Who hears of a step: the registering region's regulators, the enterprise's accounts, the regulators above.
TELL_REGISTRAR, TELL_ENTERPRISE, TELL_ABOVE = "registrar", "enterprise", "above"

MAX_COMMENT_CHARS = 2000
LEVEL_RANK = {"national": 0, "province": 1, "city": 2, "county": 3, "park": 4}
# The highest level told of a registration or cancellation, by GB 18218 grade (§23 of the 2011 regulation).
TOLD_UP_TO: dict[int | None, str] = {1: "province", 2: "city", 3: "county", 4: "county", None: "county"}


@dataclass(frozen=True)
class Step:
    """One step of the workflow: who takes it, from which statuses to which, whom it tells.

    ``due`` narrows the sources in a ``from_status`` on which the step is a task for someone (their 待办;
    None: all of them): applying is due for major hazard sources, applying for cancellation for
    registered sources that are no longer major (§27).
    """

    name: str
    actor: str
    from_status: tuple[str, ...]
    to_status: str
    tell: tuple[str, ...]
    comment_required: bool = False
    due: Q | None = None

    @property
    def label(self) -> str:
        return str(RegistryEvent.Step(self.name).label)


STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step("apply", ENTERPRISE, (Status.DRAFT, Status.CANCELLED), Status.APPLIED, (TELL_REGISTRAR,),
             due=Q(is_major=True)),
        Step("register", REGISTRAR, (Status.APPLIED,), Status.REGISTERED, (TELL_ENTERPRISE, TELL_ABOVE)),
        Step("return", REGISTRAR, (Status.APPLIED,), Status.DRAFT, (TELL_ENTERPRISE,), comment_required=True),
        Step("cancel_apply", ENTERPRISE, (Status.REGISTERED,), Status.CANCEL_APPLIED, (TELL_REGISTRAR,),
             comment_required=True, due=Q(is_major=False)),
        Step("cancel_register", REGISTRAR, (Status.CANCEL_APPLIED,), Status.CANCELLED, (TELL_ENTERPRISE, TELL_ABOVE)),
        Step("cancel_return", REGISTRAR, (Status.CANCEL_APPLIED,), Status.REGISTERED, (TELL_ENTERPRISE,),
             comment_required=True),
    )
}  # fmt: skip


# --- where a source registers ------------------------------------------------------------------------------


def registering_region(source: HazardSource) -> Region:
    """The region whose regulators register ``source``: its enterprise's county or park (see the module)."""
    region = source.enterprise.region
    if region.level == Region.Level.PARK and not settings.HAZMAP_PARKS_REGISTER:
        return region.parent
    return region


def registered_with(region: Region) -> Q:
    """The hazard sources (as a filter) that register with ``region``; the inverse of ``registering_region``."""
    if settings.HAZMAP_PARKS_REGISTER:
        return Q(enterprise__region=region)
    if region.level == Region.Level.PARK:
        return Q(pk__in=[])
    return Q(enterprise__region=region) | Q(
        enterprise__region__parent=region, enterprise__region__level=Region.Level.PARK
    )


def told_above(region: Region, grade: int | None) -> list[Region]:
    """The regions above ``region`` whose regulators hear of a registration or cancellation of a source of ``grade``."""
    top = LEVEL_RANK[TOLD_UP_TO.get(grade, "county")]
    above = Region.objects.filter(path__in=ancestor_paths(region.path)).order_by("path")
    return [r for r in above if LEVEL_RANK[r.level] >= top]


# --- who may take a step -----------------------------------------------------------------------------------


def _actor_may(actor: str, source: HazardSource, user) -> bool:
    if actor == ENTERPRISE:
        return user.role == User.Role.ENTERPRISE and user.enterprise_id == source.enterprise_id
    return (
        user.role == User.Role.REGULATOR
        and user.enterprise_id is None
        and user.region_id == registering_region(source).pk
    )


def _actors_sources(actor: str, user) -> Q | None:
    """The sources on which the table lets ``user`` take the steps of ``actor`` (None: none)."""
    if actor == ENTERPRISE:
        if user.role == User.Role.ENTERPRISE and user.enterprise_id is not None:
            return Q(enterprise_id=user.enterprise_id)
        return None
    if user.role == User.Role.REGULATOR and user.enterprise_id is None and user.region_id is not None:
        return registered_with(user.region)
    return None


def _quoted(statuses: tuple[str, ...]) -> str:
    return " / ".join(f"“{Status(s).label}”" for s in statuses)


def refusal(step: Step, source: HazardSource, user, in_scope: bool = False) -> audit.Refused | None:
    """Why ``user`` may not take ``step`` on ``source`` now, or None when they may (no side effects).

    ``in_scope``: the caller read ``source`` through ``scoped`` for this user, so scope is not asked again.
    """
    if not in_scope and not scoped(HazardSource.objects.filter(pk=source.pk), user).exists():
        return audit.Refused(
            _("“%(source)s” is outside your scope.") % {"source": source.name}, code="OutsideScope", status=403
        )
    if not _actor_may(step.actor, source, user):
        if step.actor == ENTERPRISE:
            reason = _("“%(step)s” is taken by the operators of %(enterprise)s only.") % {
                "step": step.label,
                "enterprise": source.enterprise.name,
            }
        else:
            reason = _(
                "“%(step)s” is taken only by the regulators of %(region)s, with whom “%(source)s” registers."
            ) % {
                "step": step.label,
                "region": registering_region(source).name,
                "source": source.name,
            }
        return audit.Refused(reason, code="NotYourStep", status=403)
    if source.registry_status not in step.from_status:
        reason = _("“%(step)s” is not possible now: “%(source)s” is “%(status)s”, and this step needs %(allowed)s.") % {
            "step": step.label,
            "source": source.name,
            "status": source.get_registry_status_display(),
            "allowed": _quoted(step.from_status),
        }
        return audit.Refused(reason, code="OutOfOrder", status=409)
    if step.name == "apply" and not source.is_major:
        reason = _(
            "“%(source)s” is not a major hazard source (S = %(s)s < 1 under GB 18218-2018): it needs no registration."
        ) % {"source": source.name, "s": f"{source.gb_s:.2f}"}
        return audit.Refused(reason, code="NotMajor", status=409)
    return None


def steps_open_to(source: HazardSource, user, in_scope: bool = False) -> list[str]:
    """The steps ``user`` may take on ``source`` now, in the order of ``STEPS`` (``in_scope`` as for ``refusal``)."""
    if not in_scope and not scoped(HazardSource.objects.filter(pk=source.pk), user).exists():
        return []
    return [name for name, step in STEPS.items() if refusal(step, source, user, in_scope=True) is None]


def awaiting(user) -> QuerySet[HazardSource]:
    """The sources waiting for ``user`` to take a step (their 待办), from the table's ``actor`` and ``due``."""
    if not user.is_authenticated or not user.is_active:
        return HazardSource.objects.none()
    due = []
    for step in STEPS.values():
        theirs = _actors_sources(step.actor, user)
        if theirs is not None:
            due.append(theirs & Q(registry_status__in=step.from_status) & (step.due or Q()))
    if not due:
        return HazardSource.objects.none()
    wanted = due[0]
    for more in due[1:]:
        wanted |= more
    return scoped(HazardSource.objects.filter(wanted), user)


# --- taking a step -----------------------------------------------------------------------------------------


def snapshot(source: HazardSource) -> dict:
    """The registered data of ``source`` as it stands: plain values, kept in the step's ``RegistryEvent``."""
    enterprise = source.enterprise
    return {
        "enterprise": {
            "credit_code": enterprise.credit_code,
            "name": enterprise.name,
            "region": enterprise.region.code,
        },
        "source": {"code": source.code, "name": source.name, "kind": source.kind},
        "gb18218": {
            "is_major": source.is_major,
            "s": source.gb_s,
            "r": source.gb_r,
            "alpha": source.gb_alpha,
            "grade": source.gb_grade,
            "graded_at": source.graded_at.isoformat() if source.graded_at else None,
        },
        "accidents": {
            "fire": source.accident_fire,
            "explosion": source.accident_explosion,
            "poisoning": source.accident_poisoning,
        },
        "responsible": {
            "principal": [source.principal_name, source.principal_phone],
            "technical": [source.technical_name, source.technical_phone],
            "operational": [source.operational_name, source.operational_phone],
        },
    }


def _clean_comment(comment) -> str:
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT_CHARS:
        raise ValidationError(
            {"comment": _("The comment must be text of at most %(n)d characters.") % {"n": MAX_COMMENT_CHARS}},
            code="comment",
        )
    return comment.strip()


def _message(step: Step, source: HazardSource, region: Region, comment: str, day: dt.date) -> tuple[str, str]:
    """Subject and body of the notifications of ``step``, in the site's language."""
    names = {"enterprise": source.enterprise.name, "source": source.name, "region": region.name, "date": day}
    subjects = {
        "apply": _("Application for registration: %(enterprise)s, %(source)s"),
        "register": _("Registered: %(enterprise)s, %(source)s"),
        "return": _("Application for registration returned: %(enterprise)s, %(source)s"),
        "cancel_apply": _("Application for cancellation: %(enterprise)s, %(source)s"),
        "cancel_register": _("Cancelled: %(enterprise)s, %(source)s"),
        "cancel_return": _("Application for cancellation returned: %(enterprise)s, %(source)s"),
    }
    closing = {
        "apply": _("Register it or return it with a reason (your to-do list)."),
        "register": _("Registered by %(region)s on %(date)s."),
        "return": _("The application was returned; apply again once it is corrected."),
        "cancel_apply": _("Register the cancellation or return it with a reason (your to-do list)."),
        "cancel_register": _("Cancelled by %(region)s on %(date)s."),
        "cancel_return": _("The application for cancellation was returned; the source stays registered."),
    }
    grade = source.get_gb_grade_display() if source.gb_grade else _("not graded")
    facts = _("%(source)s (%(code)s) of %(enterprise)s: %(grade)s, S = %(s)s, R = %(r)s.") % {
        "source": source.name,
        "code": source.code,
        "enterprise": source.enterprise.name,
        "grade": grade,
        "s": f"{source.gb_s:.2f}",
        "r": f"{source.gb_r:.2f}" if source.gb_r is not None else "—",
    }
    lines = [facts]
    if comment:
        lines.append(_("Reason: %(comment)s") % {"comment": comment})
    lines.append(closing[step.name] % names)
    return subjects[step.name] % names, "\n".join(lines)


def _recipients(step: Step, source: HazardSource, region: Region) -> list:
    people = []
    if TELL_REGISTRAR in step.tell:
        people += notify.people_of(region, roles=[User.Role.REGULATOR])
    if TELL_ENTERPRISE in step.tell:
        people += notify.people_of(enterprise=source.enterprise)
    if TELL_ABOVE in step.tell:
        for above in told_above(region, source.gb_grade):
            people += notify.people_of(above, roles=[User.Role.REGULATOR])
    return people


def take(name: str, source: HazardSource, user, comment: str = "", now: dt.datetime | None = None) -> RegistryEvent:
    """Take step ``name`` on ``source`` as ``user``: checked, then status, history, audit and notifications at once.

    Raises ``geo.audit.Refused`` (recorded in the audit log) when the step may not be taken, and
    ``ValidationError`` for a comment that is missing (where the step needs one) or not text. ``source``
    is updated in place; the event written is returned.
    """
    step = STEPS[name]
    comment = _clean_comment(comment)
    now = now or timezone.now()
    action = f"registry.{step.name}"
    try:
        with transaction.atomic():
            locked = (
                HazardSource.objects.select_for_update(of=("self",))
                .select_related("enterprise__region__parent")
                .get(pk=source.pk)
            )
            error = refusal(step, locked, user)
            if error is not None:
                raise error
            if step.comment_required and not comment:
                raise ValidationError(
                    {"comment": _("Give the reason for the “%(step)s” (comment).") % {"step": step.label}},
                    code="comment_required",
                )
            region = registering_region(locked)
            day = now.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()
            before = locked.registry_status
            locked.registry_status = step.to_status
            if step.name == "register":
                locked.registered_on = day
            locked.save(update_fields=["registry_status", "registered_on"])
            event = RegistryEvent.objects.create(
                source=locked,
                step=step.name,
                from_status=before,
                to_status=step.to_status,
                time=now,
                actor=user,
                actor_name=user.get_username(),
                actor_role=user.role,
                registry_region=region,
                comment=comment,
                payload=snapshot(locked),
            )
            audit.record(
                user,
                action,
                locked,
                reason=comment,
                detail={"from": before, "to": step.to_status, "event": str(event.uid)},
            )
            with translation.override(settings.LANGUAGE_CODE):
                subject, body = _message(step, locked, region, comment, day)
            notify.notify(_recipients(step, locked, region), subject, body, locked)
    except audit.Refused as error:
        audit.record_refusal(user, action, source, error)
        raise
    source.registry_status, source.registered_on = locked.registry_status, locked.registered_on
    return event


def apply_for_registration(source: HazardSource, user, comment: str = "", now=None) -> RegistryEvent:
    """备案申请: the enterprise applies to register a major hazard source."""
    return take("apply", source, user, comment, now)


def register(source: HazardSource, user, comment: str = "", now=None) -> RegistryEvent:
    """备案登记: the registering regulator registers the applied source (and 备案告知 goes out)."""
    return take("register", source, user, comment, now)


def return_application(source: HazardSource, user, comment: str, now=None) -> RegistryEvent:
    """退回: the registering regulator returns the application to the enterprise, with the reason."""
    return take("return", source, user, comment, now)


def apply_for_cancellation(source: HazardSource, user, comment: str, now=None) -> RegistryEvent:
    """核销申请: the enterprise applies to cancel a registered source, with the reason (§27)."""
    return take("cancel_apply", source, user, comment, now)


def register_cancellation(source: HazardSource, user, comment: str = "", now=None) -> RegistryEvent:
    """核销登记: the registering regulator cancels the registration (and 核销告知 goes out)."""
    return take("cancel_register", source, user, comment, now)


def return_cancellation(source: HazardSource, user, comment: str, now=None) -> RegistryEvent:
    """退回核销: the registering regulator returns the application for cancellation, with the reason."""
    return take("cancel_return", source, user, comment, now)


# --- statistics (信息统计) ----------------------------------------------------------------------------------


def statistics(user, year: int | None = None) -> dict:
    """The registry in ``user``'s scope, counted in the database: sources by status, by enterprise region
    and status, and the steps taken in ``year`` (default: this year in Asia/Shanghai), by step (distinct sources).
    """
    local = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    year = year or timezone.now().astimezone(local).year
    sources = scoped(HazardSource.objects.all(), user)
    by_status = sources.aggregate(
        total=Count("pk"), **{s: Count("pk", filter=Q(registry_status=s)) for s in Status.values}
    )
    unregistered = sources.filter(is_major=True, registry_status__in=[Status.DRAFT, Status.APPLIED]).count()
    regions: dict[str, dict] = {}
    rows = (
        sources.values(
            "enterprise__region__code", "enterprise__region__name", "enterprise__region__name_en", "registry_status"
        )
        .annotate(n=Count("pk"))
        .order_by("enterprise__region__code", "registry_status")
    )
    for row in rows:
        code = row["enterprise__region__code"]
        entry = regions.setdefault(
            code,
            {
                "code": code,
                "name": row["enterprise__region__name"],
                "name_en": row["enterprise__region__name_en"],
                "by_status": dict.fromkeys(Status.values, 0),
            },
        )
        entry["by_status"][row["registry_status"]] = row["n"]
    start = dt.datetime(year, 1, 1, tzinfo=local)
    end = dt.datetime(year + 1, 1, 1, tzinfo=local)
    steps = (
        scoped(RegistryEvent.objects.filter(time__gte=start, time__lt=end), user)
        .values("step")
        .annotate(n=Count("source", distinct=True))
    )
    taken = dict.fromkeys(RegistryEvent.Step.values, 0) | {row["step"]: row["n"] for row in steps}
    return {
        "total": by_status.pop("total"),
        "by_status": by_status,
        "major_not_registered": unregistered,
        "by_region": list(regions.values()),
        "year": year,
        "in_year": taken,
        "awaiting_you": awaiting(user).count(),
    }
