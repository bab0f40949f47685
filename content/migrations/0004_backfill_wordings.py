"""Give every claim version written before the claims library its normalised wording (issue 8).

ClaimWording is derived, ungoverned data (no history), so writing it here bypasses nothing.
The key functions are repeated here, not imported from content.library, so this
migration keeps meaning what it meant when it was written.
"""

import hashlib
import re

from django.db import migrations

from content.importing import normalise_claim_text

_WORDS = re.compile(r"\w+")


def backfill(apps, schema_editor):
    ClaimVersion = apps.get_model("content", "ClaimVersion")
    ClaimWording = apps.get_model("content", "ClaimWording")
    done = set(ClaimWording.objects.values_list("claim_version_id", flat=True))
    rows = []
    for pk, claim_id, version, text in ClaimVersion.objects.values_list("pk", "claim_id", "version", "text").iterator():
        if pk in done:
            continue
        normalised = normalise_claim_text(text)
        rows.append(
            ClaimWording(
                claim_version_id=pk,
                claim_id=claim_id,
                version=version,
                norm_hash=hashlib.sha256(normalised.encode("utf-8")).hexdigest(),
                sort_key=" ".join(sorted(_WORDS.findall(normalised))),
            )
        )
    ClaimWording.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0003_triage_library"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
