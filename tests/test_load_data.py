"""generate_load_data: bulk-written data is as valid as data written one row at a time."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from content.library import approved_wordings, norm_hash
from content.models import Article, Claim, ClaimStatus, ClaimVersion, ClaimWording, content_hash
from review import audit
from review.models import AuditEvent, Publication, Review, Signature

ARTICLES, CLAIMS, VERSIONS = 3, 4, 2


def generate(*extra: str) -> str:
    out = StringIO()
    call_command(
        "generate_load_data",
        "--articles",
        str(ARTICLES),
        "--claims-per-article",
        str(CLAIMS),
        "--versions",
        str(VERSIONS),
        *extra,
        stdout=out,
    )
    return out.getvalue()


@pytest.fixture
def generated(db: None) -> str:
    return generate("--reviews", "--publications")


def test_it_writes_the_requested_counts(generated: str) -> None:
    assert Article.objects.count() == ARTICLES
    assert Claim.objects.count() == ARTICLES * CLAIMS
    assert ClaimVersion.objects.count() == ARTICLES * CLAIMS * VERSIONS
    assert set(Claim.objects.values_list("version", flat=True)) == {VERSIONS}
    assert "12 claims x 2 versions" in generated


def test_it_writes_every_version_hashed_by_content_hash(generated: str) -> None:
    for claim in Claim.objects.prefetch_related("citations", "versions"):
        versions = list(claim.versions.all())
        assert [v.version for v in versions] == list(range(1, VERSIONS + 1))
        for version in versions:
            assert version.content_hash == content_hash(version.text, [c["key"] for c in version.citations])
        assert claim.content_hash == versions[-1].content_hash == content_hash(claim.text, claim.citation_keys())


def test_it_writes_one_history_row_per_state_of_a_claim(generated: str) -> None:
    claim = Claim.objects.filter(status=ClaimStatus.APPROVED).first()
    assert claim is not None
    # version 1 (+), version 2 (~), submitted (~), approved (~)
    rows = list(claim.history.order_by("history_id").values_list("history_type", "version", "status"))  # type: ignore[attr-defined]
    assert rows == [("+", 1, "draft"), ("~", 2, "draft"), ("~", 2, "in_review"), ("~", 2, "approved")]


def test_it_derives_one_chained_audit_event_per_history_row_and_version(generated: str) -> None:
    history_rows = sum(audit.history_model(m)._default_manager.count() for m in audit.governed_models())
    assert AuditEvent.objects.exclude(history_id=None).count() == history_rows + ClaimVersion.objects.count()
    claim = Claim.objects.first()
    assert claim is not None
    types = list(AuditEvent.objects.filter(claim=claim, object_type="claim").values_list("type", flat=True))
    assert types[:2] == ["claim.created", "claim.revised"]


def test_it_leaves_an_intact_audit_chain(generated: str) -> None:
    out = StringIO()
    call_command("verify_audit", stdout=out)  # raises CommandError (exit 1) on a break
    assert "intact" in out.getvalue()


def test_it_leaves_every_row_equal_to_its_latest_history(generated: str) -> None:
    out = StringIO()
    call_command("reconcile_history", stdout=out)  # raises CommandError (exit 1) on a mismatch
    assert "matches its latest history" in out.getvalue()


def test_it_seals_signatures_to_the_reviewed_version_hash(generated: str) -> None:
    signatures = list(Signature.objects.select_related("review__claim"))
    assert signatures
    for signature in signatures:
        claim = signature.review.claim
        assert signature.is_intact()
        assert signature.claim_version == claim.version == claim.approved_version
        assert signature.content_hash == claim.content_hash
    assert Review.objects.count() == len(signatures)


def test_it_publishes_only_approved_versions(generated: str) -> None:
    publications = list(Publication.objects.select_related("claim", "channel"))
    assert publications
    for publication in publications:
        assert publication.claim.status == ClaimStatus.APPROVED
        assert publication.version == publication.claim.approved_version
        assert publication.content_hash == publication.claim.content_hash
        assert publication.channel.slug == "website"


def test_it_puts_every_version_and_the_approved_claims_in_the_claims_library(generated: str) -> None:
    assert ClaimWording.objects.count() == ClaimVersion.objects.count()
    wording = ClaimWording.objects.select_related("claim_version").first()
    assert wording is not None
    assert wording.norm_hash == norm_hash(wording.claim_version.text)
    assert approved_wordings().count() == Claim.objects.filter(status=ClaimStatus.APPROVED).count() > 0


def test_it_fills_the_review_queue(generated: str) -> None:
    assert Claim.objects.filter(status=ClaimStatus.IN_REVIEW, submitted_at__isnull=False).exists()


def test_it_appends_to_an_existing_chain(generated: str) -> None:
    generate()
    assert Article.objects.count() == 2 * ARTICLES
    call_command("verify_audit", stdout=StringIO())
    call_command("reconcile_history", stdout=StringIO())


def test_it_writes_as_the_named_actor(db: None) -> None:
    User.objects.create_user("writer", password="x" * 12)
    generate("--actor", "writer")
    assert set(Article.objects.values_list("owner__username", flat=True)) == {"writer"}


def test_it_refuses_an_unknown_actor(db: None) -> None:
    with pytest.raises(CommandError, match="No user named"):
        generate("--actor", "nobody")


def test_it_refuses_publications_without_reviews(db: None) -> None:
    with pytest.raises(CommandError, match="add --reviews"):
        generate("--publications")


def test_it_refuses_a_zero_size(db: None) -> None:
    with pytest.raises(CommandError, match="at least 1"):
        call_command("generate_load_data", "--articles", "0", "--claims-per-article", "1")
