"""The base every stored feature shares: validation on every save."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.utils.translation import gettext_lazy as _


class ValidatedModel(models.Model):
    """A model that runs ``full_clean`` on every save.

    Bad data is then refused at the model level, whatever writes it (admin, loader, API, shell),
    not only in forms. A save limited by ``update_fields`` validates just those fields.

    The write and its ``post_save`` receivers run in one transaction (the caller's, or one of their
    own outside any): what a receiver records about the change (``hierarchy.forward`` queues it for
    the parent centre) is committed with it or not at all.

    ``scope_region`` is the lookup from the model to the materialised path of the region it
    belongs to, ``scope_enterprise`` the lookup to its enterprise (or None), and
    ``scope_regional_roles`` the user roles that may see it across a region (None: every role);
    ``geo.scope`` uses them to narrow querysets to what a user may see.
    """

    scope_region: str = ""
    scope_enterprise: str | None = None
    scope_regional_roles: tuple[str, ...] | None = None

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            self.full_clean()
        else:
            names = {f.name for f in self._meta.concrete_fields}
            self.full_clean(exclude=names - set(update_fields), validate_unique=False)
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            super().save(*args, **kwargs)

    @classmethod
    def labels(cls, *names: str) -> dict[str, str]:
        """The verbose names of some fields, for validation messages."""
        return {name: cls._meta.get_field(name).verbose_name for name in names}

    def follow_enterprise_region(self) -> None:
        """A row owned by an enterprise lies in that enterprise's region.

        For models with a ``region`` (stored NOT NULL, ``blank=True`` so that it may be left out of
        forms) and an optional ``enterprise``: the region is filled in from the enterprise when
        missing, and another region is refused. Rows without an enterprise (a park's weather station,
        a county's fire station) must be given their region.
        """
        if self.enterprise_id is None:
            if self.region_id is None:
                raise ValidationError(
                    {"region": _("Give the region, or the enterprise the row belongs to.")}, code="region_missing"
                )
            return
        region_id = self.enterprise.region_id
        if self.region_id is None:
            self.region_id = region_id
        elif self.region_id != region_id:
            raise ValidationError(
                {"region": _("A row of an enterprise lies in the enterprise's region.")}, code="region_enterprise"
            )
