"""Why a plan, a control point or a coordinate is refused: one ``ValueError`` family for the HTTP layer.

Every refusal says what is wrong and what would be right, in words a plant operator can act on.
``PlanFileError.too_large`` marks a file over the size or pixel limit (HTTP 413); the others are
bad input (400 for a CRS or a file, 422 for control points that do not make a transform).

The package knows nothing of Django, yet its messages are shown to people who read Chinese: each
error keeps its English ``template`` (marked with :func:`gettext_noop` so that ``makemessages``
finds it) and its ``params``, and :meth:`PlanError.translated` fills in a translation of the template.
"""

from __future__ import annotations

from collections.abc import Callable


def gettext_noop(message: str) -> str:
    """Mark ``message`` for translation without translating it (the catalogue is the caller's)."""
    return message


class PlanError(ValueError):
    """Any refusal of ``plant_plans``: ``template % params`` in English, translatable by the caller."""

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The message with ``gettext`` applied to its template (e.g. Django's ``gettext``)."""
        template = gettext(self.template)
        return template % self.params if self.params else template


class CRSError(PlanError):
    """A CRS code that does not exist, or a CRS that cannot hold a plan's coordinates."""


class ControlPointError(PlanError):
    """Control points that do not make a transform: too few, collinear, duplicated, outside the image."""


class PlanFileError(PlanError):
    """A file that is corrupt, of a format not supported, or over the size or pixel limits (``too_large``)."""

    def __init__(self, template: str, too_large: bool = False, **params: object) -> None:
        super().__init__(template, **params)
        self.too_large = too_large
