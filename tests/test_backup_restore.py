"""The backup and restore procedure of docs/operations.md, end to end with PostgreSQL's own tools: a database with a
producer, a batch, an issued certificate and ledger entries is dumped (`pg_dump -Fc`), restored into an empty new
database (`createdb`, `pg_restore`), and the platform run on the restored copy (`nongan` with its DATABASE_URL)
verifies its ledger and issues certificates with the backed-up key-encryption key — and without that key file says
clearly that it cannot sign."""

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from conftest import on_postgresql
from nongan.certificates import services
from nongan.core.models import LedgerEntry

PG = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
NONGAN = str(Path(sys.executable).parent / "nongan")

ISSUE = """
from django.core.exceptions import ValidationError
from nongan.certificates import services
from nongan.certificates.models import ProductionBatch
batch = ProductionBatch.objects.get(code="{batch}")
try:
    [c] = services.certificate_issue(actor=None, batch=batch, quantity="20", unit="kg")
except ValidationError as exc:
    print("REFUSED", "; ".join(exc.messages))
    raise SystemExit(3)
print("ISSUED", c.number, services.verify(c.number, c.token).verdict.value)
print("OLD", services.verify_text("{old}").verdict.value)
"""


def _run(args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, **kw)


def _nongan(env: dict, *args) -> subprocess.CompletedProcess:
    return _run([NONGAN, *args], env=env)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_documented_backup_restores_and_issues_again(ganyu, make_producer, tmp_path, settings):
    # What there is to back up: the database, and the key-encryption key file (outside it).
    key_file = tmp_path / "srv" / "keys" / "nongan.kek"
    settings.NONGAN_KEY_FILE = key_file
    settings.NONGAN_KEY_AUTOCREATE = True
    services.keys.forget_key_records()
    producer = make_producer(name="赣榆备份测试合作社")
    batch = services.batch_create(
        actor=None,
        producer=producer,
        product=ganyu.category("黄瓜"),
        started=timezone.localdate() - dt.timedelta(days=30),
        plot="1号大棚",
        unit="kg",
    )
    services.harvest_record(actor=None, batch=batch, date=timezone.localdate(), quantity="500", unit="kg")
    [cert] = services.certificate_issue(actor=None, batch=batch, quantity="100", unit="kg")
    entries = LedgerEntry.objects.count()
    from nongan.core import ledger

    records = ledger.verify_records()[0]  # the certificates the ledger covers by digest
    assert records >= 1
    assert entries >= 2  # the key's rotation and the issue
    assert key_file.exists()
    ledger.checkpoint_create()  # signed with the key derived from the key file: it checks on the restored copy

    source = connection.settings_dict["NAME"]
    scratch = f"nongan_restore_{uuid.uuid4().hex[:12]}"
    dump = tmp_path / "nongan.dump"
    try:
        # pg_dump -Fc nongan > nongan.dump; createdb nongan_restore; pg_restore -d nongan_restore nongan.dump
        done = _run(["pg_dump", *PG, "-Fc", "-f", str(dump), source])
        assert done.returncode == 0, done.stderr
        done = _run(["createdb", *PG, scratch])
        assert done.returncode == 0, done.stderr
        done = _run(["pg_restore", *PG, "--no-owner", "--exit-on-error", "-d", scratch, str(dump)])
        assert done.returncode == 0, done.stderr

        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "NONGAN_", "DATABASE_URL", "SECRET_KEY"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="nongan.settings",
            DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{scratch}",
            NONGAN_VAR=str(tmp_path / "restored-var"),
            NONGAN_TASKS="immediate",
            NONGAN_KEY_AUTOCREATE="false",
            NONGAN_KEY_FILE=str(key_file),
        )
        # The ledger's chain is intact on the restored copy.
        done = _nongan(env, "verify-ledger", "--english")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(
            f"ledger OK: {entries} entries, chain intact; {records} records match their entries; "
        )
        assert "audit rows, chain intact; 1 checkpoints, signatures valid (full, " in done.stdout
        # With the backed-up key file the restored server signs: a new certificate, genuine; the old one too.
        done = _nongan(env, "shell", "--no-imports", "-c", ISSUE.format(batch=batch.code, old=cert.token))
        assert done.returncode == 0, done.stdout + done.stderr
        issued, old = done.stdout.strip().splitlines()
        word, number, verdict = issued.split()
        assert (word, verdict) == ("ISSUED", "genuine")
        assert number != cert.number
        assert old == "OLD genuine"

        # Without the key file: nothing can be signed, and it is said plainly (no InvalidTag traceback).
        env["NONGAN_KEY_FILE"] = str(tmp_path / "not-restored" / "nongan.kek")
        done = _nongan(env, "shell", "--no-imports", "-c", ISSUE.format(batch=batch.code, old=cert.token))
        assert done.returncode == 3, done.stdout + done.stderr
        assert done.stdout.startswith("REFUSED 无法签发合格证：本系统的密钥加密密钥缺失或不正确")
        assert "not-restored/nongan.kek does not exist" in done.stdout
        assert "InvalidTag" not in done.stdout + done.stderr
    finally:
        _run(["dropdb", *PG, "--if-exists", "--force", scratch])
