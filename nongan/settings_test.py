"""Settings for the test suite: the same as production code paths, with tasks run inline and a fast hasher.

The database is SQLite unless DATABASE_URL is set (CI also runs the suite on PostgreSQL).
"""

import os
import tempfile

os.environ.setdefault("NONGAN_TASKS", "immediate")
os.environ.setdefault("NONGAN_SCAN_FLUSH_SECONDS", "0")  # scans written inside their request
os.environ.setdefault("NONGAN_VERIFY_PAGE_SECONDS", "0")
os.environ.setdefault("NONGAN_VAR", tempfile.mkdtemp(prefix="nongan-test-"))

from nongan.settings import *  # noqa: E402,F403

# Argon2 is what production uses (asserted in core tests); tests hash thousands of passwords.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
DATABASES["default"].setdefault("TEST", {})  # noqa: F405
