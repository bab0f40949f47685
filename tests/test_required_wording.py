"""Required wording belongs to an approval: tags suggest it, the reviewer adapts and signs it, channels serve it."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User

from content.governance import save_as
from content.models import Claim
from review.models import DEFAULT_MEANING, Channel, NuanceTag, Review, Signature
from tests import test_publishing
from tests.conftest import PASSWORD, client_for
from tests.test_publishing import approve, claims_of, feed, make_article, publish
from tests.test_tampering import raw, table

channels = test_publishing.channels

CBT = "Cognitive behavioural therapy for insomnia improves sleep in most adults."
ANTIDEPRESSANTS = "Antidepressants can cause side effects"
CBT_WORDING = "CBT can make sleep worse for the first weeks, while sleep is restricted."


def submitted(author: User, text: str = CBT) -> Claim:
    claim = claims_of(make_article(author, [text]))[0]
    claim.submit(by=author)
    claim.refresh_from_db()
    return claim


def review_api(user: User, claim: Claim, **overrides: Any) -> Any:
    body = {
        "version": claim.version,
        "evidence_grade": "high",
        "nuance_tags": ["omits-adverse-effects"],
        "decision": "approve",
        "username": user.username,
        "password": PASSWORD,
        "signature_meaning": DEFAULT_MEANING,
    } | overrides
    return client_for(user).post(f"/api/v1/claims/{claim.pk}/reviews/", body, content_type="application/json")


def published_to_website(claim: Claim, second: User, publisher: User) -> dict[str, Any]:
    """Second signature (the tag is high-risk), then publish to the website; returns its feed item."""
    assert review_api(second, claim, required_wording=[CBT_WORDING]).status_code == 201
    client = client_for(publisher)
    assert publish(client, claim, "website").status_code == 201
    [item] = feed(client, "website")
    return item


def test_it_signs_the_tags_templates_when_the_reviewer_gives_no_wording(
    author: User, reviewer: User, channels: dict[str, Channel]
) -> None:
    data = review_api(reviewer, submitted(author)).json()
    assert data["required_wording"] == [NuanceTag.objects.get(slug="omits-adverse-effects").required_wording]


def test_it_serves_the_wording_the_reviewers_adapted_to_the_claim(
    author: User, reviewer: User, second_reviewer: User, publisher: User, channels: dict[str, Channel]
) -> None:
    claim = submitted(author)
    review_api(reviewer, claim, required_wording=[CBT_WORDING])
    item = published_to_website(claim, second_reviewer, publisher)
    assert item["required_wording"] == [CBT_WORDING]
    assert item["text"] == f"{CBT}\n\n{CBT_WORDING}"


def test_it_publishes_no_tag_wording_when_the_reviewers_empty_it(
    author: User, reviewer: User, second_reviewer: User, publisher: User, channels: dict[str, Channel]
) -> None:
    claim = submitted(author)
    assert review_api(reviewer, claim, required_wording=[]).json()["required_wording"] == []
    assert review_api(second_reviewer, claim, required_wording=[]).status_code == 201
    client = client_for(publisher)
    publish(client, claim, "website")
    [item] = feed(client, "website")
    assert (item["text"], item["required_wording"]) == (CBT, [])


def test_it_keeps_serving_the_signed_wording_when_the_template_is_edited(
    author: User, reviewer: User, second_reviewer: User, publisher: User, channels: dict[str, Channel]
) -> None:
    claim = submitted(author)
    review_api(reviewer, claim)
    item = published_to_website(claim, second_reviewer, publisher)
    tag = NuanceTag.objects.get(slug="omits-adverse-effects")
    tag.required_wording = "Something else entirely."
    save_as(tag, publisher, "Reworded the template")
    assert feed(client_for(publisher), "website") == [item]
    assert ANTIDEPRESSANTS in item["required_wording"][0]


def test_it_stops_counting_a_signature_whose_wording_was_altered(
    author: User, reviewer: User, channels: dict[str, Channel]
) -> None:
    claim = submitted(author)
    review_api(reviewer, claim, required_wording=[CBT_WORDING])
    # Nulling it makes the review look older than signed wording, so the templates would be served.
    raw(f"UPDATE {table(Review)} SET required_wording = NULL WHERE claim_id = %s", [claim.pk])
    assert not Signature.objects.get(review__claim=claim).is_intact()


def test_it_keeps_verifying_a_seal_made_before_wording_was_signed(
    author: User, reviewer: User, channels: dict[str, Channel]
) -> None:
    claim = submitted(author)
    review_api(reviewer, claim, required_wording=[])
    raw(f"UPDATE {table(Review)} SET required_wording = NULL WHERE claim_id = %s", [claim.pk])
    signature = Signature.objects.select_related("review").get(review__claim=claim)
    # The seal as it was computed before wording existed: these nine fields and nothing more.
    payload = "|".join(
        [
            str(signature.signer_id),
            signature.printed_name,
            str(claim.pk),
            str(signature.claim_version),
            signature.content_hash,
            "approve",
            signature.meaning_code,
            signature.meaning,
            signature.signed_at.isoformat(),
        ]
    )
    signature.seal = hmac.new(settings.AUDIT_KEY.encode(), payload.encode(), hashlib.sha256).hexdigest()
    raw(f"UPDATE {table(Signature)} SET seal = %s WHERE id = %s", [signature.seal, signature.pk])
    assert Signature.objects.get(pk=signature.pk).is_intact()


def test_it_refuses_a_sentence_of_wording_longer_than_it_keeps(
    author: User, reviewer: User, channels: dict[str, Channel]
) -> None:
    response = review_api(reviewer, submitted(author), required_wording=["x" * 1001])
    assert response.status_code == 400
    assert "required_wording" in response.json()


def test_it_refuses_the_claim_on_a_channel_too_short_for_its_wording(
    author: User, reviewer: User, second_reviewer: User, publisher: User, channels: dict[str, Channel]
) -> None:
    newsletter = channels["newsletter"]
    newsletter.max_length = len(CBT) + 10
    save_as(newsletter, publisher, "Short newsletter")
    claim = approve(
        submitted(author),
        reviewer,
        second_reviewer,
        grade="high",
        tags=["omits-adverse-effects"],
        wording=[CBT_WORDING],
    )
    response = publish(client_for(publisher), claim, "newsletter")
    length = len(f"{CBT}\n\n{CBT_WORDING}")
    assert response.status_code == 409
    assert response.json()["failed_rules"] == [
        f"{newsletter.max_length} characters allowed, {length} given with its required wording"
    ]


# --- the review form ------------------------------------------------------------------------------


def page(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def form_data(claim: Claim, tag: NuanceTag, wording: str) -> dict[str, Any]:
    return {
        "version": claim.version,
        "evidence_grade": "high",
        "nuance_tags": [tag.pk],
        f"wording_{tag.pk}": wording,
        "decision": "approve",
        "signature_meaning": DEFAULT_MEANING,
        "username": "bob",  # the reviewer fixture: a session's first signature gives the user ID too
        "password": PASSWORD,
    }


def test_it_warns_on_the_review_form_that_tags_add_wording(
    author: User, reviewer: User, channels: dict[str, Channel]
) -> None:
    claim = submitted(author)
    tag = NuanceTag.objects.get(slug="omits-adverse-effects")
    text = page(client_for(reviewer).get(f"/claims/{claim.pk}/review/"))
    assert "Some tags add wording to what is published." in text
    assert f'name="wording_{tag.pk}"' in text
    assert ANTIDEPRESSANTS in text


def test_it_signs_the_wording_as_the_reviewer_edited_it_on_the_form(
    author: User, reviewer: User, channels: dict[str, Channel]
) -> None:
    claim = submitted(author)
    tag = NuanceTag.objects.get(slug="omits-adverse-effects")
    client_for(reviewer).post(f"/claims/{claim.pk}/review/", form_data(claim, tag, CBT_WORDING))
    assert Review.objects.get(claim=claim).required_wording == [CBT_WORDING]


def test_it_signs_no_wording_when_the_reviewer_empties_the_box(
    author: User, reviewer: User, channels: dict[str, Channel]
) -> None:
    claim = submitted(author)
    tag = NuanceTag.objects.get(slug="omits-adverse-effects")
    client_for(reviewer).post(f"/claims/{claim.pk}/review/", form_data(claim, tag, "  "))
    assert Review.objects.get(claim=claim).required_wording == []


def test_it_signs_no_wording_for_an_unticked_tag(author: User, reviewer: User, channels: dict[str, Channel]) -> None:
    claim = submitted(author)
    tag = NuanceTag.objects.get(slug="omits-adverse-effects")
    data = form_data(claim, tag, CBT_WORDING) | {"nuance_tags": []}
    client_for(reviewer).post(f"/claims/{claim.pk}/review/", data)
    assert Review.objects.get(claim=claim).required_wording == []


def test_it_shows_the_signed_wording_with_the_review(
    author: User, reviewer: User, channels: dict[str, Channel]
) -> None:
    claim = submitted(author)
    review_api(reviewer, claim, required_wording=[CBT_WORDING])
    assert CBT_WORDING in page(client_for(author).get(f"/claims/{claim.pk}/"))
