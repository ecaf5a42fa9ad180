"""Sample photos: the content check and adding a photo to a sample."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from nongan.core import audit
from nongan.core.files import random_name
from nongan.core.scoping import scoped

from ..models import Sample, SamplePhoto
from .common import SAMPLER_ROLES, _require_role

PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}  # what Pillow reports → the stored extension


def photo_check(f) -> str:
    """Check an uploaded photo: not empty, at most 10 MB, and a JPEG, PNG or WebP image as Pillow reads it
    (the content decides, not the file name or the declared type). Returns the file extension to store."""
    from PIL import Image

    size = getattr(f, "size", None)
    if not size:
        raise ValidationError(_("The photo is empty."))
    if size > PHOTO_MAX_BYTES:
        raise ValidationError(
            _("The photo is larger than %(max)d MB.") % {"max": PHOTO_MAX_BYTES // (1024 * 1024)}
        )
    fmt = None
    try:
        f.seek(0)
        with Image.open(f) as im:
            fmt = im.format
            im.verify()
    except Exception:  # noqa: BLE001 - whatever Pillow cannot read is not a photo
        fmt = None
    finally:
        f.seek(0)
    if fmt not in PHOTO_FORMATS:
        raise ValidationError(_("The file is not a JPEG, PNG or WebP image."))
    return PHOTO_FORMATS[fmt]


def _photo_save(sample: Sample, f, ext: str, *, caption: str) -> SamplePhoto:
    # A random stored name (nothing to guess, nothing of the uploader's); the extension follows the content.
    f.name = random_name(ext)
    return SamplePhoto.objects.create(sample=sample, image=f, caption=(caption or "").strip()[:128])


@transaction.atomic
def sample_photo_add(*, actor, sample: Sample, image, caption: str = "") -> SamplePhoto:
    """Add a photo to a sample in the actor's jurisdiction (samplers, enforcement officers, administrators).
    Checks size and content first (``photo_check``); nothing is stored on error. Audited."""
    _require_role(actor, SAMPLER_ROLES, _("Only samplers may add photos to samples."))
    if not scoped(actor, Sample.objects.filter(pk=sample.pk)).exists():
        raise ValidationError(_("This sample is outside your jurisdiction."))
    if image is None:
        raise ValidationError({"image": _("Choose a photo to upload.")})
    if len((caption or "").strip()) > 128:
        raise ValidationError({"caption": _("The caption is too long (at most 128 characters).")})
    try:
        ext = photo_check(image)
    except ValidationError as e:
        raise ValidationError({"image": e.messages}) from None
    photo = _photo_save(sample, image, ext, caption=caption or getattr(image, "name", "") or "")
    audit.record_create(actor, photo, reason=photo.image.name)
    return photo
