"""Django admin: read-only views for support staff; every change goes through the services."""

from django.contrib import admin

from .models import DrawRound, DrawRoundEvent, InspectorConflict


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DrawRound)
class DrawRoundAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "year", "region", "status", "candidate_count"]
    list_filter = ["status", "purpose", "year"]
    search_fields = ["code", "title"]
    exclude = ["seed_escrow"]


@admin.register(DrawRoundEvent)
class DrawRoundEventAdmin(ReadOnlyAdmin):
    list_display = ["round", "from_status", "to_status", "actor_repr", "time"]


@admin.register(InspectorConflict)
class InspectorConflictAdmin(ReadOnlyAdmin):
    list_display = ["inspector", "producer", "kind", "declared_at", "withdrawn_at"]
    list_filter = ["kind"]
