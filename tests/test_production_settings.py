"""Production settings refuse to start on a missing, default or short SECRET_KEY (the session cookie, password
reset links and every signed value rest on it)."""

import os
import subprocess
import sys

import pytest

from nongan.settings import DEV_SECRET_KEY, secret_key_problem

GOOD = "k7Qz-" + "a1B2c3D4e5F6g7H8i9J0" * 3


def _start(secret: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    if secret is not None:
        env["SECRET_KEY"] = secret
    env["ALLOWED_HOSTS"] = "nongan.example.cn"
    return subprocess.run(
        [sys.executable, "-c", "import nongan.settings_production"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "secret, reason",
    [
        (None, "SECRET_KEY must be set"),
        ("", "SECRET_KEY must be set"),
        (DEV_SECRET_KEY, "SECRET_KEY is a development default; generate a random one"),
        (
            "django-insecure-" + "q8w7e6r5t4y3u2i1o0p9" * 3,
            "SECRET_KEY is a development default; generate a random one",
        ),
        ("short-but-random-9f8e7d", "SECRET_KEY must be at least 50 characters long"),
        ("ab" * 30, "SECRET_KEY must have at least 5 distinct characters"),
    ],
)
def test_unfit_secret_keys_are_named(secret, reason):
    assert secret_key_problem(secret) == reason


def test_a_random_key_is_fit():
    assert secret_key_problem(GOOD) is None


@pytest.mark.parametrize("secret", [None, DEV_SECRET_KEY, "too-short-secret"])
def test_production_refuses_to_start(secret):
    done = _start(secret)
    assert done.returncode == 1
    assert "RuntimeError: SECRET_KEY" in done.stderr
    assert "production refuses to start" in done.stderr


def test_production_starts_with_a_random_key():
    done = _start(GOOD)
    assert done.returncode == 0, done.stderr
