"""Draws API under /api/v1/draws/: list, detail, export (nongan-draw/1) and the state steps, all scoped."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from nongan.core.api import ScopedViewSetMixin, SlugRelatedField
from nongan.core.models import Region
from nongan.core.scoping import can_manage, regions_for
from nongan.registry import selectors as registry

from . import services
from .choices import INSPECTOR_ROLES, ConflictKind, Purpose, Strata
from .export import round_export
from .filtersets import DrawRoundFilterSet
from .models import DrawRound, InspectorConflict
from .selectors import conflicts_for, eligible_inspectors, selections_for_round


class DrawRoundSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    created_by = serializers.StringRelatedField()

    class Meta:
        model = DrawRound
        fields = [
            "id", "code", "title", "purpose", "year", "region", "region_name", "created_by", "created",
            "filter_spec", "count", "ratio", "strata", "inspectors_per_object", "status", "status_reason",
            "candidate_count", "candidate_hash", "inspector_hash", "seed_commitment", "beacon_source",
            "beacon_value", "seed", "selection_hash", "frozen_at", "committed_at", "drawn_at", "published_at",
        ]  # fmt: skip
        read_only_fields = fields


class DrawRoundDetailSerializer(DrawRoundSerializer):
    selections = serializers.SerializerMethodField()

    class Meta(DrawRoundSerializer.Meta):
        fields = [*DrawRoundSerializer.Meta.fields, "selections"]
        read_only_fields = fields

    def get_selections(self, obj) -> list[dict]:
        return selections_for_round(obj.pk)


class DrawRoundCreateSerializer(serializers.Serializer):
    """Input of POST /api/v1/draws/ (a draft round); validation is the service's."""

    title = serializers.CharField(max_length=128)
    purpose = serializers.ChoiceField(choices=Purpose.choices, default=Purpose.SAMPLING)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    region = SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    filter_spec = serializers.JSONField(required=False, default=dict)
    count = serializers.IntegerField(required=False, allow_null=True, default=None)
    ratio = serializers.DecimalField(
        max_digits=5, decimal_places=4, required=False, allow_null=True, default=None
    )
    strata = serializers.ChoiceField(choices=Strata.choices, default=Strata.NONE)
    inspectors_per_object = serializers.IntegerField(default=2)
    inspectors = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.all(), many=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The browsable API renders these as selects: only what the caller may choose (an administrator: the
        # regions and the staff of their jurisdiction; anyone else: nothing), not every account and region.
        user = getattr(self.context.get("request"), "user", None)
        if user is not None:
            regions = regions_for(user) if can_manage(user) else Region.objects.none()
            self.fields["region"].queryset = regions
            self.fields["inspectors"].child_relation.queryset = get_user_model().objects.filter(
                is_active=True, role__in=INSPECTOR_ROLES, jurisdiction__in=regions
            )


class WitnessSerializer(serializers.Serializer):
    inspector = serializers.IntegerField(
        help_text="Account id of an inspector of the round's pool, present at the draw."
    )
    value = serializers.CharField(
        max_length=64, help_text="The value that inspector chose (4 to 64 characters)."
    )


class StepSerializer(serializers.Serializer):
    seed = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=128,
        help_text="Only for drawing a round whose seed was entered by hand before seeds were generated; "
        "a seed given at the commitment is refused.",
    )
    witnesses = WitnessSerializer(
        many=True,
        required=False,
        help_text="Draw: the values entered by the inspectors present (at least NONGAN_DRAW_MIN_WITNESSES).",
    )
    beacon_source = serializers.CharField(required=False, allow_blank=True, max_length=255)
    beacon_value = serializers.CharField(required=False, allow_blank=True, max_length=128)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255)


STEP_ARGS = {
    "freeze": (services.round_freeze, ()),
    "commit": (services.round_commit_seed, ("seed", "beacon_source")),
    "draw": (services.round_draw, ("seed", "beacon_value", "witnesses")),
    "publish": (services.round_publish, ()),
    "cancel": (services.round_cancel, ("reason",)),
}


class DrawRoundViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Double-random draw rounds inside the caller's jurisdiction."""

    base_queryset = DrawRound.objects.select_related("region", "created_by")
    filterset_class = DrawRoundFilterSet

    def get_serializer_class(self):
        if self.action == "create":
            return DrawRoundCreateSerializer
        return DrawRoundDetailSerializer if self.action == "retrieve" else DrawRoundSerializer

    @extend_schema(request=DrawRoundCreateSerializer, responses={201: DrawRoundSerializer})
    def create(self, request, *args, **kwargs):
        """Create a draft round (district administrators)."""
        if not can_manage(request.user):
            raise PermissionDenied
        data = DrawRoundCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rnd = services.round_create(actor=request.user, **data.validated_data)
        return Response(DrawRoundSerializer(rnd, context={"request": request}).data, status=201)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        """The round in the published format (nongan-draw/2), to re-run with draw_verify.py."""
        return Response(round_export(self.get_object(), reveal=True))

    def _step(self, request, name):
        if not can_manage(request.user):
            raise PermissionDenied
        rnd = self.get_object()
        data = StepSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fn, keys = STEP_ARGS[name]
        kwargs = {k: data.validated_data.get(k, "") for k in keys}
        try:
            rnd = fn(actor=request.user, rnd=rnd, **kwargs)
        except DjangoPermissionDenied:
            raise PermissionDenied from None
        return Response(DrawRoundSerializer(rnd, context={"request": request}).data)

    @extend_schema(request=None, responses=DrawRoundSerializer)
    @action(detail=True, methods=["post"])
    def freeze(self, request, pk=None):
        """Freeze the candidate list, inspector pool and conflicts."""
        return self._step(request, "freeze")

    @extend_schema(request=StepSerializer, responses=DrawRoundSerializer)
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        """Commit the seed the server generates and seals; optionally name a public random value."""
        return self._step(request, "commit")

    @extend_schema(request=StepSerializer, responses=DrawRoundSerializer)
    @action(detail=True, methods=["post"])
    def draw(self, request, pk=None):
        """Make the draw (no earlier than the minimum delay after the commitment): the sealed seed is revealed
        and combined with the witnesses' values and the public random value."""
        return self._step(request, "draw")

    @extend_schema(request=None, responses=DrawRoundSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._step(request, "publish")

    @extend_schema(request=StepSerializer, responses=DrawRoundSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._step(request, "cancel")


# ---------------------------------------------------------------- declared conflicts (回避)
class ConflictSerializer(serializers.ModelSerializer):
    inspector_name = serializers.StringRelatedField(source="inspector")
    producer = serializers.SlugRelatedField(slug_field="code", read_only=True)
    producer_name = serializers.CharField(source="producer.name", read_only=True)
    declared_by = serializers.StringRelatedField()
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = InspectorConflict
        fields = [
            "id", "inspector", "inspector_name", "producer", "producer_name", "kind", "reason",
            "declared_at", "declared_by", "withdrawn_at", "withdraw_reason", "is_active",
        ]  # fmt: skip
        read_only_fields = fields


class ConflictDeclareSerializer(serializers.Serializer):
    """Input of POST /api/v1/draw-conflicts/: the same fields as the conflicts page. ``inspector`` (a user id)
    only for administrators, who declare for an inspector of their jurisdiction; others declare their own."""

    inspector = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.none(), required=False, allow_null=True
    )
    producer = serializers.CharField(max_length=20, help_text=_("Registry number of the producer"))
    kind = serializers.ChoiceField(choices=ConflictKind.choices)
    reason = serializers.CharField(max_length=255)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.context.get("request"), "user", None)
        f = self.fields["inspector"]
        if user is not None and user.is_authenticated:
            if can_manage(user) and user.jurisdiction_id:
                f.queryset = eligible_inspectors(user.jurisdiction)
            else:
                f.queryset = get_user_model().objects.filter(pk=user.pk)

    def validate_producer(self, value):
        user = self.context["request"].user
        producer = registry.producer_by_code(user, value)
        if producer is None:
            raise serializers.ValidationError(
                _("No producer with this registry number in your jurisdiction.")
            )
        return producer


class ConflictWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)


class ConflictViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Declared conflicts of interest (回避), scoped like the conflicts page: an inspector sees their own, an
    administrator those on producers of their jurisdiction. Producer accounts see none and may not declare."""

    serializer_class = ConflictSerializer
    queryset = InspectorConflict.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        user = self.request.user
        if not user.is_authenticated or user.is_entity_role:
            return InspectorConflict.objects.none()
        return conflicts_for(user)

    def _staff_only(self):
        if self.request.user.is_entity_role:
            raise PermissionDenied

    @extend_schema(request=ConflictDeclareSerializer, responses={201: ConflictSerializer})
    def create(self, request, *args, **kwargs):
        """Declare a conflict (the same service as the conflicts page)."""
        self._staff_only()
        data = ConflictDeclareSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        d = data.validated_data
        conflict = services.conflict_declare(
            actor=request.user,
            inspector=d.get("inspector") or request.user,
            producer=d["producer"],
            kind=d["kind"],
            reason=d["reason"],
        )
        return Response(ConflictSerializer(conflict, context={"request": request}).data, status=201)

    @extend_schema(request=ConflictWithdrawSerializer, responses=ConflictSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw a conflict: one's own, or (administrators) one in the jurisdiction. The row is kept."""
        self._staff_only()
        conflict = self.get_object()
        data = ConflictWithdrawSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conflict = services.conflict_withdraw(
            actor=request.user, conflict=conflict, reason=data.validated_data["reason"]
        )
        return Response(ConflictSerializer(conflict, context={"request": request}).data)


ROUTES = [
    ("draws", DrawRoundViewSet, "draw-round"),
    ("draw-conflicts", ConflictViewSet, "draw-conflict"),
]
