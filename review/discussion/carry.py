"""What follows a claim to its next version: open threads move to their words, open suggestions lapse.

Runs inside the revising transaction (content.signals.version_written), so a revision and
the moves it causes commit together or not at all; each move is a history row with its
reason, so the audit trail says where every thread went and why.
"""

from __future__ import annotations

from typing import Any

from content.models import Claim, ClaimVersion
from review.discussion.anchoring import relocate
from review.models import Comment, Suggestion, SuggestionStatus


def carry_forward(*, claim: Claim, previous: ClaimVersion | None, version: ClaimVersion, by: Any) -> None:
    """1. Each open thread of the previous version moves to its words in the new text (exact, then fuzzy),
    or is marked outdated (an outdated thread stays outdated, following the claim until resolved).
    2. Every suggestion still open on an earlier version is superseded: its signature is void.
    Resolved threads stay on the version they were resolved on.
    """
    n = version.version
    if previous is not None:
        threads = Comment.objects.open().filter(claim=claim, claim_version=previous.version).order_by("pk")
        for thread in threads.select_for_update():
            span = None
            if not thread.outdated and thread.start is not None:
                span = relocate(thread.quote, thread.start, previous.text, version.text)
            if span is not None:
                how = "exact match" if span.how == "exact" else f"fuzzy match, {span.score:g}% similar"
                thread.move(version=n, start=span.start, end=span.end, by=by, reason=f"Moved to version {n} ({how})")
            else:
                why = "still outdated" if thread.outdated else "its words are no longer in the text"
                thread.move(
                    version=n,
                    start=None,
                    end=None,
                    by=by,
                    reason=f"Outdated on version {n}: {why} (“{thread.quote[:200]}”)",
                )
    lapsed = Suggestion.objects.filter(claim=claim, claim_version__lt=n, status=SuggestionStatus.OPEN)
    for suggestion in lapsed.order_by("pk").select_for_update():
        suggestion.supersede(version=n, by=by)
