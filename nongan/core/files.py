"""Uploaded files: stored under random names, never under a public URL, served only through ``serve_file``.

Every upload (sample photos, import spreadsheets) is saved under ``MEDIA_ROOT`` with a random name
(``random_name``: 32 hex digits and an extension the caller chose after checking the content), so no name
can be guessed and no name the uploader chose reaches the disk. ``MEDIA_ROOT`` is not served by any URL:
the only way to a file is a view that first finds the owning record through the scoping choke point
(``nongan.core.scoping.scoped``) and then calls ``serve_file``. Behind nginx the file itself is sent by the
proxy (``NONGAN_FILE_SEND = "x-accel-redirect"`` with an ``internal`` location, or ``"x-sendfile"`` for
Apache/lighttpd); otherwise Django streams it.
"""

import mimetypes
import uuid
from pathlib import PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import models
from django.http import FileResponse, Http404, HttpResponse

from .scoping import scoped

# Types sent inline (shown in the browser); anything else is an attachment. Only raster images that
# cannot carry script: no SVG, no HTML, whatever the stored name says.
INLINE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
SAFE_EXTENSION_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789")


def random_name(ext: str, *, prefix: str = "") -> str:
    """A random file name with the (already checked) extension ``ext``, e.g. ``"3f2a…9c.png"``; with
    ``prefix`` (a directory under the field's ``upload_to``) the name is ``prefix/<hex>.<ext>``."""
    ext = (ext or "").lower().lstrip(".")
    if not ext or len(ext) > 8 or not set(ext) <= SAFE_EXTENSION_CHARS:
        raise ValueError(f"not a checked extension: {ext!r}")
    name = f"{uuid.uuid4().hex}.{ext}"
    return f"{prefix.strip('/')}/{name}" if prefix else name


def is_random_name(name: str) -> bool:
    """Whether the last part of a stored name is one ``random_name`` makes."""
    stem, _dot, ext = PurePosixPath(name).name.partition(".")
    return len(stem) == 32 and all(c in "0123456789abcdef" for c in stem) and bool(ext)


def _content_type(name: str) -> tuple[str, bool]:
    """(Content-Type, inline?) of a stored file: raster images inline, everything else an attachment."""
    ext = PurePosixPath(name).suffix.lower().lstrip(".")
    if ext in INLINE_TYPES:
        return INLINE_TYPES[ext], True
    guessed = mimetypes.guess_type(name)[0]
    if guessed in (
        None,
        "text/html",
        "image/svg+xml",
        "application/xhtml+xml",
        "text/xml",
        "application/xml",
    ):
        guessed = "application/octet-stream"
    return guessed, False


def serve_file(
    request, record: models.Model, field: str, *, download_name: str | None = None
) -> HttpResponse:
    """Send the file in ``record.<field>`` to the user of ``request`` if the scoping choke point lets that
    user see ``record`` (anonymous: to the login page; out of scope or no file: 404).

    Raster images (JPEG, PNG, WebP) are sent inline, anything else as an attachment (named
    ``download_name`` or the stored name); always with ``X-Content-Type-Options: nosniff`` and a
    Content-Security-Policy that runs nothing. With ``NONGAN_FILE_SEND`` set the body is left to the proxy."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not scoped(request.user, type(record)._default_manager.filter(pk=record.pk)).exists():
        raise Http404
    f = getattr(record, field)
    if not f or not f.name or not f.storage.exists(f.name):
        raise Http404
    content_type, inline = _content_type(f.name)
    mode = (getattr(settings, "NONGAN_FILE_SEND", "") or "").lower()
    if mode == "x-accel-redirect":
        response = HttpResponse(content_type=content_type)
        prefix = settings.NONGAN_FILE_ACCEL_PREFIX.rstrip("/")
        response["X-Accel-Redirect"] = quote(f"{prefix}/{f.name}")
    elif mode == "x-sendfile":
        response = HttpResponse(content_type=content_type)
        response["X-Sendfile"] = f.path
    else:
        response = FileResponse(f.open("rb"), content_type=content_type)
        response["Content-Length"] = str(f.size)
    if inline:
        response["Content-Disposition"] = "inline"
    else:
        name = download_name or PurePosixPath(f.name).name
        ascii_name = name.encode("ascii", "ignore").decode() or "download"
        ascii_name = ascii_name.replace('"', "").replace("\\", "")
        response["Content-Disposition"] = (
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def move_to_random_name(f, *, allowed: set[str]) -> str | None:
    """Move an already stored file (a FieldFile) to a random name in the same directory, keeping its extension
    only when it is in ``allowed`` ("bin" otherwise). Returns the new name, or None when there is nothing to
    move (no file, already random, or missing on disk). Used by the data migrations of existing uploads."""
    if not f or not f.name or is_random_name(f.name):
        return None
    storage = f.storage
    if not storage.exists(f.name):
        return None
    path = PurePosixPath(f.name)
    ext = path.suffix.lower().lstrip(".")
    new = random_name(
        ext if ext in allowed else "bin", prefix=str(path.parent) if str(path.parent) != "." else ""
    )
    with storage.open(f.name, "rb") as src:
        new = storage.save(new, src)
    storage.delete(f.name)
    return new
