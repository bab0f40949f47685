"""Gunicorn settings for Vetted (`gunicorn -c gunicorn.conf.py config.wsgi`), all from the environment.

GUNICORN_BIND     address to listen on (default 127.0.0.1:8000; a TLS proxy sits in front)
GUNICORN_WORKERS  worker processes (default 2)
GUNICORN_THREADS  threads per worker (default 4); each thread serves one request and holds its own DB connection,
                  so the database must accept workers x threads connections (plus the task worker)
GUNICORN_TIMEOUT  seconds a request may run before its worker is killed and replaced (default 30)
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Threads, not sync workers: with sync workers two slow requests (a large import, a client
# trickling its body or reading its answer slowly) occupied both processes and /healthz timed
# out. gthread keeps idle keep-alive connections off the threads and serves the health check
# from a free thread while others wait on the database or the network. The proxy in front
# still buffers request and response bodies, so a slow client ties up proxy memory, not a thread.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM (a deploy), workers finish the requests they hold for up to this long.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound; jitter keeps
# them from all restarting at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# The TLS proxy in front says whether the client used HTTPS (settings trust X-Forwarded-Proto).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# One JSON-ish object per request. Path without the query string (which may carry
# search terms); the request id is the one the app echoed, so app and access lines join up.
access_log_format = (
    '{"time": "%(t)s", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", "status": %(s)s, '
    '"bytes": "%(B)s", "duration_ms": %(M)s, "request_id": "%({x-request-id}o)s", "user_agent": "%(a)s"}'
)
