"""The pure signing module, the `nongan verify-qr` command (no database) and docs/verify_qr.py."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nongan.certificates import qrsign

ROOT = Path(__file__).resolve().parents[3]
KID = "k2026a"


@pytest.fixture(scope="module")
def key():
    raw = qrsign.generate_private_key()
    return raw, qrsign.public_key_of(raw)


def make_payload(**kw):
    data = dict(
        kid=KID,
        number=qrsign.make_number("320707", 2026, 123),
        product="紫菜",
        quantity="500",
        unit="kg",
        origin="320707104201",
        issued="20261128",
        issuer="320707104000001",
    )
    data.update(kw)
    return qrsign.Payload(**data)


def test_number_check_char_catches_typos():
    number = qrsign.make_number("320707", 2026, 123)
    assert number[:16] == "3207072600000123"
    assert len(number) == 17
    assert qrsign.number_is_valid(number)
    assert qrsign.number_is_valid(" " + number[:4] + "-" + number[4:].lower())
    # every single-character substitution is caught
    for i in range(17):
        for ch in "0123456789":
            if ch != number[i]:
                assert not qrsign.number_is_valid(number[:i] + ch + number[i + 1 :])
    # swapping two different adjacent digits is caught
    for i in range(16):
        if number[i] != number[i + 1]:
            swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
            assert not qrsign.number_is_valid(swapped)
    assert not qrsign.number_is_valid("")
    assert not qrsign.number_is_valid(number[:-1])


def test_payload_roundtrip_and_sign_verify(key):
    priv, pub = key
    p = make_payload()
    assert qrsign.decode_payload(qrsign.encode_payload(p)) == p
    token = qrsign.Signer(KID, priv).token(p)
    text = qrsign.qr_text("https://nongan.example.cn/", p.number, token)
    assert text == f"https://nongan.example.cn/v/{p.number}?s={token}"
    result = qrsign.verify_text(text, {KID: pub})
    assert (result.ok, result.code, result.payload) == (True, "ok", p)
    # a bare token works too
    assert qrsign.verify_text(token, {KID: pub}).ok


def test_tampered_payload_signature_unknown_kid(key):
    priv, pub = key
    p = make_payload()
    token = qrsign.Signer(KID, priv).token(p)
    raw = qrsign.b64u_decode(token)
    body, sig = raw[:-64], raw[-64:]
    forged = qrsign.encode_payload(make_payload(quantity="5000"))
    assert qrsign.verify_token(qrsign.b64u_encode(forged + sig), {KID: pub}).code == "bad_signature"
    bad_sig = sig[:10] + bytes([sig[10] ^ 1]) + sig[11:]
    assert qrsign.verify_token(qrsign.b64u_encode(body + bad_sig), {KID: pub}).code == "bad_signature"
    assert qrsign.verify_token(token, {"other": pub}).code == "unknown_kid"
    other = qrsign.public_key_of(qrsign.generate_private_key())
    assert qrsign.verify_token(token, {KID: other}).code == "bad_signature"
    assert qrsign.verify_token("not base64!", {KID: pub}).code == "malformed"
    assert qrsign.verify_token(qrsign.b64u_encode(b"\x02" + body[1:] + sig), {KID: pub}).code == "malformed"
    assert qrsign.verify_text("https://x/v/123", {KID: pub}).code == "malformed"
    # the URL's number must be the signed one
    other_number = qrsign.make_number("320707", 2026, 124)
    text = qrsign.qr_text("https://x", other_number, token)
    assert qrsign.verify_text(text, {KID: pub}).code == "number_mismatch"
    assert "篡改" in qrsign.verify_text(text, {KID: pub}).message


def test_signed_but_bad_check_char(key):
    priv, pub = key
    p = make_payload(
        number="32070726000001230"
        if qrsign.make_number("320707", 2026, 123)[-1] != "0"
        else "3207072600000123Z"
    )
    token = qrsign.Signer(KID, priv).token(p)
    assert qrsign.verify_token(token, {KID: pub}).code == "bad_number"


def test_keyset_roundtrip(key):
    _priv, pub = key
    keyset = {"keys": [qrsign.jwk(KID, pub, status="active"), {"kty": "RSA", "kid": "x"}]}
    assert qrsign.load_keyset(json.dumps(keyset)) == {KID: pub}


def _signed_text(key, **kw):
    priv, pub = key
    p = make_payload(**kw)
    token = qrsign.Signer(KID, priv).token(p)
    return qrsign.qr_text("https://nongan.example.cn", p.number, token), token


@pytest.fixture
def keys_file(tmp_path, key):
    path = tmp_path / "public-keys.json"
    path.write_text(json.dumps({"keys": [qrsign.jwk(KID, key[1])]}), encoding="utf-8")
    return path


def _run(args, **env):
    full_env = {**os.environ, "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", **env}
    full_env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(args, capture_output=True, text=True, env=full_env, cwd=ROOT, timeout=120)


def test_verify_qr_command_runs_without_database(key, keys_file, tmp_path):
    text, token = _signed_text(key)
    nongan = str(Path(sys.executable).parent / "nongan")
    ok = _run([nongan, "verify-qr", text, "--keys", str(keys_file)], NONGAN_VAR=str(tmp_path))
    assert ok.returncode == 0, ok.stderr
    assert "签名有效" in ok.stdout
    assert "承诺达标合格证" in ok.stdout
    assert "产品名称：紫菜" in ok.stdout
    assert "开具主体登记编号：320707104000001" in ok.stdout
    tampered = text[:-3] + ("A" if text[-3] != "A" else "B") + text[-2:]
    bad = _run([nongan, "verify-qr", tampered, "--keys", str(keys_file)], NONGAN_VAR=str(tmp_path))
    assert bad.returncode == 1
    assert "✘" in bad.stdout
    as_json = _run([nongan, "verify-qr", token, "--keys", str(keys_file), "--json"], NONGAN_VAR=str(tmp_path))
    assert json.loads(as_json.stdout)["payload"]["number"] == qrsign.make_number("320707", 2026, 123)
    # default key file: VAR_DIR/keys/public-keys.json
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "public-keys.json").write_text(
        keys_file.read_text(encoding="utf-8"), encoding="utf-8"
    )
    default = _run([nongan, "verify-qr", text], NONGAN_VAR=str(tmp_path))
    assert default.returncode == 0, default.stderr
    missing = _run(
        [nongan, "verify-qr", text, "--keys", str(tmp_path / "nope.json")], NONGAN_VAR=str(tmp_path)
    )
    assert missing.returncode == 2
    assert "无法读取公钥文件" in missing.stderr


def test_docs_script_verifies_independently(key, keys_file):
    text, _token = _signed_text(key)
    script = ROOT / "docs" / "verify_qr.py"
    ok = subprocess.run([sys.executable, str(script), text, str(keys_file)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "签名有效" in ok.stdout
    forged_text, _ = _signed_text(key, quantity="9999")
    # splice the forged payload onto the genuine signature
    genuine = qrsign.b64u_decode(text.split("s=")[1])
    forged = qrsign.b64u_decode(forged_text.split("s=")[1])
    spliced = qrsign.b64u_encode(forged[:-64] + genuine[-64:])
    bad = subprocess.run(
        [sys.executable, str(script), spliced, str(keys_file)], capture_output=True, text=True
    )
    assert bad.returncode == 1
    assert "签名无效" in bad.stdout


# ------------------------------------------------------------------ key windows offline
def _keys_with(tmp_path, key, **window) -> Path:
    path = tmp_path / "windowed-keys.json"
    path.write_text(json.dumps({"keys": [qrsign.jwk(KID, key[1], **window)]}), encoding="utf-8")
    return path


def _docs_script(text, keys_path):
    script = ROOT / "docs" / "verify_qr.py"
    return subprocess.run([sys.executable, str(script), text, str(keys_path)], capture_output=True, text=True)


def test_offline_checks_hold_the_issue_date_to_the_keys_window(key, tmp_path):
    # The window opened 2026-11-01 01:00 in China (17:00 UTC the day before) and closed 2026-11-30 10:00 China.
    path = _keys_with(
        tmp_path,
        key,
        status="retired",
        valid_from="2026-10-31T17:00:00+00:00",
        valid_until="2026-11-30T02:00:00+00:00",
        compromised_at=None,
    )
    published = path.read_text(encoding="utf-8")
    keys, windows = qrsign.load_keyset(published), qrsign.load_key_windows(published)
    expected = {
        "20261031": qrsign.KEY_WINDOW,  # the day before the window (in China, though the same day in UTC)
        "20261101": qrsign.OK,
        "20261130": qrsign.OK,  # the day it closed
        "20261201": qrsign.KEY_WINDOW,
        "20991231": qrsign.KEY_WINDOW,
    }
    for issued, code in expected.items():
        text, _token = _signed_text(key, issued=issued)
        assert qrsign.verify_text(text, keys, windows).code == code, issued
        assert qrsign.verify_text(text, keys).ok  # without the windows: the signature alone
        script = _docs_script(text, path)
        assert script.returncode == (0 if code == qrsign.OK else 1), (issued, script.stdout)
        if code != qrsign.OK:
            assert "有效期" in script.stdout
    nongan = str(Path(sys.executable).parent / "nongan")
    late, _ = _signed_text(key, issued="20261201")
    bad = _run([nongan, "verify-qr", late, "--keys", str(path), "--json"], NONGAN_VAR=str(tmp_path))
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["code"] == qrsign.KEY_WINDOW
    inside, _ = _signed_text(key, issued="20261115")
    assert _run([nongan, "verify-qr", inside, "--keys", str(path)], NONGAN_VAR=str(tmp_path)).returncode == 0


def test_offline_checks_refuse_tokens_dated_from_the_day_of_a_compromise(key, tmp_path):
    # Marked compromised from 2026-11-21 00:30 in China (16:30 UTC on the 20th).
    path = _keys_with(
        tmp_path,
        key,
        status="compromised",
        valid_from="2026-11-01T00:00:00+00:00",
        valid_until="2026-11-21T00:00:00+00:00",
        compromised_at="2026-11-20T16:30:00+00:00",
    )
    published = path.read_text(encoding="utf-8")
    keys, windows = qrsign.load_keyset(published), qrsign.load_key_windows(published)
    before, _ = _signed_text(key, issued="20261120")
    after, _ = _signed_text(key, issued="20261121")
    assert qrsign.verify_text(before, keys, windows).ok
    assert qrsign.verify_text(after, keys, windows).code == qrsign.KEY_COMPROMISED
    assert _docs_script(before, path).returncode == 0
    script = _docs_script(after, path)
    assert script.returncode == 1 and "签名密钥已泄露" in script.stdout
    nongan = str(Path(sys.executable).parent / "nongan")
    bad = _run([nongan, "verify-qr", after, "--keys", str(path)], NONGAN_VAR=str(tmp_path))
    assert bad.returncode == 1 and qrsign.MESSAGES_ZH[qrsign.KEY_COMPROMISED] in bad.stdout
    # A key listed as compromised without a time vouches for nothing.
    bare = _keys_with(tmp_path, key, status="compromised")
    assert qrsign.verify_text(before, keys, qrsign.load_key_windows(bare.read_text())).code == (
        qrsign.KEY_COMPROMISED
    )
    assert _docs_script(before, bare).returncode == 1
