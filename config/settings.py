"""Vetted settings: one module, driven by the environment.

A fresh clone runs in development mode on SQLite with no env file.
`DJANGO_ENV=production` turns on every deploy check and refuses to start
without the values a real deployment must set.
"""

import copy
import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_int_item(name: str, item: str) -> int:
    """One item of an integer list setting (a positive number of days)."""
    if not item.isascii() or not item.isdigit() or int(item) < 1:
        raise ImproperlyConfigured(f"{name} must list positive whole numbers, got {item!r}")
    return int(item)


def development_key(path: Path) -> str:
    """The random key stored at `path`, made on first use: readable by this user only (0600).

    Two processes starting at once (runserver's reloader, two test runs) must end with one
    key: the file is created exclusively, and the loser reads the winner's key.
    """
    if path.exists():
        return _read_key(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key + "\n")
    return key


def _read_key(path: Path) -> str:
    key = path.read_text("ascii").strip()
    if not key:
        raise ImproperlyConfigured(f"{path} is empty: delete it and start again to generate a new key")
    return key


ENVIRONMENT = env_str("DJANGO_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'")
PRODUCTION = ENVIRONMENT == "production"
# Where a development install keeps the keys it generated (gitignored, never committed).
KEY_DIR = Path(env_str("VETTED_KEY_DIR", str(BASE_DIR / "var")))

# Off unless asked for (DEBUG=1), in development too: debug pages show settings and source.
DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
DATABASE_URL = env_str("DATABASE_URL")

if PRODUCTION:
    missing = [n for n, v in [("SECRET_KEY", SECRET_KEY), ("ALLOWED_HOSTS", ALLOWED_HOSTS)] if not v]
    if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
        missing.append("DATABASE_URL (postgres://...)")
    if missing:
        raise ImproperlyConfigured("Production needs " + ", ".join(missing))
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off in production")
elif not SECRET_KEY:
    # Development: a random key made on first start and kept, so sessions survive restarts.
    # Never a key written in this repository: anyone could sign sessions or seal a forged chain with it.
    SECRET_KEY = development_key(KEY_DIR / "secret_key")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "django_htmx",
    "config",
    "content",
    "review",
]

MIDDLEWARE = [
    # First, so every log line of the request, from any middleware, carries its id.
    "config.logging.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the session, the user and messages, so its 400 page renders like any other.
    "config.middleware.RejectNulMiddleware",
    "config.middleware.PrivateCacheMiddleware",
    # request.htmx: views answer an htmx request with just the fragment it swaps in.
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "config.errors.RefusalMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "content.context_processors.roles",
                "review.inbox.context.unread",
            ],
        },
    },
]

# Every SQLite database gets these, whether it is the default file or a `sqlite://` URL
# (the bench and small deployments): without them writers fail with "database is locked".
SQLITE_OPTIONS: dict[str, Any] = {
    # IMMEDIATE takes the write lock when a transaction starts, so two
    # writers queue instead of one failing on a stale read snapshot.
    # SQLite has no SELECT ... FOR UPDATE; this is its equivalent.
    "transaction_mode": "IMMEDIATE",
    # Seconds a writer waits for the lock before giving up.
    "timeout": 20,
    # WAL lets readers go on while one writer commits.
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


def database_settings(url: str) -> dict[str, Any]:
    """One DATABASES entry from a URL: the one path for the default and for DATABASE_URL.

    A worker keeps its connection between requests on either database: opening one
    costs a file open (or a TCP handshake), the PRAGMAs and parsing the schema, and starts
    with an empty page cache (5-20 ms a page at 100k claims on a 2-core VM; README "Benchmark").
    """
    entry: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    if entry["ENGINE"] == "django.db.backends.sqlite3":
        # Options written in the URL's query string win over ours.
        entry["OPTIONS"] = {**SQLITE_OPTIONS, **entry.get("OPTIONS", {})}
    return entry


DATABASES = {
    "default": database_settings(DATABASE_URL or "sqlite:///" + env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")))
}

# Read replica: GET views marked with `config.db_router.use_replica` (channel feeds, audit
# reads) read from the "replica" alias. Without DATABASE_REPLICA_URL the alias is the
# primary itself, so the routed code path runs everywhere. In tests it is a mirror of
# default: the same test database through a second connection.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = database_settings(DATABASE_REPLICA_URL)
else:
    DATABASES["replica"] = copy.deepcopy(DATABASES["default"])
DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]

# App servers keep no state of their own: sessions live in the database (Django's
# default) and the cache in Redis when REDIS_URL is set. Without Redis, production
# shares a database table between workers (`manage.py createcachetable`, run by
# `make serve`); development uses per-process memory.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
elif PRODUCTION:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "vetted_cache"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production WhiteNoise serves straight from the app and project static folders,
# so development and tests need no collectstatic; production serves the collected,
# hashed and compressed copies only.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Idle sessions end; signing always asks for the password again regardless.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4 format), in every environment so tests and
# development see what production sends: scripts and styles only from our own static
# files, never inline, so an injected <script> or onclick= does not run.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

# Login throttling (django-axes): five failures for one username from one address lock
# that pair out for 15 minutes. Unknown usernames are counted and locked the same way,
# so the response never tells whether an account exists.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"
# Behind a proxy every request comes from the proxy's address, so one person's failures
# would lock a username out for everyone. Name the header the proxy sets to the client's
# address (e.g. X-Forwarded-For, X-Real-IP) and lockouts use that address instead. Off by
# default: without a proxy that overwrites it, anyone could send the header and pick
# their own address. config.security.client_ip reads it.
TRUSTED_PROXY_HEADER = env_str("TRUSTED_PROXY_HEADER")
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"
# Below those limits each wrong password, at login or when signing, makes the next try wait
# longer: this long after the first, doubling to at most a minute (content.pacing).
PASSWORD_PACING_FIRST_WAIT = timedelta(seconds=env_int("PASSWORD_PACING_FIRST_SECONDS", 1))
# Wrong old passwords on the password-change form, per user, before it answers 429 for
# the rest of the window: a stolen session must not be able to guess the password.
PASSWORD_CHANGE_FAILURE_LIMIT = env_int("PASSWORD_CHANGE_FAILURE_LIMIT", 5)
PASSWORD_CHANGE_COOLOFF = timedelta(minutes=env_int("PASSWORD_CHANGE_COOLOFF_MINUTES", 15))
# Password reset mails a login link: off unless the deployment has working mail and wants it.
PASSWORD_RESET_ENABLED = env_bool("PASSWORD_RESET_ENABLED", False)

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Load balancers probe over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")


EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}


