"""Every message users can read exists in Chinese (the default) and English (the source).

The catalogue is written by hand (there is no ``makemessages`` run), so the sources are scanned here:
every gettext call of the project's Python code must name its message as a literal, and the zh_Hans
catalogue must hold a non-empty, non-fuzzy translation of it. A change that adds a string without its
Chinese fails here, with the file and line of the call.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# The functions of django.utils.translation that take a message: the positions of their
# (context, message, plural) arguments, None where the function has no such argument.
GETTEXT: dict[str, tuple[int | None, int, int | None]] = {
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}


@dataclass(frozen=True)
class Message:
    """What one gettext call asks the catalogue for; ``msgid`` is None when the call names no literal."""

    where: str  # path:line of the call
    msgid: str | None
    context: str | None = None
    plural: str | None = None


def messages_in(source: str, path: str) -> list[Message]:
    """The gettext calls of one module's ``source``, by the names its imports give the functions.

    ``_`` is gettext unless the module imports another function as ``_`` (``gettext_lazy as _``);
    ``translation.gettext(...)`` counts by its attribute name.
    """
    tree = ast.parse(source, path)
    names = {"_": "gettext"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            names.update({alias.asname or alias.name: alias.name for alias in node.names if alias.name in GETTEXT})
        if isinstance(node, ast.ImportFrom) and node.module == "plant_plans.errors":  # its marker (no Django)
            names.update(
                {alias.asname or alias.name: "gettext_noop" for alias in node.names if alias.name == "gettext_noop"}
            )
    found = []
    for node in sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call)), key=lambda n: (n.lineno, n.col_offset)):
        if isinstance(node.func, ast.Name):
            function = names.get(node.func.id)
        elif isinstance(node.func, ast.Attribute):
            function = node.func.attr if node.func.attr in GETTEXT else None
        else:
            function = None
        if function is None:
            continue
        positions = GETTEXT[function]
        texts = [_literal(node, i) for i in positions]
        where = f"{path}:{node.lineno}"
        if any(text is None for text, i in zip(texts, positions, strict=True) if i is not None):
            found.append(Message(where, None))
        else:
            found.append(Message(where, texts[1], context=texts[0], plural=texts[2]))
    return found


def _literal(call: ast.Call, position: int | None) -> str | None:
    """The string literal at ``position`` of the call's arguments; None when absent or not a literal."""
    if position is None or position >= len(call.args):
        return None
    argument = call.args[position]
    return argument.value if isinstance(argument, ast.Constant) and isinstance(argument.value, str) else None


def project_sources() -> list[Path]:
    """The project's Python sources: every top-level package of the repository but tests, without migrations."""
    return sorted(
        path
        for package in ROOT.iterdir()
        if (package / "__init__.py").is_file() and package.name != "tests"
        for path in package.rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts
    )


