"""Production settings: everything of ``nongan.settings`` plus the hardening `check --deploy` asks for.

Required environment: SECRET_KEY (50+ random characters), ALLOWED_HOSTS, DATABASE_URL (PostgreSQL),
NONGAN_PUBLIC_URL (the address the public reaches, printed into QR codes; not a loopback address), and the
key-encryption key file at NONGAN_KEY_FILE (default VAR_DIR/keys/nongan.kek, made by `nongan init-keys`) or
NONGAN_KEY_PASSPHRASE.
The app is served by gunicorn behind a TLS-terminating reverse proxy (docs/operations.md).
"""

import os
import sys

os.environ.setdefault("DEBUG", "false")

from nongan.core.kek import kek_problem  # noqa: E402
from nongan.settings import *  # noqa: E402,F403
from nongan.settings import env, env_bool, public_url_problem, secret_key_problem  # noqa: E402

# Refuse to start on a missing, default or short secret: sessions, password-reset links and signed values
# rest on it.
_problem = secret_key_problem(os.environ.get("SECRET_KEY"))
if _problem:
    raise RuntimeError(
        _problem + " (production refuses to start; e.g. python3 -c 'import secrets; "
        "print(secrets.token_urlsafe(50))')"
    )

# Refuse to start without the key-encryption key that seals the certificate-signing keys (a key file of
# `nongan init-keys`, owner-only, or a passphrase): without it no certificate can be issued. `nongan init-keys`
# itself is what makes the file.
NONGAN_KEY_AUTOCREATE = False
if sys.argv[1:2] not in (["init-keys"], ["init_keys"]):
    _problem = kek_problem(NONGAN_KEY_FILE, NONGAN_KEY_PASSPHRASE)  # noqa: F405
    if _problem:
        raise RuntimeError(
            _problem + " (production refuses to start; make the key file once with `nongan init-keys`, "
            "keep it at NONGAN_KEY_FILE and in the backups, or set NONGAN_KEY_PASSPHRASE)"
        )

# Refuse to start without the address the public reaches: every QR code and public link is printed with it, and
# labels printed with a loopback address cannot be scanned by anyone.
_problem = public_url_problem(os.environ.get("NONGAN_PUBLIC_URL"))
if _problem:
    raise RuntimeError(_problem + " (production refuses to start; set NONGAN_PUBLIC_URL)")

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
