"""Double-random draws (双随机): rounds, their frozen candidate lists, inspector pools, declared conflicts,
and the verifiable selection of objects and inspectors."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nongan.core.models import Region
from nongan.core.workflow import WorkflowModel

from .choices import ConflictKind, ExclusionSource, Purpose, RoundStatus, SeedSource, Strata

# 双随机一公开: check results are published within this many days.
RESULTS_DUE_DAYS = 20


class DrawRound(WorkflowModel):
    """One sampling or inspection round: the registry filter, how many objects, strata, the inspector pool,
    and the commit-reveal record that lets anyone re-run the draw (see docs/draws.md)."""

    SCOPE_REGION = "region"
    STATE_FIELD = "status"  # moved only by services.ROUND_WORKFLOW
    # The server-generated seed must not leak into the audit log before it is revealed.
    AUDIT_EXCLUDE = ("seed_escrow",)
    # What the ledger hashes (nongan.core.ledger) at every step from the freeze on: a direct edit of the round in
    # the database (an earlier commitment time to draw sooner, another seed or selection hash) is found.
    LEDGER_FIELDS = (
        "code",
        "region",
        "filter_spec",
        "count",
        "ratio",
        "strata",
        "inspectors_per_object",
        "status",
        "status_reason",
        "candidate_count",
        "candidate_hash",
        "inspector_hash",
        "seed_commitment",
        "beacon_source",
        "beacon_value",
        "seed",
        "format",
        "witness_entropy",
        "selection_hash",
        "frozen_at",
        "committed_at",
        "drawn_at",
        "published_at",
    )

    code = models.CharField(_("round number"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=128)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices, default=Purpose.SAMPLING)
    year = models.PositiveSmallIntegerField(_("year"))
    region = models.ForeignKey(
        Region, verbose_name=_("jurisdiction covered"), on_delete=models.PROTECT, related_name="draw_rounds"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="draw_rounds_created",
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    filter_spec = models.JSONField(_("registry filter"), default=dict, blank=True)
    count = models.PositiveIntegerField(_("number of objects"), null=True, blank=True)
    ratio = models.DecimalField(_("ratio"), max_digits=5, decimal_places=4, null=True, blank=True)
    strata = models.CharField(_("strata"), max_length=16, choices=Strata.choices, default=Strata.NONE)
    inspectors_per_object = models.PositiveSmallIntegerField(_("inspectors per object"), default=2)
    status = models.CharField(
        _("status"), max_length=20, choices=RoundStatus.choices, default=RoundStatus.DRAFT, db_index=True
    )
    status_reason = models.CharField(_("reason for the status"), max_length=255, blank=True)
    candidate_count = models.PositiveIntegerField(_("candidates"), default=0)
    candidate_hash = models.CharField(_("candidate hash"), max_length=64, blank=True)
    inspector_hash = models.CharField(_("inspector pool hash"), max_length=64, blank=True)
    recusals_as_one_kind = models.BooleanField(
        _("recusals published as one kind"),
        default=True,
        help_text=_(
            "The published exclusions (and the inspector hash) name every recusal only as 回避, never the "
            "relationship behind it. Rounds frozen before this rule keep the kinds they were hashed with."
        ),
    )
    seed_source = models.CharField(_("seed source"), max_length=16, choices=SeedSource.choices, blank=True)
    seed_commitment = models.CharField(_("seed commitment (SHA-256 of the seed)"), max_length=64, blank=True)
    seed_escrow = models.CharField(
        _("server-held seed, sealed (secret until the draw)"), max_length=255, blank=True, editable=False
    )
    beacon_source = models.CharField(
        _("public random value"),
        max_length=255,
        blank=True,
        help_text=_(
            "Named before the draw, e.g. a lottery number drawn after the commitment; combined into the seed."
        ),
    )
    beacon_value = models.CharField(_("public random value (revealed)"), max_length=128, blank=True)
    seed = models.CharField(_("seed (revealed)"), max_length=128, blank=True)
    format = models.CharField(
        _("draw format"),
        max_length=16,
        default="nongan-draw/2",
        editable=False,
        help_text=_("How the effective seed is formed (see the verification script)."),
    )
    witness_entropy = models.JSONField(
        _("witness entropy"),
        default=list,
        blank=True,
        help_text=_("Values entered at the draw by the inspectors present, combined into the seed."),
    )
    selection_hash = models.CharField(_("selection hash"), max_length=64, blank=True)
    frozen_at = models.DateTimeField(_("candidates frozen"), null=True, blank=True)
    committed_at = models.DateTimeField(_("seed committed"), null=True, blank=True)
    drawn_at = models.DateTimeField(_("drawn"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("draw round")
        verbose_name_plural = _("draw rounds")
        ordering = ["-year", "-code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def ratio_percent(self) -> str:
        """0.0500 → "5%"."""
        if self.ratio is None:
            return ""
        return format((self.ratio * 100).normalize(), "f") + "%"

    @property
    def results_due(self):
        """双随机一公开: the results of the checks are due for publication within 20 days of the draw."""
        if self.drawn_at is None:
            return None
        return (timezone.localtime(self.drawn_at) + dt.timedelta(days=RESULTS_DUE_DAYS)).date()


class DrawRoundEvent(models.Model):
    """A status change of a round: who, from, to, why, when."""

    SCOPE_REGION = "round__region"

    round = models.ForeignKey(
        DrawRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="draw_round_events",
    )
    actor_repr = models.CharField(_("actor name"), max_length=150, blank=True)
    from_status = models.CharField(_("from"), max_length=20, choices=RoundStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=RoundStatus.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    time = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("round event")
        verbose_name_plural = _("round events")
        ordering = ["time", "id"]

    def __str__(self) -> str:
        return f"{self.round.code}: {self.from_status} → {self.to_status}"


class InspectorPoolMember(models.Model):
    """An account in a round's inspector pool (执法检查人员名录); the name is frozen with the candidates."""

    SCOPE_REGION = "round__region"

    round = models.ForeignKey(
        DrawRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="pool"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        on_delete=models.PROTECT,
        related_name="draw_pools",
    )
    name = models.CharField(_("full name"), max_length=64)

    class Meta:
        verbose_name = _("inspector pool member")
        verbose_name_plural = _("inspector pool members")
        ordering = ["user_id"]
        constraints = [models.UniqueConstraint(fields=["round", "user"], name="draw_pool_unique")]

    def __str__(self) -> str:
        return self.name


