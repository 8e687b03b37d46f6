"""``hazmap compilemessages``: compile .po translations to .mo without GNU gettext (uses polib).

Replaces Django's command of the same name, which needs ``msgfmt``; translations live in
``locale/<lang>/LC_MESSAGES/django.po`` and the compiled ``.mo`` files are not committed.
"""

from __future__ import annotations

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po into .mo files (only those that changed)."

    def handle(self, *args, **options) -> None:
        for root in settings.LOCALE_PATHS:
            for po_path in sorted(Path(root).glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                catalogue = polib.pofile(str(po_path))
                catalogue.save_as_mofile(str(mo_path))
                self.stdout.write(f"compiled {po_path} ({catalogue.percent_translated()}% translated)")
