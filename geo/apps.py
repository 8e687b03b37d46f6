from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    name = "geo"
    verbose_name = _("Registry and monitoring")

    def ready(self) -> None:
        from geo import risk

        risk.weights()  # a wrong HAZMAP_RISK_WEIGHTS stops the start with the reason (ImproperlyConfigured)
