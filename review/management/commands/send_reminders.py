"""Send the reminders due now: approvals falling due, and overdue review assignments.

Run it from cron (say every 15 minutes) or beside the worker with --every; running it any number
of times sends each reminder once (review.operations.reminders).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from review.operations.assignments import escalate_overdue
from review.operations.reminders import send_due_reminders


class Command(BaseCommand):
    help = "Send the reminders due now: approvals falling due, overdue assignments (each once, however often it runs)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, help="Keep running, every this many seconds, until stopped.")

    def handle(self, *args: Any, **options: Any) -> None:
        every = options["every"]
        if every is not None and not 1 <= every <= 86400:
            raise CommandError("--every must be between 1 and 86400 seconds.")
        while True:
            sent = send_due_reminders()
            late = escalate_overdue()
            if sent or late or every is None:
                listed = ", ".join(f"publication {r.publication_id} ({r.slot})" for r in sent[:20])
                self.stdout.write(f"Queued {len(sent)} reminders{': ' + listed if listed else ''}.")
                tasks = ", ".join(f"assignment {a.pk} ({step})" for a, step in late[:20])
                self.stdout.write(f"Queued {len(late)} overdue notices{': ' + tasks if tasks else ''}.")
            if every is None:
                return
            time.sleep(every)
