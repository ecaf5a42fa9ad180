#!/usr/bin/env python3
"""Verify a 承诺达标合格证 QR code offline — an independent check of Nongan's signed QR payload.

Needs only Python 3 and the `cryptography` package (pip install cryptography). Usage:

    python3 verify_qr.py '<text decoded from the QR photo>' public-keys.json

public-keys.json is the district's JWK set, published at https://<platform>/v/keys.json.
Format (see docs/certificates.md): QR text = <base URL>/v/<number>?s=<token>,
token = base64url(payload || 64-byte Ed25519 signature), payload = 0x01 then 8 fields, each one
length byte followed by UTF-8: kid, number, product, quantity, unit, origin code, issue date, issuer.
The key set's windows count as on the platform: a token dated (its issue date, in China) before its key's
valid_from, after its valid_until (plus the 5-minute rotation grace), or on or after the day of its
compromised_at, is not genuine. Exit status 0 if genuine, 1 if not.
"""

import base64
import json
import sys
from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FIELDS = ["kid", "number", "product", "quantity", "unit", "origin", "issued", "issuer"]
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def b64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_char(body):
    total, factor = 0, 2
    for ch in reversed(body):
        addend = factor * ALPHABET.index(ch)
        factor = 1 if factor == 2 else 2
        total += addend // 36 + addend % 36
    return ALPHABET[(36 - total % 36) % 36]


def parse_payload(data):
    if not data or data[0] != 1:
        raise ValueError("unknown format version")
    out, i = {}, 1
    for name in FIELDS:
        n = data[i]
        out[name] = data[i + 1 : i + 1 + n].decode("utf-8")
        if len(out[name].encode("utf-8")) != n:
            raise ValueError("truncated")
        i += 1 + n
    if i != len(data):
        raise ValueError("trailing bytes")
    return out


CHINA = timezone(timedelta(hours=8))  # issue dates are dates in China


def china_day(value, grace=timedelta(0)):
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)  # noqa: UP017 - runs on Python before 3.11 too
    return (moment + grace).astimezone(CHINA).date()


def key_refusal(key, issued):
    """Why the key may not vouch for a token issued on `issued` (YYYYMMDD), or None."""
    day = datetime.strptime(issued, "%Y%m%d").date()
    compromised = china_day(key.get("compromised_at"))
    if compromised is None and key.get("status") == "compromised":
        compromised = date.min
    if compromised is not None and day >= compromised:
        return "签名密钥已泄露：该合格证签发于密钥被标记泄露之日或之后，请勿相信"
    first, last = china_day(key.get("valid_from")), china_day(key.get("valid_until"), timedelta(minutes=5))
    if (first is not None and day < first) or (last is not None and day > last):
        return "签名密钥不在有效期内：签发日期不在该密钥的启用期内（可能是伪造的合格证）"
    return None


def verify(qr_text, keyset):
    """Return (ok, message, fields)."""
    url_number = None
    if "://" in qr_text:
        parts = urlsplit(qr_text.strip())
        url_number = parts.path.rstrip("/").rsplit("/", 1)[-1]
        qr_text = parse_qs(parts.query).get("s", [""])[0]
    try:
        raw = b64u(qr_text.strip())
        body, sig = raw[:-64], raw[-64:]
        fields = parse_payload(body)
    except (ValueError, IndexError, UnicodeDecodeError):
        return False, "二维码内容无法识别", None
    keys = {k["kid"]: k for k in keyset["keys"] if k.get("kty") == "OKP" and k.get("crv") == "Ed25519"}
    if fields["kid"] not in keys:
        return False, "签名密钥未知（可能是伪造的合格证）", fields
    try:
        Ed25519PublicKey.from_public_bytes(b64u(keys[fields["kid"]]["x"])).verify(sig, body)
    except (InvalidSignature, ValueError):
        return False, "签名无效：内容被篡改或签名伪造", fields
    number = fields["number"]
    if len(number) != 17 or check_char(number[:-1]) != number[-1]:
        return False, "合格证编号校验位不符", fields
    if url_number is not None and url_number.upper() != number:
        return False, "网址中的编号与签名内容不一致", fields
    try:
        refusal = key_refusal(keys[fields["kid"]], fields["issued"])
    except ValueError:
        refusal = "签发日期或密钥有效期无法识别"
    if refusal:
        return False, refusal, fields
    return True, "签名有效：承诺达标合格证真实，内容未被篡改", fields


def main(argv):
    if len(argv) != 3:
        print(__doc__)
        return 2
    with open(argv[2], encoding="utf-8") as f:
        keyset = json.load(f)
    ok, message, fields = verify(argv[1], keyset)
    print(("OK  " if ok else "BAD ") + message)
    for name, value in (fields or {}).items():
        print(f"  {name}: {value}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
