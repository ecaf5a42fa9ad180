"""Signed QR payloads of 承诺达标合格证: pure Python, no Django, no database.

This module is what ``nongan verify-qr`` imports, and what docs/verify_qr.py re-implements with only
``cryptography`` and the standard library. The byte format (docs/certificates.md, "QR payload"):

    payload   = 0x01 (format version) || field_1 || … || field_8
    field_i   = one length byte L (0–255) || L bytes of UTF-8 text
    fields    = kid, certificate number, product, quantity (decimal text), unit,
                origin region code (12 digits), issue date (YYYYMMDD, Asia/Shanghai),
                issuer (the producer's 15-digit registry number; names would make the QR too dense)
    signature = Ed25519(district private key of `kid`, payload)          (64 bytes)
    token     = base64url(payload || signature), without "=" padding
    QR text   = "<base URL>/v/<certificate number>?s=<token>"

Public keys are published as a JWK set: {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": …, "x": base64url(32 bytes)}]}.

Certificate numbers are 17 characters: 6-digit district code, 2-digit year, 8-digit serial and a
check character (Luhn mod 36 over 0-9A-Z), so a mistyped character (and almost any swap of two
neighbours) is caught.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import json
import re
from dataclasses import asdict, dataclass
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT_VERSION = 1
SIGNATURE_BYTES = 64
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
NUMBER_LENGTH = 17
FIELDS = ("kid", "number", "product", "quantity", "unit", "origin", "issued", "issuer")

# Result codes and their Chinese answers (the web page translates the codes through gettext).
OK = "ok"
MALFORMED = "malformed"
BAD_NUMBER = "bad_number"
UNKNOWN_KID = "unknown_kid"
BAD_SIGNATURE = "bad_signature"
NUMBER_MISMATCH = "number_mismatch"
# Set by the platform's verdict (services.verify), which also checks the key's record: never by verify_token.
KEY_WINDOW = "key_window"
KEY_COMPROMISED = "key_compromised"
NOT_ISSUED = "not_issued"
MESSAGES_ZH = {
    OK: "签名有效：该合格证由监管平台签发，内容未被篡改。",
    MALFORMED: "二维码内容无法识别：不是本平台的合格证二维码，或内容不完整。",
    BAD_NUMBER: "合格证编号有误：校验位不符，请核对编号是否抄错。",
    UNKNOWN_KID: "签名密钥未知：该二维码的密钥编号不在已公布的公钥列表中，可能是伪造的合格证。",
    BAD_SIGNATURE: "签名无效：二维码内容被篡改或签名伪造，请勿相信该合格证。",
    NUMBER_MISMATCH: "网址中的合格证编号与签名内容不一致，二维码可能被篡改。",
    KEY_WINDOW: "签名密钥不在有效期内：该合格证的签发时间不在其签名密钥的启用期内，可能是伪造的合格证。",
    KEY_COMPROMISED: "签名密钥已泄露：该合格证签发于密钥被标记泄露之后，请勿相信该合格证。",
    NOT_ISSUED: "签名内容与平台签发记录不一致：该二维码不是平台为此合格证签发的，可能是伪造的合格证。",
}


# ------------------------------------------------------------------ base64url
def b64u_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    text = text.strip()
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ------------------------------------------------------------------ certificate numbers
def check_char(body: str) -> str:
    """Luhn mod 36 check character over 0-9A-Z (catches every single-character error and
    almost every swap of two adjacent characters)."""
    n = len(ALPHABET)
    factor = 2
    total = 0
    for ch in reversed(body):
        addend = factor * ALPHABET.index(ch)
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def make_number(district: str, year: int, serial: int) -> str:
    body = f"{district[:6]}{year % 100:02d}{serial:08d}"
    return body + check_char(body)


def normalize_number(text: str) -> str:
    """Upper-case, without spaces or hyphens (people type 3207-0726-…)."""
    return re.sub(r"[\s\-_]", "", (text or "")).upper()


def number_is_valid(text: str) -> bool:
    number = normalize_number(text)
    if len(number) != NUMBER_LENGTH or not re.fullmatch(r"[0-9]{16}[0-9A-Z]", number):
        return False
    return check_char(number[:-1]) == number[-1]


# ------------------------------------------------------------------ payload
@dataclass(frozen=True)
class Payload:
    kid: str
    number: str
    product: str
    quantity: str
    unit: str
    origin: str
    issued: str  # YYYYMMDD
    issuer: str

    def as_dict(self) -> dict:
        return asdict(self)


def encode_payload(p: Payload) -> bytes:
    out = bytearray([FORMAT_VERSION])
    for name in FIELDS:
        raw = str(getattr(p, name)).encode("utf-8")
        if len(raw) > 255:
            raise ValueError(f"field {name} longer than 255 bytes")
        out.append(len(raw))
        out += raw
    return bytes(out)


def decode_payload(data: bytes) -> Payload:
    if not data or data[0] != FORMAT_VERSION:
        raise ValueError("unknown format version")
    values = []
    i = 1
    for _name in FIELDS:
        if i >= len(data):
            raise ValueError("truncated")
        n = data[i]
        i += 1
        if i + n > len(data):
            raise ValueError("truncated")
        values.append(data[i : i + n].decode("utf-8"))
        i += n
    if i != len(data):
        raise ValueError("trailing bytes")
    return Payload(*values)


# ------------------------------------------------------------------ keys
def generate_private_key() -> bytes:
    """32 raw bytes of a new Ed25519 private key."""
    from cryptography.hazmat.primitives import serialization

    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def public_key_of(private_raw: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return (
        Ed25519PrivateKey.from_private_bytes(private_raw)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def jwk(kid: str, public_raw: bytes, **extra) -> dict:
    return {"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": b64u_encode(public_raw), **extra}


def load_keyset(data: str | bytes | dict) -> dict[str, bytes]:
    """{kid: raw public key} from a JWK set (JSON text or parsed)."""
    obj = json.loads(data) if isinstance(data, (str, bytes)) else data
    keys: dict[str, bytes] = {}
    for k in obj.get("keys", []):
        if k.get("kty") == "OKP" and k.get("crv") == "Ed25519" and k.get("kid") and k.get("x"):
            raw = b64u_decode(k["x"])
            if len(raw) == 32:
                keys[str(k["kid"])] = raw
    return keys


# ------------------------------------------------------------------ key windows (offline)
# Issue dates in the payload are dates in China (UTC+8, no daylight saving).
CHINA = dt.timezone(dt.timedelta(hours=8))
# A key signs up to this long after the rotation that retired it (services.keys.ROTATION_GRACE).
ROTATION_GRACE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class KeyWindow:
    """A published key's validity window and compromise, as days in China: what an offline checker can hold a
    token's issue date (YYYYMMDD) against. ``None``: open."""

    first_day: dt.date | None  # the day its window opened
    last_day: dt.date | None  # the day its window closed (rotation, with the rotation grace)
    compromised_day: dt.date | None  # the day it was marked compromised from

    def refusal(self, issued: str) -> str | None:
        """KEY_WINDOW or KEY_COMPROMISED for a token dated ``issued`` (YYYYMMDD), or None. To the day: a token
        dated the day of the compromise is refused, since it cannot be told apart from one signed after it (the
        platform, which knows the time each certificate was signed, may still find one genuine)."""
        try:
            day = dt.datetime.strptime(issued, "%Y%m%d").date()
        except ValueError:
            return KEY_WINDOW
        if self.compromised_day is not None and day >= self.compromised_day:
            return KEY_COMPROMISED
        if self.first_day is not None and day < self.first_day:
            return KEY_WINDOW
        if self.last_day is not None and day > self.last_day:
            return KEY_WINDOW
        return None


