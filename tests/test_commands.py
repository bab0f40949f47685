"""Management commands: import_article and seed_demo."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError

from content.importing import MAX_BYTES
from content.models import Article, Claim, ClaimStatus, ClaimVersion, Reference
from review.models import Review
from tests.conftest import PASSWORD, SAMPLE, first_claim, import_text

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
TEXT = """Hydration and health

Water makes up about 60 percent of an adult's body weight (Popkin, 2010).

Mild dehydration can impair attention and short-term memory (Adan, 2012).
"""


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_article", *args, stdout=out)
    return out.getvalue()


def write(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def refusal(*args: str) -> str:
    with pytest.raises(CommandError) as exc:
        run(*args)
    return str(exc.value)


# --- import_article ----------------------------------------------------------------------------------------------


def test_it_prints_the_article_id_and_claim_count(author: User, tmp_path: Path) -> None:
    output = run(write(tmp_path, "hydration.txt", TEXT.encode()), "--author", "alice")
    assert output.startswith(f"article {Article.objects.get().pk}: 2 claims")


def test_it_imports_the_sample_article(author: User) -> None:
    run(str(SAMPLE), "--author", "alice")
    article = Article.objects.get()
    assert (article.title, article.claims.count()) == (
        "Antidepressants Prime the Brain for Learning and Restoration",
        25,
    )


def test_it_sets_the_title(author: User, tmp_path: Path) -> None:
    run(write(tmp_path, "hydration.txt", TEXT.encode()), "--author", "alice", "--title", "Drink up")
    assert Article.objects.get().title == "Drink up"


def test_it_detects_the_format_from_the_file_name(author: User, tmp_path: Path) -> None:
    run(write(tmp_path, "sleep.md", b"# Sleep\n\nSleep helps memory.\n"), "--author", "alice")
    assert Article.objects.get().format == "markdown"


def test_it_uses_the_given_format(author: User, tmp_path: Path) -> None:
    run(write(tmp_path, "sleep.md", b"# Sleep\n\nSleep helps memory.\n"), "--author", "alice", "--format", "text")
    assert Article.objects.get().format == "text"


def test_it_re_imports_into_an_article(author: User, tmp_path: Path) -> None:
    article = import_text(author, TEXT)
    changed = TEXT.replace("Mild dehydration", "Even mild dehydration")
    output = run(write(tmp_path, "v2.txt", changed.encode()), "--author", "alice", "--article", str(article.pk))
    assert output.startswith(f"article {article.pk}: 2 claims (0 new, 1 revised, 1 unchanged, 0 retired)")


def test_it_makes_new_versions_on_re_import(author: User, tmp_path: Path) -> None:
    article = import_text(author, TEXT)
    changed = TEXT.replace("Mild dehydration", "Even mild dehydration")
    run(write(tmp_path, "v2.txt", changed.encode()), "--author", "alice", "--article", str(article.pk))
    assert (Claim.objects.count(), ClaimVersion.objects.count()) == (2, 3)


def test_it_refuses_a_missing_file(author: User, tmp_path: Path) -> None:
    assert refusal(str(tmp_path / "nope.txt"), "--author", "alice").startswith("No such file")


def test_it_refuses_an_unknown_author(db: None, tmp_path: Path) -> None:
    assert refusal(write(tmp_path, "a.txt", TEXT.encode()), "--author", "nobody") == "No active user named 'nobody'."


def test_it_refuses_an_author_without_the_author_role(reviewer: User, tmp_path: Path) -> None:
    assert refusal(write(tmp_path, "a.txt", TEXT.encode()), "--author", "bob") == "Only authors may import articles."


def test_it_refuses_an_unknown_article(author: User, tmp_path: Path) -> None:
    assert refusal(write(tmp_path, "a.txt", TEXT.encode()), "--author", "alice", "--article", "999") == (
        "No article with id 999."
    )


def test_it_refuses_a_re_import_into_someone_elses_article(author: User, other_author: User, tmp_path: Path) -> None:
    article = import_text(author, TEXT)
    message = refusal(write(tmp_path, "a.txt", TEXT.encode()), "--author", "dave", "--article", str(article.pk))
    assert message == "Only the article's author may re-import it."


def test_it_refuses_a_re_import_that_changes_a_claim_in_review(author: User, tmp_path: Path) -> None:
    article = import_text(author, TEXT)
    first_claim(article).submit(by=author)
    changed = TEXT.replace("Water makes up", "Water is")
    message = refusal(write(tmp_path, "a.txt", changed.encode()), "--author", "alice", "--article", str(article.pk))
    assert "in review" in message


def test_it_refuses_an_unknown_format(author: User, tmp_path: Path) -> None:
    assert "invalid choice" in refusal(write(tmp_path, "a.txt", TEXT.encode()), "--author", "alice", "--format", "pdf")


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("empty.txt", b"", "The article is empty."),
        ("menu.txt", b"Home\nMenu\nShare this\n", "No claims found"),
        ("latin1.txt", "Caf\u00e9 culture\n\nCoffee is popular.\n".encode("latin-1"), "File is not UTF-8 text"),
        ("big.txt", b"Water is good. " * (MAX_BYTES // 15 + 1), "File is larger than 2 MB"),
        ("binary.txt", b"Water\x00is good.", "File is not text"),
    ],
    ids=["empty", "only-boilerplate", "not-utf8", "over-2mb", "nul"],
)
def test_it_refuses_bad_input_in_one_line(author: User, tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    message = refusal(write(tmp_path, name, content), "--author", "alice")
    assert message.startswith(reason) and "\n" not in message


def test_it_writes_nothing_for_bad_input(author: User, tmp_path: Path) -> None:
    refusal(write(tmp_path, "menu.txt", b"Home\nMenu\nShare this\n"), "--author", "alice")
    assert (Article.objects.count(), Reference.objects.count()) == (0, 0)


def test_it_exits_non_zero_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    # A real process: what an operator sees. Bad bytes are refused before any database access.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["SQLITE_PATH"] = str(tmp_path / "unused.sqlite3")
    bad = write(tmp_path, "latin1.txt", "Caf\u00e9\n\nCoffee is popular.\n".encode("latin-1"))
    proc = subprocess.run(
        [sys.executable, "manage.py", "import_article", bad, "--author", "alice"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    errors = [line for line in proc.stderr.splitlines() if not line.startswith("{")]  # drop JSON log lines
    assert proc.returncode != 0
    assert errors == ["CommandError: File is not UTF-8 text: invalid byte 0xe9 at position 3."]


# --- seed_demo ---------------------------------------------------------------------------------------------------

DEMO_USERS = {
    "author": "Authors",
    "reviewer": "Medical reviewers",
    "reviewer2": "Medical reviewers",
    "publisher": "Publishers",
    "compliance": "Compliance",
}


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def totals() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "groups": Group.objects.count(),
        "articles": Article.objects.count(),
        "claims": Claim.objects.count(),
        "versions": ClaimVersion.objects.count(),
        "references": Reference.objects.count(),
        "reviews": Review.objects.count(),
    }


def test_it_creates_the_demo_users_in_their_groups(db: None) -> None:
    seed("--password", PASSWORD)
    assert {u.username: u.groups.get().name for u in User.objects.filter(username__in=DEMO_USERS)} == DEMO_USERS


def test_it_sets_the_given_password(db: None) -> None:
    seed("--password", PASSWORD)
    assert all(u.check_password(PASSWORD) for u in User.objects.filter(username__in=DEMO_USERS))


def test_it_imports_the_sample_article_for_the_author(db: None) -> None:
    seed("--password", PASSWORD)
    assert Article.objects.get().owner.username == "author"


def test_it_seeds_a_review_that_requests_changes(db: None) -> None:
    seed("--password", PASSWORD)
    assert Claim.objects.filter(status=ClaimStatus.CHANGES_REQUESTED).count() == 1


def test_it_is_idempotent(db: None) -> None:
    seed("--password", PASSWORD)
    before = totals()
    seed("--password", PASSWORD)
    assert totals() == before


def test_it_refuses_a_short_password(db: None) -> None:
    with pytest.raises(CommandError):
        seed("--password", "short")
