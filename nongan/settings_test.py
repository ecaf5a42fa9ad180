"""Settings for the test suite: the same as production code paths, with tasks run inline and a fast hasher.

The database is SQLite unless DATABASE_URL is set (CI also runs the suite on PostgreSQL).
"""

import os
import tempfile

os.environ.setdefault("NONGAN_TASKS", "immediate")
os.environ.setdefault("NONGAN_SCAN_FLUSH_SECONDS", "0")  # scans written inside their request
os.environ.setdefault("NONGAN_VERIFY_PAGE_SECONDS", "0")
# No listener thread for reused pages unless a test starts one (and stops it: an open connection would keep the
# test database from being dropped).
os.environ.setdefault("NONGAN_VERIFY_PAGE_LISTEN", "0")
# Each request closes its database connection at its end (the live server's request threads would otherwise keep
# theirs open after the thread ends, and with both workers' browser tests a 50-connection race test on PostgreSQL
# could meet "too many clients").
os.environ.setdefault("DB_CONN_MAX_AGE", "0")
os.environ.setdefault("NONGAN_VAR", tempfile.mkdtemp(prefix="nongan-test-"))
# Under pytest-xdist every worker (gw0, gw1 …) inherits the controller's directory: each takes its own below it,
# so one worker's stored files (uploads, photos, keys) never appear in another's tests.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker and os.path.basename(os.environ["NONGAN_VAR"]) != _worker:
    os.environ["NONGAN_VAR"] = os.path.join(os.environ["NONGAN_VAR"], _worker)
    os.makedirs(os.environ["NONGAN_VAR"], exist_ok=True)

from nongan.settings import *  # noqa: E402,F403

# Argon2 is what production uses (asserted in core tests); tests hash thousands of passwords.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
DATABASES["default"].setdefault("TEST", {})  # noqa: F405
