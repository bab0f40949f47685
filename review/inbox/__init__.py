"""Everyone's inbox: the notices the review verbs send (review.notifications), as pages and API."""