def _china_day(value, grace: dt.timedelta = dt.timedelta(0)) -> dt.date | None:
    if not value:
        return None
    moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (moment + grace).astimezone(CHINA).date()


def load_key_windows(data: str | bytes | dict) -> dict[str, KeyWindow]:
    """{kid: KeyWindow} from a JWK set with the platform's ``valid_from`` / ``valid_until`` /
    ``compromised_at`` (ISO times) and ``status``. A key whose status is ``compromised`` without a time is
    treated as compromised for every token. Raises ValueError for a time that cannot be read."""
    obj = json.loads(data) if isinstance(data, (str, bytes)) else data
    windows: dict[str, KeyWindow] = {}
    for k in obj.get("keys", []):
        if not k.get("kid"):
            continue
        compromised = _china_day(k.get("compromised_at"))
        if compromised is None and k.get("status") == "compromised":
            compromised = dt.date.min
        windows[str(k["kid"])] = KeyWindow(
            _china_day(k.get("valid_from")), _china_day(k.get("valid_until"), ROTATION_GRACE), compromised
        )
    return windows


# ------------------------------------------------------------------ sign / verify
class Signer:
    """Signs payloads with one private key (reused for a whole batch)."""

    def __init__(self, kid: str, private_raw: bytes):
        self.kid = kid
        self._key = Ed25519PrivateKey.from_private_bytes(private_raw)

    def token(self, payload: Payload) -> str:
        if payload.kid != self.kid:
            raise ValueError("payload kid differs from the signer's kid")
        body = encode_payload(payload)
        return b64u_encode(body + self._key.sign(body))


