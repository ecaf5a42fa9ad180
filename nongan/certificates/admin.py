from django.contrib import admin

from .models import Certificate, MarketCheck, ProductionBatch, SigningKey


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    list_display = ["kid", "active", "created", "retired"]
    readonly_fields = ["kid", "public_key", "created", "retired", "active"]
    exclude = ["private_key_encrypted"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
