"""Publishing: which approved claim versions go out to which channels, and what a channel serves.

- `policy`: a channel's rules as plain values and the check of one version (pure).
- `facts`: what the policy needs about claim versions, in a fixed number of queries.
- `actions`: publishing and withdrawing (the verbs); `webhooks`: telling consumers.
- `feeds`: the read side (what a channel serves, the re-review list, the publisher pages' verdicts).
- `receivers`, `views`, `api`, `urls`: signals, pages and the channels API.

A channel serves a publication only while it is live: not withdrawn, the claim not retired, and
the approval not expired. Expiry is decided at read time, so no scheduled job is needed for a
feed to drop an expired approval.
"""
