"""Errors the consequence models raise for input they cannot use, and notes on model limits.

Every refusal is a :class:`DispersionInputError` (a ``ValueError``) that names the offending input
(``field``), the value given and what is valid, so that a caller (e.g. the HTTP layer) can turn it
into a 422 response without parsing the message. Limits a model reaches without the input being
wrong (a footprint longer than the Gaussian model's 10 km, a release too short for a plume) are not
errors: they are :class:`Limit` notes carried in the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


class DispersionInputError(ValueError):
    """An input the models cannot use: what is wrong (``field``, ``value``) and what is valid."""

    def __init__(self, field: str, value: object, valid: str, message: str | None = None) -> None:
        self.field = field
        self.value = value
        self.valid = valid
        super().__init__(message or f"{field} = {value!r} cannot be used; valid: {valid}")

    def as_dict(self) -> dict:
        """The error as plain values: ``field``, ``value`` (as text), ``valid``, ``message``."""
        return {"field": self.field, "value": repr(self.value), "valid": self.valid, "message": str(self)}


@dataclass(frozen=True)
class Limit:
    """A model limit reached by a result: a stable ``code`` and a sentence saying what it means."""

    code: str
    message: str


def require_positive(field: str, value: float | None, unit: str) -> float:
    """Return ``value`` as a float if it is a finite number > 0, else raise :class:`DispersionInputError`."""
    if value is None or not isinstance(value, int | float) or isinstance(value, bool):
        raise DispersionInputError(field, value, f"a number > 0 ({unit})")
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise DispersionInputError(field, value, f"a number > 0 ({unit})")
    return number


def require_range(field: str, value: float | None, low: float, high: float, unit: str) -> float:
    """Return ``value`` as a float if it is finite and low ≤ value ≤ high, else raise."""
    valid = f"a number from {low:g} to {high:g} ({unit})"
    if value is None or not isinstance(value, int | float) or isinstance(value, bool):
        raise DispersionInputError(field, value, valid)
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise DispersionInputError(field, value, valid)
    return number


def require_choice(field: str, value: object, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise."""
    if value not in choices:
        raise DispersionInputError(field, value, "one of " + ", ".join(choices))
    return value  # type: ignore[return-value]
