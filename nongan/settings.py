"""Settings, read once from the environment.

Defaults give the embedded set-up: SQLite under ./var/, tasks in the database, Chinese UI.
Production overrides live in ``nongan.settings_production``.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(env("NONGAN_HOME", str(Path.cwd()))).resolve()
VAR_DIR = Path(env("NONGAN_VAR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEV_SECRET_KEY = "dev-only-key-change-me-" + "x" * 40
SECRET_KEY = env("SECRET_KEY") or DEV_SECRET_KEY


def secret_key_problem(key: str | None) -> str | None:
    """Why ``key`` is unfit for production (None when it is fit): unset, a development or example
    default, shorter than 50 characters or with fewer than 5 distinct characters (Django's own rule)."""
    if not key:
        return "SECRET_KEY must be set"
    if key == DEV_SECRET_KEY or key.startswith(("dev-only-", "django-insecure")) or "change-me" in key:
        return "SECRET_KEY is a development default; generate a random one"
    if len(key) < 50:
        return "SECRET_KEY must be at least 50 characters long"
    if len(set(key)) < 5:
        return "SECRET_KEY must have at least 5 distinct characters"
    return None


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0", "[::1]")


def public_url_problem(url: str | None) -> str | None:
    """Why ``url`` cannot be the address printed into QR codes and public links (None when it can): unset, not
    an http(s) address with a host, or a loopback address nobody else can reach."""
    from urllib.parse import urlsplit

    if not url:
        return "NONGAN_PUBLIC_URL must be set to the address the public reaches this site at"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return (
            f"NONGAN_PUBLIC_URL must be an http(s) address such as https://nongan.example.gov.cn, not {url!r}"
        )
    if parts.hostname in LOOPBACK_HOSTS or parts.hostname.startswith("127."):
        return (
            f"NONGAN_PUBLIC_URL is {url}, a loopback address: QR codes and public links printed with it "
            "cannot be opened by anyone else"
        )
    return None


DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = [
    h.strip() for h in (env("ALLOWED_HOSTS") or "127.0.0.1,localhost,testserver").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in (env("CSRF_TRUSTED_ORIGINS") or "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    # The project's apps in their order (nongan/core/apporder.py), each with its AppConfig named.
    "nongan.core.apps.CoreConfig",
    "nongan.registry.apps.RegistryConfig",
    "nongan.standards.apps.StandardsConfig",
    "nongan.draws.apps.DrawsConfig",
    "nongan.monitoring.apps.MonitoringConfig",
    "nongan.certificates.apps.CertificatesConfig",
    "nongan.dashboard.apps.DashboardConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "nongan.core.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "nongan.core.middleware.RequestActorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "nongan.urls"
WSGI_APPLICATION = "nongan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "nongan.core.context_processors.shell",
            ],
        },
    }
]

