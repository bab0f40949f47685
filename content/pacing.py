"""Progressive delay: after each wrong password the next try waits longer (1 s, 2 s, 4 s, ... at most 60 s).

The first wait is `settings.PASSWORD_PACING_FIRST_WAIT` (1 s), passed in by the callers.

A try that comes too early is refused, not slept on: a request sleeping out the wait would hold
a server thread, and an attacker could hold them all. The login form (config.security) and
signing (review.actions) pace people this way below their hard limits (django-axes' lockout,
signing's 15-minute lock), so a mistyped password costs a second, and a guessing script
slows to a crawl well before it reaches the limit.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

LONGEST_WAIT = timedelta(seconds=60)


def wait_after(failures: int, first: timedelta) -> timedelta:
    """How long the next try waits after `failures` recent wrong passwords: `first`, doubling each time."""
    if failures <= 0:
        return timedelta(0)
    return min(first * 2 ** min(failures - 1, 16), LONGEST_WAIT)


def seconds_left(failures: int, last_failure: datetime | None, now: datetime, first: timedelta) -> int:
    """Whole seconds, rounded up, before the next try is allowed; 0 when it is allowed now."""
    if last_failure is None:
        return 0
    return max(0, math.ceil((last_failure + wait_after(failures, first) - now).total_seconds()))
