"""What a signature rests on: reviewers see a version's citation snapshot, a cited work is corrected (not edited)
in the admin, and reviewers set a work's status through the API with review.retraction's cascade."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from content.governance import save_as
from content.models import Claim, ClaimStatus, Reference, ReferenceStatus
from review.models import Publication
from tests.conftest import PASSWORD, client_for
from tests.test_library import approve, claims_of, import_claims, make_channel, publish

pytestmark = pytest.mark.django_db

CITING = "Regular walking lowers blood pressure (Smith, 2019)."
REASON = "Retraction notice: data could not be verified."


@pytest.fixture
def cited(author: User) -> Claim:
    (claim,) = claims_of(import_claims(author, CITING))
    return claim


@pytest.fixture
def smith(cited: Claim) -> Reference:
    return Reference.objects.get(key="smith|2019")


@pytest.fixture
def boss(groups: None) -> User:
    return User.objects.create_superuser("boss", "boss@example.org", PASSWORD)


def relabel(ref: Reference, label: str, by: User) -> None:
    """The live row changed behind the version's back (a shell, an earlier admin)."""
    ref.label = label
    save_as(ref, by, "Relabelled")


def admin_change(client: Client, ref: Reference, **changes: Any) -> Any:
    data = {f: getattr(ref, f) or "" for f in ("key", "label", "authors", "year", "title", "doi", "pmid", "url")}
    return client.post(f"/admin/content/reference/{ref.pk}/change/", data | changes)


# --- reviewers see the snapshot -----------------------------------------------------------


def test_it_shows_the_reviewer_the_work_as_the_version_cites_it(
    cited: Claim, smith: Reference, author: User, reviewer: User, boss: User
) -> None:
    cited.submit(by=author)
    relabel(smith, "Cochrane review, 2019", boss)
    response = client_for(reviewer).get(f"/claims/{cited.pk}/review/")
    assert [c["label"] for c in response.context["citations"]] == ["Smith, 2019"]


def test_it_tells_the_reviewer_the_record_reads_otherwise_now(
    cited: Claim, smith: Reference, author: User, reviewer: User, boss: User
) -> None:
    cited.submit(by=author)
    relabel(smith, "Cochrane review, 2019", boss)
    page = client_for(reviewer).get(f"/claims/{cited.pk}/review/").content.decode()
    assert "the record now reads “Cochrane review, 2019”" in page


def test_it_records_the_title_and_doi_in_the_snapshot(cited: Claim) -> None:
    assert {"title", "doi"} <= set(cited.versions.get().citations[0])


# --- the admin corrects a cited work, it never silently edits one -------------------------------


def test_it_lets_the_admin_edit_a_work_no_signature_rests_on(cited: Claim, smith: Reference, boss: User) -> None:
    response = admin_change(client_for(boss), smith, title="Walking and blood pressure")
    assert (response.status_code, Reference.objects.get().title) == (302, "Walking and blood pressure")


def test_it_refuses_an_admin_edit_of_a_work_an_approval_rests_on_without_a_reason(
    cited: Claim, smith: Reference, reviewer: User, boss: User
) -> None:
    approve(cited, reviewer)
    response = admin_change(client_for(boss), smith, label="Cochrane review, 2019")
    assert (response.status_code, Reference.objects.get().label) == (200, "Smith, 2019")


def test_it_corrects_a_work_an_approval_rests_on_and_sends_its_claim_back_to_review(
    cited: Claim, smith: Reference, reviewer: User, boss: User
) -> None:
    approve(cited, reviewer)
    admin_change(client_for(boss), smith, label="Smith et al., 2019", correction_reason="Publisher's errata")
    cited.refresh_from_db()
    assert (Reference.objects.get().label, cited.status, cited.review_round) == (
        "Smith et al., 2019",
        ClaimStatus.IN_REVIEW,
        2,
    )


def test_it_records_the_correction_with_its_reason(cited: Claim, smith: Reference, reviewer: User, boss: User) -> None:
    approve(cited, reviewer)
    admin_change(client_for(boss), smith, label="Smith et al., 2019", correction_reason="Publisher's errata")
    latest = smith.history.order_by("-history_id").first()
    assert (latest.history_user, latest.history_change_reason) == (boss, "Corrected (label): Publisher's errata")


