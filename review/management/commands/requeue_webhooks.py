"""Re-enqueue webhook deliveries whose worker died (mid-send, or before their job was queued).

Run it from cron every minute, or as a sidecar with --every; safe to run any number of times.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from review.publishing import webhooks


class Command(BaseCommand):
    help = "Re-enqueue pending webhook deliveries that made no progress for --stale-after seconds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stale-after",
            type=float,
            default=webhooks.STALE_AFTER.total_seconds(),
            help="Seconds without progress before a pending delivery counts as lost (default: %(default)s).",
        )
        parser.add_argument("--every", type=float, help="Keep sweeping, every this many seconds, until stopped.")

    def handle(self, *args: Any, **options: Any) -> None:
        stale_after, every = options["stale_after"], options["every"]
        if stale_after < webhooks.TIMEOUT_SECONDS * 2:
            raise CommandError(f"--stale-after must be at least {webhooks.TIMEOUT_SECONDS * 2:.0f} s (two timeouts).")
        if every is not None and every <= 0:
            raise CommandError("--every must be a positive number of seconds.")
        while True:
            result = webhooks.requeue_stale(stale_after=timedelta(seconds=stale_after))
            if result.requeued or result.failed or every is None:
                self.stdout.write(
                    f"Re-queued {len(result.requeued)} stale webhook deliveries"
                    f"{' ' + str(result.requeued[:20]) if result.requeued else ''}; "
                    f"{len(result.failed)} out of attempts marked failed."
                )
            if every is None:
                return
            time.sleep(every)
