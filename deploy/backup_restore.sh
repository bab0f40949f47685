#!/usr/bin/env bash
# Prove that a backup restores: pg_dump the database named by DATABASE_URL, restore it
# into an empty database, compare every table's row count, then run reconcile_history
# and verify_audit on the restored copy. Exit non-zero on any difference.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/vetted bash deploy/backup_restore.sh
#
# RESTORE_DATABASE names the scratch database (default: <name>_restore); it is dropped
# and recreated. Run when no one is writing: the audit anchor must match the dump.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}

: "${DATABASE_URL:?set DATABASE_URL=postgres://... to the database to back up}"
case "$DATABASE_URL" in postgres://* | postgresql://*) ;; *) echo "DATABASE_URL must be postgres://..." >&2; exit 2 ;; esac
source_url=${DATABASE_URL%%\?*}
source_db=${source_url##*/}
restore_db=${RESTORE_DATABASE:-${source_db}_restore}
restore_url="${source_url%/*}/${restore_db}"
if [ "$restore_db" = "$source_db" ]; then
  echo "RESTORE_DATABASE must differ from the source database" >&2
  exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
step() { printf '==> %s\n' "$*"; }

anchor=$(DATABASE_URL=$source_url "$PY" manage.py shell --verbosity 0 -c \
  "from django.conf import settings; print(settings.AUDIT_ANCHOR_PATH)" 2>/dev/null | tail -n 1)
echo "    audit anchor: $anchor"
anchor_before=$(cat "$anchor" 2>/dev/null || true)

step "pg_dump $source_db"
pg_dump --format=custom --no-owner --no-privileges --dbname="$source_url" --file="$work/vetted.dump"
ls -l "$work/vetted.dump" | awk '{print "    " $5 " bytes"}'

if [ "$(cat "$anchor" 2>/dev/null || true)" != "$anchor_before" ]; then
  echo "Audit events were written during the dump; run again when the database is quiet." >&2
  exit 1
fi
# The restored copy is checked against a copy of the anchor: the live one is never touched.
if [ -n "$anchor_before" ]; then printf '%s' "$anchor_before" >"$work/anchor.json"; fi

step "restore into an empty $restore_db"
dropdb --if-exists --maintenance-db="$source_url" "$restore_db"
createdb --maintenance-db="$source_url" "$restore_db"
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$restore_url" "$work/vetted.dump"

step "row counts, table by table"
count_rows() {
  psql "$1" -AtX -c "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1" |
    while read -r table; do
      printf '%s %s\n' "$table" "$(psql "$1" -AtX -c "SELECT count(*) FROM \"$table\"")"
    done
}
count_rows "$source_url" >"$work/source.txt"
count_rows "$restore_url" >"$work/restored.txt"
if ! diff -u "$work/source.txt" "$work/restored.txt"; then
  echo "The restored copy differs from the source." >&2
  exit 1
fi
echo "    $(wc -l <"$work/source.txt") tables, $(awk '{n += $2} END {print n}' "$work/source.txt") rows, identical"

export DATABASE_URL=$restore_url AUDIT_ANCHOR_PATH=$work/anchor.json
step "reconcile_history on $restore_db"
"$PY" manage.py reconcile_history
step "verify_audit on $restore_db"
"$PY" manage.py verify_audit
step "backup of $source_db restores and verifies"
