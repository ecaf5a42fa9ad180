"""Signing keys sealed with a key-encryption key outside the database; key windows, compromise, keys.json and the
re-sealing of keys sealed under SECRET_KEY."""

import datetime as dt
import importlib
import io
import json
import os
import stat

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.apps import apps as django_apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from nongan.certificates import keystore, qrsign, services
from nongan.certificates.models import Certificate, SigningKey
from nongan.core.models import AuditLog, LedgerEntry

V = services.Verdict


@pytest.fixture(autouse=True)
def _own_key_file(settings, tmp_path):
    """Each test with its own key-encryption key file (made on the first rotation, as in development)."""
    settings.NONGAN_KEY_FILE = tmp_path / "keys" / "nongan.kek"
    settings.NONGAN_KEY_PASSPHRASE = None
    settings.NONGAN_KEY_AUTOCREATE = True
    services.keys.forget_key_records()
    yield
    services.keys.forget_key_records()


def _forge(token: str, private_raw: bytes, **changes) -> str:
    """A token with the same fields as ``token`` but ``changes``, signed with ``private_raw``."""
    payload = qrsign.decode_payload(qrsign.b64u_decode(token)[: -qrsign.SIGNATURE_BYTES])
    fields = payload.as_dict() | changes
    return qrsign.Signer(fields["kid"], private_raw).token(qrsign.Payload(**fields))


def _sign_for(c: Certificate, key: SigningKey) -> str:
    """What the key would have signed for this certificate (the key's private part unsealed here)."""
    signer = qrsign.Signer(key.kid, keystore.decrypt_private(key.private_key_encrypted, key.kid))
    return signer.token(services._payload(signer, c))


# ------------------------------------------------------------------ sealing
def test_key_file_is_made_owner_only_and_the_seal_names_it(users, batch, issue):
    [c] = issue(batch)
    path = settings.NONGAN_KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    kek = keystore.kek_read_file(path)
    key = SigningKey.objects.get(kid=c.kid)
    assert key.private_key_encrypted.startswith(f"v2:{keystore.fingerprint(kek)}:")
    assert services.verify(c.number, c.token).verdict == V.GENUINE


def test_a_database_copy_without_the_key_file_forges_nothing(users, batch, issue, tmp_path):
    """The attacker has the database (the sealed private key) and the SECRET_KEY, not the key file."""
    [c] = issue(batch)
    key = SigningKey.objects.get(kid=c.kid)
    sealed = key.private_key_encrypted
    # SECRET_KEY no longer opens it: the earlier derivation fails on the authentication tag.
    blob = qrsign.b64u_decode(sealed.split(":")[2])
    with pytest.raises(InvalidTag):
        AESGCM(keystore._v1_wrapping_key(settings.SECRET_KEY)).decrypt(blob[:12], blob[12:], key.kid.encode())
    # Another installation's key file (or none) does not open it either, and says so.
    settings.NONGAN_KEY_FILE = keystore.kek_generate(tmp_path / "other.kek")
    with pytest.raises(keystore.KeyUnavailable, match="sealed with another key-encryption key"):
        keystore.decrypt_private(sealed, key.kid)
    settings.NONGAN_KEY_FILE = tmp_path / "missing.kek"
    with pytest.raises(keystore.KeyUnavailable, match="does not exist"):
        keystore.decrypt_private(sealed, key.kid)
    # So the forger signs quantity 99999 with a key of their own under the published kid: not genuine.
    own_key = qrsign.generate_private_key()
    forged = _forge(c.token, own_key, quantity="99999")
    result = services.verify(c.number, forged)
    assert result.verdict == V.BAD_SIGNATURE
    assert result.signature.code == qrsign.BAD_SIGNATURE
    assert not result.signed


def test_even_the_real_key_does_not_vouch_for_other_content(users, batch, issue):
    """Defence in depth: a token signed with the real key but not the one issued for the number is refused."""
    [c] = issue(batch)
    key = SigningKey.objects.get(kid=c.kid)
    forged = _forge(c.token, keystore.decrypt_private(key.private_key_encrypted, key.kid), quantity="99999")
    assert qrsign.verify_token(forged, services.public_keys_map()).ok  # the bare signature is valid …
    result = services.verify(c.number, forged)
    assert result.verdict == V.BAD_SIGNATURE  # … but the platform did not issue it
    assert result.signature.code == qrsign.NOT_ISSUED
    assert result.signature.message.startswith("签名内容与平台签发记录不一致")


