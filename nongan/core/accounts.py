"""Account services: password change, one-time reset links made by an administrator, API tokens.

Secrets (token keys, reset links) are random, shown once and stored only as their SHA-256. Every change is
audited on the account (passwords themselves never appear in the audit log).

* ``password_change(actor, user, old_password, new_password)`` — any user, for themselves;
* ``reset_link_create(actor, user)`` → (link, secret) — an administrator of the user's jurisdiction; the
  secret goes into ``/account/reset/<secret>/`` and is handed over (or e-mailed when mail is set up);
* ``reset_link_use(secret, new_password)`` — once, before it expires; ends the user's sessions and tokens;
* ``token_create(actor, user, …)`` → (token, key), ``token_revoke(actor, token)``, ``tokens_revoke_all``;
* ``authenticate_token(key)`` → user, for ``nongan.core.auth.ApiTokenAuthentication``.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .choices import ENTITY_ROLES, JURISDICTION_ROLES
from .models import ApiToken, PasswordResetLink, User
from .scoping import can_manage

log = logging.getLogger(__name__)

TOKEN_PREFIX = "ngn_"
MAX_ACTIVE_TOKENS = 20
LAST_USED_EVERY = timedelta(minutes=5)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def token_days() -> int:
    return max(1, int(getattr(settings, "NONGAN_TOKEN_DAYS", 90)))


def reset_link_hours() -> int:
    return max(1, int(getattr(settings, "NONGAN_RESET_LINK_HOURS", 24)))


# ---------------------------------------------------------------- who may administer whom
def account_region(user):
    """The region an account belongs to: its jurisdiction, or its producer's region."""
    if user.role in ENTITY_ROLES:
        producer = user.producer
        return producer.region if producer is not None else None
    return user.jurisdiction


def may_administer(actor, user) -> bool:
    """An administrator may reset the password and revoke the tokens of accounts inside their jurisdiction
    (not of a superuser, and not their own: they change their own password)."""
    if actor is None or not actor.is_authenticated or actor.pk == user.pk:
        return False
    if actor.is_superuser:
        return True
    if user.is_superuser or not can_manage(actor) or actor.jurisdiction_id is None:
        return False
    region = account_region(user)
    return region is not None and region.path.startswith(actor.jurisdiction.path)


def administrable_users(actor, query: str = "", limit: int = 100) -> list[User]:
    """Accounts the actor may administer, matching ``query`` (username or name), at most ``limit``."""
    if not (actor.is_superuser or (can_manage(actor) and actor.jurisdiction_id)):
        return []
    qs = User.objects.exclude(pk=actor.pk).select_related("jurisdiction").order_by("username")
    if query:
        from django.db.models import Q

        qs = qs.filter(Q(username__icontains=query) | Q(full_name__icontains=query))
    if not actor.is_superuser:
        qs = qs.filter(is_superuser=False)
        # Jurisdiction accounts by path in the database; producer accounts are checked one by one below.
        from django.db.models import Q

        qs = qs.filter(
            Q(role__in=JURISDICTION_ROLES, jurisdiction__path__startswith=actor.jurisdiction.path)
            | Q(role__in=ENTITY_ROLES)
        )
    out = []
    for user in qs[: limit * 5].iterator(chunk_size=200):
        if may_administer(actor, user):
            out.append(user)
            if len(out) >= limit:
                break
    return out


def _require_administer(actor, user) -> None:
    if not may_administer(actor, user):
        raise ValidationError(_("Only an administrator of this account's jurisdiction may do this."))


