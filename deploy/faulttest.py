"""Fault test: kill a gunicorn worker and the db_worker in the middle of load, then check nothing is half-written.

    LOADTEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/vetted_load .venv/bin/python deploy/faulttest.py

1. A fresh database as in deploy/loadtest.py, plus a webhook endpoint on the website channel
   pointing at a receiver this script runs on 127.0.0.1.
2. gunicorn (2 workers) + one db_worker + the webhook sweep (`requeue_webhooks --every`, the
   cron job of the README); CLIENTS clients revise, approve, publish and read for SECONDS. At
   KILL_WEB s one gunicorn worker gets SIGKILL (the master starts another). From KILL_TASKS s
   the receiver holds the next webhook POST without answering, and the db_worker gets SIGKILL
   while that POST is in flight (the worst moment: the receiver has the body, Vetted has no
   outcome); at RESTART_TASKS s a new db_worker starts.
3. After the load: wait for the webhook backlog to drain, then check, in a child process
   with Django (`--check`):
   - every claim's current version has its ClaimVersion row with the same content hash;
   - every approve/reject review has its signature, sealed to the same version and hash;
   - every approved claim has an approval of its current version;
   - every publication pins a version that exists, with its hash, and that was approved;
   - every webhook delivery was delivered, and the receiver saw each one; the one killed in
     flight was delivered again after the restart with the same Idempotency-Key, so the
     receiver applied it once; no other key arrived twice;
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
# The receiver holds the in-flight POST longer than the kill takes, shorter than the worker's 5 s timeout.
HOLD_SECONDS = 3.0
# The sweep runs often and counts a delivery lost after 10 s without progress (production: 60 s, 2 min).
SWEEP = ("--every", "5", "--stale-after", "10")


class Receiver(BaseHTTPRequestHandler):
    """A receiver that dedupes on Idempotency-Key, as the README asks of consumers, and answers 200.

    Once `hold_from` has passed, it holds the next POST (after reading it: the receiver has the
    event) for HOLD_SECONDS and sets `holding`, so the test can kill the worker mid-send.
    """

    seen: set[int] = set()
    applied: set[str] = set()
    repeats: list[tuple[int, str]] = []
    posts = 0
    lock = threading.Lock()
    hold_from: float | None = None
    held: int | None = None
    holding = threading.Event()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        delivery, key = int(self.headers.get("X-Vetted-Delivery") or 0), self.headers.get("Idempotency-Key") or ""
        with Receiver.lock:
            Receiver.posts += 1
            Receiver.seen.add(delivery)
            if key in Receiver.applied:
                Receiver.repeats.append((delivery, key))  # already applied: acknowledge, do nothing
            Receiver.applied.add(key)
            hold = Receiver.hold_from is not None and time.monotonic() >= Receiver.hold_from and Receiver.held is None
            if hold:
                Receiver.held = delivery
        if hold:
            Receiver.holding.set()
            time.sleep(HOLD_SECONDS)
        try:
            self.send_response(200)
            self.end_headers()
        except OSError:
            pass  # the sender died while we held it

    def log_message(self, format: str, *args: Any) -> None:
        pass


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def check(receiver: dict[str, Any]) -> dict[str, Any]:
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
        set(WebhookDelivery.objects.filter(status="delivered").values_list("id", flat=True)) - set(receiver["seen"])
    )
    held = WebhookDelivery.objects.filter(pk=receiver["held"]).values("id", "status", "attempts").first()
    if held is None:
        problems.append("no webhook was in flight when the db_worker was killed: the mid-send case was not exercised")
    elif held["status"] != "delivered" or held["attempts"] < 2:
        problems.append(f"delivery {held['id']} killed in flight was not delivered again: {held}")
    others = [d for d, _ in receiver["repeats"] if d != receiver["held"]]
    if others:
        problems.append(f"deliveries POSTed twice although no worker died during them: {sorted(set(others))}")
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
        "killed_in_flight": held,
        "repeats_recognised_by_key": len(receiver["repeats"]),
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
    with open(wlog, "ab") as out:
        sweeper = subprocess.Popen(  # noqa: S603 (our own commands, fixed arguments)
            [lt.PY, "manage.py", "requeue_webhooks", *SWEEP], cwd=lt.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
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
        Receiver.hold_from = time.monotonic()
        in_flight = Receiver.holding.wait(timeout=RESTART_TASKS - KILL_TASKS - 1)
        os.kill(workers[0].pid, signal.SIGKILL)
        what = f"while delivery {Receiver.held} was in flight" if in_flight else "(no delivery was in flight)"
        events.append(f"{time.monotonic() - started:.0f} s: SIGKILL db_worker {workers[0].pid} {what}")
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
        lt.stop(sweeper)
        for w in workers:
            lt.stop(w)
        server.shutdown()
    rows = lt.summarise(samples, elapsed)
    print(lt.markdown(rows))
    for (kind, status), text in sorted(lt.EXAMPLES.items()):
        print(f"    first {status} on {kind}: {text[:200]}")
    result = subprocess.run(  # noqa: S603 (our own commands, fixed arguments)
        [
            lt.PY,
            __file__,
            "--check",
            json.dumps({"seen": sorted(Receiver.seen), "held": Receiver.held, "repeats": Receiver.repeats}),
        ],
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
    report["distinct_idempotency_keys"] = len(Receiver.applied)
    print(json.dumps(report, indent=2))
    ok = lt.verify(env) and not report["problems"]
    (lt.VAR / "faulttest-result.json").write_text(json.dumps({"events": events, "rows": rows, **report}, indent=2))
    print("==> fault test", "passed" if ok else "FOUND PROBLEMS")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
