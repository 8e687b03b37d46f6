"""Who sees what: the one function that narrows any queryset to a user's scope.

A user belongs to a region (and optionally one enterprise). A regional user sees every row in
their region and the regions below it; an enterprise user sees their own enterprise's rows, and
rows that belong to no enterprise in their region. A model may narrow what regional users see to
some roles (``scope_regional_roles``): personnel positions are visible to their enterprise and to
the emergency roles of the regions above it, not to every regulator (rows that copy another feature's
scope, such as events, carry those roles in ``scope_roles_field``). A superuser sees everything; an
anonymous user, or one without a region, sees nothing. Reference data that belongs to no region (substances) is
visible to every signed-in user. A model that marks itself ``scope_shared_downwards`` (sensitive
targets, emergency resources) is also seen by the users of the regions below its own region: a park's
emergency commander must know the schools and fire stations of the county around the park, which
the county registers. API, tiles and the event stream all call ``scoped``.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, Q, QuerySet

M = TypeVar("M", bound=Model)


def scoped(queryset: QuerySet[M], user) -> QuerySet[M]:
    """Return the part of ``queryset`` that ``user`` may see."""
    model = queryset.model
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    region_lookup: str = getattr(model, "scope_region", "")
    enterprise_lookup: str | None = getattr(model, "scope_enterprise", None)
    if user.region_id is None:
        return queryset.none()
    if not region_lookup:
        return queryset
    in_region = Q(**{f"{region_lookup}__startswith": user.region.path})
    if getattr(model, "scope_shared_downwards", False):
        in_region |= Q(**{f"{region_lookup}__in": ancestor_paths(user.region.path)})
    if user.enterprise_id is None or enterprise_lookup is None:
        roles = getattr(model, "scope_regional_roles", None)
        if roles is not None and user.role not in roles:
            return queryset.none()
        roles_field = getattr(model, "scope_roles_field", None)
        if roles_field:
            in_region &= Q(**{roles_field: ""}) | Q(**{f"{roles_field}__contains": f",{user.role},"})
        return queryset.filter(in_region)
    own = Q(**{enterprise_lookup: user.enterprise_id})
    if enterprise_lookup != "pk" and _nullable(model, enterprise_lookup):
        own |= Q(**{f"{enterprise_lookup}__isnull": True}) & in_region
    return queryset.filter(own)


def ancestor_paths(path: str) -> list[str]:
    """The paths of the regions above the one of ``path`` (``100000/310000/310100/`` → its two parents)."""
    codes = path.rstrip("/").split("/")
    return ["".join(f"{code}/" for code in codes[:n]) for n in range(1, len(codes))]


def _nullable(model: type[Model], lookup: str) -> bool:
    """True when any foreign key on the ``a__b__c`` path from ``model`` may be null."""
    for name in lookup.split("__"):
        field = model._meta.get_field(name)
        if field.null:
            return True
        model = field.related_model
    return False
