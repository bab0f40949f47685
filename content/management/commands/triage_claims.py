"""Flag and library-match the current version of every live claim: `triage_claims [--no-match]`.

For claims written before triage existed, or after RULES_VERSION changed. Idempotent: advice already
recorded on a version is not repeated, and a match is stored once. New flags are recorded as the system user.
Each article is read once (its year, its own study design, whether it mentions harms), and an evidence type a
reviewer recorded for a version replaces what triage infers from the cited works.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models import F

from content import flagging, library
from content.models import ClaimStatus, ClaimVersion, ClaimWording


class Command(BaseCommand):
    help = "Run the triage rules (and library matching) on the current version of every live claim."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-match", action="store_true", help="Only flag; skip library matching.")

    def handle(self, *args: Any, **options: Any) -> None:
        versions = ClaimVersion.objects.exclude(claim__status=ClaimStatus.RETIRED).filter(version=F("claim__version"))
        flagged = 0
        ids: list[int] = []
        facts: dict[int, flagging.ArticleFacts] = {}
        reviewed = flagging.reviewed_evidence_types()
        for version in versions.select_related("claim").order_by("pk").iterator(chunk_size=500):
            article_id = version.claim.article_id
            if article_id not in facts:
                facts[article_id] = flagging.article_facts(article_id)
            with transaction.atomic():
                flagged += len(
                    flagging.record_flags(
                        version,
                        actor=None,
                        facts=facts[article_id],
                        reviewed_evidence=reviewed.get((version.claim_id, version.version), ""),
                    )
                )
                if not ClaimWording.objects.filter(claim_version=version).exists():
                    library.record_wording(version)
            ids.append(version.pk)
        matched = 0
        if not options["no_match"]:
            for start in range(0, len(ids), 500):
                matched += len(library.match_versions(ids[start : start + 500]))
        self.stdout.write(f"Triaged {len(ids)} claim versions: {flagged} new flags, {matched} library matches.")
