from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from . import versions
from .models import AuditLog, ImportJob, LedgerEntry, NumberCounter, Region, User


class VersionedAdminForm(forms.ModelForm):
    """The admin's change form of a versioned record carries the version it was opened at: a save from an older
    one is refused with what the services say (``versions.StaleVersion``), nothing saved."""

    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["opened_version"].initial = self.instance.version

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            versions.expect(self.instance, data.get("opened_version"))
        return data


class VersionedAdmin(admin.ModelAdmin):
    """Admin of a ``core.versions.Versioned`` model: stale change forms are refused, as on the pages and the API."""

    form = VersionedAdminForm


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "is_demo"]
    list_filter = ["level", "is_demo"]
    search_fields = ["code", "name", "initials"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Accounts; the registry adds the producer an account belongs to (an inline, registry/admin.py)."""

    list_display = ["username", "full_name", "role", "jurisdiction", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "full_name"]
    autocomplete_fields = ["jurisdiction"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("农安", {"fields": ("full_name", "role", "jurisdiction", "phone")}),
    )


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["time", "actor_repr", "action", "content_type", "object_repr"]
    list_filter = ["action", "content_type"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(AuditLogAdmin):
    list_display = ["seq", "time", "kind", "ref", "actor_repr"]
    list_filter = ["kind"]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["created", "kind", "original_name", "status", "created_count"]


@admin.register(NumberCounter)
class NumberCounterAdmin(AuditLogAdmin):
    """Read-only: counters move only through nongan.core.numbering."""

    list_display = ["series", "key", "last"]
    list_filter = ["series"]
    search_fields = ["key"]

    def has_add_permission(self, request):
        return False
