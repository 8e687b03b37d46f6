"""API tokens: how OGC clients (QGIS, GDAL, another centre) act for a user without a browser session."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A secret an OGC client sends as ``Authorization: Bearer <token>`` (or ``?token=``) to act for ``user``.

    Only the SHA-256 digest of the token is stored; the token itself is shown once, when it is issued
    (``layers.tokens.issue``, ``hazmap create-token``). ``prefix`` (its first characters) lets people
    tell their tokens apart. A revoked token is refused from then on; the row stays as a record.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the token is for, e.g. “QGIS in the command centre”.")
    )
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    digest = models.CharField(_("SHA-256 digest"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name} ({self.user})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
