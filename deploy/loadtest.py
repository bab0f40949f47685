"""Bounded load test: gunicorn (2 workers) with production settings on PostgreSQL, loopback only.

    LOADTEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/vetted_load .venv/bin/python deploy/loadtest.py

1. Recreate the scratch database, migrate, collect static files, and build data in a child
   process (`--prepare`): demo users and channels, 25 imported articles of 8 claims, all
   submitted; 40 approved and published to the website channel; a channel feed key.
2. Start gunicorn on 127.0.0.1 and a db_worker (webhooks, notifications), both with
   production settings, logging to var/loadtest-*.log.
3. Run CLIENTS threads for SECONDS. Each loops: read the channel feed (with If-None-Match
   half the time), read the review queue, or work on its own claims: revise and resubmit
   (author), approve with the password (reviewer: an e-signature, so a full password hash),
   publish an approved claim (publisher). Claims are split between clients, so the 409s
   counted are only those of people racing on purpose, which should be none.
4. Report requests/s, p50/p95/p99 latency and errors (5xx and transport failures) per kind,
   then run reconcile_history and verify_audit on the database the load wrote.

Nothing but 127.0.0.1 is ever contacted, and every loop stops at the deadline.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PY = os.environ.get("PY", str(ROOT / ".venv" / "bin" / "python"))
VAR = ROOT / "var"
HOST = "127.0.0.1"  # loopback only, whatever the arguments say
PASSWORD = "loadtest-password-2026"
CHANNEL = "website"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/vetted_load"
WEIGHTS = {"feed": 45, "queue": 30, "revise": 14, "approve": 5, "publish": 6}


# --- environment and processes ----------------------------------------------------------------------


def server_env(database_url: str, anchor: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_ENV="production",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        DATABASE_URL=database_url,
        SECURE_SSL_REDIRECT="0",  # no TLS proxy on loopback
        AUDIT_ANCHOR_PATH=str(anchor),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    return env


def manage(env: dict[str, str], *args: str, quiet: bool = True) -> str:
    result = subprocess.run(  # noqa: S603 (our own commands, fixed arguments)
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    if result.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    if not quiet:
        print(result.stdout.rstrip())
    return result.stdout


def recreate_database(database_url: str) -> None:
    parts = urlsplit(database_url)
    if parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
        sys.exit("The load test only runs against a PostgreSQL on this machine.")
    name = parts.path.lstrip("/")
    maintenance = database_url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["dropdb", "--if-exists", f"--maintenance-db={maintenance}", name], check=True)  # noqa: S603, S607 (PostgreSQL client tools on PATH)
    subprocess.run(["createdb", f"--maintenance-db={maintenance}", name], check=True)  # noqa: S603, S607 (PostgreSQL client tools on PATH)


def ensure_free(port: int) -> None:
    """Refuse to start when something else listens there: the load would go to someone else's server."""
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            sys.exit(f"Port {port} on {HOST} is in use; choose another with --port.")


