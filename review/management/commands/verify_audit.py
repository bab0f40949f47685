"""Check the whole audit chain and its anchor: `verify_audit [--actor USERNAME]`; exit 1 on any break."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from review import audit


class Command(BaseCommand):
    help = "Verify every audit event's hash and link, and the head against the anchor file; exit 1 on a break."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--actor", default=audit.SYSTEM_USERNAME, help="Username the verification is recorded as (default: system)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            audit.ensure_database_ready()
        except audit.AuditUnavailable as exc:
            raise CommandError(str(exc)) from None
        actor = audit.user_by_name(options["actor"])
        if actor is None and options["actor"] != audit.SYSTEM_USERNAME:
            raise CommandError(f"No user named {options['actor']!r}.")
        result, _ = audit.run_verification(actor)
        self.stdout.write(f"events checked: {result.events_checked}")
        self.stdout.write(f"head: {result.head or '(empty chain)'}")
        if not result.ok:
            where = f"event #{result.first_broken}" if result.first_broken is not None else "anchor"
            self.stdout.write(f"first broken: {where}: {result.detail}")
            raise CommandError(f"The audit trail is BROKEN at {where}.", returncode=1)
        self.stdout.write(self.style.SUCCESS("The audit trail is intact."))
