"""Who may put an e-signature on a version: the signer checks, the throttle and the session's first signature.

- The throttle counts before it checks: a password check reserves a place in the signer's
  SigningAttempts row under its row lock, and the place becomes a wrong-password Refusal
  (or is given back) in one transaction when the check ends. Thirty wrong passwords sent
  at once therefore evaluate at most THROTTLE_FAILURES of them; the rest are refused as
  throttled without the password being looked at.
- 21 CFR 11.200(a)(1): the first signature of a continuous session of access asks for both
  components (user ID and password); later signatures in the same session ask for the
  password only. The session remembers who signed in it; a new login starts a new session.
  A request without a session (an API token) is never part of one, so it always gives both.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from content import pacing
from content.locking import lock_chain
from content.models import Claim
from review.models import Refusal, RefusalKind, ReviewRefused, SigningAttempts

THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)

# The session key naming the user who has signed in this session (a user id).
SIGNED_IN_SESSION = "vetted_signed_in_session"


def _recent_failures(user: Any, since: Any) -> int:
    return Refusal.objects.filter(user=user.pk, kind=RefusalKind.WRONG_PASSWORD, at__gte=since).count()


def _under_way(row: SigningAttempts | None, since: Any) -> int:
    return row.in_progress if row is not None and row.updated_at >= since else 0


def signing_locked(user: Any) -> bool:
    """Five wrong passwords (or checks under way) within 15 minutes lock signing until the oldest ages out."""
    since = timezone.now() - THROTTLE_WINDOW
    row = SigningAttempts.objects.filter(user=user.pk).first()
    return _recent_failures(user, since) + _under_way(row, since) >= THROTTLE_FAILURES


def _reserve(user: Any) -> bool:
    """Take a place for one password check; False when the throttle is full (nothing taken).

    Short on purpose: the slow password hash runs after this commits, so the lock is held
    for a count and an update, never for a hash.
    """
    with transaction.atomic():
        lock_chain()
        SigningAttempts.objects.get_or_create(user_id=user.pk)
        row = SigningAttempts.objects.select_for_update().get(user_id=user.pk)
        now = timezone.now()
        since = now - THROTTLE_WINDOW
        in_progress = _under_way(row, since)
        if _recent_failures(user, since) + in_progress >= THROTTLE_FAILURES:
            return False
        row.in_progress, row.updated_at = in_progress + 1, now
        row.save(update_fields=["in_progress", "updated_at"])
    return True


def _finish(user: Any, claim: Claim, version: int, refused: ReviewRefused | None) -> None:
    """Give the place back, and record the refusal in the same transaction, so the count never dips between."""
    with transaction.atomic():
        lock_chain()
        row = SigningAttempts.objects.select_for_update().get(user_id=user.pk)
        row.in_progress = max(row.in_progress - 1, 0)
        row.save(update_fields=["in_progress"])
        if refused is not None:
            Refusal.objects.create(user=user, claim=claim, version=version, kind=refused.kind)


def _pacing_wait(user: Any) -> int:
    """Below the lock, each wrong password makes the next try wait longer (content.pacing)."""
    now = timezone.now()
    recent = Refusal.objects.filter(user=user.pk, kind=RefusalKind.WRONG_PASSWORD, at__gte=now - THROTTLE_WINDOW)
    found = recent.aggregate(n=Count("id"), last=Max("at"))
    return pacing.seconds_left(found["n"], found["last"], now, settings.PASSWORD_PACING_FIRST_WAIT)


def _record(user: Any, claim: Claim, version: int, refused: ReviewRefused) -> None:
    with transaction.atomic():
        lock_chain()
        Refusal.objects.create(user=user, claim=claim, version=version, kind=refused.kind)


def is_contributor(claim: Claim, version: int, user: Any) -> bool:
    """Did `user` write or edit any part of `claim` up to `version`? (Separation of duties.)"""
    return bool(user.pk in claim.contributors(up_to_version=version))


def check_signer(claim: Claim, version: int, signer: Any, password: str) -> None:
    """The person checks of a signed decision: throttle, separation of duties, password.

    Each refusal is recorded (a Refusal row, chained) before ReviewRefused is raised, in its
    own transaction, so it survives the caller's rollback.
    """
    if wait := _pacing_wait(signer):
        paced = ReviewRefused(
            f"Wait {wait} s before signing again: each wrong password makes the next wait longer.",
            RefusalKind.THROTTLED,
        )
        _record(signer, claim, version, paced)
        raise paced
    if not _reserve(signer):
        throttled = ReviewRefused("Too many wrong passwords; signing is locked for 15 minutes.", RefusalKind.THROTTLED)
        _record(signer, claim, version, throttled)
        raise throttled
    refused: ReviewRefused | None = None
    try:
        if is_contributor(claim, version, signer):
            refused = ReviewRefused(
                "You wrote or edited this version, so you may not approve or reject it.",
                RefusalKind.SEPARATION_OF_DUTIES,
            )
        elif not password or not signer.check_password(password):
            refused = ReviewRefused("Wrong password: the signature was not applied.", RefusalKind.WRONG_PASSWORD)
    finally:
        _finish(signer, claim, version, refused)
    if refused is not None:
        raise refused


def _login_session(request: Any) -> Any:
    """The session this user logged in with, or None: a request made with an API token has no session of access."""
    session = getattr(request, "session", None)
    if session is None or session.get(auth.SESSION_KEY) != str(request.user.pk):
        return None
    return session


def user_id_required(request: Any) -> bool:
    """Must this signature give the user ID as well as the password? Yes unless this login session signed before."""
    session = _login_session(request)
    return session is None or session.get(SIGNED_IN_SESSION) != request.user.pk


def remember_signed(request: Any) -> None:
    """This login session has signed: its later signatures ask for the password only."""
    session = _login_session(request)
    if session is not None:
        session[SIGNED_IN_SESSION] = request.user.pk


def check_user_id(signer: Any, username: str, *, required: bool) -> None:
    """The user ID typed with the password must be the signer's own (400 when missing or wrong)."""
    username = username.strip()
    if not username:
        if required:
            raise ValidationError(
                {"username": "The first signature of a session needs your user ID as well as your password."}
            )
        return
    if username != signer.get_username():
        raise ValidationError({"username": "That is not your user ID: a signature is given under your own."})
