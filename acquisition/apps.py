from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AcquisitionConfig(AppConfig):
    name = "acquisition"
    verbose_name = _("Acquisition")