def test_issuing_without_the_key_file_fails_with_a_clear_message(users, batch, issue, tmp_path):
    issue(batch)
    before = Certificate.objects.count()
    settings.NONGAN_KEY_FILE = tmp_path / "missing.kek"
    settings.NONGAN_KEY_AUTOCREATE = False
    with pytest.raises(services.SigningUnavailable) as exc:
        issue(batch)
    assert "密钥加密密钥" in exc.value.messages[0] and "missing.kek" in exc.value.messages[0]
    assert Certificate.objects.count() == before
    # Rotation needs it too, and changes nothing without it.
    with pytest.raises(CommandError, match="密钥加密密钥"):
        call_command("keys", "rotate", stdout=io.StringIO())
    assert SigningKey.objects.count() == 1


def test_issue_api_answers_400_with_the_message(client, users, batch):
    services.active_signer()
    settings.NONGAN_KEY_FILE = tmp = settings.NONGAN_KEY_FILE.parent / "moved-away.kek"
    client.force_login(users.producer)
    r = client.post(
        "/api/v1/certificates/",
        {"batch": batch.code, "quantity": "10", "unit": "kg"},
        content_type="application/json",
    )
    assert r.status_code == 400
    body = json.dumps(r.json(), ensure_ascii=False)
    assert "密钥加密密钥" in body and str(tmp) in body
    assert not Certificate.objects.exists()


def test_keys_check_command_after_a_restore(users, batch, issue, tmp_path):
    [c] = issue(batch)
    services.signing_key_rotate(actor=None)
    out = io.StringIO()
    call_command("keys", "check", stdout=out)
    assert out.getvalue().count("私钥可以解封") == 2
    settings.NONGAN_KEY_FILE = tmp_path / "not-restored.kek"
    out = io.StringIO()
    with pytest.raises(CommandError, match="启用中的签名密钥无法解封"):
        call_command("keys", "check", stdout=out)
    assert f"✘ {c.kid}（retired）：the key-encryption key file" in out.getvalue()
    assert "InvalidTag" not in out.getvalue()


def test_passphrase_instead_of_a_key_file(users, batch, issue):
    settings.NONGAN_KEY_PASSPHRASE = "correct horse battery staple 2026"
    [c] = issue(batch)
    assert not settings.NONGAN_KEY_FILE.exists()
    assert services.verify(c.number, c.token).verdict == V.GENUINE
    settings.NONGAN_KEY_PASSPHRASE = "another passphrase of enough length"
    with pytest.raises(services.SigningUnavailable):
        issue(batch)


def test_init_keys_command(tmp_path):
    path = tmp_path / "k" / "nongan.kek"
    out = io.StringIO()
    call_command("init-keys".replace("-", "_"), "--key-file", str(path), stdout=out)
    assert "已创建" in out.getvalue()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    kek = keystore.kek_read_file(path)
    call_command("init_keys", "--key-file", str(path), stdout=out)  # never overwritten
    assert "已存在" in out.getvalue() and keystore.kek_read_file(path) == kek
    path.write_text("not a key\n")
    with pytest.raises(CommandError, match="32-byte"):
        call_command("init_keys", "--key-file", str(path), stdout=out)


def test_kek_problem_is_what_production_checks(tmp_path):
    path = tmp_path / "nongan.kek"
    assert "does not exist" in keystore.kek_problem(path, None)
    keystore.kek_generate(path)
    assert keystore.kek_problem(path, None) is None
    os.chmod(path, 0o644)
    assert "chmod 600" in keystore.kek_problem(path, None)
    assert "at least 20" in keystore.kek_problem(path, "short")
    assert keystore.kek_problem(tmp_path / "none", "x" * 20) is None


