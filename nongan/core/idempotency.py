"""Idempotent requests: a write sent again with the same key returns the first result instead of doing the
work twice (a client that lost the response of an issue of 2,000 certificates retries safely).

The key comes from the ``Idempotency-Key`` header (API clients) or the hidden ``idempotency_key`` field that
``{% idempotency_field %}`` puts into a form when it is rendered (pages). For one user and key:

* the first request inserts an ``IdempotencyKey`` row, does the work and stores its response in the same
  transaction; a request that did nothing (a 4xx, or a page that shows its form again with errors) leaves
  no key behind, so the corrected request can be sent again with the same key;
* a retry with the same method, path and body gets the stored response (same status, same body, same
  redirect) with an ``Idempotent-Replayed: true`` header, and nothing is done again;
* the same key with another body or path is refused (API: 422; pages: the form is shown afresh with the
  message);
* two requests with the same key at once: the unique constraint on (user, key) makes the second wait for the
  first's transaction, then it replays the first's response — the work is done once.

Keys are kept ``NONGAN_IDEMPOTENCY_HOURS`` (default 24); ``nongan purge-idempotency-keys`` deletes older ones
(a user's own expired keys also go whenever that user sends a new one).

Use ``@idempotent_action`` on a DRF viewset method and ``@idempotent_view()`` on a Django view."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
FORM_FIELD = "idempotency_key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_CHARS = 255
# Form fields that differ between two sends of one form without changing what is asked.
IGNORED_FIELDS = frozenset({"csrfmiddlewaretoken", FORM_FIELD})


def keep_hours() -> int:
    return int(getattr(settings, "NONGAN_IDEMPOTENCY_HOURS", 24))


def new_key() -> str:
    """A fresh key for a form being rendered."""
    return uuid.uuid4().hex


def _canonical(value):
    if isinstance(value, MultiValueDict):
        return {
            k: [_canonical(v) for v in value.getlist(k)] for k in sorted(value) if k not in IGNORED_FIELDS
        }
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items()) if k not in IGNORED_FIELDS}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}
    return value


def fingerprint(*parts) -> str:
    """SHA-256 of the request's content (parsed data, files by their content), independent of key order."""
    text = json.dumps([_canonical(p) for p in parts], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class KeyConflict(Exception):
    """The key was used for another request (another body or path)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _check_key(key: str) -> str | None:
    """The key, or None when it is not a usable one (empty, too long, control characters)."""
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY_CHARS or any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        return None
    return key


def invalid_key_message() -> str:
    return _("The Idempotency-Key must be 1 to %(max)s printable characters.") % {"max": MAX_KEY_CHARS}


def _replay(row: IdempotencyKey) -> HttpResponse:
    if row.response_location:
        response = HttpResponseRedirect(row.response_location)
        response.status_code = row.response_status
    else:
        response = HttpResponse(
            bytes(row.response_body), status=row.response_status, content_type=row.response_type or None
        )
    response[REPLAYED_HEADER] = "true"
    return response


def run_once(
    *,
    user,
    key: str,
    method: str,
    path: str,
    body_hash: str,
    work: Callable[[], HttpResponse],
    keep: Callable[[HttpResponse], bool],
    finish: Callable[[HttpResponse], HttpResponse] = lambda r: r,
) -> tuple[HttpResponse, bool]:
    """Do ``work`` once for (user, key): returns (response, replayed). ``keep(response)`` says whether the
    work was done (then the response is stored with it); ``finish`` renders a response before it is stored.
    Raises ``KeyConflict`` when the key was used for another request."""
    with transaction.atomic():
        now = timezone.now()
        IdempotencyKey.objects.filter(user=user, created__lt=now - dt.timedelta(hours=keep_hours())).delete()
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    user=user, key=key, method=method, path=path[:255], body_hash=body_hash, created=now
                )
        except IntegrityError:
            # Another request with this key committed first (on PostgreSQL the insert waited for it).
            row = IdempotencyKey.objects.get(user=user, key=key)
            if (row.method, row.path, row.body_hash) != (method, path[:255], body_hash):
                raise KeyConflict(
                    _(
                        "This Idempotency-Key was already used for a different request: send a new key "
                        "for a new request."
                    )
                ) from None
            if row.response_status is None:  # pragma: no cover - a committed key always has its response
                raise KeyConflict(
                    _("The first request with this Idempotency-Key is still running.")
                ) from None
            return _replay(row), True
        response = work()
        if not keep(response):
            row.delete()  # nothing was done: the key may be sent again
            return response, False
        response = finish(response)
        row.response_status = response.status_code
        if response.has_header("Location") and 300 <= response.status_code < 400:
            row.response_location = response["Location"][:1000]
        else:
            row.response_body = bytes(response.content)
            row.response_type = response.get("Content-Type", "")[:128]
        row.save(update_fields=["response_status", "response_body", "response_type", "response_location"])
        return response, False


def purge(*, now: dt.datetime | None = None) -> int:
    """Delete keys older than ``NONGAN_IDEMPOTENCY_HOURS``; returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(hours=keep_hours())
    deleted, _per_model = IdempotencyKey.objects.filter(created__lt=cutoff).delete()
    return deleted


# ------------------------------------------------------------------ DRF
def _done(response) -> bool:
    return 200 <= response.status_code < 300


def idempotent_action(method):
    """For a DRF viewset method that writes: honours an ``Idempotency-Key`` header (optional). Document it with
    ``extend_schema(parameters=[IDEMPOTENCY_PARAMETER])``."""

    @functools.wraps(method)
    def wrapper(self, request, *args, **kwargs):
        raw = request.headers.get(HEADER)
        if raw is None or not request.user.is_authenticated:
            return method(self, request, *args, **kwargs)
        key = _check_key(raw)
        if key is None:
            raise exceptions.ValidationError({HEADER: [invalid_key_message()]})

        def finish(response):
            response = self.finalize_response(request, response, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
            return response

        try:
            response, _replayed = run_once(
                user=request.user,
                key=key,
                method=request.method,
                path=request.path,
                body_hash=fingerprint(request.data),
                work=lambda: method(self, request, *args, **kwargs),
                keep=_done,
                finish=finish,
            )
        except KeyConflict as exc:
            return Response({"detail": exc.message}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        return response

    return wrapper


def idempotency_parameter():
    """The optional header in the OpenAPI schema (drf-spectacular's ``OpenApiParameter``)."""
    from drf_spectacular.types import OpenApiTypes
    from drf_spectacular.utils import OpenApiParameter

    return OpenApiParameter(
        HEADER,
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        required=False,
        description=(
            "Optional: a unique key per request (e.g. a UUID). A retry with the same key returns the first "
            "response (header Idempotent-Replayed: true) without doing the work again; the same key with "
            f"another body gets 422. Keys are kept {getattr(settings, 'NONGAN_IDEMPOTENCY_HOURS', 24)} hours."
        ),
    )


# ------------------------------------------------------------------ pages
def _redirected(response) -> bool:
    return 300 <= response.status_code < 400


def idempotent_view(keep: Callable[[HttpResponse], bool] = _redirected):
    """For a Django view whose form carries ``{% idempotency_field %}``: a POST sent again with the same token
    (a double click, a resend after a lost response, the browser's back button) gets the first result.
    By default the work counts as done when the view redirects (a form shown again with errors did nothing)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method != "POST" or not request.user.is_authenticated:
                return view(request, *args, **kwargs)
            raw = request.headers.get(HEADER) or request.POST.get(FORM_FIELD)
            key = _check_key(raw) if raw else None
            if key is None:
                return view(request, *args, **kwargs)
            try:
                response, replayed = run_once(
                    user=request.user,
                    key=key,
                    method=request.method,
                    path=request.path,
                    body_hash=fingerprint(request.POST, request.FILES),
                    work=lambda: view(request, *args, **kwargs),
                    keep=keep,
                )
            except KeyConflict:
                messages.error(
                    request,
                    _(
                        "This form had already been sent with other values; it is shown afresh, nothing was saved."
                    ),
                )
                return HttpResponseRedirect(request.get_full_path())
            if replayed:
                messages.info(request, _("This form had already been sent; here is its result."))
            return response

        return wrapper

    return decorate
