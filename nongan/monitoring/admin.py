"""Read-mostly admin of monitoring data (changes go through the pages and services)."""

from django.contrib import admin

from nongan.core.admin import VersionedAdmin

from .models import (
    LabResult,
    MonitoringEvent,
    MonitoringPlan,
    PlanQuota,
    RapidTest,
    Sample,
    UnqualifiedFollowUp,
)


class QuotaInline(admin.TabularInline):
    model = PlanQuota
    extra = 0


@admin.register(MonitoringPlan)
class PlanAdmin(VersionedAdmin):
    list_display = ["year", "title", "region", "quantitative_target", "pass_rate_target"]
    inlines = [QuotaInline]


@admin.register(Sample)
class SampleAdmin(admin.ModelAdmin):
    list_display = ["code", "producer", "product", "township", "sampled_at", "state", "verdict"]
    list_filter = ["state", "verdict", "sector"]
    search_fields = ["code", "producer__name"]
    raw_id_fields = ["producer", "base", "task", "plan"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LabResult)
class LabResultAdmin(admin.ModelAdmin):
    list_display = ["sample", "analyte", "value", "unit", "verdict", "edition", "is_current"]
    raw_id_fields = ["sample", "supersedes"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RapidTest)
class RapidTestAdmin(admin.ModelAdmin):
    list_display = ["id", "region", "product", "method", "outcome", "tested_at"]
    list_filter = ["method", "outcome"]
    raw_id_fields = ["producer", "retest_of"]

    def has_change_permission(self, request, obj=None):
        return False


admin.site.register(MonitoringEvent)
admin.site.register(UnqualifiedFollowUp, VersionedAdmin)
