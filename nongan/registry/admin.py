from django.contrib import admin

from nongan.core import admin as core_admin
from nongan.core.models import User

from .models import Base, Certification, Contact, Producer, ProducerAccount, ProductCategory, StaffMember


class ProducerAccountInline(admin.StackedInline):
    """The producer a producer or dealer account belongs to."""

    model = ProducerAccount
    autocomplete_fields = ["producer"]
    can_delete = True
    extra = 0
    max_num = 1


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(core_admin.UserAdmin):
    inlines = [*core_admin.UserAdmin.inlines, ProducerAccountInline]


@admin.register(Producer)
class ProducerAdmin(core_admin.VersionedAdmin):
    list_display = ["code", "name", "type", "region", "tier", "status", "is_scale"]
    list_filter = ["type", "tier", "status", "is_scale"]
    search_fields = ["name", "code", "credit_code", "search_text"]
    readonly_fields = ["code"]
    raw_id_fields = ["region"]


@admin.register(ProductCategory)
class ProductCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "kind", "certificate_scope"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "aliases"]


for _model in (Base, Certification, Contact, StaffMember):
    admin.site.register(_model, core_admin.VersionedAdmin)
