"""Every message users can read exists in Chinese (the default) and English (the source)."""

from __future__ import annotations

from pathlib import Path

import polib

PO = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_message_has_a_chinese_translation():
    catalogue = polib.pofile(str(PO))
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


def test_translations_keep_every_placeholder_of_the_source():
    catalogue = polib.pofile(str(PO))
    for entry in catalogue.translated_entries():
        if "python-format" in entry.flags:
            assert sorted(_placeholders(entry.msgstr)) == sorted(_placeholders(entry.msgid)), entry.msgid


def _placeholders(text: str) -> list[str]:
    import re

    return re.findall(r"%\([a-z_]+\)[sdf]|%\([a-z_]+\)\.\d+f", text)