def email_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """The EMAIL_* settings from the environment: EMAIL_URL, else EMAIL_HOST and its companions.

    EMAIL_URL is `smtp://user:password@host:587?tls=1` (STARTTLS), `smtps://...` (TLS from
    the first byte, port 465), `console://`, `file:///a/folder` or `locmem://`; user and
    password are percent-decoded. Without either, mail is printed to the console (development).
    """
    url = environ.get("EMAIL_URL", "")
    if url:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        query = {k.lower(): v for k, v in parse_qsl(parts.query)}
        if scheme in {"smtp", "smtps"}:
            if not parts.hostname:
                raise ImproperlyConfigured("EMAIL_URL needs a host, e.g. smtp://user:password@mail.example.org:587")
            ssl = scheme == "smtps" or query.get("ssl", "") in TRUE_WORDS
            try:
                port = parts.port or (465 if ssl else 25)
            except ValueError:
                raise ImproperlyConfigured(f"EMAIL_URL has a bad port: {url.rsplit('@', 1)[-1]!r}") from None
            return {
                "EMAIL_BACKEND": EMAIL_BACKENDS["smtp"],
                "EMAIL_HOST": parts.hostname,
                "EMAIL_PORT": port,
                "EMAIL_HOST_USER": unquote(parts.username or ""),
                "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
                "EMAIL_USE_SSL": ssl,
                "EMAIL_USE_TLS": not ssl and query.get("tls", "") in TRUE_WORDS,
            }
        if scheme == "file":
            if not parts.path:
                raise ImproperlyConfigured("EMAIL_URL file:// needs a folder, e.g. file:///var/lib/vetted/mail")
            return {"EMAIL_BACKEND": EMAIL_BACKENDS["file"], "EMAIL_FILE_PATH": unquote(parts.path)}
        if scheme in {"console", "locmem", "dummy"}:
            return {"EMAIL_BACKEND": EMAIL_BACKENDS[scheme]}
        raise ImproperlyConfigured(
            f"EMAIL_URL must start smtp://, smtps://, file://, console:// or locmem://, not {scheme}://"
        )
    host = environ.get("EMAIL_HOST", "")
    if host:
        ssl = _bool_from(environ, "EMAIL_USE_SSL", False)
        tls = _bool_from(environ, "EMAIL_USE_TLS", not ssl)
        given_port = environ.get("EMAIL_PORT", "")
        if given_port and not given_port.isdigit():
            raise ImproperlyConfigured(f"EMAIL_PORT must be an integer, got {given_port!r}")
        return {
            "EMAIL_BACKEND": EMAIL_BACKENDS["smtp"],
            "EMAIL_HOST": host,
            "EMAIL_PORT": int(given_port) if given_port else (465 if ssl else 587 if tls else 25),
            "EMAIL_HOST_USER": environ.get("EMAIL_HOST_USER", ""),
            "EMAIL_HOST_PASSWORD": environ.get("EMAIL_HOST_PASSWORD", ""),
            "EMAIL_USE_SSL": ssl,
            "EMAIL_USE_TLS": tls,
        }
    # A named backend on its own (EMAIL_BACKEND=...filebased.EmailBackend with EMAIL_FILE_PATH).
    chosen: dict[str, Any] = {"EMAIL_BACKEND": environ.get("EMAIL_BACKEND") or EMAIL_BACKENDS["console"]}
    if environ.get("EMAIL_FILE_PATH"):
        chosen["EMAIL_FILE_PATH"] = environ["EMAIL_FILE_PATH"]
    return chosen


