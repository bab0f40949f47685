"""Demo data: groups, users, nuance tags, channels, the sample article and a review."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from content.actions import import_article
from content.models import Article, Claim, ClaimStatus
from review.actions import record_review
from review.audit import system_user
from review.models import Channel, Decision, EvidenceGrade, NuanceTag

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
SAMPLE_TITLE = "Antidepressants Prime the Brain for Learning and Restoration"

GROUPS: dict[str, list[str]] = {
    "Authors": [
        "content.add_article",
        "content.change_article",
        "content.view_article",
        "content.change_claim",
        "content.view_claim",
        "content.view_reference",
    ],
    "Medical reviewers": [
        "content.view_all_articles",
        "content.view_article",
        "content.view_claim",
        "content.view_reference",
        "review.add_review",
        "review.view_review",
        "review.view_nuancetag",
    ],
    "Publishers": [
        "content.view_all_articles",
        "content.view_article",
        "content.view_claim",
        "review.add_publication",
        "review.change_publication",
        "review.view_publication",
        "review.view_channel",
    ],
    "Compliance": [
        "content.view_all_articles",
        "content.view_article",
        "content.view_claim",
        "content.view_reference",
        "review.view_review",
        "review.view_signature",
        "review.view_publication",
        "review.view_channel",
        "review.view_nuancetag",
        "review.view_auditevent",
    ],
}

USERS = [
    ("author", "Alex", "Author", "Authors"),
    ("reviewer", "Dr Rana", "Patel", "Medical reviewers"),
    ("reviewer2", "Dr Sam", "Okafor", "Medical reviewers"),
    ("publisher", "Pat", "Publisher", "Publishers"),
    ("compliance", "Casey", "Compliance", "Compliance"),
]

MYTH = "It’s a common myth that antidepressants cause emotional numbness or reduced libido."


def ensure_groups() -> None:
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            perms.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(perms)


def load_vocabulary(actor: User) -> None:
    for row in json.loads((FIXTURES / "nuance_tags.json").read_text("utf-8")):
        fields = dict(row["fields"])
        tag = NuanceTag.objects.filter(slug=fields["slug"]).first() or NuanceTag()
        if tag.pk is None:
            for key, value in fields.items():
                setattr(tag, key, value)
            tag._history_user = actor  # type: ignore[attr-defined]
            tag.save()
    for row in json.loads((FIXTURES / "channels.json").read_text("utf-8")):
        fields = dict(row["fields"])
        blocking = fields.pop("blocking_tags")
        if Channel.objects.filter(slug=fields["slug"]).exists():
            continue
        channel = Channel(**fields)
        channel._history_user = actor  # type: ignore[attr-defined]
        channel.save()
        channel.blocking_tags.set(NuanceTag.objects.filter(slug__in=blocking))


class Command(BaseCommand):
    help = "Create demo groups, users, vocabulary, channels and the sample article (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="Password for every demo user (else $DEMO_PASSWORD, else generated).")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or os.environ.get("DEMO_PASSWORD") or ""
        if password and len(password) < 8:
            raise CommandError("The demo password must have at least 8 characters.")
        with transaction.atomic():
            ensure_groups()
            actor = system_user()
            load_vocabulary(actor)
            users: dict[str, User] = {}
            for username, first, last, group in USERS:
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={"first_name": first, "last_name": last, "email": f"{username}@vetted.example"},
                )
                if created or password:
                    if not password:
                        password = secrets.token_urlsafe(12)
                    user.set_password(password)
                    user.save()
                user.groups.add(Group.objects.get(name=group))
                users[username] = user
            article = Article.objects.filter(title=SAMPLE_TITLE, owner=users["author"]).first()
            if article is None:
                text = (FIXTURES / "sample-article.txt").read_text("utf-8")
                article = import_article(text=text, fmt="text", author=users["author"]).article
            self.seed_review(article, users)

        self.stdout.write(self.style.SUCCESS(f"Demo data ready: article #{article.pk} “{article.title}”."))
        if password:
            self.stdout.write("Demo logins (username / password):")
            for username, first, last, group in USERS:
                self.stdout.write(f"  {username:<11} {password:<20} {first} {last} ({group})")
        else:
            self.stdout.write("Demo users already existed; their passwords are unchanged.")

    def seed_review(self, article: Article, users: dict[str, User]) -> None:
        """The realistic review of the sample: the libido myth needs changes."""
        claim = Claim.objects.filter(article=article, text=MYTH).first()
        if claim is None or claim.reviews.exists():  # type: ignore[attr-defined]
            return
        if claim.status == ClaimStatus.DRAFT:
            claim.submit(by=users["author"])
        record_review(
            claim=claim,
            version=claim.version,
            reviewer=users["reviewer"],
            decision=Decision.REQUEST_CHANGES,
            evidence_grade=EvidenceGrade.CONTRADICTED,
            nuance_tags=list(NuanceTag.objects.filter(slug="omits-adverse-effects")),
            nuance_note=(
                "SSRIs can directly cause sexual side effects and emotional blunting; this is a "
                "well-documented adverse effect, not only a symptom of depression. Reword so the claim "
                "does not call it a myth, and name the side effects."
            ),
        )
