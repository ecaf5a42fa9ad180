"""Account pages: change your password, your API tokens, an administrator's accounts list (reset link, revoke
tokens), and the public page behind a one-time reset link."""

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from . import accounts
from .forms import BootstrapMixin
from .models import ApiToken, User
from .scoping import can_manage


def _errors_to(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class PasswordChangeForm(BootstrapMixin, forms.Form):
    old_password = forms.CharField(
        label=gettext_lazy("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=gettext_lazy("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy(
            "At least 10 characters; not a common password, not like your user name or name, not only digits."
        ),
    )
    new_password2 = forms.CharField(
        label=gettext_lazy("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("The two new passwords differ."))
        return data


class ResetForm(PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["old_password"]


class TokenForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name (what the token is for)"), max_length=64, required=False)
    days = forms.IntegerField(label=gettext_lazy("Valid for (days)"), min_value=1)
    bind_session = forms.BooleanField(
        label=gettext_lazy("End the token when I log out"),
        required=False,
        help_text=gettext_lazy("For trying the API in this browser; leave unticked for a program."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = accounts.token_days()
        self.fields["days"].max_value = limit
        self.fields["days"].validators.append(MaxValueValidator(limit))
        self.fields["days"].initial = limit
        self.fields["days"].widget.attrs["max"] = limit
        self._style()


@sensitive_post_parameters()
@never_cache
@login_required
def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            accounts.password_change(
                actor=request.user,
                user=request.user,
                old_password=d["old_password"],
                new_password=d["new_password"],
            )
        except ValidationError as exc:
            _errors_to(form, exc)
        else:
            update_session_auth_hash(request, request.user)  # this session stays, the others end
            messages.success(request, _("Your password was changed. Your other login sessions have ended."))
            return redirect("core:password_change")
    return render(request, "core/account/password_change.html", {"form": form})


@never_cache
@login_required
def tokens(request):
    """Your API tokens: create one (its key is shown once, on this response), revoke one or all."""
    user = request.user
    form = TokenForm(request.POST if request.POST.get("action") == "create" else None)
    new_key = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "create" and form.is_valid():
                d = form.cleaned_data
                token, new_key = accounts.token_create(
                    actor=user,
                    user=user,
                    name=d["name"],
                    days=d["days"],
                    session_key=(request.session.session_key or "") if d["bind_session"] else "",
                )
                form = TokenForm()
            elif action == "revoke":
                token = get_object_or_404(ApiToken, pk=_int(request.POST.get("token")), user=user)
                accounts.token_revoke(actor=user, token=token)
                messages.success(request, _("The token was revoked."))
                return redirect("core:token")
            elif action == "revoke_all":
                n = accounts.tokens_revoke_all(actor=user, user=user)
                messages.success(request, _("%(n)d tokens were revoked.") % {"n": n})
                return redirect("core:token")
        except ValidationError as exc:
            _errors_to(form, exc)
    return render(
        request,
        "core/account/tokens.html",
        {"form": form, "new_key": new_key, "tokens": _token_rows(user), "days": accounts.token_days()},
    )


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def _token_rows(user):
    return list(ApiToken.objects.filter(user=user).select_related("revoked_by").order_by("-created")[:100])


def _require_admin(request) -> None:
    if not can_manage(request.user):
        raise PermissionDenied


@never_cache
@login_required
def users(request):
    """Accounts an administrator may look after (their jurisdiction's), by user name or name."""
    _require_admin(request)
    q = (request.GET.get("q") or "").replace("\x00", "").strip()[:64]
    return render(
        request,
        "core/account/users.html",
        {"section": "users", "q": q, "accounts": accounts.administrable_users(request.user, q)},
    )


def _administered(request, pk) -> User:
    _require_admin(request)
    user = get_object_or_404(User, pk=pk)
    if not accounts.may_administer(request.user, user):
        raise Http404
    return user


@never_cache
@login_required
def user_detail(request, pk):
    user = _administered(request, pk)
    reset_url = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "reset_link":
                link, secret = accounts.reset_link_create(actor=request.user, user=user)
                reset_url = request.build_absolute_uri(reverse("core:password_reset", args=[secret]))
                if accounts.send_reset_link(link, reset_url):
                    messages.info(request, _("The link was also sent to %(email)s.") % {"email": user.email})
            elif action == "revoke":
                token = get_object_or_404(ApiToken, pk=_int(request.POST.get("token")), user=user)
                accounts.token_revoke(actor=request.user, token=token)
                messages.success(request, _("The token was revoked."))
                return redirect("core:user_detail", pk=user.pk)
            elif action == "revoke_all":
                n = accounts.tokens_revoke_all(actor=request.user, user=user)
                messages.success(request, _("%(n)d tokens were revoked.") % {"n": n})
                return redirect("core:user_detail", pk=user.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return render(
        request,
        "core/account/user_detail.html",
        {
            "section": "users",
            "account": user,
            "region": accounts.account_region(user),
            "tokens": _token_rows(user),
            "links": list(user.password_reset_links.select_related("created_by")[:10]),
            "reset_url": reset_url,
            "hours": accounts.reset_link_hours(),
        },
    )


@sensitive_post_parameters()
@never_cache
def password_reset(request, secret):
    """The page behind a one-time link: set a new password (no login needed; the link is the proof)."""
    link = accounts.reset_link_for(secret)
    if link is None:
        return render(request, "core/account/reset.html", {"invalid": True}, status=404)
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.reset_link_use(secret=secret, new_password=form.cleaned_data["new_password"])
        except ValidationError as exc:
            _errors_to(form, exc)
        else:
            messages.success(request, _("Your new password is set. Log in with it."))
            return redirect("login")
    return render(request, "core/account/reset.html", {"form": form, "account": link.user, "link": link})
