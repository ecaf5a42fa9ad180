"""Production settings refuse to start on a missing, default or short SECRET_KEY (the session cookie, password
reset links and every signed value rest on it), and without the key-encryption key that seals the
certificate-signing keys (``nongan init-keys`` makes it, and may run before it exists)."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from nongan.certificates import keystore
from nongan.settings import DEV_SECRET_KEY, secret_key_problem

GOOD = "k7Qz-" + "a1B2c3D4e5F6g7H8i9J0" * 3


@pytest.fixture(scope="module")
def key_file(tmp_path_factory) -> Path:
    return keystore.kek_generate(tmp_path_factory.mktemp("kek") / "nongan.kek")


def _env(
    secret: str | None,
    key_file: Path | None,
    passphrase: str | None = None,
    public_url="https://nongan.example.cn",
) -> dict:
    drop = (
        "SECRET_KEY",
        "DJANGO_SETTINGS_MODULE",
        "NONGAN_KEY_FILE",
        "NONGAN_KEY_PASSPHRASE",
        "NONGAN_PUBLIC_URL",
    )
    env = {k: v for k, v in os.environ.items() if k not in drop}
    if secret is not None:
        env["SECRET_KEY"] = secret
    if key_file is not None:
        env["NONGAN_KEY_FILE"] = str(key_file)
    if passphrase is not None:
        env["NONGAN_KEY_PASSPHRASE"] = passphrase
    if public_url is not None:
        env["NONGAN_PUBLIC_URL"] = public_url
    env["ALLOWED_HOSTS"] = "nongan.example.cn"
    return env


def _start(
    secret: str | None, key_file: Path | None = None, passphrase=None, public_url="https://nongan.example.cn"
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import nongan.settings_production"],
        env=_env(secret, key_file, passphrase, public_url),
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
def test_production_refuses_to_start(secret, key_file):
    done = _start(secret, key_file)
    assert done.returncode == 1
    assert "RuntimeError: SECRET_KEY" in done.stderr
    assert "production refuses to start" in done.stderr


def test_production_starts_with_a_random_key(key_file):
    done = _start(GOOD, key_file)
    assert done.returncode == 0, done.stderr


def test_production_refuses_to_start_without_the_key_encryption_key(tmp_path, key_file):
    missing = tmp_path / "nongan.kek"
    done = _start(GOOD, missing)
    assert done.returncode == 1
    assert f"RuntimeError: the key-encryption key file {missing} does not exist" in done.stderr
    assert "nongan init-keys" in done.stderr
    readable = tmp_path / "shared.kek"
    readable.write_bytes(key_file.read_bytes())
    os.chmod(readable, 0o644)
    done = _start(GOOD, readable)
    assert done.returncode == 1 and "readable by its owner only" in done.stderr
    done = _start(GOOD, missing, passphrase="short")
    assert done.returncode == 1 and "NONGAN_KEY_PASSPHRASE must be at least 20" in done.stderr
    assert _start(GOOD, missing, passphrase="a long enough passphrase for the keys").returncode == 0


def test_init_keys_runs_under_production_settings_and_makes_the_file(tmp_path):
    path = tmp_path / "keys" / "nongan.kek"
    env = _env(GOOD, path) | {"DJANGO_SETTINGS_MODULE": "nongan.settings_production"}
    nongan = Path(sys.executable).parent / "nongan"
    done = subprocess.run([nongan, "init-keys"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert str(path) in done.stdout
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(keystore.kek_read_file(path)) == 32
    assert _start(GOOD, path).returncode == 0


@pytest.mark.parametrize(
    "url, reason",
    [
        (None, "NONGAN_PUBLIC_URL must be set"),
        ("", "NONGAN_PUBLIC_URL must be set"),
        ("nongan.example.cn", "NONGAN_PUBLIC_URL must be an http(s) address"),
        ("ftp://nongan.example.cn", "NONGAN_PUBLIC_URL must be an http(s) address"),
        ("http://127.0.0.1:8000", "a loopback address"),
        ("http://localhost", "a loopback address"),
        ("http://[::1]:8000", "a loopback address"),
    ],
)
def test_production_refuses_to_start_without_a_public_address(url, reason, key_file):
    """Labels printed from a default install carried http://127.0.0.1:8000 and could be scanned by nobody."""
    done = _start(GOOD, key_file, public_url=url)
    assert done.returncode == 1
    assert "RuntimeError: NONGAN_PUBLIC_URL" in done.stderr and reason in done.stderr
    assert _start(GOOD, key_file, public_url="http://192.168.1.20:8000").returncode == 0


def test_development_warns_on_the_loopback_default(settings):
    from django.core.checks import run_checks

    settings.NONGAN_PUBLIC_URL = "http://127.0.0.1:8000"
    found = [m for m in run_checks() if m.id == "nongan.W001"]
    assert len(found) == 1 and "loopback" in found[0].msg and "cannot be opened" in found[0].msg
    settings.NONGAN_PUBLIC_URL = "https://nongan.ganyu.gov.cn"
    assert [m for m in run_checks() if m.id == "nongan.W001"] == []
