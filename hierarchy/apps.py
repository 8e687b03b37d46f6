from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class HierarchyConfig(AppConfig):
    name = "hierarchy"
    verbose_name = _("Hierarchy of centres")

    def ready(self) -> None:
        from hierarchy.forward import deleted, saved
        from hierarchy.kinds import BY_MODEL

        for model, kind in BY_MODEL.items():
            post_save.connect(saved, sender=model, dispatch_uid=f"hierarchy-forward-save-{kind.name}")
            post_delete.connect(deleted, sender=model, dispatch_uid=f"hierarchy-forward-delete-{kind.name}")
