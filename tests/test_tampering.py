"""An insider with the app's database credentials, writing SQL around the app: blocked or detected.

Each case writes the rows the way someone at a psql prompt would (raw SQL, no app code), then
asserts what the app does with them: it refuses to publish or serve them, and `verify_audit`
names them.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from content.models import Claim, ClaimVersion
from review import audit
from review.audit.verify import run_verification
from review.models import DEFAULT_MEANING, Channel, Review, Signature
from review.publishing.actions import PolicyRefused, publish_claim
from review.publishing.feeds import servable_publications, serve
from tests.test_library import approve, claims_of, import_claims

pytestmark = pytest.mark.django_db


def raw(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@pytest.fixture
def website(db: None) -> Channel:
    return Channel.objects.create(
        name="Website", slug="website", audience="patient", min_grade="low", signatures_required=1
    )


@pytest.fixture
def tamperer() -> None:
    """The table owner may drop the append-only triggers (rolled back with the test)."""
    audit.drop_append_only_triggers(connection)


def forge_approval(claim: Claim, signer: User) -> None:
    """INSERT a review and a signature in the signer's name, with the old unkeyed seal, and mark it approved."""
    now = timezone.now()
    raw(
        f"INSERT INTO {table(Review)} (claim_id, version, round, content_hash, reviewer_id, evidence_grade, "
        "evidence_type, nuance_note, decision, created_at) VALUES (%s, %s, %s, %s, %s, 'high', '', '', 'approve', %s)",
        [claim.pk, claim.version, claim.review_round, claim.content_hash, signer.pk, now],
    )
    review_id = Review.objects.get(claim=claim).pk
    name = signer.get_full_name()
    payload = "|".join(
        [str(signer.pk), name, str(claim.pk), str(claim.version), claim.content_hash, DEFAULT_MEANING, now.isoformat()]
    )
    raw(
        f"INSERT INTO {table(Signature)} (review_id, signer_id, printed_name, meaning, meaning_code, signed_at, "
        "claim_version, content_hash, seal) VALUES (%s, %s, %s, %s, 'accurate', %s, %s, %s, %s)",
        [
            review_id,
            signer.pk,
            name,
            DEFAULT_MEANING,
            now,
            claim.version,
            claim.content_hash,
            hashlib.sha256(payload.encode()).hexdigest(),
        ],
    )
    raw(
        f"UPDATE {table(Claim)} SET status = 'approved', approved_version = %s WHERE id = %s", [claim.version, claim.pk]
    )


def test_it_refuses_to_publish_a_forged_approval(
    author: User, reviewer: User, publisher: User, website: Channel
) -> None:
    claim = claims_of(import_claims(author, "Walking lowers blood pressure (Smith, 2019)."))[0]
    forge_approval(claim, reviewer)
    with pytest.raises(PolicyRefused, match="needs 1 signature, has 0"):
        publish_claim(claim, website, by=publisher)


def test_it_names_a_forged_signature_in_the_verification(author: User, reviewer: User, website: Channel) -> None:
    claim = claims_of(import_claims(author, "Walking lowers blood pressure (Smith, 2019)."))[0]
    audit.write_anchor()  # as after the import committed
    forge_approval(claim, reviewer)
    result, _ = run_verification()
    assert not result.ok
    assert f"Signature #{Signature.objects.get().pk}" in result.detail


def test_it_stops_serving_a_published_version_whose_text_was_edited(
    author: User, reviewer: User, publisher: User, website: Channel, tamperer: None
) -> None:
    claim = approve(claims_of(import_claims(author, "Walking lowers blood pressure (Smith, 2019)."))[0], reviewer)
    publish_claim(claim, website, by=publisher)
    assert len(serve(servable_publications(website, timezone.now()), website, timezone.now())) == 1
    audit.write_anchor()
    raw(f"UPDATE {table(ClaimVersion)} SET text = %s WHERE claim_id = %s", ["Walking cures hypertension.", claim.pk])
    assert serve(servable_publications(website, timezone.now()), website, timezone.now()) == []
    result, _ = run_verification()
    assert not result.ok
    assert f"Claim #{claim.pk} version 1 does not match its content hash" in result.detail


def test_it_counts_only_signatures_whose_seal_verifies_towards_approval(
    author: User, reviewer: User, second_reviewer: User, tamperer: None
) -> None:
    from review.actions import intact_approvals

    claim = approve(claims_of(import_claims(author, "Walking lowers blood pressure (Smith, 2019)."))[0], reviewer)
    assert intact_approvals(claim) == 1
    raw(f"UPDATE {table(Signature)} SET printed_name = %s", ["Dr Sam Okafor"])
    assert intact_approvals(claim) == 0
