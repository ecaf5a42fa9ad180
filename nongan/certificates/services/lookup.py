"""What a certificate number or a scanned QR text means: the one verdict behind the public page, the API,
``nongan verify-qr --db`` and every service that looks a certificate up by its number."""

import re
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .. import qrsign, selectors
from ..choices import CertificateStatus, ScanResult
from ..models import Certificate
from .keys import key_records


class Verdict(StrEnum):
    """The answer to "is this certificate real and current?". The first five are also the
    ``ScanResult`` a public scan is logged with."""

    GENUINE = "genuine"  # the signature is valid and the certificate is current
    REVOKED = "revoked"  # the certificate was revoked (signature valid, or none given)
    UNSIGNED = "unsigned"  # number only: registered and current, no signature to check
    BAD_SIGNATURE = "bad_signature"  # a signature was given and fails: counterfeit suspect
    NOT_FOUND = "unknown"  # a well-formed number that no certificate has
    BAD_NUMBER = "bad_number"  # the number's check character does not match (mistyped)
    UNREADABLE = "malformed"  # neither a number nor a readable QR text


@dataclass(frozen=True)
class VerifyResult:
    verdict: Verdict
    # The number asked about, normalised: the one given (typed, or in the QR's address), else the one
    # inside the token; "" when there is none.
    number: str
    certificate: Certificate | None = None
    # The signature check of the token (None when no token was given): its ``code`` says why it
    # failed and ``payload`` is the decoded content (trustworthy only when ``ok``).
    signature: qrsign.Verification | None = None

    @property
    def payload(self) -> qrsign.Payload | None:
        return self.signature.payload if self.signature is not None else None

    @property
    def signed(self) -> bool:
        """A token was given and its signature is valid for this number."""
        return self.signature is not None and self.signature.ok and self.verdict != Verdict.BAD_SIGNATURE

    @property
    def signature_failed(self) -> bool:
        """A token was given and does not prove this number (unreadable, unknown key, forged, altered)."""
        return self.signature is not None and not self.signed

    @property
    def counterfeit_suspect(self) -> bool:
        """A failed signature, or a certificate already flagged by its scans."""
        return self.verdict == Verdict.BAD_SIGNATURE or bool(self.certificate and self.certificate.suspicious)

    @property
    def scan_result(self) -> str:
        """What a public scan of this certificate is logged as (only when a certificate was found)."""
        return ScanResult(self.verdict.value)


def verify(number: str | None, token: str | None = None, *, page: bool = False) -> VerifyResult:
    """The verdict on a certificate number (typed, or from the QR's address) and an optional signed token.

    Checked in this order: the number's check character, the certificate's existence, the token's
    signature (against the published keys, for exactly this number, signed inside its key's window and
    before any compromise of the key, with the content the platform issued), then the certificate's status.
    Without a number the token's own (signed) number is looked up. ``page``: the public page's lean read of
    the certificate (the same record, only the columns the page shows loaded up front)."""
    signature = None
    records = {}
    if token:
        records = key_records(kid=qrsign.token_kid(token))
        signature = qrsign.verify_token(
            token, {k: r.public for k, r in records.items()}, url_number=number or None
        )
    if number:
        n = qrsign.normalize_number(number)
    elif signature is not None and signature.payload is not None:
        n = signature.payload.number
    else:
        return VerifyResult(Verdict.UNREADABLE, "", signature=signature)
    if not qrsign.number_is_valid(n):
        return VerifyResult(Verdict.BAD_NUMBER, n, signature=signature)
    c = selectors.public_page_certificate(n) if page else selectors.public_certificate(n)
    if c is None:
        return VerifyResult(Verdict.NOT_FOUND, n, signature=signature)
    if signature is not None and signature.ok:
        signature = _against_record(signature, c, records[signature.payload.kid], token)
    if signature is not None and not (signature.ok and signature.payload.number == c.number):
        verdict = Verdict.BAD_SIGNATURE
    elif c.status == CertificateStatus.REVOKED:
        verdict = Verdict.REVOKED
    elif signature is not None:
        verdict = Verdict.GENUINE
    else:
        verdict = Verdict.UNSIGNED
    return VerifyResult(verdict, n, c, signature)