class InspectorConflict(models.Model):
    """A declared conflict of interest between an inspector and a producer (回避): the inspector is never
    drawn for that producer while the declaration stands. Withdrawing keeps the row."""

    SCOPE_REGION = "producer__region"

    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        on_delete=models.PROTECT,
        related_name="draw_conflicts",
    )
    producer = models.ForeignKey(
        "registry.Producer",
        verbose_name=_("producer"),
        on_delete=models.CASCADE,
        related_name="draw_conflicts",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ConflictKind.choices)
    reason = models.CharField(_("reason"), max_length=255)
    declared_at = models.DateTimeField(_("declared"), auto_now_add=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("declared by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="draw_conflicts_declared",
    )
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdraw_reason = models.CharField(_("reason for withdrawing"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("declared conflict")
        verbose_name_plural = _("declared conflicts")
        ordering = ["-declared_at", "-id"]

    def __str__(self) -> str:
        return f"{self.inspector} ↔ {self.producer} ({self.get_kind_display()})"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class DrawCandidate(models.Model):
    """A producer in the frozen candidate list of a round, with the name shown to the public and its stratum."""

    SCOPE_REGION = "round__region"

    round = models.ForeignKey(
        DrawRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="candidates"
    )
    producer = models.ForeignKey(
        "registry.Producer",
        verbose_name=_("producer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="draw_candidacies",
    )
    producer_code = models.CharField(_("registry number"), max_length=20)
    name = models.CharField(_("public name"), max_length=128)
    stratum = models.CharField(_("stratum"), max_length=32, blank=True)
    stratum_label = models.CharField(_("stratum name"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["producer_code"]
        constraints = [
            models.UniqueConstraint(fields=["round", "producer_code"], name="draw_candidate_unique")
        ]

    def __str__(self) -> str:
        return f"{self.producer_code} {self.name}"


class DrawExclusion(models.Model):
    """A conflict frozen into a round with its candidates: this inspector may not be drawn for this object."""

    SCOPE_REGION = "round__region"

    round = models.ForeignKey(
        DrawRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="exclusions"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        on_delete=models.PROTECT,
        related_name="draw_exclusions",
    )
    producer_code = models.CharField(_("registry number"), max_length=20)
    kind = models.CharField(_("kind"), max_length=16, choices=ConflictKind.choices)
    source = models.CharField(_("source"), max_length=16, choices=ExclusionSource.choices)
    conflict = models.ForeignKey(
        InspectorConflict,
        verbose_name=_("declaration"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="exclusions",
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("exclusion")
        verbose_name_plural = _("exclusions")
        ordering = ["inspector_id", "producer_code", "kind"]

    def __str__(self) -> str:
        return f"{self.inspector_id} ✗ {self.producer_code}"


class DrawSelection(models.Model):
    """An object drawn in a round: its stratum and rank inside the stratum."""

    SCOPE_REGION = "round__region"

    round = models.ForeignKey(
        DrawRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="selections"
    )
    candidate = models.ForeignKey(
        DrawCandidate, verbose_name=_("candidate"), on_delete=models.PROTECT, related_name="selections"
    )
    producer = models.ForeignKey(
        "registry.Producer",
        verbose_name=_("producer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="draw_selections",
    )
    stratum = models.CharField(_("stratum"), max_length=32, blank=True)
    rank = models.PositiveIntegerField(_("rank in stratum"))
    position = models.PositiveIntegerField(_("position in the list"))

    class Meta:
        verbose_name = _("drawn object")
        verbose_name_plural = _("drawn objects")
        ordering = ["round_id", "position"]
        constraints = [models.UniqueConstraint(fields=["round", "candidate"], name="draw_selection_unique")]

    def __str__(self) -> str:
        return f"{self.round.code} #{self.position} {self.candidate.producer_code}"


class DrawAssignment(models.Model):
    """An inspector drawn for a selected object."""

    SCOPE_REGION = "selection__round__region"

    selection = models.ForeignKey(
        DrawSelection, verbose_name=_("drawn object"), on_delete=models.CASCADE, related_name="assignments"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        on_delete=models.PROTECT,
        related_name="draw_assignments",
    )
    position = models.PositiveSmallIntegerField(_("order"))

    class Meta:
        verbose_name = _("inspector assignment")
        verbose_name_plural = _("inspector assignments")
        ordering = ["selection_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["selection", "inspector"], name="draw_assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.selection} ← {self.inspector}"
