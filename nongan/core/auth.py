"""API authentication by hashed, expiring, revocable tokens (``Authorization: Token <key>``), and the logout
hook that ends the tokens bound to a login session."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


class ApiTokenAuthentication(TokenAuthentication):
    """DRF's ``Token <key>`` header, checked against ``core.ApiToken`` (SHA-256 of the key)."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        from .accounts import authenticate_token

        found = authenticate_token(key)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        return found


@receiver(user_logged_out, dispatch_uid="nongan.core.auth.end_session_tokens")
def end_session_tokens(sender, request, user, **kwargs):
    from .accounts import tokens_end_session

    session = getattr(request, "session", None)
    if session is not None and user is not None:
        tokens_end_session(user=user, session_key=session.session_key or "")


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login (AXES_LOCKOUT_CALLABLE): JSON for the API, the page otherwise."""
    message = _(
        "Too many failed logins. The account is locked for 30 minutes; ask the district administrator to "
        "unlock it sooner."
    )
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(message)}, status=429)
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, {}, status=429)
