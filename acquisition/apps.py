import logging

from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _


class AcquisitionConfig(AppConfig):
    name = "acquisition"
    verbose_name = _("Acquisition")

    def ready(self) -> None:
        # asyncua and pymodbus log every node they create and every request at INFO: keep their warnings only.
        for name in ("asyncua", "pymodbus"):
            logging.getLogger(name).setLevel(logging.WARNING)

        from acquisition.directory import clear_all
        from acquisition.ingest import forget_published
        from geo.models import Equipment, Sensor

        for model in (Sensor, Equipment):
            for receiver in (clear_all, forget_published):
                uid = f"acquisition-{receiver.__name__}-{model.__name__}"
                post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}-save")
                post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}-delete")

        from acquisition.models import FenceRule, PlantGrid
        from acquisition.positioning.ingest import forget
        from geo.models import Enterprise, Fence, PersonnelTag

        for model in (Fence, FenceRule, PlantGrid, PersonnelTag, Enterprise):  # positioning reads them again
            post_save.connect(forget, sender=model, dispatch_uid=f"positioning-{model.__name__}-save")
            post_delete.connect(forget, sender=model, dispatch_uid=f"positioning-{model.__name__}-delete")
        m2m_changed.connect(forget, sender=FenceRule.assigned_tags.through, dispatch_uid="positioning-assigned")