def _against_record(signature: qrsign.Verification, c: Certificate, key, token: str) -> qrsign.Verification:
    """A valid signature proves the certificate only if the platform's records agree: the certificate was
    signed (its ``signed_at``, the server's clock, never the token's date) inside the key's window and before
    any compromise of it, and the token is the one issued for it (so a key taken from a database copy cannot
    vouch for other content under an existing number)."""
    if not key.signed_inside(c.signed_at):
        code = (
            qrsign.KEY_COMPROMISED
            if key.compromised_at is not None and c.signed_at >= key.compromised_at
            else qrsign.KEY_WINDOW
        )
        return qrsign.Verification(False, code, signature.payload)
    if c.kid != key.kid or not _same_token(c.token, signature, token):
        return qrsign.Verification(False, qrsign.NOT_ISSUED, signature.payload)
    return signature


def _same_token(stored: str, signature: qrsign.Verification, token: str) -> bool:
    if token.strip() == stored:  # the token as issued, byte for byte
        return True
    try:
        issued = qrsign.decode_payload(qrsign.b64u_decode(stored)[: -qrsign.SIGNATURE_BYTES])
    except (ValueError, UnicodeDecodeError):
        return False
    return issued == signature.payload


def key_refused_message() -> str:
    """What the public is told for every refusal of the signing key (unknown key, signed outside its window or
    after its compromise, not the token issued): one message. The precise reason is kept on the scan
    (``Scan.signature``) for staff."""
    return _(
        "The signature could not be confirmed by the supervision platform: this QR does not prove that the "
        "platform issued this certificate. It may be counterfeit; do not trust it."
    )


def verify_text(text: str) -> VerifyResult:
    """The verdict on what a person typed or a scanner decoded: a certificate number, a QR text (the
    whole address) or a bare token."""
    text = (text or "").strip()
    if qrsign.number_is_valid(text):
        return verify(text)
    try:
        url_number, token = qrsign.split_qr_text(text)
    except ValueError:
        return VerifyResult(Verdict.UNREADABLE, "", signature=qrsign.Verification(False, qrsign.MALFORMED))
    return verify(url_number, token)


def certificate_by_number(number: str) -> Certificate:
    """The certificate with this number, or a ValidationError saying the number is mistyped or unknown.
    A scanned QR text (the whole URL) is accepted too; its signature must then be valid."""
    text = (number or "").strip()
    if "/v/" in text:
        try:
            url_number, token = qrsign.split_qr_text(text)
        except ValueError:
            url_number, token = None, ""
        if url_number is None:
            raise ValidationError(
                _(
                    "The QR code cannot be read: it is not a certificate QR of this platform, or it is incomplete."
                )
            )
        result = verify(url_number, token)
        if result.signature_failed:
            raise ValidationError(
                _(
                    "Invalid signature: the QR content was altered or the signature forged. Do not trust this certificate."
                )
            )
        number = url_number
    else:
        result = verify(number)
    if result.verdict in (Verdict.BAD_NUMBER, Verdict.UNREADABLE):
        raise ValidationError(
            _("The certificate number %(number)s is not valid: check the characters you typed.")
            % {"number": number}
        )
    if result.verdict == Verdict.NOT_FOUND:
        raise ValidationError(_("No certificate with the number %(number)s.") % {"number": result.number})
    return result.certificate


def certificate_by_qr(text: str) -> Certificate:
    """The certificate a scanned QR text (the whole address, or the bare signed token) proves, or a
    ValidationError. Unlike ``certificate_by_number`` a number alone is refused: it is printed on the
    label and shown on the public page, so it proves nothing about holding the certificate. Collection
    uses this: only whoever holds the label (or the issuer's own record of it) can collect against it."""
    text = (text or "").strip()
    try:
        url_number, token = qrsign.split_qr_text(text)
    except ValueError:  # an address without its s= token
        url_number, token = None, ""
    looks_like_number = re.fullmatch(r"[0-9]{16}[0-9A-Z]", qrsign.normalize_number(token)) is not None
    if not token or looks_like_number or "/v/" in token:
        raise ValidationError(
            _(
                "Collecting a certificate needs its QR code scanned (or the signed text it holds); "
                "the certificate number alone is not enough."
            )
        )
    result = verify(url_number, token)
    if result.signature_failed or result.certificate is None:
        if result.verdict == Verdict.NOT_FOUND and not result.signature_failed:
            raise ValidationError(_("No certificate with the number %(number)s.") % {"number": result.number})
        raise ValidationError(
            _(
                "Invalid signature: the QR content was altered or the signature forged. Do not trust this certificate."
            )
        )
    return result.certificate