def start_gunicorn(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    ensure_free(port)
    env = {**env, "GUNICORN_BIND": f"{HOST}:{port}", "GUNICORN_WORKERS": str(workers)}
    with open(log, "ab") as out:
        proc = subprocess.Popen(  # noqa: S603 (our own commands, fixed arguments)
            [str(Path(PY).with_name("gunicorn")), "-c", "gunicorn.conf.py", "config.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_for_health(port, proc)
    return proc


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(  # noqa: S603 (our own commands, fixed arguments)
            [PY, "manage.py", "db_worker", "--interval", "0.5", "--no-startup-delay"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for_health(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz", headers={"Host": HOST})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    sys.exit(f"gunicorn did not become healthy on port {port} (see var/*-gunicorn.log)")


# --- data (runs in a child process with Django set up: `loadtest.py --prepare`) -----------------------


def prepare(articles: int, claims_per_article: int, published: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from content.actions import import_article
    from review.actions import record_review
    from review.models import DEFAULT_MEANING, Channel, ChannelToken, Decision, EvidenceGrade
    from review.publishing.actions import publish_claim

    call_command("seed_demo", password=PASSWORD, stdout=io.StringIO())
    users = {u.username: u for u in User.objects.all()}
    author, reviewer, publisher = users["author"], users["reviewer"], users["publisher"]
    claim_ids: list[int] = []
    for a in range(articles):
        sentences = [
            f"Adults who walk {a * claims_per_article + i + 10} minutes a day sleep better (Walker, {1950 + i})."
            for i in range(claims_per_article)
        ]
        text = f"Walking and sleep, part {a + 1}\n\n" + "\n\n".join(sentences) + "\n"
        article = import_article(text=text, fmt="text", author=author).article
        for claim in article.claims.order_by("position"):
            claim.submit(by=author)
            claim_ids.append(claim.pk)
    channel = Channel.objects.get(slug=CHANNEL)
    for pk in claim_ids[:published]:
        from content.models import Claim

        claim = Claim.objects.get(pk=pk)
        record_review(
            claim=claim,
            version=claim.version,
            reviewer=reviewer,
            decision=Decision.APPROVE,
            evidence_grade=EvidenceGrade.HIGH,
            nuance_tags=[],
            password=PASSWORD,
            signature_meaning=DEFAULT_MEANING,
        )
        publish_claim(Claim.objects.get(pk=pk), channel, by=publisher)
    _token, key = ChannelToken.issue(channel, by=publisher, name="load test")
    return {"claims": claim_ids, "published": claim_ids[:published], "feed_key": key}


# --- the client ------------------------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    status: int  # 0: the request failed before an HTTP status came back
    seconds: float


@dataclass
class Session:
    """One logged-in person's cookies, shared by the clients acting as that person."""

    cookies: dict[str, str] = field(default_factory=dict)

    def header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


class Client:
    def __init__(self, port: int, samples: list[Sample], lock: threading.Lock) -> None:
        self.port, self.samples, self.lock = port, samples, lock
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)

    def request(
        self,
        kind: str,
        method: str,
        path: str,
        session: Session | None = None,
        form: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        hdrs = {"Host": HOST, **(headers or {})}
        body = None
        if session is not None and session.cookies:
            hdrs["Cookie"] = session.header()
        if form is not None:
            body = urlencode({**form, "csrfmiddlewaretoken": session.cookies.get("csrftoken", "") if session else ""})
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=hdrs)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            status = response.status
            got = {k.lower(): v for k, v in response.getheaders()}
            if session is not None:
                for raw in response.headers.get_all("Set-Cookie") or []:
                    for name, morsel in SimpleCookie(raw).items():
                        session.cookies[name] = morsel.value
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
            status, got, text = 0, {}, ""
        with self.lock:
            self.samples.append(Sample(kind, status, time.perf_counter() - started))
            if (status == 409 or status >= 500) and (kind, status) not in EXAMPLES:
                EXAMPLES[(kind, status)] = notice(text)
        return status, got, text


# The first refusal or server error of each kind, to say why in the report.
EXAMPLES: dict[tuple[str, int], str] = {}


def notice(html: str) -> str:
    """The page's error notice (or its start), without markup."""
    found = re.search(r'class="notice[^"]*"[^>]*>(.*?)</', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1) if found else html[:300])).strip()


def login(port: int, username: str) -> Session:
    session = Session()
    client = Client(port, [], threading.Lock())
    client.request("login", "GET", "/accounts/login/", session)
    status, _, _ = client.request(
        "login", "POST", "/accounts/login/", session, {"username": username, "password": PASSWORD}
    )
    if status != 302:
        sys.exit(f"login as {username} failed with HTTP {status}")
    return session


def hidden(name: str, html: str) -> str | None:
    found = re.search(rf'name="{name}"[^>]*value="(\d+)"', html) or re.search(rf'value="(\d+)"[^>]*name="{name}"', html)
    return found.group(1) if found else None


class Person:
    """A client thread: reads, and works through its own claims as author, reviewer and publisher."""

    def __init__(
        self,
        index: int,
        client: Client,
        sessions: dict[str, Session],
        claims: list[int],
        published: set[int],
        feed_key: str,
    ) -> None:
        self.index, self.client, self.sessions, self.feed_key = index, client, sessions, feed_key
        self.rng = random.Random(index)  # noqa: S311 (a repeatable mix, not a secret)
        # Local view of each own claim: in_review -> approved -> (published) -> revised back in review.
        self.state = {pk: ("published" if pk in published else "in_review") for pk in claims}
        self.revisions = 0
        self.etag = ""

    def pick(self, *states: str) -> int | None:
        mine = [pk for pk, s in self.state.items() if s in states]
        return self.rng.choice(mine) if mine else None

    def step(self) -> None:
        kind = self.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        if kind == "revise" and (pk := self.pick("approved", "published")) is not None:
            self.revise(pk)
        elif kind == "approve" and (pk := self.pick("in_review")) is not None:
            self.approve(pk)
        elif kind == "publish" and (pk := self.pick("approved")) is not None:
            self.publish(pk)
        elif kind == "queue":
            self.client.request("review queue", "GET", "/review/queue/", self.sessions["reviewer"])
        else:
            self.feed()

    def feed(self) -> None:
        headers = {"Authorization": f"Channel {self.feed_key}"}
        if self.etag and self.rng.random() < 0.5:
            headers["If-None-Match"] = self.etag
        status, got, _ = self.client.request(
            "channel feed", "GET", f"/api/v1/channels/{CHANNEL}/feed/", None, None, headers
        )
        if status == 200:
            self.etag = got.get("etag", "")

    def revise(self, pk: int) -> None:
        author = self.sessions["author"]
        status, _, html = self.client.request("edit form", "GET", f"/claims/{pk}/edit/", author)
        version = hidden("expected_version", html)
        if status != 200 or version is None:
            return
        self.revisions += 1
        text = f"Adults who walk every day sleep better, revision {self.index}.{self.revisions} (Walker, 1999)."
        form = {"text": text, "expected_version": version, "change_reason": "Load test revision"}
        status, _, _ = self.client.request("revise", "POST", f"/claims/{pk}/edit/", author, form)
        if status != 302:
            return
        status, _, _ = self.client.request("submit", "POST", f"/claims/{pk}/submit/", author, {})
        if status == 302:
            self.state[pk] = "in_review"

    def approve(self, pk: int) -> None:
        reviewer = self.sessions["reviewer2" if self.index % 2 else "reviewer"]
        status, _, html = self.client.request("review form", "GET", f"/claims/{pk}/review/", reviewer)
        version = hidden("version", html)
        if status != 200 or version is None:
            return
        form = {
            "version": version,
            "evidence_grade": "high",
            "decision": "approve",
            "signature_meaning": "I confirm this claim version is medically accurate as worded",
            "password": PASSWORD,
        }
        status, _, _ = self.client.request("approve (signed)", "POST", f"/claims/{pk}/review/", reviewer, form)
        if status == 302:
            self.state[pk] = "approved"

    def publish(self, pk: int) -> None:
        form = {"channel": CHANNEL}
        status, _, _ = self.client.request(
            "publish", "POST", f"/claims/{pk}/publish/", self.sessions["publisher"], form
        )
        if status == 302:
            self.state[pk] = "published"


def run_load(
    port: int, clients: int, seconds: float, data: dict[str, Any], sessions: dict[str, Session]
) -> tuple[list[Sample], float]:
    samples: list[Sample] = []
    lock = threading.Lock()
    claims: list[int] = data["claims"]
    published = set(data["published"])
    deadline = time.monotonic() + seconds
    max_requests = 400_000  # a second bound, besides the deadline

    def loop(index: int) -> None:
        person = Person(
            index, Client(port, samples, lock), sessions, claims[index::clients], published, data["feed_key"]
        )
        while time.monotonic() < deadline and len(samples) < max_requests:
            person.step()

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    return samples, time.monotonic() - started


# --- report ------------------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, round(q / 100 * (len(sorted_values) - 1)))]


def summarise(samples: list[Sample], elapsed: float) -> list[dict[str, Any]]:
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_kind[s.kind].append(s)
    rows = []
    for kind, group in [*sorted(by_kind.items(), key=lambda kv: -len(kv[1])), ("all", samples)]:
        times = sorted(s.seconds * 1000 for s in group)
        statuses: dict[int, int] = defaultdict(int)
        for s in group:
            statuses[s.status] += 1
        rows.append(
            {
                "kind": kind,
                "requests": len(group),
                "rps": round(len(group) / elapsed, 1),
                "p50_ms": round(percentile(times, 50), 1),
                "p95_ms": round(percentile(times, 95), 1),
                "p99_ms": round(percentile(times, 99), 1),
                "mean_ms": round(statistics.fmean(times), 1) if times else 0.0,
                "errors": sum(n for code, n in statuses.items() if code == 0 or code >= 500),
                "conflicts_409": statuses.get(409, 0),
                "statuses": dict(sorted(statuses.items())),
            }
        )
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| kind | requests | req/s | p50 ms | p95 ms | p99 ms | errors | 409 | statuses |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        statuses = ", ".join(f"{k}: {v}" for k, v in r["statuses"].items())
        lines.append(
            f"| {r['kind']} | {r['requests']} | {r['rps']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} "
            f"| {r['errors']} | {r['conflicts_409']} | {statuses} |"
        )
    return "\n".join(lines)


def setup_database(database_url: str, env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    print(f"==> fresh database {urlsplit(database_url).path.lstrip('/')}, migrate, collectstatic")
    recreate_database(database_url)
    manage(env, "migrate", "--noinput")
    manage(env, "createcachetable")
    manage(env, "collectstatic", "--noinput")
    print("==> test data")
    result = subprocess.run(  # noqa: S603 (our own commands, fixed arguments)
        [PY, __file__, "--prepare", "--articles", str(args.articles), "--published", str(args.published)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"preparing data failed:\n{result.stderr}")
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"    {len(data['claims'])} claims in review, {len(data['published'])} published to {CHANNEL}")
    return data


def verify(env: dict[str, str]) -> bool:
    ok = True
    for command in ("reconcile_history", "verify_audit"):
        result = subprocess.run(  # noqa: S603 (our own commands, fixed arguments)
            [PY, "manage.py", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
        )
        print(f"==> {command}: exit {result.returncode}")
        print("    " + "\n    ".join((result.stdout.strip() or result.stderr.strip()).splitlines()[-3:]))
        ok = ok and result.returncode == 0
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--articles", type=int, default=25)
    parser.add_argument("--published", type=int, default=40)
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(prepare(args.articles, 8, args.published)))
        return

    database_url = os.environ.get("LOADTEST_DATABASE_URL", DEFAULT_DB)
    VAR.mkdir(exist_ok=True)
    anchor = VAR / "loadtest-anchor.json"
    anchor.unlink(missing_ok=True)
    env = server_env(database_url, anchor)
    data = setup_database(database_url, env, args)
    gunicorn = worker = None
    try:
        gunicorn = start_gunicorn(env, args.port, args.workers, VAR / "loadtest-gunicorn.log")
        worker = start_worker(env, VAR / "loadtest-worker.log")
        sessions = {name: login(args.port, name) for name in ("author", "reviewer", "reviewer2", "publisher")}
        print(f"==> {args.clients} clients for {args.seconds:.0f} s against gunicorn ({args.workers} workers)")
        samples, elapsed = run_load(args.port, args.clients, args.seconds, data, sessions)
    finally:
        stop(gunicorn)
        stop(worker)
    rows = summarise(samples, elapsed)
    print(markdown(rows))
    for (kind, status), text in sorted(EXAMPLES.items()):
        print(f"    first {status} on {kind}: {text[:200]}")
    (VAR / "loadtest-result.json").write_text(json.dumps({"elapsed_s": round(elapsed, 1), "rows": rows}, indent=2))
    ok = verify(env)
    sys.exit(0 if ok and rows[-1]["errors"] == 0 else 1)


if __name__ == "__main__":
    main()