# Database: embedded SQLite by default, PostgreSQL (or any dj-database-url URL) through DATABASE_URL.
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(env("DB_CONN_MAX_AGE", "60")))
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "nongan.sqlite3",
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {
            "user_attributes": ("username", "full_name", "first_name", "last_name", "email", "phone")
        },
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout after repeated failed logins (django-axes).
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "30")))
# Lock an account after repeated failures (whatever the source), and a single client (address and
# browser) that keeps guessing across accounts; an office behind one NAT address is not locked as a whole.
AXES_LOCKOUT_PARAMETERS = ["username", ["ip_address", "user_agent"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_LOCKOUT_CALLABLE = "nongan.core.auth.lockout_response"
# API tokens: the longest (and default) life in days; password reset links: hours until they expire.
NONGAN_TOKEN_DAYS = int(env("NONGAN_TOKEN_DAYS", "90"))
NONGAN_RESET_LINK_HOURS = int(env("NONGAN_RESET_LINK_HOURS", "24"))
# Idempotent requests: hours a key and its response are kept (a retry within them returns the first result).
NONGAN_IDEMPOTENCY_HOURS = int(env("NONGAN_IDEMPOTENCY_HOURS", "24"))
AXES_VERBOSE = False

# Session timeout: idle sessions end after SESSION_IDLE_MINUTES.
SESSION_COOKIE_AGE = int(env("SESSION_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Uploads (sample photos, import files) live under MEDIA_ROOT with random names; no URL serves MEDIA_ROOT.
# Files go out only through views that check the owning record's scope (nongan.core.files.serve_file).
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
# How serve_file sends the body: "" (Django streams it), "x-accel-redirect" (nginx: an internal location at
# NONGAN_FILE_ACCEL_PREFIX aliased to MEDIA_ROOT) or "x-sendfile" (Apache mod_xsendfile, lighttpd).
NONGAN_FILE_SEND = env("NONGAN_FILE_SEND", "")
NONGAN_FILE_ACCEL_PREFIX = env("NONGAN_FILE_ACCEL_PREFIX", "/_protected/")
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Largest spreadsheet accepted by imports, in bytes.
NONGAN_MAX_UPLOAD_BYTES = int(env("NONGAN_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
# Imports with more rows than this run as a background task with a progress bar.
NONGAN_IMPORT_SYNC_ROWS = int(env("NONGAN_IMPORT_SYNC_ROWS", "500"))
# Imports (nongan.core.imports): the uncompressed size of any one part of an .xlsx (a zip) and of all its parts,
# the longest cell, the most errors kept on a job, and how long a running stage may go without a heartbeat
# before it is failed ("worker stopped"); a queued job nobody picked up is failed after the queue timeout.
NONGAN_MAX_XLSX_PART_BYTES = int(env("NONGAN_MAX_XLSX_PART_BYTES", str(256 * 1024 * 1024)))
NONGAN_MAX_XLSX_TOTAL_BYTES = int(env("NONGAN_MAX_XLSX_TOTAL_BYTES", str(400 * 1024 * 1024)))
NONGAN_MAX_CELL_CHARS = int(env("NONGAN_MAX_CELL_CHARS", "2000"))
NONGAN_IMPORT_MAX_ERRORS = int(env("NONGAN_IMPORT_MAX_ERRORS", "1000"))
NONGAN_IMPORT_STALE_SECONDS = int(env("NONGAN_IMPORT_STALE_SECONDS", "300"))
NONGAN_IMPORT_QUEUE_SECONDS = int(env("NONGAN_IMPORT_QUEUE_SECONDS", str(24 * 3600)))
# Enzyme-inhibition rapid tests: inhibition at or above this percentage is positive (GB/T 5009.199).
NONGAN_ENZYME_THRESHOLD = env("NONGAN_ENZYME_THRESHOLD", "50")
# A 自行检测合格 / 委托检测合格 certificate needs its test record taken at most this many days before the issue.
NONGAN_BASIS_MAX_DAYS = int(env("NONGAN_BASIS_MAX_DAYS", "30"))
# Double-random draws: hours between the seed commitment and the draw (the commitment is public that long
# before anyone can draw), and how many inspectors present enter witness entropy at the draw.
NONGAN_DRAW_MIN_DELAY_HOURS = float(env("NONGAN_DRAW_MIN_DELAY_HOURS", "24"))
NONGAN_DRAW_MIN_WITNESSES = int(env("NONGAN_DRAW_MIN_WITNESSES", "2"))
# The base URL printed into certificate QR codes and public links (not signed: it may change without invalidating
# them). Production requires a real address (public_url_problem); development warns on the loopback default.
NONGAN_PUBLIC_URL = env("NONGAN_PUBLIC_URL", "http://127.0.0.1:8000")
# The key-encryption key that seals the certificate-signing private keys (nongan/certificates/keystore.py): a key
# file made by `nongan init-keys` (mode 0600, never in the database; back it up with the database), or a passphrase.
NONGAN_KEY_FILE = Path(env("NONGAN_KEY_FILE", str(VAR_DIR / "keys" / "nongan.kek")))
NONGAN_KEY_PASSPHRASE = env("NONGAN_KEY_PASSPHRASE") or None
# Development: make the key file on the first `migrate` (or the first key rotation) when it is missing.
NONGAN_KEY_AUTOCREATE = env_bool("NONGAN_KEY_AUTOCREATE", DEBUG)
# The ledger's checkpoints are signed with a key derived from the key-encryption key (nongan/core/ledger.py). After a
# change of key-encryption key, list the earlier checkpoint keys' public keys here (base64url, comma-separated, as
# published at /ledger/checkpoints.json) so the checkpoints they signed still count.
NONGAN_CHECKPOINT_KEYS = [k.strip() for k in env("NONGAN_CHECKPOINT_KEYS", "").split(",") if k.strip()]
# The district (or province) the installation serves; the demo loads Ganyu District.
NONGAN_ROOT_REGION = env("NONGAN_ROOT_REGION", "320707000000")

# The shared cache (rate limits counted across every worker): the database table nongan_cache (made by the
# migrations), or Redis with NONGAN_CACHE_URL=redis://…; "local" is each process's own memory (small lists
# kept for minutes). Rendered public pages are kept apart, in certificates.pagestore (NONGAN_VERIFY_PAGE_*).
_CACHE_URL = env("NONGAN_CACHE_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}
    if _CACHE_URL.startswith(("redis://", "rediss://"))
    else {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "nongan_cache",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "nongan-local"},
}
# Rate limits per client ("requests/seconds"): the public page /v/<number> and the verify API. Addresses in
# NONGAN_RATE_RAISED_FOR (comma-separated, e.g. a load generator or a market's scanning station) get
# NONGAN_RATE_RAISED_FACTOR times the limit.
NONGAN_VERIFY_RATE = env("NONGAN_VERIFY_RATE", "60/60")
NONGAN_VERIFY_API_RATE = env("NONGAN_VERIFY_API_RATE", "120/60")
NONGAN_RATE_RAISED_FOR = [a.strip() for a in (env("NONGAN_RATE_RAISED_FOR") or "").split(",") if a.strip()]
NONGAN_RATE_RAISED_FACTOR = int(env("NONGAN_RATE_RAISED_FACTOR", "1000"))
# The client's address: REMOTE_ADDR, or, behind a trusted reverse proxy, the header it sets (X-Forwarded-For)
# read NONGAN_TRUSTED_PROXY_COUNT entries from the right. Leave unset without a proxy: clients could forge it.
NONGAN_TRUSTED_PROXY_HEADER = env("NONGAN_TRUSTED_PROXY_HEADER", "")
NONGAN_TRUSTED_PROXY_COUNT = int(env("NONGAN_TRUSTED_PROXY_COUNT", "1"))
# Public page scans are written in batches at most this many seconds late (and at a clean exit); 0: at once.
NONGAN_SCAN_FLUSH_SECONDS = float(env("NONGAN_SCAN_FLUSH_SECONDS", "2"))
NONGAN_SCAN_BATCH = int(env("NONGAN_SCAN_BATCH", "500"))
# A rendered /v/<number> page is reused for this many seconds within a process (0: render every time); on
# PostgreSQL, while the process listens for changes of what pages show (certificates.pagestore: triggers notify
# it at commit), a page is reused for up to NONGAN_VERIFY_PAGE_LISTEN_SECONDS and dropped at once when such a
# change is committed. NONGAN_VERIFY_PAGE_LISTEN=0 (a pooler that does not carry LISTEN) keeps the short window.
NONGAN_VERIFY_PAGE_SECONDS = int(env("NONGAN_VERIFY_PAGE_SECONDS", "5"))
NONGAN_VERIFY_PAGE_LISTEN_SECONDS = int(env("NONGAN_VERIFY_PAGE_LISTEN_SECONDS", "60"))
NONGAN_VERIFY_PAGE_LISTEN = env("NONGAN_VERIFY_PAGE_LISTEN", "1") not in ("0", "false", "False", "")
NONGAN_VERIFY_PAGE_ENTRIES = int(env("NONGAN_VERIFY_PAGE_ENTRIES", "2000"))
# The public page's query is a prepared statement of each PostgreSQL connection (planned once, not per scan).
# Set NONGAN_PG_PREPARE=0 behind a pooler that hands one server session to many clients (pgbouncer in transaction
# mode): it does not keep a session's prepared statements.
NONGAN_PG_PREPARE = env("NONGAN_PG_PREPARE", "1") not in ("0", "false", "False", "")

# Background tasks: the database backend with `nongan db_worker`; "immediate" runs them inline.
TASKS_BACKEND = env("NONGAN_TASKS", "database")
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if TASKS_BACKEND == "immediate"
        else "django_tasks_db.DatabaseBackend",
        "ENQUEUE_ON_COMMIT": True,
    }
}

# Content-Security-Policy on every response (django-csp): scripts, styles, images, fonts and connections from
# this site only; no inline script, no event handler attribute, no eval, no inline style (a page that needs one
# <style> block carries the per-request nonce). Page behaviour lives in nongan/static/nongan/*.js.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "nongan.core.auth.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "nongan.core.drf.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "nongan.core.drf.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Nongan API",
    "DESCRIPTION": "农安 — agricultural product quality and safety supervision. Session or token authentication "
    "(header `Authorization: Token <key>`). Every list is limited to the caller's jurisdiction.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a field named "status"; name each enum after its choices.
    "ENUM_NAME_OVERRIDES": {
        "ProducerStatusEnum": "nongan.registry.choices.ProducerStatus",
        "RoundStatusEnum": "nongan.draws.choices.RoundStatus",
        "TaskStatusEnum": "nongan.monitoring.choices.TaskStatus",
        "FollowUpStatusEnum": "nongan.monitoring.choices.FollowUpStatus",
        "HoldStatusEnum": "nongan.monitoring.choices.HoldStatus",
        "BatchStatusEnum": "nongan.certificates.choices.BatchStatus",
        "CertificateStatusEnum": "nongan.certificates.choices.CertificateStatus",
        "ImportStatusEnum": "nongan.core.choices.ImportStatus",
        "CoverageStatusEnum": "nongan.standards.choices.Coverage",
        "SampleStateEnum": "nongan.monitoring.choices.SampleState",
        "PlanStateEnum": "nongan.monitoring.choices.PlanState",
        # … and several have a field named "kind".
        "InputKindEnum": "nongan.certificates.choices.InputKind",
        "HarvestKindEnum": "nongan.certificates.choices.HarvestKind",
        "ConflictKindEnum": "nongan.draws.choices.ConflictKind",
        "QuotaKindEnum": "nongan.monitoring.choices.QuotaKind",
        "CategoryKindEnum": "nongan.registry.choices.CategoryKind",
        "CertificationKindEnum": "nongan.registry.choices.CertificationKind",
        "StaffKindEnum": "nongan.registry.choices.StaffKind",
        "BaseKindEnum": "nongan.registry.choices.BaseKind",
        "EditionKindEnum": "nongan.standards.choices.EditionKind",
        "AnalyteKindEnum": "nongan.standards.choices.AnalyteKind",
        "ImportKindEnum": "nongan.standards.choices.ImportKind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Mail is sent (password reset links to the account's address) only when a mail backend is configured.
NONGAN_SEND_MAIL = env_bool("NONGAN_SEND_MAIL", bool(env("EMAIL_BACKEND")))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "nongan@localhost")