# ---------------------------------------------------------------- passwords
def validate_new_password(password: str, user: User) -> None:
    """Django's validators (length ≥ 10, not common, not like the account's names, not all digits)."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from None


def _record_password(actor, user: User, reason: str) -> None:
    audit.record_change(actor, user, {"password": ["******", _("changed, not shown")]}, reason=reason)


@transaction.atomic
def password_change(*, actor, user: User, old_password: str, new_password: str) -> User:
    """The user changes their own password (the old one is asked again). Other login sessions end (Django's
    session hash), this one stays."""
    if actor is None or actor.pk != user.pk:
        raise ValidationError(_("You can change only your own password."))
    if not user.check_password(old_password or ""):
        raise ValidationError({"old_password": _("The current password is wrong.")})
    if old_password == new_password:
        raise ValidationError({"new_password": _("The new password must differ from the current one.")})
    validate_new_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _record_password(actor, user, _("Password changed by the user"))
    return user


@transaction.atomic
def reset_link_create(*, actor, user: User) -> tuple[PasswordResetLink, str]:
    """A one-time reset link for ``user``; earlier unused links of the user are cancelled. Returns the link
    and its secret (shown once to the administrator, never stored)."""
    _require_administer(actor, user)
    if not user.is_active:
        raise ValidationError(_("The account is inactive; activate it first."))
    now = timezone.now()
    for old in PasswordResetLink.objects.select_for_update().filter(
        user=user, used_at__isnull=True, cancelled_at__isnull=True
    ):
        before = audit.snapshot(old)
        old.cancelled_at = now
        old.save(update_fields=["cancelled_at"])
        audit.record_update(actor, old, before, reason=_("A newer reset link was made"))
    secret = secrets.token_urlsafe(32)
    link = PasswordResetLink.objects.create(
        user=user,
        token_hash=digest(secret),
        created_by=actor,
        expires=now + timedelta(hours=reset_link_hours()),
    )
    audit.record_create(
        actor, link, reason=_("Password reset link made for %(user)s") % {"user": user.username}
    )
    return link, secret


def reset_link_for(secret: str) -> PasswordResetLink | None:
    """The usable link with this secret (not used, not cancelled, not expired), or None."""
    if not secret or len(secret) > 128:
        return None
    link = PasswordResetLink.objects.select_related("user").filter(token_hash=digest(secret)).first()
    if (
        link is None
        or link.used_at is not None
        or link.cancelled_at is not None
        or link.expires <= timezone.now()
        or not link.user.is_active
    ):
        return None
    return link


@transaction.atomic
def reset_link_use(*, secret: str, new_password: str) -> User:
    """Set a new password through a reset link: works once; ends the user's API tokens and (through Django's
    session hash) every login session of the account."""
    link = reset_link_for(secret)
    if link is None:
        raise ValidationError(
            _("This link is invalid, used or expired. Ask your administrator for a new one.")
        )
    link = PasswordResetLink.objects.select_for_update().select_related("user").get(pk=link.pk)
    if link.used_at is not None or link.cancelled_at is not None:
        raise ValidationError(
            _("This link is invalid, used or expired. Ask your administrator for a new one.")
        )
    user = link.user
    validate_new_password(new_password, user)
    before = audit.snapshot(link)
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    audit.record_update(user, link, before, reason=_("Reset link used"))
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _record_password(user, user, _("Password reset through a one-time link"))
    tokens_revoke_all(actor=user, user=user, reason=_("Password reset"), check=False)
    return user


def send_reset_link(link: PasswordResetLink, url: str) -> bool:
    """E-mail the link to the account's address when mail is set up (``NONGAN_SEND_MAIL``); True if sent."""
    user = link.user
    if not getattr(settings, "NONGAN_SEND_MAIL", False) or not user.email:
        return False
    from django.core.mail import send_mail

    try:
        send_mail(
            _("Nongan: set a new password"),
            _(
                "An administrator made a link for you to set a new password for the account %(user)s. "
                "It works once, until %(expires)s:\n\n%(url)s\n"
            )
            % {
                "user": user.username,
                "expires": timezone.localtime(link.expires).strftime("%Y-%m-%d %H:%M"),
                "url": url,
            },
            None,
            [user.email],
        )
    except Exception:  # noqa: BLE001 - the link is shown to the administrator anyway
        log.exception("could not send the password reset link to user %s", user.pk)
        return False
    return True