def test_it_guards_a_work_cited_by_a_version_in_review(
    cited: Claim, smith: Reference, author: User, boss: User
) -> None:
    cited.submit(by=author)
    admin_change(client_for(boss), smith, label="Cochrane review, 2019")
    assert Reference.objects.get().label == "Smith, 2019"


def test_it_never_changes_a_status_in_the_admin(cited: Claim, smith: Reference, boss: User) -> None:
    admin_change(client_for(boss), smith, status="retracted", status_reason="Because")
    assert Reference.objects.get().status == ReferenceStatus.ACTIVE


# --- POST /api/v1/references/{id}/status/ --------------------------------------------------------


def set_status(user: User, ref: Reference, **body: Any) -> Any:
    return client_for(user).post(f"/api/v1/references/{ref.pk}/status/", body, content_type="application/json")


@pytest.fixture
def live(cited: Claim, reviewer: User, publisher: User) -> Publication:
    return publish(approve(cited, reviewer), make_channel(), publisher)


def test_it_retracts_a_work_and_answers_with_the_cascade(
    live: Publication, cited: Claim, smith: Reference, second_reviewer: User
) -> None:
    response = set_status(second_reviewer, smith, status="retracted", reason=REASON)
    assert response.status_code == 200
    assert response.json() == {
        "id": smith.pk,
        "label": "Smith, 2019",
        "status": "retracted",
        "reason": REASON,
        "flagged_claims": [cited.pk],
        "returned_to_review": [cited.pk],
        "withdrawn_publications": [{"id": live.pk, "claim": cited.pk, "channel": "website"}],
    }


def test_it_supersedes_a_work_and_leaves_its_claims_live(
    live: Publication, smith: Reference, second_reviewer: User
) -> None:
    body = set_status(second_reviewer, smith, status="superseded", reason="Replaced by Smith, 2024.").json()
    assert (body["status"], body["withdrawn_publications"]) == ("superseded", [])


def test_it_marks_a_work_active_again(live: Publication, smith: Reference, second_reviewer: User) -> None:
    set_status(second_reviewer, smith, status="retracted", reason=REASON)
    body = set_status(second_reviewer, smith, status="active", reason="The retraction was withdrawn.").json()
    assert (body["status"], body["flagged_claims"], Reference.objects.get().status) == ("active", [], "active")


def test_it_refuses_an_unknown_status_with_400(smith: Reference, reviewer: User) -> None:
    response = set_status(reviewer, smith, status="doubtful", reason=REASON)
    assert (response.status_code, "status" in response.json()) == (400, True)


def test_it_refuses_a_status_without_a_reason_with_400(smith: Reference, reviewer: User) -> None:
    response = set_status(reviewer, smith, status="retracted", reason="")
    assert (response.status_code, "reason" in response.json()) == (400, True)


def test_it_refuses_an_author_with_403(smith: Reference, author: User) -> None:
    assert set_status(author, smith, status="retracted", reason=REASON).status_code == 403


def test_it_refuses_a_work_already_retracted_with_409(smith: Reference, reviewer: User) -> None:
    set_status(reviewer, smith, status="retracted", reason=REASON)
    assert set_status(reviewer, smith, status="retracted", reason=REASON).status_code == 409


def test_it_refuses_an_active_work_marked_active_with_409(smith: Reference, reviewer: User) -> None:
    assert set_status(reviewer, smith, status="active", reason="Fine").status_code == 409


def test_it_refuses_a_get_with_405(smith: Reference, reviewer: User) -> None:
    assert client_for(reviewer).get(f"/api/v1/references/{smith.pk}/status/").status_code == 405


def test_it_answers_404_for_an_unknown_work(reviewer: User) -> None:
    response = client_for(reviewer).post("/api/v1/references/999999/status/", {}, content_type="application/json")
    assert response.status_code == 404


def test_it_describes_the_status_endpoint_in_the_schema(reviewer: User) -> None:
    schema = client_for(reviewer).get("/api/schema/").content.decode()
    assert "/api/v1/references/{id}/status/" in schema
