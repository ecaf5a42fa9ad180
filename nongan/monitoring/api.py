"""Monitoring API: plans (read, with progress), samples, lab results, rapid tests (one or a batch)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from nongan.core import batch, versions
from nongan.core.api import (
    IF_MATCH,
    TEXT_LOOKUP_REGEX,
    ScopedViewSetMixin,
    SlugRelatedField,
    StaleVersionSerializer,
)
from nongan.core.drf import django_errors_to_drf
from nongan.core.scoping import get_scoped_or_404, scoped
from nongan.registry import selectors as registry
from nongan.standards.choices import Coverage

from . import selectors, services, todo
from .choices import RapidSource, SampleState, TLine, Verdict
from .filtersets import LabResultFilter, RapidTestFilter, SampleFilter
from .models import LabResult, MonitoringPlan, RapidTest, Sample, SamplePhoto, SamplingTask


class QuotaSerializer(serializers.Serializer):
    kind = serializers.CharField()
    sector = serializers.CharField()
    township = serializers.CharField(source="township.name", default=None, allow_null=True)
    village = serializers.CharField(source="village.name", default=None, allow_null=True)
    planned = serializers.IntegerField()


class PlanSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code")
    quotas = QuotaSerializer(many=True, read_only=True)
    focus_products = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    focus_analytes = serializers.ListField(source="analyte_list", child=serializers.CharField())
    published_by = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = MonitoringPlan
        fields = [
            "id",
            "year",
            "region",
            "title",
            "quantitative_target",
            "pass_rate_target",
            "district_rapid_target",
            "township_rapid_target",
            "focus_products",
            "focus_analytes",
            "quotas",
            "state",
            "published",
            "published_by",
            "coverage_reason",
            "version",
        ]
        read_only_fields = ["state", "published", "published_by", "coverage_reason", "version"]


class PlanPublishSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="Why the plan tests focus pairs no limit in force covers (required while any is uncovered).",
    )


@extend_schema_field({"type": "string", "format": "decimal"})
class DecimalText(serializers.CharField):
    """A decimal as text, at whatever precision it was computed."""


class ProgressRowSerializer(serializers.Serializer):
    """One row of plan progress (the total, a sector, a township, a village, or rapid tests). ``planned``,
    ``expected`` and ``on_pace`` are null where the plan gives that part no share (无分配)."""

    key = serializers.CharField()
    label = serializers.CharField()
    planned = serializers.IntegerField(allow_null=True)
    done = serializers.IntegerField()
    expected = DecimalText(allow_null=True)
    on_pace = serializers.BooleanField(allow_null=True)
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    not_judgeable = serializers.IntegerField(
        help_text="Verified results that could not be judged (no limit, method not fit …): outside the pass "
        "rate, counted here."
    )
    positives = serializers.IntegerField()
    pass_rate = DecimalText(allow_null=True)
    wilson_95 = serializers.ListField(
        child=DecimalText(),
        allow_null=True,
        min_length=2,
        max_length=2,
        help_text="95% Wilson interval of the pass rate: [low, high].",
    )


class PlanProgressSerializer(serializers.Serializer):
    """Answer of GET /api/v1/monitoring/plans/{id}/progress/."""

    year = serializers.IntegerField()
    on_date = serializers.DateField()
    elapsed_fraction = DecimalText()
    region = serializers.CharField(help_text="Code of the jurisdiction the figures are for.")
    title = serializers.CharField(help_text="The plan's title, naming the jurisdiction below the district.")
    total = ProgressRowSerializer()
    parts = ProgressRowSerializer(
        many=True,
        help_text="The total split over the regions below the jurisdiction, then its own row (own).",
    )
    rapid_total = ProgressRowSerializer()
    rapid_parts = ProgressRowSerializer(many=True)
    sectors = ProgressRowSerializer(many=True)
    townships = ProgressRowSerializer(many=True)
    rapid_district = ProgressRowSerializer()
    rapid_townships = ProgressRowSerializer(many=True)
    rapid_township_total = ProgressRowSerializer()
    unqualified = serializers.IntegerField()
    handled = serializers.IntegerField()
    handling_rate = DecimalText(allow_null=True)


def _row(r):
    return {
        "key": r.key,
        "label": r.label,
        "planned": r.planned,
        "done": r.done,
        "expected": None if r.expected is None else str(r.expected),
        "on_pace": r.on_pace,
        "passed": r.passed,
        "failed": r.failed,
        "not_judgeable": r.not_judgeable,
        "positives": r.positives,
        "pass_rate": None if r.pass_rate is None else str(r.pass_rate),
        "wilson_95": None if r.wilson is None else [str(r.wilson_low), str(r.wilson_high)],
    }


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    status = serializers.ChoiceField(choices=Coverage.choices)
    limit_mg_kg = DecimalText(allow_null=True)
    edition = serializers.CharField()


class PairCoverageSerializer(serializers.Serializer):
    food = serializers.CharField()
    analyte = serializers.CharField()
    status = serializers.ChoiceField(
        choices=Coverage.choices,
        help_text="limit / temporary (only a temporary limit, *) / banned (no limit, a detection fails) are "
        "covered; not_loaded, none and unknown are gaps.",
    )
    covered = serializers.BooleanField()
    limit_mg_kg = DecimalText(allow_null=True)
    edition = serializers.CharField()
    detail = serializers.CharField()
    on_date = serializers.DateField(help_text="The day of the plan's year the status holds for (its worst).")
    changes = serializers.BooleanField(help_text="The status is not the same over the whole year.")
    periods = PeriodSerializer(many=True, help_text="What holds from when, where it changes within the year.")


class PlanCoverageSerializer(serializers.Serializer):
    """Answer of GET /api/v1/monitoring/plans/{id}/coverage/."""

    year = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    analytes_from_standards = serializers.BooleanField(
        help_text="The plan names no analytes: its products × the analytes the standards hold limits for."
    )
    counts = serializers.DictField(child=serializers.IntegerField())
    gaps = serializers.IntegerField()
    published = serializers.DateTimeField(allow_null=True)
    coverage_reason = serializers.CharField()
    pairs = PairCoverageSerializer(many=True)


def coverage_data(c) -> dict:
    return {
        "year": c.plan.year,
        "start": c.start,
        "end": c.end,
        "analytes_from_standards": c.from_standards,
        "counts": c.counts,
        "gaps": len(c.gaps),
        "published": c.plan.published,
        "coverage_reason": c.plan.coverage_reason,
        "pairs": [
            {
                "food": r.food,
                "analyte": r.analyte,
                "status": r.status,
                "covered": r.covered,
                "limit_mg_kg": None if r.limit is None else str(r.limit),
                "edition": r.edition,
                "detail": r.detail,
                "on_date": r.on_date,
                "changes": r.changes,
                "periods": [
                    {
                        "start": p["start"],
                        "status": p["status"],
                        "limit_mg_kg": None if p["limit"] is None else str(p["limit"]),
                        "edition": p["edition"],
                    }
                    for p in r.period_rows
                ],
            }
            for r in c.rows
        ],
    }


class PlanViewSet(viewsets.ReadOnlyModelViewSet):
    """Monitoring plans visible to the caller (read-only); ``progress`` gives done vs planned."""

    serializer_class = PlanSerializer

    def get_queryset(self):
        quotas = Prefetch("quotas", queryset=selectors.quotas_for(self.request.user))
        return selectors.plans_for(self.request.user).prefetch_related(quotas, "focus_products")

    @extend_schema(responses=PlanProgressSerializer)
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        plan = self.get_object()
        p = selectors.progress_for(request.user, plan)
        return Response(
            {
                "year": plan.year,
                "on_date": p.on_date,
                "elapsed_fraction": str(p.fraction),
                "region": p.region.code,
                "title": p.title,
                "total": _row(p.total),
                "parts": [_row(r) for r in p.parts],
                "rapid_total": _row(p.rapid_total),
                "rapid_parts": [_row(r) for r in p.rapid_parts],
                "sectors": [_row(r) for r in p.sectors],
                "townships": [_row(r) for r in p.townships],
                "rapid_district": _row(p.rapid_district),
                "rapid_townships": [_row(r) for r in p.rapid_townships],
                "rapid_township_total": _row(p.rapid_township_total),
                "unqualified": p.unqualified,
                "handled": p.handled,
                "handling_rate": None if p.handling_rate is None else str(p.handling_rate),
            }
        )

    @extend_schema(responses=PlanCoverageSerializer)
    @action(detail=True, methods=["get"])
    def coverage(self, request, pk=None):
        """Which focus pairs (products × analytes) a limit in force covers over the plan's year."""
        return Response(coverage_data(selectors.plan_coverage(self.get_object())))

    @extend_schema(
        request=PlanPublishSerializer,
        parameters=[IF_MATCH],
        responses={200: PlanSerializer, 412: OpenApiResponse(StaleVersionSerializer, "Stale version")},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish the plan (the district administration, once; ledgered). Refused (400, field ``reason``) while
        a focus pair has no limit in force over the plan's year and no reason is given; ``If-Match`` (the
        plan's ``version``) refuses a stale publish with 412."""
        plan = self.get_object()
        s = PlanPublishSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        plan = services.plan_publish(
            actor=request.user,
            plan=plan,
            reason=s.validated_data["reason"],
            expected_version=versions.parse_etag(request.headers.get("If-Match")),
        )
        plan = self.get_queryset().get(pk=plan.pk)
        return Response(PlanSerializer(plan).data, headers={"ETag": versions.etag(plan)})


class SampleSerializer(serializers.ModelSerializer):
    producer = SlugRelatedField(slug_field="code", queryset=registry.producers())
    product = SlugRelatedField(slug_field="name", queryset=registry.categories())
    base = serializers.PrimaryKeyRelatedField(queryset=registry.bases(), required=False, allow_null=True)
    task = serializers.PrimaryKeyRelatedField(
        queryset=SamplingTask.objects.all(), required=False, allow_null=True
    )
    township = serializers.CharField(source="township.name", read_only=True)
    sampler = serializers.CharField(read_only=True)
    quantity = serializers.CharField()
    # Blank until the sample is judged (a read-only model field would lose its blank choice in the schema).
    verdict = serializers.ChoiceField(choices=Verdict.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Sample
        fields = [
            "id",
            "code",
            "task",
            "producer",
            "base",
            "product",
            "sector",
            "township",
            "lot",
            "quantity",
            "quantity_unit",
            "place",
            "latitude",
            "longitude",
            "sampled_at",
            "seal_number",
            "party_name",
            "party_confirmed",
            "party_confirmed_at",
            "certificate_number",
            "sampler",
            "state",
            "verdict",
            "published_at",
            "notes",
            "species",
            "tissue",
            "fat_content",
        ]
        read_only_fields = ["code", "sector", "state", "verdict", "published_at", "party_confirmed_at"]
        extra_kwargs = {
            "latitude": {"required": False},
            "longitude": {"required": False},
            "fat_content": {"required": False},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The choices of the related fields are what the caller may see: the browsable API renders them as
        # selects (every producer's name otherwise), and an out-of-scope one is refused as unknown.
        user = getattr(self.context.get("request"), "user", None)
        if user is not None:
            self.fields["producer"].queryset = registry.producers_in_scope(user)
            self.fields["base"].queryset = registry.bases_in_scope(user)
            self.fields["task"].queryset = scoped(user, SamplingTask.objects.all())


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(services.TRANSITIONS))
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class BatchTransitionSerializer(serializers.Serializer):
    """Input of POST /api/v1/monitoring/samples/batch/: one action for many samples, each done as if alone."""

    action = serializers.ChoiceField(choices=list(services.TRANSITIONS))
    codes = serializers.ListField(
        child=serializers.CharField(max_length=64),
        allow_empty=False,
        max_length=batch.LIMIT,
        help_text=f"Sample codes, 1 to {batch.LIMIT}, each once; answered in this order.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate_codes(self, codes):
        twice = batch.given_twice(codes)
        if twice:
            raise serializers.ValidationError(
                _("Give each sample once; given more than once: %(codes)s.") % {"codes": ", ".join(twice)}
            )
        return codes


class BatchItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    ok = serializers.BooleanField()
    state = serializers.ChoiceField(
        choices=SampleState.choices,
        required=False,
        help_text="The sample's state after the action (when ok).",
    )
    error = serializers.CharField(
        required=False, help_text="Why it was not done (when not ok): the refusal of the single transition."
    )


class BatchResultSerializer(serializers.Serializer):
    """Answer of POST /api/v1/monitoring/samples/batch/."""

    done = serializers.IntegerField()
    refused = serializers.IntegerField()
    items = BatchItemSerializer(many=True, help_text="One per code, in the request's order.")


class SamplePhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = SamplePhoto
        fields = ["id", "url", "caption", "uploaded"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        # Not the storage URL: files are served only by the view that checks the caller's jurisdiction.
        return reverse("monitoring:photo_file", kwargs={"pk": obj.pk})


class SamplePhotoUploadSerializer(serializers.Serializer):
    """Input of POST /api/v1/monitoring/samples/<code>/photos/ (multipart): a JPEG, PNG or WebP photo of at
    most 10 MB; the content is checked, not the file name."""

    image = serializers.FileField(allow_empty_file=True)
    caption = serializers.CharField(required=False, allow_blank=True, default="", max_length=128)


class SampleViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Samples in the caller's jurisdiction; POST registers one; ``transition`` moves it through its states."""

    base_queryset = Sample.objects.select_related("producer", "product", "township", "sampler")
    serializer_class = SampleSerializer
    filterset_class = SampleFilter
    lookup_field = "code"
    lookup_value_regex = TEXT_LOOKUP_REGEX

    def perform_create(self, serializer):
        d = dict(serializer.validated_data)
        for key in ("producer", "base", "task"):
            obj = d.get(key)
            if (
                obj is not None
                and not scoped(self.request.user, type(obj).objects.filter(pk=obj.pk)).exists()
            ):
                raise ValidationError({key: _("This producer is outside your jurisdiction.")})
        serializer.instance = services.sample_register(actor=self.request.user, **d)

    @extend_schema(request=TransitionSerializer, responses=SampleSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, code=None):
        sample = self.get_object()
        s = TransitionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        sample = services.sample_transition(actor=request.user, sample=sample, **s.validated_data)
        return Response(SampleSerializer(sample).data)

    @extend_schema(request=BatchTransitionSerializer, responses=BatchResultSerializer)
    @action(detail=False, methods=["post"])
    def batch(self, request):
        """One workflow action for many samples (e.g. the lab receiving a delivery): each sample is looked up
        in the caller's jurisdiction (otherwise "not found", whether or not it exists) and goes through the
        same service as ``transition``, in its own transaction: checked, audited and ledgered alone; a refusal
        undoes none of the others. 200 with each item's outcome; 400 only for a bad body."""
        s = BatchTransitionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        codes = d["codes"]
        found = {x.code: x for x in self.get_queryset().filter(code__in=codes)}
        return Response(
            batch.answer(
                codes,
                found,
                lambda x: services.sample_transition(
                    actor=request.user, sample=x, action=d["action"], reason=d["reason"]
                ),
                key="code",
                outcome=lambda sample: {"state": sample.state},
            )
        )

    @extend_schema(methods=["GET"], request=None, responses=SamplePhotoSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": SamplePhotoUploadSerializer},
        responses={201: SamplePhotoSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser],
        pagination_class=None,  # the photos of one sample: a plain list
        filter_backends=[],
    )
    def photos(self, request, code=None):
        """The sample's photos; POST (multipart, field ``image``) adds one: JPEG, PNG or WebP, at most 10 MB."""
        sample = self.get_object()
        if request.method == "GET":
            return Response(SamplePhotoSerializer(sample.photos.all(), many=True).data)
        s = SamplePhotoUploadSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        photo = services.sample_photo_add(actor=request.user, sample=sample, **s.validated_data)
        return Response(SamplePhotoSerializer(photo).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------- sampling tasks
class TaskSerializer(serializers.ModelSerializer):
    plan = serializers.IntegerField(source="plan_id", read_only=True, allow_null=True)
    producer = serializers.CharField(source="producer.code", read_only=True)
    producer_name = serializers.CharField(source="producer.name", read_only=True)
    product = serializers.CharField(source="product.name", read_only=True, allow_null=True)
    samplers = serializers.SerializerMethodField(help_text="Usernames of the samplers assigned.")

    class Meta:
        model = SamplingTask
        fields = [
            "id",
            "plan",
            "source",
            "draw_round_id",
            "stratum",
            "rank",
            "producer",
            "producer_name",
            "product",
            "samplers",
            "due",
            "status",
            "created",
        ]
        # Not the notes: a task ordered by a rapid-test positive names the test, which a village's staff who see
        # the task may not see (as on the task list, which does not show them either).
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_samplers(self, obj) -> list[str]:
        return sorted(u.username for u in obj.samplers.all())


def _sampler_field(**kwargs):
    return SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        help_text="The sampler's username (the service checks the role and the area).",
        **kwargs,
    )


class TaskAssignSerializer(serializers.Serializer):
    """Input of POST /api/v1/monitoring/tasks/<id>/assign/."""

    sampler = _sampler_field()


class TaskUnassignSerializer(serializers.Serializer):
    """Input of POST /api/v1/monitoring/tasks/<id>/unassign/: the sampler to take off, and why."""

    sampler = _sampler_field()
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class TaskCancelSerializer(serializers.Serializer):
    """Input of POST /api/v1/monitoring/tasks/<id>/cancel/."""

    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class TaskBatchAssignSerializer(serializers.Serializer):
    """Input of POST /api/v1/monitoring/tasks/batch-assign/: one sampler for many tasks, each done as if alone."""

    sampler = _sampler_field()
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=batch.LIMIT,
        help_text=f"Task ids, 1 to {batch.LIMIT}, each once; answered in this order.",
    )

    def validate_ids(self, ids):
        twice = batch.given_twice(ids)
        if twice:
            raise serializers.ValidationError(
                _("Give each task once; given more than once: %(ids)s.") % {"ids": ", ".join(map(str, twice))}
            )
        return ids


class TaskBatchItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ok = serializers.BooleanField()
    samplers = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="The task's samplers after the action (when ok).",
    )
    error = serializers.CharField(
        required=False, help_text="Why it was not done (when not ok): the refusal of the single assignment."
    )


class TaskBatchResultSerializer(serializers.Serializer):
    """Answer of POST /api/v1/monitoring/tasks/batch-assign/."""

    done = serializers.IntegerField()
    refused = serializers.IntegerField()
    items = TaskBatchItemSerializer(many=True, help_text="One per id, in the request's order.")


class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    """Sampling tasks of the caller's jurisdiction (supervision staff; a producer account sees none: a task is not
    announced to the producer it is about), open ones first, the earliest deadline first. Filters as on the task list:
    ``status``, ``mine=1`` (tasks the caller samples), ``unassigned=1``, ``due`` = overdue / today / later.
    Assigning, taking off and cancelling go through the same services as the task list, with its checks,
    event rows and audit."""

    serializer_class = TaskSerializer
    queryset = SamplingTask.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        user = self.request.user
        if user.is_entity_role and not user.is_superuser:
            return SamplingTask.objects.none()
        return todo.tasks_work_order(selectors.tasks_filtered(user, self.request.query_params))

    def _one(self, request, action_serializer, work):
        task = self.get_object()
        s = action_serializer(data=request.data)
        s.is_valid(raise_exception=True)
        work(task, **s.validated_data)
        return Response(TaskSerializer(self.get_queryset().get(pk=task.pk)).data)

    @extend_schema(request=TaskAssignSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Assign a sampler to the open task."""
        return self._one(
            request,
            TaskAssignSerializer,
            lambda task, sampler: services.task_assign(actor=request.user, task=task, sampler=sampler),
        )

    @extend_schema(request=TaskUnassignSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def unassign(self, request, pk=None):
        """Take a sampler off the open task, with a reason."""
        return self._one(
            request,
            TaskUnassignSerializer,
            lambda task, sampler, reason: services.task_unassign(
                actor=request.user, task=task, sampler=sampler, reason=reason
            ),
        )

    @extend_schema(request=TaskCancelSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel the open task, with a reason."""
        return self._one(
            request,
            TaskCancelSerializer,
            lambda task, reason: services.task_cancel(actor=request.user, task=task, reason=reason),
        )

    @extend_schema(request=TaskBatchAssignSerializer, responses=TaskBatchResultSerializer)
    @action(detail=False, methods=["post"], url_path="batch-assign")
    def batch_assign(self, request):
        """One sampler for many tasks: each task is looked up in the caller's jurisdiction (otherwise "not found",
        whether or not it exists) and assigned by the same service as ``assign``, in its own transaction; a
        refusal undoes none of the others. 200 with each item's outcome; 400 only for a bad body."""
        s = TaskBatchAssignSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        ids, sampler = s.validated_data["ids"], s.validated_data["sampler"]
        found = selectors.tasks_for(request.user).in_bulk(ids)
        return Response(
            batch.answer(
                ids,
                found,
                lambda t: services.task_assign(actor=request.user, task=t, sampler=sampler),
                key="id",
                outcome=lambda task: {"samplers": sorted(task.samplers.values_list("username", flat=True))},
            )
        )


class LabResultSerializer(serializers.ModelSerializer):
    sample = serializers.CharField(source="sample.code")
    value = serializers.CharField()
    lod = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    loq = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    analyst = serializers.CharField(read_only=True)
    verified_by = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = LabResult
        fields = [
            "id",
            "sample",
            "analyte",
            "value",
            "unit",
            "method",
            "lod",
            "loq",
            "instrument",
            "analyst",
            "verdict",
            "reason",
            "limit_mg_kg",
            "value_mg_kg",
            "edition",
            "rule",
            "rule_detail",
            "supersedes",
            "is_current",
            "correction_reason",
            "verified_by",
            "verified_at",
            "created",
        ]
        read_only_fields = [
            "verdict",
            "reason",
            "limit_mg_kg",
            "value_mg_kg",
            "edition",
            "rule",
            "rule_detail",
            "supersedes",
            "is_current",
            "verified_at",
            "created",
        ]
        extra_kwargs = {"unit": {"allow_blank": True}, "analyte": {"allow_blank": True}}


class LabResultViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Lab results; POST enters one result, judged at once (a result for an analyte that already has one
    needs ``correction_reason`` and supersedes it)."""

    base_queryset = LabResult.objects.select_related("sample", "analyst", "verified_by")
    serializer_class = LabResultSerializer
    filterset_class = LabResultFilter

    def perform_create(self, serializer):
        d = dict(serializer.validated_data)
        code = d.pop("sample")["code"]
        sample = get_scoped_or_404(self.request.user, Sample.objects.all(), code=code)
        [r] = services.results_enter(actor=self.request.user, sample=sample, rows=[d])
        serializer.instance = r


class RapidTestSerializer(serializers.ModelSerializer):
    station = serializers.CharField(source="region.code", read_only=True)
    product = serializers.CharField(source="product.name", read_only=True)
    producer = serializers.CharField(source="producer.code", read_only=True, default=None, allow_null=True)
    tester = serializers.CharField(read_only=True)
    # Blank for enzyme-inhibition tests (a read-only model field would lose its blank choice in the schema).
    t_line = serializers.ChoiceField(choices=TLine.choices, allow_blank=True, read_only=True)

    class Meta:
        model = RapidTest
        fields = [
            "id",
            "station",
            "producer",
            "product",
            "sector",
            "lot",
            "method",
            "analyte",
            "inhibition",
            "threshold",
            "c_line",
            "t_line",
            "outcome",
            "false_positive_risk",
            "tested_at",
            "uploaded_at",
            "tester",
            "instrument",
            "source",
            "retest_of",
            "confirmed_positive",
        ]
        read_only_fields = fields


class RapidTestInputSerializer(serializers.Serializer):
    """One reading as an instrument posts it (documentation only: the service checks every item itself)."""

    station = serializers.CharField(
        required=False, help_text="Division code of the township or district lab."
    )
    producer = serializers.CharField(required=False, allow_blank=True, help_text="Registry number.")
    product = serializers.CharField(help_text="Product name or code, e.g. 黄瓜.")
    lot = serializers.CharField(required=False, allow_blank=True)
    method = serializers.CharField(help_text="enzyme or gold.")
    analyte = serializers.CharField(required=False, allow_blank=True)
    inhibition = serializers.CharField(required=False, allow_blank=True, help_text="Percent, enzyme method.")
    threshold = serializers.CharField(required=False, allow_blank=True, help_text="Percent; default 50.")
    c_line = serializers.CharField(required=False, allow_blank=True, help_text="Gold method: does C show.")
    t_line = serializers.CharField(
        required=False, allow_blank=True, help_text="absent, lighter, same_or_darker."
    )
    tested_at = serializers.CharField(help_text="Test time, e.g. 2026-05-01T09:30:00+08:00.")
    instrument = serializers.CharField(required=False, allow_blank=True)
    retest_of = serializers.CharField(required=False, allow_blank=True, help_text="Id of the test retested.")


def _plain(item) -> dict:
    """One posted item as a plain dict (a form post is a QueryDict; a JSON item a dict; anything else empty)."""
    if hasattr(item, "dict"):
        return item.dict()
    return dict(item) if isinstance(item, dict) else {}


class RapidTestViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Rapid tests in the caller's area. POST one reading (an object) or a batch (a list) from an instrument:
    fields station (division code; default the caller's township), producer (registry number), product,
    lot, method (enzyme | gold), analyte, inhibition, threshold, c_line, t_line, tested_at, instrument,
    retest_of. The whole batch is checked; any bad item → 400 with per-item field errors, nothing saved."""

    base_queryset = RapidTest.objects.select_related("region", "product", "producer", "tester")
    serializer_class = RapidTestSerializer
    filterset_class = RapidTestFilter

    @extend_schema(
        request=RapidTestInputSerializer,
        responses={201: RapidTestSerializer},
        description="One reading as an object, or a batch as a JSON list of such objects (answered with a list).",
    )
    def create(self, request, *args, **kwargs):
        many = isinstance(request.data, list)
        items = request.data if many else [request.data]
        if not items:
            return Response(
                {"non_field_errors": [_("No rapid tests to record.")]}, status=status.HTTP_400_BAD_REQUEST
            )
        try:
            rows = services.rapid_tests_record(
                actor=request.user, items=[_plain(i) for i in items], source=RapidSource.API
            )
        except ValidationError as e:
            per_item = getattr(e, "item_errors", None)
            if per_item is None:
                raise django_errors_to_drf(e) from None
            return Response(per_item if many else per_item[0], status=status.HTTP_400_BAD_REQUEST)
        data = RapidTestSerializer(rows, many=True).data
        return Response(data if many else data[0], status=status.HTTP_201_CREATED)


ROUTES = [
    ("monitoring/plans", PlanViewSet, "monitoring-plan"),
    ("monitoring/tasks", TaskViewSet, "monitoring-task"),
    ("monitoring/samples", SampleViewSet, "monitoring-sample"),
    ("monitoring/results", LabResultViewSet, "monitoring-result"),
    ("monitoring/rapid-tests", RapidTestViewSet, "monitoring-rapid-test"),
]
