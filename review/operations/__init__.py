"""Review operations: the work around reviews rather than the reviews themselves.

- `recertification`: re-certifying an approved version unchanged when its approval falls due.
- `reminders`: e-mails before a live publication's approval falls due, once per slot.
- `api`, `views`: the endpoints and forms for both.
"""
