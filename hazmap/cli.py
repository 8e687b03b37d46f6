"""The ``hazmap`` command: Django's management commands with hazmap's settings.

``hazmap help`` lists every command; hazmap's own are ``demo``, ``serve``, ``load-demo`` and
``maintain`` (see README.md).
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Run a management command, e.g. ``hazmap migrate`` or ``hazmap serve``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazmap.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["hazmap", *sys.argv[1:]])
