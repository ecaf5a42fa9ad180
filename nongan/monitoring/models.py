"""Monitoring (例行监测): annual plans and quotas, sampling tasks, samples (抽样单), lab results,
rapid tests (速测), follow-ups of unqualified results and of confirmed rapid-test positives."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from nongan.core.models import Region
from nongan.core.versions import Versioned
from nongan.core.workflow import WorkflowModel
from nongan.standards.choices import Policy, Species, Tissue

from .choices import (
    FollowUpStatus,
    HoldStatus,
    PlanState,
    QuotaKind,
    RapidMethod,
    RapidOutcome,
    RapidSource,
    SampleState,
    Sector,
    TaskSource,
    TaskStatus,
    TLine,
    Verdict,
)


class MonitoringPlan(Versioned, WorkflowModel):
    """The year's monitoring plan of a district: totals, pass-rate target, focus products and analytes.
    Per-sector and per-township numbers are its ``PlanQuota`` rows.

    Published once by the district administration (``services.PLAN_WORKFLOW``); from then on every change of
    what the ledger hashes is ledgered (``monitoring.plan_changed``), so the plan the year was sampled against
    can be checked by anyone holding the ledger."""

    SCOPE_REGION = "region"
    STATE_FIELD = "state"  # moved only by services.PLAN_WORKFLOW
    LEDGER_FIELDS = (
        "year",
        "region",
        "state",
        "title",
        "quantitative_target",
        "pass_rate_target",
        "district_rapid_target",
        "township_rapid_target",
        "focus_analytes",
        "banned_policy",
        "published",
        "published_by",
        "coverage_reason",
    )

    year = models.PositiveIntegerField(_("year"))
    region = models.ForeignKey(
        Region, verbose_name=_("district"), on_delete=models.PROTECT, related_name="monitoring_plans"
    )
    title = models.CharField(_("title"), max_length=128)
    quantitative_target = models.PositiveIntegerField(_("quantitative samples (total)"), default=800)
    pass_rate_target = models.DecimalField(
        _("pass-rate target (%)"), max_digits=5, decimal_places=2, default=Decimal("97")
    )
    district_rapid_target = models.PositiveIntegerField(_("district rapid tests"), default=8000)
    township_rapid_target = models.PositiveIntegerField(
        _("township rapid tests (all townships)"), default=7200
    )
    focus_products = models.ManyToManyField(
        "registry.ProductCategory",
        verbose_name=_("focus products"),
        related_name="monitoring_plans",
        blank=True,
    )
    focus_analytes = models.TextField(
        _("focus analytes"), blank=True, help_text=_("One per line or separated by ;")
    )
    banned_policy = models.CharField(
        _("policy for banned substances"),
        max_length=16,
        choices=Policy.choices,
        default=Policy.MRL,
        help_text=_(
            "mrl: a banned substance is judged against its limit and a detection is flagged (违禁检出) for "
            "follow-up; strict: any detection of a banned substance fails."
        ),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="monitoring_plans",
    )
    state = models.CharField(_("state"), max_length=16, choices=PlanState.choices, default=PlanState.DRAFT)
    published = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="published_monitoring_plans",
    )
    coverage_reason = models.TextField(
        _("reason for publishing with uncovered focus pairs"),
        blank=True,
        help_text=_(
            "Why the plan tests focus pairs that no limit in force covers (required to publish it so)."
        ),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("monitoring plan")
        verbose_name_plural = _("monitoring plans")
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="monitoring_plan_region_year")]

    def __str__(self) -> str:
        return self.title

    @property
    def analyte_list(self) -> list[str]:
        text = (self.focus_analytes or "").replace("；", ";").replace("\n", ";")
        return [a.strip() for a in text.split(";") if a.strip()]


class PlanQuota(models.Model):
    """One planned number of a plan (its share for a part of the district): quantitative samples of a sector
    (district level), or quantitative samples or rapid tests of a township (``township`` set, ``village``
    empty) or of one of its villages (both set). A township's villages together never exceed the township's
    share, the townships never exceed the district's totals (``services.plan_save``,
    ``services.village_shares_save``). Read through ``selectors.progress_for``."""

    SCOPE_REGION = "plan__region"

    plan = models.ForeignKey(
        MonitoringPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="quotas"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=QuotaKind.choices)
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices, blank=True)
    township = models.ForeignKey(
        Region,
        verbose_name=_("township"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="monitoring_quotas",
    )
    village = models.ForeignKey(
        Region,
        verbose_name=_("village"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="monitoring_village_quotas",
        help_text=_("Empty for the township's own share."),
    )
    planned = models.PositiveIntegerField(_("planned"))

    class Meta:
        verbose_name = _("plan quota")
        verbose_name_plural = _("plan quotas")
        ordering = ["plan", "kind", "sector", "township__sort_order", "village__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "kind", "sector", "township"],
                condition=models.Q(village__isnull=True),
                name="plan_quota_unique",
            ),
            models.UniqueConstraint(
                fields=["plan", "kind", "village"],
                condition=models.Q(village__isnull=False),
                name="plan_quota_village_unique",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.plan} · {self.get_kind_display()} · {self.sector or self.village or self.township or '-'}"
        )


class SamplingTask(WorkflowModel):
    """A producer to be sampled: drawn by a double-random round, created by hand, or ordered to confirm a
    rapid-test positive; assigned to samplers."""

    SCOPE_REGION = "producer__region"
    STATE_FIELD = "status"  # moved only by services.TASK_WORKFLOW
    SCOPE_PRODUCER = "producer"

    plan = models.ForeignKey(
        MonitoringPlan,
        verbose_name=_("plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    source = models.CharField(
        _("source"), max_length=16, choices=TaskSource.choices, default=TaskSource.MANUAL
    )
    draw_round_id = models.PositiveBigIntegerField(_("draw round"), null=True, blank=True, db_index=True)
    stratum = models.CharField(_("stratum"), max_length=64, blank=True)
    rank = models.PositiveIntegerField(_("rank in the draw"), null=True, blank=True)
    producer = models.ForeignKey(
        "registry.Producer",
        verbose_name=_("producer"),
        on_delete=models.PROTECT,
        related_name="sampling_tasks",
    )
    product = models.ForeignKey(
        "registry.ProductCategory",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sampling_tasks",
    )
    samplers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("samplers"), related_name="sampling_tasks", blank=True
    )
    due = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN, db_index=True
    )
    notes = models.CharField(_("notes"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_sampling_tasks",
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("sampling task")
        verbose_name_plural = _("sampling tasks")
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["draw_round_id", "producer"],
                condition=models.Q(draw_round_id__isnull=False),
                name="task_draw_producer_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.producer} ({self.get_source_display()})"


class Sample(WorkflowModel):
    """A sample record (抽样单): who was sampled, what, where and when, sealed and confirmed by the sampled
    party; its state runs registered → received → results submitted → verified → published."""

    SCOPE_REGION = "producer__region"
    STATE_FIELD = "state"  # moved only by services.SAMPLE_WORKFLOW
    SCOPE_PRODUCER = "producer"
    # The producer sees its samples (verdict, results, who tested) only once verified and published.
    SCOPE_PRODUCER_WHEN = {"state": "published"}

    code = models.CharField(_("sample number"), max_length=20, unique=True)
    task = models.OneToOneField(
        SamplingTask,
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sample",
    )
    plan = models.ForeignKey(
        MonitoringPlan,
        verbose_name=_("plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="samples",
    )
    producer = models.ForeignKey(
        "registry.Producer", verbose_name=_("producer"), on_delete=models.PROTECT, related_name="samples"
    )
    base = models.ForeignKey(
        "registry.Base",
        verbose_name=_("production base"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="samples",
    )
    product = models.ForeignKey(
        "registry.ProductCategory",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="samples",
    )
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices, db_index=True)
    township = models.ForeignKey(
        Region, verbose_name=_("township"), on_delete=models.PROTECT, related_name="monitoring_samples"
    )
    lot = models.CharField(_("lot"), max_length=64, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    quantity_unit = models.CharField(_("unit"), max_length=16, default="kg")
    place = models.CharField(_("place of sampling"), max_length=255)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    sampled_at = models.DateTimeField(_("sampling time"), db_index=True)
    seal_number = models.CharField(_("seal number"), max_length=64, blank=True)
    party_name = models.CharField(_("sampled party's signatory"), max_length=64, blank=True)
    party_confirmed = models.BooleanField(_("confirmed by the sampled party"), default=False)
    party_confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    certificate_number = models.CharField(
        _("certificate number of the lot"), max_length=64, blank=True, db_index=True
    )
    sampler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sampler"),
        on_delete=models.PROTECT,
        related_name="samples_taken",
    )
    # Sampling is done by two people (a draw assigns two inspectors); the 抽样单 names them all.
    co_samplers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("other samplers"),
        related_name="samples_co_taken",
        blank=True,
    )
    state = models.CharField(
        _("state"), max_length=20, choices=SampleState.choices, default=SampleState.REGISTERED, db_index=True
    )
    verdict = models.CharField(
        _("verdict"), max_length=16, choices=Verdict.choices, blank=True, db_index=True
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # A sample of animal origin judged for veterinary drugs: the animal, the tissue and, where a limit is on a fat
    # basis, the fat content (%).
    species = models.CharField(_("animal species"), max_length=16, choices=Species.choices, blank=True)
    tissue = models.CharField(_("tissue"), max_length=16, choices=Tissue.choices, blank=True)
    fat_content = models.DecimalField(
        _("fat content (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("sample")
        verbose_name_plural = _("samples")
        ordering = ["-sampled_at", "-id"]
        indexes = [models.Index(fields=["sampled_at", "state"], name="sample_time_state_idx")]

    def ledger_content(self) -> dict:
        """What the ledger hashes (nongan.core.ledger): the sample's identity, state and verdict, and its current
        results with their judgements."""
        results = [
            [r.analyte, r.value, r.unit, r.lod, r.loq, r.verdict, r.limit_mg_kg, r.edition, r.rule]
            for r in self.results.filter(is_current=True).order_by("pk")
        ]
        content = {
            "code": self.code,
            "producer": self.producer_id,
            "product": self.product_id,
            "sampled_at": self.sampled_at,
            "state": self.state,
            "verdict": self.verdict,
            "published_at": self.published_at,
            "results": [[str(v) if v is not None else None for v in row] for row in results],
        }
        # The animal, tissue and fat content join once recorded (samples without them keep their digests).
        if self.species or self.tissue or self.fat_content is not None:
            content["animal"] = [self.species, self.tissue, self.fat_content]
        return content

    def __str__(self) -> str:
        return self.code


class SamplePhoto(models.Model):
    """A photo taken at sampling (the lot, the sealed bag, the signed form)."""

    SCOPE_REGION = "sample__producer__region"
    SCOPE_PRODUCER = "sample__producer"
    SCOPE_PRODUCER_WHEN = {"sample__state": "published"}
    # nongan.core.audit cannot serialise a FieldFile; the stored name goes into the audit record's reason.
    AUDIT_EXCLUDE = ("image",)

    sample = models.ForeignKey(
        Sample, verbose_name=_("sample"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.FileField(_("photo"), upload_to="monitoring/photos/%Y/%m/")
    caption = models.CharField(_("caption"), max_length=128, blank=True)
    uploaded = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("sample photo")
        verbose_name_plural = _("sample photos")
        ordering = ["uploaded"]

    def __str__(self) -> str:
        return self.caption or self.image.name


class LabResult(models.Model):
    """One analyte's result for a sample, judged at entry against the limits in force on the sampling date.
    A retest or correction is a new row that supersedes the old one; rows are never overwritten."""

    SCOPE_REGION = "sample__producer__region"
    SCOPE_PRODUCER = "sample__producer"
    SCOPE_PRODUCER_WHEN = {"sample__state": "published"}
    # What the ledger hashes (nongan.core.ledger): entry, correction (a superseded row) and verification.
    LEDGER_FIELDS = (
        "sample",
        "analyte",
        "value",
        "unit",
        "lod",
        "loq",
        "method",
        "instrument",
        "analyst",
        "verdict",
        "limit_mg_kg",
        "edition",
        "rule",
        "flags",
        "supersedes",
        "is_current",
        "correction_reason",
        "verified_by",
        "verified_at",
    )
    # What a veterinary drug was judged with joins the content once set (results without it keep their digests).
    LEDGER_FIELDS_ONCE_SET = {"species": (), "tissue": (), "fat_content": ()}

    sample = models.ForeignKey(
        Sample, verbose_name=_("sample"), on_delete=models.PROTECT, related_name="results"
    )
    analyte = models.CharField(_("analyte"), max_length=64)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=6)
    unit = models.CharField(_("unit"), max_length=16)
    method = models.CharField(_("method"), max_length=128, blank=True)
    lod = models.DecimalField(_("limit of detection"), max_digits=14, decimal_places=6, null=True, blank=True)
    loq = models.DecimalField(
        _("limit of quantification"), max_digits=14, decimal_places=6, null=True, blank=True
    )
    instrument = models.CharField(_("instrument"), max_length=128, blank=True)
    analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("analyst"),
        on_delete=models.PROTECT,
        related_name="lab_results",
    )
    verdict = models.CharField(_("verdict"), max_length=16, choices=Verdict.choices)
    reason = models.CharField(_("reason of the verdict"), max_length=255, blank=True)
    limit_mg_kg = models.DecimalField(
        _("limit (mg/kg)"), max_digits=14, decimal_places=6, null=True, blank=True
    )
    value_mg_kg = models.DecimalField(
        _("value (mg/kg)"), max_digits=14, decimal_places=6, null=True, blank=True
    )
    edition = models.CharField(_("standard edition"), max_length=64, blank=True)
    rule = models.CharField(_("rule"), max_length=64, blank=True)
    rule_detail = models.CharField(_("rule detail"), max_length=255, blank=True)
    policy = models.CharField(_("policy that judged"), max_length=16, blank=True)
    flags = models.CharField(
        _("flags"), max_length=64, blank=True, help_text=_("banned_detected (违禁检出); basis_unverified")
    )
    source_row = models.CharField(_("source row of the limit or ban"), max_length=255, blank=True)
    # What the judgement used for a veterinary drug (the row's, else the sample's).
    species = models.CharField(_("animal species"), max_length=16, choices=Species.choices, blank=True)
    tissue = models.CharField(_("tissue"), max_length=16, choices=Tissue.choices, blank=True)
    fat_content = models.DecimalField(
        _("fat content (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("supersedes"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    is_current = models.BooleanField(_("current"), default=True, db_index=True)
    correction_reason = models.CharField(_("reason for the retest or correction"), max_length=255, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="verified_lab_results",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    created = models.DateTimeField(_("entered"), auto_now_add=True)

    class Meta:
        verbose_name = _("lab result")
        verbose_name_plural = _("lab results")
        ordering = ["sample", "analyte", "id"]

    def __str__(self) -> str:
        return f"{self.sample} {self.analyte} {self.value} {self.unit}"


class MonitoringEvent(models.Model):
    """A state transition of a sample, task or follow-up: who, from, to, why, when."""

    SCOPE_REGION = "sample__producer__region"
    SCOPE_PRODUCER = "sample__producer"
    SCOPE_PRODUCER_WHEN = {"sample__state": "published"}

    subject = models.CharField(_("subject"), max_length=16, default="sample")
    sample = models.ForeignKey(
        Sample,
        verbose_name=_("sample"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
    )
    task = models.ForeignKey(
        SamplingTask,
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
    )
    action = models.CharField(_("action"), max_length=32)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="monitoring_events",
    )
    time = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("monitoring event")
        verbose_name_plural = _("monitoring events")
        ordering = ["time", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} → {self.to_state}"


class UnqualifiedFollowUp(Versioned, WorkflowModel):
    """The handling of an unqualified sample: notice to the producer's township, trace to the producer's
    records, key-target flag, case number once enforcement opens one."""

    SCOPE_REGION = "sample__producer__region"
    STATE_FIELD = "status"  # moved only by services.FOLLOW_UP_WORKFLOW
    SCOPE_PRODUCER = "sample__producer"
    SCOPE_PRODUCER_WHEN = {"sample__state": "published"}
    # What the ledger hashes: every change of the handling is ledgered (opening, edits, the four-eyes closing).
    LEDGER_FIELDS = (
        "sample",
        "status",
        "key_target_flagged",
        "certificate_flagged",
        "trace_note",
        "measures",
        "case_number",
        "proposed_by",
        "proposed_at",
        "handled_by",
        "handled_at",
    )

    sample = models.OneToOneField(
        Sample, verbose_name=_("sample"), on_delete=models.PROTECT, related_name="follow_up"
    )
    township = models.ForeignKey(
        Region, verbose_name=_("township notified"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN, db_index=True
    )
    notice = models.TextField(_("notice to the township"))
    noticed_at = models.DateTimeField(_("notified at"))
    key_target_flagged = models.BooleanField(_("producer flagged as key target"), default=False)
    certificate_flagged = models.BooleanField(_("certificate promise marked contradicted"), default=False)
    trace_note = models.TextField(_("trace to the producer's records"), blank=True)
    measures = models.TextField(_("measures taken"), blank=True)
    case_number = models.CharField(_("enforcement case number"), max_length=64, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closing proposed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposed_follow_up_closings",
    )
    proposed_at = models.DateTimeField(_("closing proposed at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handled_follow_ups",
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    created = models.DateTimeField(_("opened"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up of an unqualified result")
        verbose_name_plural = _("follow-ups of unqualified results")
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.sample} · {self.get_status_display()}"


class RapidTest(models.Model):
    """A rapid test (速测) at a township station or the district lab: enzyme inhibition or a colloidal-gold
    strip. A positive is retested (a new row linked to it); a confirmed positive holds the lot."""

    SCOPE_REGION = "region"
    SCOPE_PRODUCER = "producer"
    # What the ledger hashes (recorded, and confirmed positive by its retest).
    LEDGER_FIELDS = (
        "region",
        "township",
        "producer",
        "product",
        "lot",
        "method",
        "analyte",
        "inhibition",
        "threshold",
        "c_line",
        "t_line",
        "outcome",
        "tested_at",
        "tester",
        "retest_of",
        "confirmed_positive",
    )

    region = models.ForeignKey(
        Region, verbose_name=_("station"), on_delete=models.PROTECT, related_name="rapid_tests"
    )
    township = models.ForeignKey(
        Region,
        verbose_name=_("township"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for the district lab."),
    )
    producer = models.ForeignKey(
        "registry.Producer",
        verbose_name=_("producer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rapid_tests",
    )
    product = models.ForeignKey(
        "registry.ProductCategory",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="rapid_tests",
    )
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices)
    lot = models.CharField(_("lot"), max_length=64, blank=True)
    method = models.CharField(_("method"), max_length=8, choices=RapidMethod.choices)
    analyte = models.CharField(_("analyte"), max_length=64, blank=True)
    inhibition = models.DecimalField(
        _("inhibition (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    threshold = models.DecimalField(
        _("positive threshold (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    c_line = models.BooleanField(_("C line visible"), null=True, blank=True)
    t_line = models.CharField(_("T line"), max_length=16, choices=TLine.choices, blank=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=RapidOutcome.choices, db_index=True)
    false_positive_risk = models.BooleanField(_("matrix known for false positives"), default=False)
    tested_at = models.DateTimeField(_("test time"), db_index=True)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    tester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tester"),
        on_delete=models.PROTECT,
        related_name="rapid_tests",
    )
    instrument = models.CharField(_("instrument"), max_length=64, blank=True)
    source = models.CharField(
        _("entered by"), max_length=8, choices=RapidSource.choices, default=RapidSource.FORM
    )
    retest_of = models.ForeignKey(
        "self",
        verbose_name=_("retest of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="retests",
    )
    confirmed_positive = models.BooleanField(_("confirmed positive"), default=False)

    class Meta:
        verbose_name = _("rapid test")
        verbose_name_plural = _("rapid tests")
        ordering = ["-tested_at", "-id"]
        indexes = [
            models.Index(fields=["tested_at", "township"], name="rapid_time_town_idx"),
            models.Index(fields=["region", "tested_at"], name="rapid_region_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.get_outcome_display()}"


class SaleHold(WorkflowModel):
    """A lot whose sale is stopped after a confirmed rapid-test positive, until the confirmatory
    quantitative sample clears it."""

    SCOPE_REGION = "rapid_test__region"
    STATE_FIELD = "status"  # moved only by services.HOLD_WORKFLOW
    SCOPE_PRODUCER = "rapid_test__producer"
    LEDGER_FIELDS = ("rapid_test", "lot", "status", "task", "released_at", "release_reason")

    rapid_test = models.OneToOneField(
        RapidTest, verbose_name=_("rapid test"), on_delete=models.PROTECT, related_name="sale_hold"
    )
    lot = models.CharField(_("lot"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=HoldStatus.choices, default=HoldStatus.HELD)
    task = models.OneToOneField(
        SamplingTask,
        verbose_name=_("confirmatory sampling task"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sale_hold",
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_reason = models.CharField(_("reason for release"), max_length=255, blank=True)
    created = models.DateTimeField(_("held at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sale hold")
        verbose_name_plural = _("sale holds")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.rapid_test} · {self.get_status_display()}"
