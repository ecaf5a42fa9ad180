from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import services
from .models import Certificate, MarketCheck, ProductionBatch, SigningKey


class CompromiseForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=255)


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    list_display = ["kid", "active", "valid_from", "valid_until", "compromised_at"]
    readonly_fields = [
        "kid",
        "public_key",
        "created",
        "valid_from",
        "valid_until",
        "active",
        "compromised_at",
        "compromise_reason",
    ]
    exclude = ["private_key_encrypted"]
    actions = ["mark_compromised"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(
        description=gettext_lazy("Mark as compromised (certificates signed from now on are not genuine)")
    )
    def mark_compromised(self, request, queryset):
        """Asks for the reason on a page of its own, then marks each chosen key (``signing_key_compromise``:
        audited, ledgered; an active key is replaced)."""
        form = CompromiseForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for key in queryset:
                try:
                    services.signing_key_compromise(
                        actor=request.user, kid=key.kid, reason=form.cleaned_data["reason"]
                    )
                except ValidationError as exc:
                    self.message_user(request, "; ".join(exc.messages), messages.ERROR)
                else:
                    self.message_user(
                        request,
                        _("Signing key %(kid)s marked compromised.") % {"kid": key.kid},
                        messages.SUCCESS,
                    )
            return None
        return TemplateResponse(
            request,
            "admin/certificates/signingkey/compromise.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Mark signing keys as compromised"),
                "keys": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["number", "producer", "product_name", "quantity", "unit", "issued_at", "status"]
    search_fields = ["number"]
    list_filter = ["status", "suspicious"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProductionBatch)
class ProductionBatchAdmin(admin.ModelAdmin):
    list_display = ["code", "producer", "product", "started", "status"]
    search_fields = ["code"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MarketCheck)
class MarketCheckAdmin(admin.ModelAdmin):
    list_display = ["checked_at", "market", "product_name", "result"]

    def has_change_permission(self, request, obj=None):
        return False
