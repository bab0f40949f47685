"""Issue a feed key for one channel and print it once (only its hash is stored)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from review.management.commands.seed_demo import system_user
from review.models import Channel, ChannelToken


class Command(BaseCommand):
    help = "Create a key that reads one channel's feed and nothing else. The key is printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The channel's slug, e.g. website or partner-api.")
        parser.add_argument("--name", default="", help="Who holds the key (shown in the admin).")

    def handle(self, *args: Any, **options: Any) -> None:
        channel = Channel.objects.filter(slug=options["slug"]).first()
        if channel is None:
            known = ", ".join(Channel.objects.order_by("slug").values_list("slug", flat=True)) or "none"
            raise CommandError(f"No channel {options['slug']!r} (channels: {known}).")
        token, key = ChannelToken.issue(channel, by=system_user(), name=options["name"])
        self.stderr.write(f"Key {token.prefix}… for channel {channel.slug}. It is shown only now; store it safely.")
        self.stdout.write(key)