def qr_text(base_url: str, number: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/v/{number}?s={token}"


def split_qr_text(text: str) -> tuple[str | None, str]:
    """(number in the URL path or None, token) from a decoded QR text, a URL, or a bare token."""
    text = (text or "").strip()
    if "://" in text or text.startswith("/v/"):
        parts = urlsplit(text)
        m = re.search(r"/v/([^/?#]+)/?$", parts.path)
        tokens = parse_qs(parts.query).get("s", [])
        if not tokens:
            raise ValueError("no s= parameter")
        return (m.group(1) if m else None), tokens[0]
    return None, text


def token_kid(token: str) -> str | None:
    """The key id a token names (not verified), or None when the token cannot be read."""
    try:
        return decode_payload(b64u_decode(token)[:-SIGNATURE_BYTES]).kid
    except (ValueError, UnicodeDecodeError):
        return None


@dataclass
class Verification:
    ok: bool
    code: str
    payload: Payload | None = None

    @property
    def message(self) -> str:
        return MESSAGES_ZH[self.code]


@functools.lru_cache(maxsize=20_000)
def _signature_valid(public: bytes, signature: bytes, body: bytes) -> bool:
    """Ed25519 verification, remembered for the last 20,000 (key, signature, content) triples: a busy
    verification page sees the same labels again and again, and the answer for given bytes never changes."""
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, body)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_token(
    token: str,
    keys: dict[str, bytes],
    url_number: str | None = None,
    windows: dict[str, KeyWindow] | None = None,
) -> Verification:
    """The signature check of a token against {kid: public key}; with ``windows`` (offline checkers, from the
    published JWK set) a valid signature counts only when the token's issue date lies inside its key's window
    and before the key's compromise. The platform itself checks its records instead (``services.verify``)."""
    try:
        raw = b64u_decode(token)
    except (ValueError, binascii.Error):
        return Verification(False, MALFORMED)
    if len(raw) <= SIGNATURE_BYTES + 1:
        return Verification(False, MALFORMED)
    body, sig = raw[:-SIGNATURE_BYTES], raw[-SIGNATURE_BYTES:]
    try:
        payload = decode_payload(body)
    except (ValueError, UnicodeDecodeError):
        return Verification(False, MALFORMED)
    public = keys.get(payload.kid)
    if public is None:
        return Verification(False, UNKNOWN_KID, payload)
    if not _signature_valid(public, sig, body):
        return Verification(False, BAD_SIGNATURE, payload)
    if not number_is_valid(payload.number):
        return Verification(False, BAD_NUMBER, payload)
    if url_number is not None and normalize_number(url_number) != payload.number:
        return Verification(False, NUMBER_MISMATCH, payload)
    if windows is not None:
        window = windows.get(payload.kid)
        refusal = window.refusal(payload.issued) if window is not None else None
        if refusal is not None:
            return Verification(False, refusal, payload)
    return Verification(True, OK, payload)


def verify_text(
    text: str, keys: dict[str, bytes], windows: dict[str, KeyWindow] | None = None
) -> Verification:
    """Verify a decoded QR text (URL or bare token) against {kid: public key} (and the keys' windows)."""
    try:
        url_number, token = split_qr_text(text)
    except ValueError:
        return Verification(False, MALFORMED)
    return verify_token(token, keys, url_number, windows)
