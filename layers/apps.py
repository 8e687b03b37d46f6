from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = _("OGC API")

    def ready(self) -> None:
        from layers import signals

        signals.connect()  # every save and delete of a registry model publishes an event
