"""Signals content sends so that review can react without content importing it."""

from django.dispatch import Signal

# kwargs: claim, by, previous_status
claim_revised = Signal()
# kwargs: claim, by
claim_submitted = Signal()
# kwargs: claim, by
claim_retired = Signal()
