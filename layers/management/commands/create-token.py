"""``hazmap create-token <username>``: issue an API token for an OGC client acting for that user."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from layers.tokens import issue


class Command(BaseCommand):
    help = (
        "Issue an API token for USERNAME and print it once (only its digest is stored). OGC clients send it as "
        "`Authorization: Bearer <token>` or, when they cannot set headers, as `?token=<token>`; they then see "
        "what the user sees. Revoke tokens in the admin (OGC API › API tokens)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="OGC client", help="What the token is for, e.g. “QGIS in the centre”.")

    def handle(self, *args, username: str, name: str, **options) -> None:
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"There is no user “{username}”.") from None
        if not user.is_active:
            raise CommandError(f"The user “{username}” is inactive; a token for it would be refused.")
        _, raw = issue(user, name)
        self.stdout.write(raw)
        if options["verbosity"] >= 1:
            self.stderr.write(f"Token “{name}” for {username}: keep it now, it cannot be shown again.")
