"""Find a certificate by its number or by a scanned QR text."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .. import qrsign
from ..models import Certificate
from .keys import _token_kid, public_keys_map


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
        v = qrsign.verify_token(token, public_keys_map(kid=_token_kid(token)), url_number=url_number)
        if not v.ok:
            raise ValidationError(
                _(
                    "Invalid signature: the QR content was altered or the signature forged. Do not trust this certificate."
                )
            )
        number = url_number
    n = qrsign.normalize_number(number)
    if not qrsign.number_is_valid(n):
        raise ValidationError(
            _("The certificate number %(number)s is not valid: check the characters you typed.")
            % {"number": number}
        )
    try:
        return Certificate.objects.select_related("producer", "origin", "product").get(number=n)
    except Certificate.DoesNotExist:
        raise ValidationError(_("No certificate with the number %(number)s.") % {"number": n}) from None