def _bool_from(environ: Mapping[str, str], name: str, default: bool) -> bool:
    value = environ.get(name, "").lower()
    if not value:
        return default
    if value in TRUE_WORDS | FALSE_WORDS:
        return value in TRUE_WORDS
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


_email = email_settings(os.environ)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
# A mail server that does not answer must not hold a worker for ever.
EMAIL_TIMEOUT = _email.get("EMAIL_TIMEOUT", 10)
# The file backend (development): one file per message in this folder.
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "vetted@localhost")
# Where the links in e-mails point: this site's address as people reach it.
SITE_URL = env_str("SITE_URL", f"https://{ALLOWED_HOSTS[0]}" if PRODUCTION else "http://localhost:8000").rstrip("/")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's three defaults, with JSON refusing depth and NUL bytes as 400 (config.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "content.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Vetted API",
    "DESCRIPTION": "Claims, versions, reviews and publications of health content.",
    "VERSION": "1",
    "ENUM_NAME_OVERRIDES": {
        "ArticleFormatEnum": "content.models.ArticleFormat.choices",
        "NotificationKindEnum": "review.models.NotificationKind.choices",
    },
    # Swagger UI from our own static files, not a CDN: the Content-Security-Policy
    # allows scripts from 'self' only.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Audit trail (review.audit): after each event commits, the chain's head (hash, id,
# count) is written here, outside the database, so a chain rebuilt inside the
# database no longer matches. Keep it on storage the database's users cannot write.
AUDIT_ANCHOR_PATH = Path(env_str("AUDIT_ANCHOR_PATH", str(BASE_DIR / "var" / "audit-anchor.json")))
# The chain's hashes are HMAC-SHA256 under this key, so someone who can write to the
# database but does not hold the key cannot forge an event that verifies, even at the
# head. Set it on its own to rotate SECRET_KEY without re-keying the trail; it must
# stay the same for as long as the events it sealed are kept.
# Without AUDIT_KEY, production derives it from SECRET_KEY (required there); development uses
# its own generated key in var/, so a chain is never sealed with a key anyone could know.
AUDIT_KEY = env_str("AUDIT_KEY") or (
    "vetted-audit:" + SECRET_KEY if PRODUCTION else development_key(KEY_DIR / "audit_key")
)
# The anchor log's checkpoints are sealed under a key of their own (review.audit.anchor), so a
# copy of the chain's key alone cannot re-seal a shortened anchor.
AUDIT_ANCHOR_KEY = env_str("AUDIT_ANCHOR_KEY") or "vetted-anchor:" + AUDIT_KEY
# Where each checkpoint is also sent (a JSON POST), so a copy lives off this host: an object
# store with object lock, a time-stamp authority's front end or a log host. Empty: none.
AUDIT_CHECKPOINT_URL = env_str("AUDIT_CHECKPOINT_URL", "")
AUDIT_CHECKPOINT_TIMEOUT = 5
# History is append-only: the admin's "revert to this version" would rewrite rows
# outside the verbs, so it is off.
SIMPLE_HISTORY_REVERT_DISABLED = True
# Change reasons are people's words: no 100-character cap (PostgreSQL would refuse the save).
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Review policy: how many distinct signatures approve a version.
VETTED_SIGNATURES_DEFAULT = env_int("VETTED_SIGNATURES_DEFAULT", 1)
VETTED_SIGNATURES_HIGH_RISK = env_int("VETTED_SIGNATURES_HIGH_RISK", 2)
# Four eyes on publication: the publisher of a version is neither its author or editor nor its
# only signer, superusers included. Off only for a one-person install.
VETTED_FOUR_EYES_PUBLICATION = env_bool("VETTED_FOUR_EYES_PUBLICATION", True)
VETTED_IMPORT_MAX_BYTES = 2 * 1024 * 1024
# A review assignment is due this many working days after it is made, unless it says otherwise.
VETTED_ASSIGNMENT_DAYS = env_int("VETTED_ASSIGNMENT_DAYS", 5)
# Reminders before a live publication's approval falls due: these many days before, then daily
# from the last of them to the due date (`manage.py send_reminders`, from cron or with --every).
VETTED_REMINDER_DAYS = sorted(
    {env_int_item("VETTED_REMINDER_DAYS", d) for d in env_list("VETTED_REMINDER_DAYS", "14,3")}
)
# Imports of more text than this run in the task worker (content.import_jobs), not in the request.
VETTED_BACKGROUND_IMPORT_BYTES = env_int("VETTED_BACKGROUND_IMPORT_BYTES", 200 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 3 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 3 * 1024 * 1024

# One JSON object per line on stderr (LOG_FORMAT=text for humans), each with the
# request id; state changes are logged by config.logging.log_history_record.
LOG_FORMAT = env_str("LOG_FORMAT", "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'json' or 'text', got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "config.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes announces itself on every start, management commands included; its lockouts
    # reach the audit trail through signals, so only its warnings belong in the log.
    "loggers": {"axes.apps": {"level": "WARNING"}},
}
