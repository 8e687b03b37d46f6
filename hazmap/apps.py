from django.apps import AppConfig
from django.db.backends.signals import connection_created


class HazmapConfig(AppConfig):
    name = "hazmap"
    verbose_name = "hazmap"

    def ready(self) -> None:
        from hazmap.db import init_spatialite

        connection_created.connect(init_spatialite, dispatch_uid="hazmap.init_spatialite")
