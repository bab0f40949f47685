"""Import an article file as claims: `import_article PATH --author USERNAME`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from content import importing
from content.actions import import_article
from content.exceptions import DuplicateImport
from content.importing import ImportRejected
from content.models import Article


class Command(BaseCommand):
    help = "Import a plain-text, Markdown or HTML article; prints the article id and claim count."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--author", required=True, help="Username of the author the import is recorded as.")
        parser.add_argument("--title")
        parser.add_argument("--format", choices=importing.FORMATS, help="Default: detected from the file.")
        parser.add_argument("--article", type=int, help="Re-import into this article (new versions of changed claims).")
        parser.add_argument("--force", action="store_true", help="Import even if the author imported this text before.")

    def handle(self, *args: Any, **options: Any) -> None:
        # The file is checked before the database is touched: bad input fails fast and alone.
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            if path.stat().st_size > importing.MAX_BYTES:
                raise ImportRejected(f"File is larger than 2 MB ({path.stat().st_size} bytes).")
            text = importing.decode(path.read_bytes())
        except ImportRejected as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        author = get_user_model().objects.filter(username=options["author"], is_active=True).first()
        if author is None:
            raise CommandError(f"No active user named {options['author']!r}.")
        article = None
        if options["article"] is not None:
            article = Article.objects.filter(pk=options["article"]).first()
            if article is None:
                raise CommandError(f"No article with id {options['article']}.")
        fmt = options["format"] or importing.detect_format(text, path.name)
        try:
            result = import_article(
                text=text, fmt=fmt, author=author, title=options["title"], article=article, force=options["force"]
            )
        except (ImportRejected, PermissionDenied, DuplicateImport) as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(
            f"article {result.article.pk}: {result.claim_count} claims "
            f"({result.created} new, {result.revised} revised, {result.unchanged} unchanged, {result.retired} retired)"
        )
