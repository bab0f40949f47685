"""Fault test: kill a gunicorn worker and the db_worker in the middle of load, then check nothing is half-written.

    LOADTEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/vetted_load .venv/bin/python deploy/faulttest.py

1. A fresh database as in deploy/loadtest.py, plus a webhook endpoint on the website channel
   pointing at a receiver this script runs on 127.0.0.1.
2. gunicorn (2 workers) + one db_worker; CLIENTS clients revise, approve, publish and read for
   SECONDS. At KILL_WEB s one gunicorn worker gets SIGKILL (the master starts another); at
   KILL_TASKS s the db_worker gets SIGKILL; at RESTART_TASKS s a new db_worker starts.
3. After the load: wait for the webhook backlog to drain, then check, in a child process
   with Django (`--check`):
   - every claim's current version has its ClaimVersion row with the same content hash;
   - every approve/reject review has its signature, sealed to the same version and hash;
   - every approved claim has an approval of its current version;
   - every publication pins a version that exists, with its hash, and that was approved;
   - every webhook delivery was delivered, and the receiver saw each one;
   - then reconcile_history and verify_audit.
Loopback only; every loop stops at its deadline.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadtest as lt  # the sibling script: processes, data, clients

KILL_WEB, KILL_TASKS, RESTART_TASKS = 10.0, 15.0, 30.0


class Receiver(BaseHTTPRequestHandler):
    """Records each webhook delivery id it is sent and answers 200."""

    seen: set[int] = set()
    posts = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with Receiver.lock:
            Receiver.posts += 1
            Receiver.seen.add(int(self.headers.get("X-Vetted-Delivery") or 0))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def check(receiver_seen: list[int]) -> dict[str, Any]:
    """Runs with Django set up: the invariants a crash must not break."""
    import django

    django.setup()
    from django.db.models import Count
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from content.models import Claim, ClaimVersion
    from review.models import Decision, Publication, Review, WebhookDelivery

    problems: list[str] = []
    versions = {(v.claim_id, v.version): v.content_hash for v in ClaimVersion.objects.all()}
    for claim in Claim.objects.all():
        if versions.get((claim.pk, claim.version)) != claim.content_hash:
            problems.append(f"claim {claim.pk}: current version {claim.version} has no matching ClaimVersion")
        if (
            claim.status == "approved"
            and not Review.objects.filter(claim=claim, version=claim.version, decision=Decision.APPROVE).exists()
        ):
            problems.append(f"claim {claim.pk}: approved without an approval of v{claim.version}")
    for review in Review.objects.select_related("signature").filter(decision__in=[Decision.APPROVE, Decision.REJECT]):
        sig = getattr(review, "signature", None)
        if sig is None or (sig.claim_version, sig.content_hash) != (review.version, review.content_hash):
            problems.append(f"review {review.pk}: signed decision without a matching signature")
    approved = set(Review.objects.filter(decision=Decision.APPROVE).values_list("claim_id", "version"))
    for pub in Publication.objects.all():
        if versions.get((pub.claim_id, pub.version)) != pub.content_hash:
            problems.append(f"publication {pub.pk}: pins a version/hash that does not exist")
        if (pub.claim_id, pub.version) not in approved:
            problems.append(f"publication {pub.pk}: pins an unapproved version")
    deliveries = dict(WebhookDelivery.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    stuck = list(WebhookDelivery.objects.exclude(status="delivered").values("id", "status", "attempts", "last_error"))
    unseen = sorted(
        set(WebhookDelivery.objects.filter(status="delivered").values_list("id", flat=True)) - set(receiver_seen)
    )
    if unseen:
        problems.append(f"deliveries marked delivered but never received: {unseen[:20]}")
    for d in stuck:
        problems.append(f"webhook delivery {d['id']} not delivered: {d['status']}, {d['attempts']} attempts")
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count()
    return {
        "claims": Claim.objects.count(),
        "reviews": Review.objects.count(),
        "publications": Publication.objects.count(),
        "deliveries": deliveries,
        "tasks_left_running": running,
        "problems": problems,
    }


def pending_deliveries(env: dict[str, str]) -> int:
    out = lt.manage(
        env,
        "shell",
        "-c",
        "from review.models import WebhookDelivery; print(WebhookDelivery.objects.filter(status='pending').count())",
    )
    return int(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=45)
    parser.add_argument("--port", type=int, default=18766)
    parser.add_argument("--hook-port", type=int, default=18767)
    parser.add_argument("--check", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.check is not None:
        sys.path.insert(0, str(lt.ROOT))
        print(json.dumps(check(json.loads(args.check))))
        return

    database_url = os.environ.get("LOADTEST_DATABASE_URL", lt.DEFAULT_DB)
    lt.VAR.mkdir(exist_ok=True)
    anchor = lt.VAR / "faulttest-anchor.json"
    anchor.unlink(missing_ok=True)
    env = lt.server_env(database_url, anchor)
    hook_url = f"http://{lt.HOST}:{args.hook_port}/hook"
    data = lt.setup_database(database_url, env, argparse.Namespace(articles=10, published=20))
    lt.manage(
        env,
        "shell",
        "-c",
        "from review.models import Channel, WebhookEndpoint;"
        f"WebhookEndpoint.objects.create(channel=Channel.objects.get(slug='website'), url='{hook_url}')",
    )
    lt.ensure_free(args.hook_port)
    server = ThreadingHTTPServer((lt.HOST, args.hook_port), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Publishing is what sends webhooks: weight it up.
    lt.WEIGHTS.update({"feed": 30, "queue": 20, "revise": 20, "approve": 12, "publish": 18})

    log = lt.VAR / "faulttest-gunicorn.log"
    wlog = lt.VAR / "faulttest-worker.log"
    gunicorn = lt.start_gunicorn(env, args.port, 2, log)
    workers: list[subprocess.Popen[bytes]] = [lt.start_worker(env, wlog)]
    events: list[str] = []

    def faults() -> None:
        started = time.monotonic()

        def at(t: float) -> None:
            time.sleep(max(0.0, started + t - time.monotonic()))

        at(KILL_WEB)
        victim = children(gunicorn.pid)[0]
        os.kill(victim, signal.SIGKILL)
        events.append(f"{KILL_WEB:.0f} s: SIGKILL gunicorn worker {victim}")
        at(KILL_TASKS)
        os.kill(workers[0].pid, signal.SIGKILL)
        events.append(f"{KILL_TASKS:.0f} s: SIGKILL db_worker {workers[0].pid}")
        at(RESTART_TASKS)
        workers.append(lt.start_worker(env, wlog))
        events.append(f"{RESTART_TASKS:.0f} s: new db_worker {workers[-1].pid}")

    try:
        sessions = {name: lt.login(args.port, name) for name in ("author", "reviewer", "reviewer2", "publisher")}
        print(f"==> {args.clients} clients for {args.seconds:.0f} s, with faults")
        fault_thread = threading.Thread(target=faults, daemon=True)
        fault_thread.start()
        samples, elapsed = lt.run_load(args.port, args.clients, args.seconds, data, sessions)
        fault_thread.join()
        print("\n".join(f"    {e}" for e in events))
        deadline = time.monotonic() + 120
        while (left := pending_deliveries(env)) and time.monotonic() < deadline:
            print(f"    waiting for {left} webhook deliveries")
            time.sleep(5)
    finally:
        lt.stop(gunicorn)
        for w in workers:
            lt.stop(w)
        server.shutdown()
    rows = lt.summarise(samples, elapsed)
    print(lt.markdown(rows))
    for (kind, status), text in sorted(lt.EXAMPLES.items()):
        print(f"    first {status} on {kind}: {text[:200]}")
    result = subprocess.run(  # noqa: S603 (our own commands, fixed arguments)
        [lt.PY, __file__, "--check", json.dumps(sorted(Receiver.seen))],
        cwd=lt.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"check failed:\n{result.stderr}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    report["webhook_posts_received"] = Receiver.posts
    print(json.dumps(report, indent=2))
    ok = lt.verify(env) and not report["problems"]
    (lt.VAR / "faulttest-result.json").write_text(json.dumps({"events": events, "rows": rows, **report}, indent=2))
    print("==> fault test", "passed" if ok else "FOUND PROBLEMS")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
