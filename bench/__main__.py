"""`python -m bench` (`make bench`): build a data set, serve it with gunicorn, time the pages that matter.

Size from BENCH_ARTICLES / BENCH_CLAIMS / BENCH_VERSIONS (default 1000 x 100 x 5:
the 100k claims the README targets are stated on). Databases: SQLite at
BENCH_SQLITE_PATH (default var/bench/bench.sqlite3) always, then, when DATABASE_URL
is set, that PostgreSQL database (a scratch one: it is flushed when the size
changes); each in its own child process, results side by side in one file.
The data set is reused when it already has the requested size; BENCH_REBUILD=1
forces a rebuild. BENCH_REQUESTS (30) timed requests per page after BENCH_WARMUP (3).
BENCH_NOTE: what else ran on the machine, stored with its load average.

Steps: migrate + generate_load_data (timed); a superuser in every role group,
logged in by a session made in-process (SessionStore) before gunicorn starts;
gunicorn with 2 workers on 127.0.0.1 and a free port; p50/p95 of the product
pages against the Django admin changelist and simple-history's admin history
page; the audit CSV export of every event (rows/s, peak RSS of the workers from
/proc/<pid>/status VmHWM) against the database's own CSV writer (sqlite3 .mode
csv / psql \\copy); an in-process import of a ~2 MB article (claims/s); on
PostgreSQL, EXPLAIN of every query the measured pages run, flagging Seq Scans
on big tables. Prints a table and writes bench/results.json. Loopback only;
every step has a timeout. Asserts nothing.

`python -m bench import` (`make bench-import`) runs only the 2 MB import, with no
load data, in a fresh process (so its peak memory is the import's), and writes
bench/import-results.json.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

# ruff: noqa: S603 - subprocess runs fixed commands (manage.py, gunicorn, sqlite3/psql) with our arguments

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
PY = sys.executable


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


ARTICLES = env_int("BENCH_ARTICLES", 1000)
CLAIMS = env_int("BENCH_CLAIMS", 100)
VERSIONS = env_int("BENCH_VERSIONS", 5)
REQUESTS = env_int("BENCH_REQUESTS", 30)
WARMUP = env_int("BENCH_WARMUP", 3)
# `python -m bench import`: the import alone, on its own scratch SQLite file and audit anchor, so
# it can neither flush a PostgreSQL database nor touch the load data set and its chain.
IMPORT_ONLY = sys.argv[1:] == ["import"]
DATABASE_URL = "" if IMPORT_ONLY else os.environ.get("DATABASE_URL", "")
WORKDIR = ROOT / "var" / "bench"
SQLITE_PATH = Path(os.environ.get("BENCH_SQLITE_PATH") or WORKDIR / "bench.sqlite3")
if IMPORT_ONLY:
    SQLITE_PATH = WORKDIR / "import.sqlite3"
BENCH_USER = "bench_admin"


def anchor_file() -> Path:
    """Each database has its own audit chain, so its own anchor (review.audit.write_anchor)."""
    if IMPORT_ONLY:
        return WORKDIR / "audit-anchor-import.json"
    return WORKDIR / ("audit-anchor-pg.json" if DATABASE_URL else "audit-anchor-sqlite.json")


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_ENV="development",
        # As served in production: with DEBUG on, Django keeps and formats every query
        # (on SQLite with extra QUOTE() queries), which is not what a user would wait for.
        DEBUG="0",
        AUDIT_ANCHOR_PATH=str(anchor_file()),
        LOG_LEVEL=env.get("LOG_LEVEL", "WARNING"),
    )
    if not DATABASE_URL:
        env["SQLITE_PATH"] = str(SQLITE_PATH)
        env.pop("DATABASE_URL", None)
    return env


def manage(*args: str, timeout: float = 3600) -> str:
    done = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=bench_env(), capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done.stdout


# --- data set ------------------------------------------------------------------------


def generated_file() -> Path:
    return WORKDIR / ("generate-pg.json" if DATABASE_URL else "generate-sqlite.json")


def build_data(results: dict[str, Any]) -> None:
    WORKDIR.mkdir(parents=True, exist_ok=True)
    marker = WORKDIR / ("size-pg.json" if DATABASE_URL else "size-sqlite.json")
    size = {"articles": ARTICLES, "claims": CLAIMS, "versions": VERSIONS, "db": DATABASE_URL or str(SQLITE_PATH)}
    reuse = marker.exists() and json.loads(marker.read_text()) == size and not os.environ.get("BENCH_REBUILD")
    if reuse and (DATABASE_URL or SQLITE_PATH.exists()):
        print(f"Reusing the {ARTICLES} x {CLAIMS} x {VERSIONS} data set (BENCH_REBUILD=1 to rebuild).")
        results["generate"] = {**json.loads(generated_file().read_text()), "reused": True}
        return
    marker.unlink(missing_ok=True)
    anchor_file().unlink(missing_ok=True)
    if DATABASE_URL:
        manage("migrate", "--noinput")
        manage("flush", "--noinput")
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    manage("migrate", "--noinput")
    print(f"Generating {ARTICLES} articles x {CLAIMS} claims x {VERSIONS} versions ...", flush=True)
    started = time.monotonic()
    out = manage(
        "generate_load_data",
        f"--articles={ARTICLES}",
        f"--claims-per-article={CLAIMS}",
        f"--versions={VERSIONS}",
        "--reviews",
        "--publications",
    )
    seconds = time.monotonic() - started
    print(out.strip().splitlines()[-1])
    # Largest child so far: migrate or the generator, whichever peaked higher.
    peak_mb = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    generated = {"seconds": round(seconds, 1), "peak_mb": peak_mb, "load_average": os.getloadavg()}
    results["generate"] = generated
    generated_file().write_text(json.dumps(generated))
    marker.write_text(json.dumps(size))


def setup_django() -> None:
    os.environ.update(bench_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare_user_and_targets() -> dict[str, Any]:
    """The superuser (in every role group), a logged-in session, and the ids the pages need."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User
    from django.utils.module_loading import import_string

    from content.models import Article, Claim, ClaimStatus
    from review.models import AuditEvent

    user = User.objects.filter(username=BENCH_USER).first()
    if user is None:
        user = User.objects.create_superuser(BENCH_USER, "bench@example.org", None)
    user.groups.set(Group.objects.all())
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.set_expiry(3600)
    store.save()
    articles = Article.objects.order_by("pk").values_list("pk", flat=True)
    article_id = articles[len(articles) // 2]
    claim = Claim.objects.filter(article_id=article_id, status=ClaimStatus.APPROVED).order_by("pk").first()
    claim = claim or Claim.objects.filter(article_id=article_id).first()
    assert claim is not None, "no claims: the data set is empty"
    middle = AuditEvent.objects.order_by("id").values_list("at", flat=True)[AuditEvent.objects.count() // 2]
    return {
        "public_article": public_article_target(user),
        "channel_key": channel_key(user),
        "cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}",
        "article": article_id,
        "claim": claim.pk,
        "day": middle.date().isoformat(),
        "events": AuditEvent.objects.count(),
    }


def public_article_target(user: Any) -> int | None:
    """An article on the website channel, as the public page serves it: one whose claims are live there.

    generate_load_data publishes claims one by one; the page needs the article's own publication
    too, recorded here through save_as (so with history and an audit event) when none is live.
    """
    from content.governance import save_as
    from review.models import ArticlePublication, Channel, Publication

    website = Channel.objects.filter(slug="website").first()
    live = Publication.objects.filter(channel=website, withdrawn_at__isnull=True)
    article_id = live.order_by("claim__article_id").values_list("claim__article_id", flat=True).first()
    if website is None or article_id is None:
        return None
    if not website.article_publications.filter(article_id=article_id, withdrawn_at__isnull=True).exists():
        save_as(ArticlePublication(article_id=article_id, channel=website, published_by=user), user, "Benchmark page")
    return int(article_id)


def channel_key(user: Any) -> str:
    """A consumer's key for the website feed: consumers read it with a key, not a staff session."""
    from review.models import Channel, ChannelToken

    website = Channel.objects.filter(slug="website").first()
    return ChannelToken.issue(website, by=user, name="bench consumer")[1] if website else ""


def serving(t: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """(name, path, headers) of the patient-facing reads as their readers send them, beside a static file.

    The feed as a consumer reads it (its channel key), the public page and the static file as a
    patient's browser does (no session cookie).
    """
    key = {"Authorization": f"Channel {t['channel_key']}"}
    rows = [("channel feed page (API, 50 items)", "/api/v1/channels/website/feed/", key)]
    if t.get("public_article"):
        rows.append(("public article page", f"/channels/website/articles/{t['public_article']}/", {}))
    rows.append(("static file (WhiteNoise)", "/static/vetted.css", {}))
    return rows


SERVING_CLIENTS = env_int("BENCH_SERVING_CLIENTS", 4)
SERVING_REQUESTS = env_int("BENCH_SERVING_REQUESTS", 400)


def measure_serving(port: int, t: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Requests/s and p50 with BENCH_SERVING_CLIENTS concurrent clients, each page then its 304.

    Every request opens a fresh loopback connection, as `get` does, for the static file too, so
    the three rows differ only in what the app does.
    """
    from concurrent.futures import ThreadPoolExecutor

    out: dict[str, dict[str, Any]] = {}

    def run(name: str, path: str, headers: dict[str, str]) -> None:
        for _ in range(WARMUP):
            get(port, path, "", headers=headers)

        def one(_: int) -> tuple[int, float]:
            status, _size, seconds = get(port, path, "", headers=headers)
            return status, seconds * 1000

        started = time.perf_counter()
        with ThreadPoolExecutor(SERVING_CLIENTS) as pool:
            results = list(pool.map(one, range(SERVING_REQUESTS)))
        wall = time.perf_counter() - started
        times = sorted(ms for _, ms in results)
        out[name] = {
            "path": path,
            "status": sorted({status for status, _ in results}),
            "requests_per_s": round(len(results) / wall, 1),
            "p50_ms": round(statistics.median(times), 2),
        }
        row = out[name]
        print(f"  {name:<40} {row['requests_per_s']:>8} req/s  p50 {row['p50_ms']:>7} ms  {row['status']}")

    for name, path, headers in serving(t):
        run(name, path, headers)
        if not path.startswith("/static/"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", path, headers={"Host": "127.0.0.1", **headers})
            etag = conn.getresponse().getheader("ETag") or ""
            conn.close()
            run(f"{name}, 304", path, {**headers, "If-None-Match": etag})
    return out


def pages(t: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(name, path, baseline name): list pages compare to the admin changelist, history to simple-history's."""
    return [
        ("admin claim changelist", "/admin/content/claim/", None),
        ("admin claim history (simple-history)", f"/admin/content/claim/{t['claim']}/history/", None),
        ("review queue (HTML)", "/review/queue/", "admin claim changelist"),
        ("review queue (API)", "/api/v1/review-queue/", "admin claim changelist"),
        ("article page", f"/articles/{t['article']}/", "admin claim changelist"),
        ("claim history + diff", f"/claims/{t['claim']}/history/", "admin claim history (simple-history)"),
        ("audit timeline, one claim", f"/compliance/?claim={t['claim']}", "admin claim changelist"),
        ("audit timeline, one day", f"/compliance/?since={t['day']}&until={t['day']}", "admin claim changelist"),
        ("channel feed (API)", "/api/v1/channels/website/feed/", "admin claim changelist"),
    ]


# --- server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(port: int) -> subprocess.Popen[bytes]:
    config = WORKDIR / "gunicorn_bench.py"
    config.write_text("workers = 2\nworker_class = 'sync'\ntimeout = 120\nloglevel = 'warning'\n")
    proc = subprocess.Popen(
        [str(Path(PY).parent / "gunicorn"), "-c", str(config), "-b", f"127.0.0.1:{port}", "config.wsgi"],
        cwd=ROOT,
        env=bench_env(),
        stdout=subprocess.DEVNULL,
        stderr=open(WORKDIR / "gunicorn.log", "wb"),  # the server outlives this call
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _, _ = get(port, "/healthz", "")
            if status == 200 and len(worker_pids(proc.pid)) == 2:
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    stop_gunicorn(proc)
    sys.exit(f"gunicorn did not come up; see {WORKDIR / 'gunicorn.log'}")


def stop_gunicorn(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def worker_pids(master: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return []


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def get(
    port: int, path: str, cookie: str, sink: bool = False, headers: dict[str, str] | None = None
) -> tuple[int, int, float]:
    """(status, bytes, seconds) of one GET over a fresh loopback connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1", **(headers or {})})
    response = conn.getresponse()
    size = 0
    while chunk := response.read(1 << 16):
        size += len(chunk)
    elapsed = time.perf_counter() - started
    conn.close()
    return response.status, size, elapsed


def measure_pages(port: int, t: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, path, baseline in pages(t):
        statuses, times, size = set(), [], 0
        for i in range(WARMUP + REQUESTS):
            status, size, seconds = get(port, path, t["cookie"])
            statuses.add(status)
            if i >= WARMUP:
                times.append(seconds * 1000)
        times.sort()
        out[name] = {
            "path": path,
            "status": sorted(statuses),
            "bytes": size,
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, round(0.95 * len(times)) - 1)], 1),
            "baseline": baseline,
        }
        print(f"  {name:<40} p50 {out[name]['p50_ms']:>8} ms  p95 {out[name]['p95_ms']:>8} ms  {sorted(statuses)}")
    return out


EXPORT_COLUMNS = "id, at, actor_username, type, object_type, object_id, changes, reason, hash, prev_hash"


def measure_export(port: int, proc: subprocess.Popen[bytes], t: dict[str, Any]) -> dict[str, Any]:
    before = {pid: vm_hwm_mb(pid) for pid in worker_pids(proc.pid)}
    status, size, seconds = get(port, "/api/v1/audit/export.csv", t["cookie"])
    after = {pid: vm_hwm_mb(pid) for pid in worker_pids(proc.pid)}
    floor_seconds = csv_floor()
    rows = t["events"]
    result = {
        "status": status,
        "rows": rows,
        "bytes": size,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "worker_peak_mb_before": round(max(before.values(), default=0), 1),
        "worker_peak_mb": round(max(after.values(), default=0), 1),
        "floor_seconds": round(floor_seconds, 2) if floor_seconds else None,
        "floor_rows_per_s": round(rows / floor_seconds) if floor_seconds else None,
    }
    print(f"  audit CSV export: {result}")
    return result


def csv_floor() -> float | None:
    """The database's own CSV writer over the same rows: the best any export could do."""
    sql = f"SELECT {EXPORT_COLUMNS} FROM review_auditevent ORDER BY id"  # noqa: S608 - constants only
    if DATABASE_URL:
        if not shutil.which("psql"):
            return None
        cmd = ["psql", DATABASE_URL, "-q", "-c", f"\\copy ({sql}) TO STDOUT CSV HEADER"]
    else:
        if not shutil.which("sqlite3"):
            print("  (no sqlite3 CLI: apt-get install sqlite3 for the export floor)")
            return None
        cmd = ["sqlite3", "-csv", "-header", str(SQLITE_PATH), sql]
    started = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, timeout=600)
    return time.perf_counter() - started


# --- in-process -----------------------------------------------------------------------


def explain_pages(t: dict[str, Any]) -> dict[str, Any]:
    """PostgreSQL only: EXPLAIN every SELECT the measured pages run; flag Seq Scans on big tables."""
    from django.contrib.auth.models import User
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples > 10000")
        big = {row[0] for row in cursor.fetchall()}
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=BENCH_USER))
    report: dict[str, Any] = {}
    for name, path, _ in pages(t):
        # Reads routed to the "replica" alias (config.db_router) are captured too.
        with contextlib.ExitStack() as stack:
            captures = [stack.enter_context(CaptureQueriesContext(connections[a])) for a in connections]
            client.get(path)
        captured = [query for capture in captures for query in capture.captured_queries]
        scans: set[str] = set()
        indexes: set[str] = set()
        for query in captured:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            scans |= {table for table in re.findall(r"Seq Scan on (\w+)", plan) if table in big}
            indexes |= set(re.findall(r"Index (?:Only )?Scan (?:Backward )?using (\w+)", plan))
            indexes |= set(re.findall(r"Bitmap Index Scan on (\w+)", plan))
        report[name] = {
            "queries": len(captured),
            "seq_scans_on_big_tables": sorted(scans),
            "indexes_used": sorted(indexes),
        }
        print(f"  EXPLAIN {name:<40} {len(captured):>3} queries, seq scans: {sorted(scans) or 'none'}")
    return report


def peak_rss_mb() -> float:
    """This process's largest resident set so far (a lifetime peak: it never goes down)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure_import() -> dict[str, Any]:
    """content.actions.import_article of a ~2 MB plain-text article, in-process.

    Also the pure parse alone (content.importing.parse_article), and the process's peak
    resident memory before and after: in `python -m bench import` the process is fresh,
    so the difference is what importing the article needs.
    """
    from django.conf import settings
    from django.contrib.auth.models import User

    from content.actions import import_article
    from content.importing import parse_article

    limit = min(env_int("BENCH_IMPORT_BYTES", 2 * 1024 * 1024), int(settings.VETTED_IMPORT_MAX_BYTES))
    parts, size, i = ["Bench import article"], 0, 0
    while True:
        i += 1
        sentence = f"Adults in cohort {i} who walked daily had a lower resting heart rate (Bench, {1900 + i % 120})."
        if size + len(sentence) + 2 > limit - 1024:
            break
        parts.append(sentence)
        size += len(sentence) + 2
    text = "\n\n".join(parts) + "\n"
    author = User.objects.get(username=BENCH_USER)
    peak_before = peak_rss_mb()
    started = time.perf_counter()
    parse_article(text, "text")
    parse_seconds = time.perf_counter() - started
    started, cpu_started = time.perf_counter(), time.process_time()
    # force: every run imports the same generated text, and it measures speed, not duplicate checks.
    result = import_article(text=text, fmt="text", author=author, title=f"Bench import {time.time():.0f}", force=True)
    seconds = time.perf_counter() - started
    # On a busy machine the wall clock also counts other processes' turns; CPU time does not.
    cpu_seconds = time.process_time() - cpu_started
    claims = result.claim_count
    out = {
        "bytes": len(text.encode()),
        "claims": claims,
        "seconds": round(seconds, 1),
        "claims_per_s": round(claims / seconds, 1),
        "cpu_seconds": round(cpu_seconds, 1),
        "claims_per_cpu_s": round(claims / cpu_seconds, 1),
        "parse_seconds": round(parse_seconds, 1),
        "process_peak_before_mb": peak_before,
        "process_peak_mb": peak_rss_mb(),
    }
    print(f"  import: {out}")
    return out


IMPORT_RESULTS = ROOT / "bench" / "import-results.json"


def import_only() -> None:
    """`python -m bench import`: the 2 MB import alone, in a fresh process on a fresh database.

    No load data (so no library of approved claims to match against, unlike the full run):
    a scratch SQLite file, var/bench/import.sqlite3, made anew each run. Writes
    bench/import-results.json.
    """
    WORKDIR.mkdir(parents=True, exist_ok=True)
    for path in (Path(f"{SQLITE_PATH}{suffix}") for suffix in ("", "-wal", "-shm")):
        path.unlink(missing_ok=True)
    anchor_file().unlink(missing_ok=True)
    manage("migrate", "--noinput")
    # A child process: its peak memory is the import's, not migrate's or this parent's.
    env = dict(os.environ, BENCH_CHILD="1")
    subprocess.run([PY, "-m", "bench", "import"], cwd=ROOT, env=env, check=True, timeout=3600)


def import_only_child() -> None:
    setup_django()
    from django.contrib.auth.models import User

    if not User.objects.filter(username=BENCH_USER).exists():
        User.objects.create_superuser(BENCH_USER, "bench@example.org", None)
    i = measure_import()
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(), "import": i}
    IMPORT_RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(
        f"import: {i['claims']} claims ({i['bytes']} bytes) in {i['seconds']} s = {i['claims_per_s']} claims/s "
        f"({i['cpu_seconds']} s CPU = {i['claims_per_cpu_s']} claims/CPU-s); parse alone {i['parse_seconds']} s; "
        f"peak RSS {i['process_peak_before_mb']} -> {i['process_peak_mb']} MB"
    )
    print(f"Wrote {IMPORT_RESULTS.relative_to(ROOT)}")


def measure_library() -> dict[str, Any]:
    """bench/library_match.py: one article's claims (BENCH_CLAIMS) against 100k approved wordings."""
    approved = env_int("BENCH_LIBRARY_APPROVED", 100_000)
    cmd = [PY, "bench/library_match.py", f"--approved={approved}", f"--claims={CLAIMS}"]
    done = subprocess.run(cmd, cwd=ROOT, env=bench_env(), capture_output=True, text=True, timeout=1800, check=True)
    out = done.stdout

    def seconds(label: str) -> float:
        match = re.search(re.escape(label) + r"[^:]*: ([0-9.]+) s", out)
        return float(match.group(1)) if match else float("nan")

    result = {
        "approved": approved,
        "claims": CLAIMS,
        "index_build_seconds": seconds("building the index"),
        "match_seconds": seconds(f"matching {CLAIMS} claims"),
    }
    print(f"  library matching: {result}")
    return result


# --- report ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    from django.db import connection

    mem_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {
        "load_average": [round(x, 2) for x in os.getloadavg()],
        # What else ran on the machine, as the person running the benchmark states it (BENCH_NOTE).
        "note": os.environ.get("BENCH_NOTE", ""),
        "nproc": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "db": f"{connection.vendor} {connection.cursor().connection.__class__.__module__}",
        "platform": platform.platform(),
    }


def verdicts(results: dict[str, Any]) -> dict[str, bool | None]:
    p = results["pages"]
    sqlite = results["machine"]["db"].startswith("sqlite")
    out: dict[str, bool | None] = {}
    for name, row in p.items():
        if row["baseline"]:
            out[f"{name} p50 <= {row['baseline']} p50"] = row["p50_ms"] <= p[row["baseline"]]["p50_ms"]
    for name in ("review queue (HTML)", "review queue (API)", "channel feed (API)"):
        out[f"{name} p50 < 50 ms on SQLite"] = p[name]["p50_ms"] < 50 if sqlite else None
    export = results["export"]
    floor = export.get("floor_rows_per_s")
    out["export >= half the floor's rows/s"] = export["rows_per_s"] >= floor / 2 if floor else None
    out["export worker peak < 150 MB"] = export["worker_peak_mb"] < 150
    library = results.get("library")
    out["library matching of one article < 1 s"] = library["match_seconds"] < 1 if library else None
    return out


def save(results: dict[str, Any]) -> None:
    """bench/results.json holds the latest run of each database: this one replaces its own."""
    kept: dict[str, Any] = {}
    if RESULTS.exists():
        with contextlib.suppress(ValueError):
            kept = json.loads(RESULTS.read_text()).get("runs", {})
    kept["postgresql" if DATABASE_URL else "sqlite"] = results
    RESULTS.write_text(json.dumps({"runs": kept}, indent=2) + "\n")


def main() -> None:
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "size": {"articles": ARTICLES, "claims": CLAIMS, "versions": VERSIONS},
    }
    build_data(results)
    setup_django()
    from django.db import connection

    if connection.vendor == "postgresql":
        # A fresh bulk load has neither planner statistics nor a visibility map until
        # autovacuum gets to it; a live database has both (EXPLAIN's "big table" test reads
        # the statistics, index-only scans need the map).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    targets = prepare_user_and_targets()
    results["machine"] = machine()
    results["targets"] = {k: v for k, v in targets.items() if k != "cookie"}
    port = free_port()
    proc = start_gunicorn(port)
    try:
        print(f"gunicorn (2 workers) on 127.0.0.1:{port}; {REQUESTS} requests per page after {WARMUP} warm-up")
        results["pages"] = measure_pages(port, targets)
        print(f"patient-facing reads, {SERVING_CLIENTS} concurrent clients, {SERVING_REQUESTS} requests each row")
        results["serving"] = measure_serving(port, targets)
    finally:
        stop_gunicorn(proc)
    # Fresh workers for the export: VmHWM is a lifetime peak, so after the pages it would
    # report the largest page instead of what the export itself needs.
    proc = start_gunicorn(port)
    try:
        results["export"] = measure_export(port, proc, targets)
    finally:
        stop_gunicorn(proc)
    results["explain"] = explain_pages(targets)
    save(results)  # keep the figures if the import is cut short
    results["library"] = measure_library()
    save(results)
    results["import"] = measure_import()
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["verdicts"] = verdicts(results)
    save(results)
    print()
    print(
        f"| page | p50 ms | p95 ms | baseline p50 ms | ({ARTICLES} x {CLAIMS} x {VERSIONS}, {results['machine']['db']})"
    )
    print("| --- | ---: | ---: | ---: |")
    for name, row in results["pages"].items():
        base = results["pages"][row["baseline"]]["p50_ms"] if row["baseline"] else ""
        print(f"| {name} | {row['p50_ms']} | {row['p95_ms']} | {base} |")
    print("\n| patient-facing read | requests/s | p50 ms |\n| --- | ---: | ---: |")
    for name, row in results["serving"].items():
        print(f"| {name} | {row['requests_per_s']} | {row['p50_ms']} |")
    e = results["export"]
    print(
        f"\nexport: {e['rows']} rows in {e['seconds']} s = {e['rows_per_s']} rows/s "
        f"(floor {e['floor_rows_per_s']} rows/s); worker peak {e['worker_peak_mb']} MB"
    )
    lib = results["library"]
    print(
        f"library: {lib['claims']} claims against {lib['approved']} approved in {lib['match_seconds']} s "
        f"(index built once per process in {lib['index_build_seconds']} s)"
    )
    i = results["import"]
    print(f"import: {i['claims']} claims ({i['bytes']} bytes) in {i['seconds']} s = {i['claims_per_s']} claims/s")
    print(f"generate: {results['generate']}")
    for what, ok in results["verdicts"].items():
        print(f"  {'met' if ok else 'n/a' if ok is None else 'MISSED'}: {what}")
    print(f"\nWrote {RESULTS.relative_to(ROOT)}")


def run_all() -> None:
    """SQLite, then PostgreSQL when DATABASE_URL is set: one child process per database."""
    databases = ["sqlite"] + (["postgresql"] if DATABASE_URL else [])
    for database in databases:
        env = dict(os.environ, BENCH_CHILD="1")
        if database == "sqlite":
            env.pop("DATABASE_URL", None)
        print(f"=== {database} ===", flush=True)
        subprocess.run([PY, "-m", "bench"], cwd=ROOT, env=env, check=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["import"]:
        import_only_child() if os.environ.get("BENCH_CHILD") else import_only()
    elif os.environ.get("BENCH_CHILD"):
        main()
    else:
        run_all()
