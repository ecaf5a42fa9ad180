"""Registry API under /api/v1/: the same scope, filters and services as the pages."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied

from nongan.core.api import (
    TEXT_LOOKUP_REGEX,
    ScopedViewSetMixin,
    SlugRelatedField,
    VersionedUpdateMixin,
    versioned_update_schema,
)
from nongan.core.models import Region
from nongan.core.scoping import can_edit_registry, in_jurisdiction
from nongan.core.validators import (
    validate_mobile,
)

from . import services
from .filtersets import (
    BaseFilterSet,
    CertificationFilterSet,
    ContactFilterSet,
    ProducerFilterSet,
    StaffFilterSet,
)
from .models import Base, Certification, Contact, Producer, ProducerProduct, ProductCategory, StaffMember
from .privacy import PERSONAL_FIELDS, sees_personal_data


def _django_validator(fn):
    def run(value):
        from django.core.exceptions import ValidationError

        try:
            fn(value)
        except ValidationError as e:
            raise serializers.ValidationError(e.messages) from None

    return run


class RegionField(SlugRelatedField):
    """A region by its 12-digit code; must lie inside the caller's jurisdiction."""

    default_error_messages = {
        "does_not_exist": _("No region has the division code {value}."),
        "invalid": _("Give the region as its 12-digit division code."),
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Region.objects.all(), **kwargs)

    def to_internal_value(self, data):
        region = super().to_internal_value(data)
        user = self.context["request"].user
        if not in_jurisdiction(user, region):
            raise serializers.ValidationError(_("This region is outside your jurisdiction."))
        return region


class CategoryCodeField(SlugRelatedField):
    """A product category by its code (e.g. V05001 for 黄瓜)."""

    default_error_messages = {
        "does_not_exist": _("No product category has the code {value}."),
        "invalid": _("Give product categories by their codes."),
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=ProductCategory.objects.all(), **kwargs)


class ProductCategorySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = ProductCategory
        fields = ["code", "name", "parent", "kind", "depth", "aliases", "certificate_scope"]


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "pinyin", "initials", "is_demo"]


