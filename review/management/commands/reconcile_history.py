"""Check every governed row against its latest history snapshot: `reconcile_history`; exit 1 on any mismatch."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from review import audit


class Command(BaseCommand):
    help = "Compare every governed row (all tracked fields and m2m sets) with its latest history record."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            audit.ensure_database_ready()
        except audit.AuditUnavailable as exc:
            raise CommandError(str(exc)) from None
        mismatches = 0
        for mismatch in audit.reconcile():
            mismatches += 1
            self.stdout.write(str(mismatch))
        models = len(audit.governed_models())
        if mismatches:
            raise CommandError(f"{mismatches} mismatches across {models} governed models.", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"Every row of {models} governed models matches its latest history."))
