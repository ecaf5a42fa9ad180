"""Production settings: everything of ``nongan.settings`` plus the hardening `check --deploy` asks for.

Required environment: SECRET_KEY (50+ random characters), ALLOWED_HOSTS, DATABASE_URL (PostgreSQL).
The app is served by gunicorn behind a TLS-terminating reverse proxy (docs/operations.md).
"""

import os

os.environ.setdefault("DEBUG", "false")

from nongan.settings import *  # noqa: E402,F403
from nongan.settings import env, env_bool  # noqa: E402

if not os.environ.get("SECRET_KEY"):
    raise RuntimeError("SECRET_KEY must be set in production")

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
LOGGING["root"]["level"] = env("LOG_LEVEL", "INFO")  # noqa: F405
