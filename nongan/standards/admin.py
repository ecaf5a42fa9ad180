"""Read-mostly admin views of the standards (imports go through the import page, which audits them)."""

from django.contrib import admin

from .models import (
    Analyte,
    BannedSubstance,
    Edition,
    MaxResidueLimit,
    RestrictedUse,
    ScopeMapping,
    VetDrugLimit,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Edition)
class EditionAdmin(ReadOnlyAdmin):
    list_display = ["code", "family", "kind", "issued", "in_force", "amends"]
    list_filter = ["family", "kind"]


@admin.register(Analyte)
class AnalyteAdmin(ReadOnlyAdmin):
    list_display = ["name_zh", "name_en", "cas", "kind", "aliases"]
    list_filter = ["kind"]
    search_fields = ["name_zh", "name_en", "aliases"]


@admin.register(MaxResidueLimit)
class MaxResidueLimitAdmin(ReadOnlyAdmin):
    list_display = ["analyte", "food", "limit_mg_kg", "temporary", "edition"]
    list_filter = ["edition"]
    search_fields = ["analyte__name_zh", "food__name"]


@admin.register(VetDrugLimit)
class VetDrugLimitAdmin(ReadOnlyAdmin):
    list_display = [
        "analyte",
        "species",
        "tissue",
        "limit_published",
        "unit_published",
        "components",
        "edition",
    ]
    list_filter = ["edition", "species", "tissue"]
    search_fields = ["analyte__name_zh", "marker"]


@admin.register(BannedSubstance)
class BannedSubstanceAdmin(ReadOnlyAdmin):
    list_display = ["analyte", "announcement", "effective_from", "ban_scope"]


@admin.register(RestrictedUse)
class RestrictedUseAdmin(ReadOnlyAdmin):
    list_display = ["analyte", "banned_on", "announcement"]


@admin.register(ScopeMapping)
class ScopeMappingAdmin(ReadOnlyAdmin):
    list_display = ["name", "note"]