class ProducerSerializer(serializers.ModelSerializer):
    region = RegionField()
    township = serializers.SerializerMethodField()
    products = CategoryCodeField(many=True, required=False, source="product_categories")
    credit_code = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=18)
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=18, write_only=True)
    phone = serializers.CharField(max_length=11, validators=[_django_validator(validate_mobile)])

    class Meta:
        model = Producer
        fields = [
            "id",
            "code",
            "name",
            "type",
            "credit_code",
            "legal_rep",
            "id_number",
            "phone",
            "region",
            "township",
            "address",
            "latitude",
            "longitude",
            "is_scale",
            "tier",
            "tier_reason",
            "key_target",
            "key_target_reason",
            "status",
            "status_reason",
            "established",
            "products",
            "notes",
            "version",
            "created",
            "updated",
        ]
        read_only_fields = ["code", "key_target", "key_target_reason", "version", "created", "updated"]

    def get_township(self, obj) -> str:
        town = obj.region if obj.region.level == "township" else obj.region.parent
        return town.code if town else ""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["products"] = [pl.category.code for pl in instance.product_lines.all()]
        request = self.context.get("request")
        if request is not None and not sees_personal_data(request.user):
            for key in PERSONAL_FIELDS:  # contact and identity data: only for the roles of registry.privacy
                data.pop(key, None)
        return data

    def validate(self, attrs):
        ptype = attrs.get("type", getattr(self.instance, "type", None))
        creating = self.instance is None
        values, found = services.producer_identifier_errors(
            ptype=ptype,
            credit_code=attrs.get("credit_code"),
            id_number=attrs.get("id_number"),
            exclude_pk=getattr(self.instance, "pk", None),
            check_required=creating or "credit_code" in attrs,
        )
        errors = {field: [message] for field, message in found.items()}
        if not creating and "id_number" not in attrs:
            errors.pop("id_number", None)
        for field in ("credit_code", "id_number"):
            if creating or field in attrs:
                attrs[field] = values[field]
        region = attrs.get("region")
        if region is not None and region.level not in ("township", "village"):
            errors["region"] = [_("Choose a township or a village.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class BaseSerializer(serializers.ModelSerializer):
    region = RegionField()
    producer = serializers.PrimaryKeyRelatedField(read_only=True)
    products = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Base
        fields = [
            "id",
            "producer",
            "name",
            "kind",
            "region",
            "address",
            "latitude",
            "longitude",
            "area",
            "capacity",
            "products",
        ]


class CertificationSerializer(serializers.ModelSerializer):
    expiring = serializers.BooleanField(source="is_expiring", read_only=True)
    expired = serializers.BooleanField(source="is_expired", read_only=True)

    class Meta:
        model = Certification
        fields = [
            "id",
            "producer",
            "kind",
            "number",
            "product_name",
            "scope",
            "issuer",
            "issued_on",
            "valid_until",
            "expiring",
            "expired",
        ]


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "producer", "name", "title", "phone", "is_primary"]


class StaffSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = StaffMember
        fields = ["id", "name", "kind", "region", "position", "phone", "full_time", "active"]


@extend_schema_view(
    list=extend_schema(summary="List producers in your jurisdiction (filters as on the list page)"),
    create=extend_schema(summary="Register a producer"),
    retrieve=extend_schema(summary="A producer (its version is also the response's ETag)"),
    update=versioned_update_schema(ProducerSerializer),
    partial_update=versioned_update_schema(ProducerSerializer),
)
class ProducerViewSet(
    VersionedUpdateMixin,
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Producers and operators (生产经营主体). Region and products by code. Detail GETs carry the record's
    version as ``ETag``; send it back as ``If-Match`` (or ``version`` in the body) with PUT/PATCH: a stale one
    answers 412 with what changed, and nothing is saved."""

    serializer_class = ProducerSerializer
    filterset_class = ProducerFilterSet
    base_queryset = (
        Producer.objects.select_related("region", "region__parent")
        .prefetch_related(
            Prefetch("product_lines", queryset=ProducerProduct.objects.select_related("category"))
        )
        .order_by("code")
    )

    def _check_editor(self):
        if not can_edit_registry(self.request.user):
            raise PermissionDenied(_("Your role may not change the registry."))

    def perform_create(self, serializer):
        self._check_editor()
        data = dict(serializer.validated_data)
        products = data.pop("product_categories", [])
        serializer.instance = services.producer_create(actor=self.request.user, products=products, **data)

    def perform_update(self, serializer):
        self._check_editor()
        data = dict(serializer.validated_data)
        products = data.pop("product_categories", None)
        serializer.instance = services.producer_update(
            actor=self.request.user,
            producer=serializer.instance,
            products=products,
            expected_version=self.expected_version,
            **data,
        )


class BaseViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Production bases of the producers you may see."""

    serializer_class = BaseSerializer
    base_queryset = Base.objects.select_related("region").prefetch_related("products").order_by("id")
    filterset_class = BaseFilterSet


class CertificationViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Green, organic and geographical-indication certifications (二品一标)."""

    serializer_class = CertificationSerializer
    base_queryset = Certification.objects.order_by("valid_until")
    filterset_class = CertificationFilterSet


class ContactViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Producers' contact persons: only for the roles that see personal data (``registry.privacy``)."""

    serializer_class = ContactSerializer
    base_queryset = Contact.objects.order_by("id")

    def get_queryset(self):
        if not sees_personal_data(self.request.user):
            return Contact.objects.none()
        return super().get_queryset()

    filterset_class = ContactFilterSet


class StaffViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Township station staff and village coordinators."""

    serializer_class = StaffSerializer
    filterset_class = StaffFilterSet
    base_queryset = StaffMember.objects.select_related("region").order_by("id")


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """The region tree (district → township → village), by 12-digit code."""

    serializer_class = RegionSerializer
    queryset = Region.objects.select_related("parent").order_by("path")
    lookup_field = "code"
    lookup_value_regex = TEXT_LOOKUP_REGEX
    filterset_fields = ["level", "parent__code"]
    pagination_class = None


class ProductCategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The product classification tree (GB 2763 annex A groups plus animal products)."""

    serializer_class = ProductCategorySerializer
    queryset = ProductCategory.objects.select_related("parent").order_by("path")
    lookup_field = "code"
    lookup_value_regex = TEXT_LOOKUP_REGEX
    pagination_class = None


ROUTES = [
    ("producers", ProducerViewSet, "producer"),
    ("bases", BaseViewSet, "base"),
    ("certifications", CertificationViewSet, "certification"),
    ("contacts", ContactViewSet, "contact"),
    ("staff", StaffViewSet, "staff"),
    ("regions", RegionViewSet, "region"),
    ("product-categories", ProductCategoryViewSet, "product-category"),
]
