"""Regions of the regulators' hierarchy and the users who work in them."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from geo.models.base import ValidatedModel
from geo.validators import validate_geometry, validate_region_code


class Region(ValidatedModel):
    """An administrative region (GB/T 2260) or chemical park, with its boundary.

    ``path`` is the chain of codes from the national root, e.g. ``100000/310000/310100/``; a
    region's descendants are the rows whose path starts with its own. It is kept by ``save``.
    """

    class Level(models.TextChoices):
        NATIONAL = "national", _("national")
        PROVINCE = "province", _("province")
        CITY = "city", _("city")
        COUNTY = "county", _("county")
        PARK = "park", _("chemical park")

    PARENT_LEVELS: dict[str, tuple[str, ...]] = {
        "national": (),
        "province": ("national",),
        "city": ("province",),
        "county": ("city", "province"),
        "park": ("county", "city"),
    }

    code = models.CharField(_("code"), max_length=12, unique=True, help_text=_("GB/T 2260 code"))
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    level = models.CharField(_("administrative level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    path = models.CharField(_("path"), max_length=120, editable=False, db_index=True)
    boundary = models.MultiPolygonField(_("boundary"), srid=4326, null=True, blank=True, validators=[validate_geometry])

    scope_region = "path"

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        allowed = self.PARENT_LEVELS.get(self.level)
        if allowed is None:
            return
        parent = self.parent
        if not allowed and parent is not None:
            raise ValidationError({"parent": _("A national region has no parent.")}, code="region_parent")
        if allowed and (parent is None or parent.level not in allowed):
            raise ValidationError(
                {
                    "parent": ValidationError(
                        _("A region of level “%(level)s” must have a parent of level %(allowed)s."),
                        code="region_parent",
                        params={
                            "level": self.get_level_display(),
                            "allowed": " / ".join(f"“{self.Level(a).label}”" for a in allowed),
                        },
                    )
                }
            )
        if parent is not None and self.pk is not None and parent.path.startswith(self.path or "\0"):
            raise ValidationError({"parent": _("A region cannot be inside itself.")}, code="region_cycle")
        if self.pk is not None and (self.code, self.parent_id) != self._stored("code", "parent_id"):
            if Region.objects.filter(parent_id=self.pk).exists():
                raise ValidationError(
                    _("Recode or move the regions below %(name)s first: their codes and paths derive from it."),
                    code="region_has_children",
                    params={"name": self.name},
                )
        if self.code:
            try:
                validate_region_code(
                    self.code, self.level, parent.code if parent else None, str(self.get_level_display())
                )
            except ValidationError as error:
                raise ValidationError({"code": error}) from None

    def _stored(self, *fields: str) -> tuple:
        return Region.objects.filter(pk=self.pk).values_list(*fields).first() or ()

    def save(self, *args, **kwargs) -> None:
        self.path = self.build_path()
        super().save(*args, **kwargs)

    def build_path(self) -> str:
        """The chain of codes from the national root to this region, e.g. ``100000/310000/``."""
        return (self.parent.path if self.parent else "") + f"{self.code}/"

    def descendants(self) -> models.QuerySet[Region]:
        """This region and every region below it."""
        return Region.objects.filter(path__startswith=self.path)


class User(AbstractUser):
    """A person or OGC client account, placed in one region and optionally one enterprise.

    A user sees what lies in their region and the regions below it; an enterprise user sees their
    own enterprise's data. See ``geo.scope``.
    """

    class Role(models.TextChoices):
        REGULATOR = "regulator", _("regulator")
        EMERGENCY = "emergency", _("emergency commander")
        INSPECTOR = "inspector", _("inspector")
        PLANNER = "planner", _("planner")
        ENTERPRISE = "enterprise", _("enterprise operator")
        VIEWER = "viewer", _("viewer")

    region = models.ForeignKey(
        Region, models.PROTECT, null=True, blank=True, related_name="users", verbose_name=_("region")
    )
    enterprise = models.ForeignKey(
        "geo.Enterprise",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("enterprise"),
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.VIEWER)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True, help_text=_("for SMS notifications"))

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def clean(self) -> None:
        super().clean()
        if self.enterprise_id is not None:
            if self.region_id is None:
                self.region_id = self.enterprise.region_id
            elif not self.enterprise.region.path.startswith(self.region.path):
                raise ValidationError(
                    {"enterprise": _("The enterprise lies outside the user's region.")}, code="scope_mismatch"
                )
        if self.role == self.Role.ENTERPRISE and self.enterprise_id is None:
            raise ValidationError(
                {"enterprise": _("An enterprise operator must belong to an enterprise.")},
                code="scope_missing",
            )
