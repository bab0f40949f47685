"""Signals content sends so that review can react without content importing it."""

from django.dispatch import Signal

# kwargs: claim, by, previous_status
claim_revised = Signal()
# kwargs: claim, by, previous (the ClaimVersion before it), version (the new ClaimVersion).
# Sent inside the revising transaction, after the new version is written, so what follows a
# version (open comment threads, open suggestions) moves with it or not at all.
version_written = Signal()
# kwargs: claim, by
claim_submitted = Signal()
# kwargs: claim, by
claim_retired = Signal()
# kwargs: claim, by: the author took an unopened submission back to draft.
claim_recalled = Signal()
# kwargs: records, a list of (history row, the object it records), in the order written;
# versions, the ClaimVersions written with them (bulk_create sends no post_save for them).
# Sent by content.bulk, which writes simple-history rows itself (simple-history's own
# post_create_historical_record is not sent for them); review.audit chains their events.
history_created_in_bulk = Signal()