# ---------------------------------------------------------------- API tokens
@transaction.atomic
def token_create(
    *, actor, user: User, name: str = "", days: int | None = None, session_key: str = ""
) -> tuple[ApiToken, str]:
    """A new token for ``user`` (only the user makes their own). Returns the token and its key — the only
    time the key exists outside the caller's hands. ``session_key`` binds the token to that login session."""
    if actor is None or actor.pk != user.pk:
        raise ValidationError(_("You can create tokens only for yourself."))
    if not user.is_active:
        raise ValidationError(_("The account is inactive."))
    limit = token_days()
    days = limit if days in (None, "") else int(days)
    if not 1 <= days <= limit:
        raise ValidationError({"days": _("A token lasts from 1 to %(n)d days.") % {"n": limit}})
    name = (name or "").strip()[:64]
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires__gt=timezone.now()).count() >= (
        MAX_ACTIVE_TOKENS
    ):
        raise ValidationError(_("You have %(n)d active tokens; revoke one first.") % {"n": MAX_ACTIVE_TOKENS})
    key = TOKEN_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[: len(TOKEN_PREFIX) + 6],
        key_hash=digest(key),
        expires=timezone.now() + timedelta(days=days),
        session_key=session_key or "",
    )
    audit.record_create(actor, token, reason=_("API token created"))
    return token, key


def _revoke(actor, token: ApiToken, reason: str) -> None:
    before = audit.snapshot(token)
    token.revoked_at = timezone.now()
    token.revoked_by = actor if getattr(actor, "pk", None) else None
    token.revoke_reason = (reason or "")[:120]
    token.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit.record_update(actor, token, before, reason=reason)


@transaction.atomic
def token_revoke(*, actor, token: ApiToken, reason: str = "") -> ApiToken:
    """Revoke one token: its owner, or an administrator of the owner's jurisdiction."""
    if actor is None or (actor.pk != token.user_id and not may_administer(actor, token.user)):
        raise ValidationError(_("You may not revoke this token."))
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        _revoke(
            actor,
            token,
            reason
            or (_("Revoked by the owner") if actor.pk == token.user_id else _("Revoked by an administrator")),
        )
    return token


@transaction.atomic
def tokens_revoke_all(*, actor, user: User, reason: str = "", check: bool = True) -> int:
    """Revoke every active token of ``user`` (the user, or an administrator of their jurisdiction)."""
    if check and (actor is None or (actor.pk != user.pk and not may_administer(actor, user))):
        raise ValidationError(_("You may not revoke this account's tokens."))
    tokens = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    for token in tokens:
        _revoke(actor, token, reason or _("All tokens revoked"))
    return len(tokens)


def tokens_end_session(*, user, session_key: str) -> int:
    """At logout: revoke the tokens bound to this login session."""
    if not session_key or user is None or not getattr(user, "pk", None):
        return 0
    with transaction.atomic():
        tokens = list(
            ApiToken.objects.select_for_update().filter(
                user=user, session_key=session_key, revoked_at__isnull=True
            )
        )
        for token in tokens:
            _revoke(user, token, _("Logged out"))
    return len(tokens)


def _session_alive(token: ApiToken) -> bool:
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.utils.crypto import constant_time_compare

    # The configured session engine's store, as the session middleware loads it.
    store = SessionMiddleware(lambda request: None).SessionStore(session_key=token.session_key)
    data = store.load()  # {} when the session is gone or expired
    return str(data.get(SESSION_KEY)) == str(token.user_id) and constant_time_compare(
        data.get(HASH_SESSION_KEY, ""), token.user.get_session_auth_hash()
    )


def authenticate_token(key: str) -> tuple[User, ApiToken] | None:
    """The active user and token for an API key, or None (unknown, expired, revoked, session ended, user
    inactive). Marks the token's last use (at most every few minutes)."""
    if not key or len(key) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=digest(key)).first()
    now = timezone.now()
    if token is None or token.revoked_at is not None or token.expires <= now or not token.user.is_active:
        return None
    if token.session_key and not _session_alive(token):
        return None
    if token.last_used is None or now - token.last_used > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
    return token.user, token