# ------------------------------------------------------------------ windows and compromise
def test_retired_key_does_not_verify_certificates_signed_after_its_window(users, batch, issue):
    [old] = issue(batch)
    old_key = SigningKey.objects.get(kid=old.kid)
    services.signing_key_rotate(actor=users.admin)
    old_key.refresh_from_db()
    assert old_key.valid_until is not None and not old_key.active
    # Certificates signed inside the window stay genuine, for ever.
    assert services.verify(old.number, old.token).verdict == V.GENUINE
    # A certificate that the retired key signed after the window (its record's time, the server's clock) is not,
    # whatever date its token claims.
    [late] = issue(batch)
    assert late.kid != old_key.kid
    late_signed = old_key.valid_until + services.ROTATION_GRACE + dt.timedelta(seconds=1)
    Certificate.objects.filter(pk=late.pk).update(
        kid=old_key.kid, signed_at=late_signed, token=_sign_for(late, old_key)
    )
    late.refresh_from_db()
    result = services.verify(late.number, late.token)
    assert result.verdict == V.BAD_SIGNATURE
    assert result.signature.code == qrsign.KEY_WINDOW
    # The token's own date claim changes nothing: dated 2099, still refused.
    dated = _forge(
        late.token, keystore.decrypt_private(old_key.private_key_encrypted, old_key.kid), issued="20991231"
    )
    Certificate.objects.filter(pk=late.pk).update(token=dated)
    assert services.verify(late.number, dated).signature.code == qrsign.KEY_WINDOW
    # Inside the grace of a rotation (an issue that read the key just before it was retired): genuine.
    Certificate.objects.filter(pk=late.pk).update(
        signed_at=old_key.valid_until + dt.timedelta(minutes=1), token=late.token
    )
    Certificate.objects.filter(pk=late.pk).update(token=_sign_for(late, old_key))
    late.refresh_from_db()
    assert services.verify(late.number, late.token).verdict == V.GENUINE


def test_a_key_does_not_verify_before_its_window(users, batch, issue):
    [c] = issue(batch)
    key = SigningKey.objects.get(kid=c.kid)
    Certificate.objects.filter(pk=c.pk).update(signed_at=key.valid_from - dt.timedelta(seconds=1))
    assert services.verify(c.number, c.token).signature.code == qrsign.KEY_WINDOW


def test_compromise_command_ledgers_rotates_and_refuses_later_tokens(users, batch, issue):
    [before] = issue(batch)
    key = SigningKey.objects.get(kid=before.kid)
    out = io.StringIO()
    call_command("key_compromise", key.kid, "--reason", "备份盘遗失", stdout=out)
    assert f"签名密钥 {key.kid} 已标记为泄露" in out.getvalue()
    key.refresh_from_db()
    assert key.compromised_at is not None and key.compromise_reason == "备份盘遗失"
    assert key.state == "compromised" and not key.active
    new = SigningKey.objects.get(active=True)
    assert new.kid != key.kid and new.valid_from >= key.compromised_at
    # Ledgered: the compromise, then the rotation it caused (and the first key's rotation before).
    kinds = list(
        LedgerEntry.objects.filter(kind__startswith="signing_key.").order_by("seq").values_list("kind", "ref")
    )
    assert kinds == [
        ("signing_key.rotate", key.kid),
        ("signing_key.compromise", key.kid),
        ("signing_key.rotate", new.kid),
    ]
    entry = LedgerEntry.objects.get(kind="signing_key.compromise")
    assert json.loads(entry.payload)["reason"] == "备份盘遗失"
    assert AuditLog.objects.filter(object_id=str(key.pk), reason="备份盘遗失").exists()
    # Signed before the compromise: still genuine. New certificates use the new key.
    assert services.verify(before.number, before.token).verdict == V.GENUINE
    [after] = issue(batch)
    assert after.kid == new.kid
    assert services.verify(after.number, after.token).verdict == V.GENUINE
    # A certificate the compromised key signed after the compromise: not genuine.
    Certificate.objects.filter(pk=after.pk).update(
        kid=key.kid, signed_at=key.compromised_at + dt.timedelta(seconds=1), token=_sign_for(after, key)
    )
    after.refresh_from_db()
    result = services.verify(after.number, after.token)
    assert result.verdict == V.BAD_SIGNATURE
    assert result.signature.code == qrsign.KEY_COMPROMISED


