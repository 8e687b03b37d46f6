from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class HazmapConfig(AppConfig):
    name = "hazmap"
    verbose_name = "hazmap"

    def ready(self) -> None:
        from hazmap.db import init_spatialite, repair_spatial_indexes

        connection_created.connect(init_spatialite, dispatch_uid="hazmap.init_spatialite")
        post_migrate.connect(repair_spatial_indexes, dispatch_uid="hazmap.repair_spatial_indexes")