def project_messages() -> list[Message]:
    return [
        message
        for path in project_sources()
        for message in messages_in(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    ]


def untranslated(messages: list[Message], catalogue: polib.POFile) -> list[str]:
    """``path:line msgid: what is wrong`` for each message the catalogue has no usable translation of."""
    entries = {(entry.msgctxt, entry.msgid): entry for entry in catalogue if not entry.obsolete}
    problems = []
    for message in messages:
        entry = entries.get((message.context, message.msgid))
        if entry is None:
            problem = "no entry" if message.context is None else f"no entry in context {message.context!r}"
        elif entry.fuzzy:
            problem = "the translation is fuzzy"
        elif message.plural is not None and entry.msgid_plural != message.plural:
            problem = f"the entry's plural is {entry.msgid_plural!r}, the code's {message.plural!r}"
        elif message.plural is None and entry.msgid_plural:
            problem = "the entry has a plural form, the code none"
        elif not (translations := _translations(entry)) or not all(translations):
            problem = "the translation is empty"
        else:
            continue
        problems.append(f"{message.where} {message.msgid!r}: {problem}")
    return problems


def _translations(entry: polib.POEntry) -> list[str]:
    """The entry's msgstr, or its msgstr[n] (one for Chinese) when it has a plural."""
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


def test_the_scan_finds_every_form_of_gettext_call():
    source = (
        "from django.utils import translation\n"
        "from django.utils.translation import gettext_lazy as _, ngettext, pgettext\n"
        "from django.utils.translation import npgettext_lazy as np\n"
        "A = _('tank')\n"
        "B = ngettext('%(n)d tank', '%(n)d tanks', 2)\n"
        "C = pgettext('alarm level', 'high')\n"
        "D = translation.gettext('pressure')\n"
        "E = np('map', '%(n)d layer', '%(n)d layers', 3)\n"
        "F = _(name)\n"
        "G = ngettext('one', plural, 2)\n"
        "H = print('not a message')\n"
    )
    assert messages_in(source, "m.py") == [
        Message("m.py:4", "tank"),
        Message("m.py:5", "%(n)d tank", plural="%(n)d tanks"),
        Message("m.py:6", "high", context="alarm level"),
        Message("m.py:7", "pressure"),
        Message("m.py:8", "%(n)d layer", context="map", plural="%(n)d layers"),
        Message("m.py:9", None),
        Message("m.py:10", None),
    ]


def test_a_message_is_untranslated_without_an_entry_of_its_context_and_plural():
    catalogue = polib.POFile()
    catalogue.append(polib.POEntry(msgid="tank", msgstr="储罐"))
    catalogue.append(polib.POEntry(msgid="high", msgctxt="alarm level", msgstr="高报"))
    catalogue.append(polib.POEntry(msgid="pressure", msgstr=""))
    catalogue.append(polib.POEntry(msgid="flow", msgstr="流量", flags=["fuzzy"]))
    catalogue.append(polib.POEntry(msgid="%(n)d tank", msgid_plural="%(n)d tanks", msgstr_plural={0: "%(n)d 个储罐"}))
    messages = [
        Message("a.py:1", "tank"),
        Message("a.py:2", "high", context="alarm level"),
        Message("a.py:3", "high"),
        Message("a.py:4", "pressure"),
        Message("a.py:5", "flow"),
        Message("a.py:6", "%(n)d tank", plural="%(n)d tanks"),
        Message("a.py:7", "%(n)d tank", plural="%(n)d of the tanks"),
        Message("a.py:8", "level"),
        Message("a.py:9", "%(n)d tank"),
    ]
    assert untranslated(messages, catalogue) == [
        "a.py:3 'high': no entry",
        "a.py:4 'pressure': the translation is empty",
        "a.py:5 'flow': the translation is fuzzy",
        "a.py:7 '%(n)d tank': the entry's plural is '%(n)d tanks', the code's '%(n)d of the tanks'",
        "a.py:8 'level': no entry",
        "a.py:9 '%(n)d tank': the entry has a plural form, the code none",
    ]


# Modules that translate messages marked elsewhere with gettext_noop (which the scan checks there).
TRANSLATE_MARKED = {"web/plans_vector.py": "plant_plans/vector.py", "web/plans.py": "plant_plans/coords.py"}


def test_every_gettext_call_of_the_sources_names_its_message_literally():
    messages = project_messages()
    assert len(messages) > 500  # the scan reads the sources: 740 calls when this test was written
    dynamic = [m.where for m in messages if m.msgid is None and m.where.split(":")[0] not in TRANSLATE_MARKED]
    assert dynamic == [], "a message the catalogue cannot be checked for"
    marked = {m.where.split(":")[0] for m in messages if m.msgid is not None}
    assert set(TRANSLATE_MARKED.values()) <= marked  # the marks are seen, so their messages are checked


def test_every_message_of_the_sources_has_a_chinese_translation():
    messages = [m for m in project_messages() if m.msgid is not None]
    problems = untranslated(messages, polib.pofile(str(PO)))
    assert not problems, f"add these to {PO.relative_to(ROOT)}:\n" + "\n".join(problems)


def test_every_entry_of_the_catalogue_is_translated():
    catalogue = polib.pofile(str(PO))
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


def test_translations_keep_every_placeholder_of_the_source():
    catalogue = polib.pofile(str(PO))
    for entry in catalogue.translated_entries():
        if "no-python-format" in entry.flags:
            continue
        source = entry.msgid_plural or entry.msgid  # Chinese has one form: the plural's, for every count
        for translation in _translations(entry):
            assert sorted(_placeholders(translation)) == sorted(_placeholders(source)), entry.msgid


def _placeholders(text: str) -> list[str]:
    """The %-format conversions of ``text``: ``%(name)s``, ``%(value).4g``, ``%(value)r``…, and ``%%``."""
    return re.findall(r"%%|%\([A-Za-z_]\w*\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]", text)