def test_compromise_since_an_earlier_time_and_refusals(users, batch, issue):
    [c] = issue(batch)
    key = SigningKey.objects.get(kid=c.kid)
    with pytest.raises(CommandError, match="原因|reason|Give the reason"):
        call_command("key_compromise", key.kid, "--reason", "  ", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("key_compromise", "k000000z", "--reason", "x", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--since"):
        call_command("key_compromise", key.kid, "--reason", "x", "--since", "yesterday", stdout=io.StringIO())
    with pytest.raises(ValidationError):
        services.signing_key_compromise(
            actor=None, kid=key.kid, reason="x", since=key.valid_from + dt.timedelta(days=1)
        )
    assert SigningKey.objects.get(kid=key.kid).compromised_at is None
    since = c.signed_at - dt.timedelta(seconds=1)
    call_command(
        "key_compromise",
        key.kid,
        "--reason",
        "服务器被入侵",
        "--since",
        since.isoformat(),
        stdout=io.StringIO(),
    )
    assert services.verify(c.number, c.token).signature.code == qrsign.KEY_COMPROMISED
    with pytest.raises(CommandError):  # once only
        call_command("key_compromise", key.kid, "--reason", "again", stdout=io.StringIO())


def test_admin_action_marks_compromised_with_a_reason(client, users, batch, issue):
    [c] = issue(batch)
    key = SigningKey.objects.get(kid=c.kid)
    users.admin.is_staff = users.admin.is_superuser = True
    users.admin.save()
    client.force_login(users.admin)
    url = "/django-admin/certificates/signingkey/"
    data = {"action": "mark_compromised", "_selected_action": [key.pk]}
    r = client.post(url, data)
    assert r.status_code == 200
    assert "reason" in r.content.decode()
    assert SigningKey.objects.get(pk=key.pk).compromised_at is None  # asked first
    r = client.post(url, {**data, "apply": "1", "reason": "私钥文件外泄"})
    assert r.status_code == 302
    key.refresh_from_db()
    assert key.compromise_reason == "私钥文件外泄" and key.compromised_at is not None
    assert LedgerEntry.objects.filter(kind="signing_key.compromise", ref=key.kid).count() == 1


# ------------------------------------------------------------------ keys.json
def test_keys_json_publishes_windows_and_states(client, users, batch, issue):
    [c] = issue(batch)
    first = SigningKey.objects.get(kid=c.kid)
    second = services.signing_key_rotate(actor=users.admin)
    services.signing_key_compromise(actor=users.admin, kid=second.kid, reason="测试")
    third = SigningKey.objects.get(active=True)
    first.refresh_from_db()
    second.refresh_from_db()
    r = client.get("/v/keys.json")
    assert r.status_code == 200
    data = json.loads(r.content)
    assert data["issuer"] == "农安 Nongan" and data["format"] == "nongan-cert-qr-v1"

    def entry(k, status):
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "kid": k.kid,
            "x": k.public_key,
            "status": status,
            "created": k.created.isoformat(),
            "valid_from": k.valid_from.isoformat(),
            "valid_until": k.valid_until.isoformat() if k.valid_until else None,
            "compromised_at": k.compromised_at.isoformat() if k.compromised_at else None,
        }

    assert data["keys"] == [entry(first, "retired"), entry(second, "compromised"), entry(third, "active")]
    assert first.valid_until == second.valid_from
    assert second.valid_until == third.valid_from
    assert "private" not in r.content.decode()
    # The offline checker still reads it.
    assert qrsign.verify_token(c.token, qrsign.load_keyset(r.content)).ok


# ------------------------------------------------------------------ migrating keys sealed under SECRET_KEY
_migration = importlib.import_module("nongan.certificates.migrations.0007_signing_key_windows")


def _v1_key(kid: str, secret_key: str) -> tuple[SigningKey, bytes]:
    raw = qrsign.generate_private_key()
    key = SigningKey.objects.create(
        kid=kid,
        public_key=qrsign.b64u_encode(qrsign.public_key_of(raw)),
        private_key_encrypted=keystore.seal_v1(raw, kid, secret_key),
        active=True,
    )
    return key, raw


def test_migration_reseals_keys_sealed_under_secret_key(users, batch, issue):
    key, raw = _v1_key("k260101a", settings.SECRET_KEY)
    other, _ = _v1_key("k250101a", "a-secret-key-this-installation-no-longer-has-" + "z" * 20)
    SigningKey.objects.filter(pk=other.pk).update(active=False)
    with pytest.raises(keystore.KeyUnavailable, match="still sealed under SECRET_KEY"):
        keystore.decrypt_private(key.private_key_encrypted, key.kid)
    _migration.windows_and_reseal(django_apps, None)
    key.refresh_from_db()
    kek = keystore.kek_read_file(settings.NONGAN_KEY_FILE)
    assert key.private_key_encrypted.startswith(f"v2:{keystore.fingerprint(kek)}:")
    assert keystore.decrypt_private(key.private_key_encrypted, key.kid) == raw
    # The key one cannot open with this SECRET_KEY is left as it was (it could not sign before either).
    assert SigningKey.objects.get(pk=other.pk).private_key_encrypted.startswith("v1:")
    # The re-sealed key signs: an issued certificate verifies against its published public key.
    [c] = issue(batch)
    assert c.kid == key.kid
    assert services.verify(c.number, c.token).verdict == V.GENUINE
    # Run again: nothing left to do, nothing changes.
    sealed = key.private_key_encrypted
    _migration.windows_and_reseal(django_apps, None)
    key.refresh_from_db()
    assert key.private_key_encrypted == sealed


def test_migration_sets_windows_from_the_certificates(users, batch, issue):
    [c] = issue(batch)
    key = SigningKey.objects.get(kid=c.kid)
    early = c.issued_at - dt.timedelta(days=3)
    Certificate.objects.filter(pk=c.pk).update(issued_at=early)
    _migration.windows_and_reseal(django_apps, None)
    key.refresh_from_db()
    c.refresh_from_db()
    assert c.signed_at == early
    assert key.valid_from == early  # the key's window covers what it signed before the migration
    assert services.verify(c.number, c.token).verdict == V.GENUINE


def test_migration_without_a_key_file_stops_with_instructions(users, tmp_path):
    _v1_key("k260101a", settings.SECRET_KEY)
    settings.NONGAN_KEY_AUTOCREATE = False
    settings.NONGAN_KEY_FILE = tmp_path / "none.kek"
    with pytest.raises(RuntimeError, match="nongan init-keys"):
        _migration.windows_and_reseal(django_apps, None)


# ------------------------------------------------------------------ the offline checkers agree
def test_offline_checkers_refuse_what_the_platform_refuses(client, users, batch, issue, tmp_path):
    """`nongan verify-qr` and docs/verify_qr.py, given /v/keys.json, refuse a token its key signed outside its
    window or after its compromise, as the platform does (and accept what it accepts)."""
    import subprocess
    import sys
    from pathlib import Path

    [inside, late] = issue(batch, count=2)
    old_key = SigningKey.objects.get(kid=inside.kid)
    services.signing_key_rotate(actor=users.admin)
    old_key.refresh_from_db()
    # The retired key signs after its window (a token dated 2099): refused by the platform's record …
    dated = _forge(
        late.token, keystore.decrypt_private(old_key.private_key_encrypted, old_key.kid), issued="20991231"
    )
    Certificate.objects.filter(pk=late.pk).update(
        signed_at=old_key.valid_until + services.ROTATION_GRACE + dt.timedelta(seconds=1), token=dated
    )
    # … and a certificate the new key signed after the new key's compromise.
    [after] = issue(batch)
    new_key = SigningKey.objects.get(kid=after.kid)
    services.signing_key_compromise(
        actor=users.admin, kid=new_key.kid, reason="测试", since=after.signed_at - dt.timedelta(seconds=1)
    )
    cases = {
        inside: (inside.token, V.GENUINE, qrsign.OK),
        late: (dated, V.BAD_SIGNATURE, qrsign.KEY_WINDOW),
        after: (after.token, V.BAD_SIGNATURE, qrsign.KEY_COMPROMISED),
    }
    keys_path = tmp_path / "keys.json"
    keys_path.write_bytes(client.get("/v/keys.json").content)
    published = keys_path.read_text(encoding="utf-8")
    keys, windows = qrsign.load_keyset(published), qrsign.load_key_windows(published)
    script = Path(__file__).resolve().parents[3] / "docs" / "verify_qr.py"
    for c, (token, verdict, code) in cases.items():
        online = services.verify(c.number, token)
        assert online.verdict == verdict
        assert (online.signature.code if online.signature else None) == code
        text = qrsign.qr_text("https://nongan.example.cn", c.number, token)
        assert qrsign.verify_text(text, keys, windows).code == code
        out = io.StringIO()
        if code == qrsign.OK:
            call_command("verify_qr", text, "--keys", str(keys_path), stdout=out)
        else:
            with pytest.raises(SystemExit) as exit_:
                call_command("verify_qr", text, "--keys", str(keys_path), stdout=out)
            assert exit_.value.code == 1
            assert qrsign.MESSAGES_ZH[code] in out.getvalue()
        docs = subprocess.run(
            [sys.executable, str(script), text, str(keys_path)], capture_output=True, text=True
        )
        assert docs.returncode == (0 if code == qrsign.OK else 1), docs.stdout
