#!/usr/bin/env python3
"""Verify a 承诺达标合格证 QR code offline — an independent check of Nongan's signed QR payload.

Needs only Python 3 and the `cryptography` package (pip install cryptography). Usage:

    python3 verify_qr.py '<text decoded from the QR photo>' public-keys.json

public-keys.json is the district's JWK set, published at https://<platform>/v/keys.json.
Format (see docs/certificates.md): QR text = <base URL>/v/<number>?s=<token>,
token = base64url(payload || 64-byte Ed25519 signature), payload = 0x01 then 8 fields, each one
length byte followed by UTF-8: kid, number, product, quantity, unit, origin code, issue date, issuer.
Exit status 0 if genuine, 1 if not.
"""

import base64
import json
import sys
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
    keys = {k["kid"]: k["x"] for k in keyset["keys"] if k.get("kty") == "OKP" and k.get("crv") == "Ed25519"}
    if fields["kid"] not in keys:
        return False, "签名密钥未知（可能是伪造的合格证）", fields
    try:
        Ed25519PublicKey.from_public_bytes(b64u(keys[fields["kid"]])).verify(sig, body)
    except (InvalidSignature, ValueError):
        return False, "签名无效：内容被篡改或签名伪造", fields
    number = fields["number"]
    if len(number) != 17 or check_char(number[:-1]) != number[-1]:
        return False, "合格证编号校验位不符", fields
    if url_number is not None and url_number.upper() != number:
        return False, "网址中的编号与签名内容不一致", fields
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
