"""Production records, 承诺达标合格证 with signed QR codes, scans, collections (lineage) and market checks."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nongan.core.models import Region
from nongan.core.versions import Versioned
from nongan.core.workflow import WorkflowModel

from .choices import (
    Basis,
    BatchStatus,
    CertificateEventKind,
    CertificateStatus,
    CheckResult,
    HarvestKind,
    InputKind,
    PromiseForm,
    ProposalStatus,
    ScanResult,
    SignatureCheck,
)


class SigningKey(models.Model):
    """An Ed25519 key of the district that signs certificate QR payloads.

    The private key is sealed (AES-256-GCM) with the installation's key-encryption key, which is never in
    the database (``keystore.py``). One key is active; retired keys stay published so old certificates still
    verify. A token is genuine only when its certificate was signed inside the key's window
    (``valid_from`` … ``valid_until``, set at rotation) and before the key's ``compromised_at``.
    """

    kid = models.CharField(_("key id"), max_length=16, unique=True)
    public_key = models.CharField(_("public key (base64url)"), max_length=64)
    private_key_encrypted = models.TextField(_("private key (sealed)"))
    active = models.BooleanField(_("active"), default=False, db_index=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    compromised_at = models.DateTimeField(_("compromised at"), null=True, blank=True)
    compromise_reason = models.CharField(_("reason (compromise)"), max_length=255, blank=True)

    AUDIT_EXCLUDE = ("private_key_encrypted",)
    # What the ledger hashes (rotation and compromise are ledgered with the keys they change).
    LEDGER_FIELDS = (
        "kid",
        "public_key",
        "active",
        "valid_from",
        "valid_until",
        "compromised_at",
        "compromise_reason",
    )

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.kid

    @property
    def state(self) -> str:
        """compromised, active or retired (as published in /v/keys.json)."""
        if self.compromised_at is not None:
            return "compromised"
        return "active" if self.active else "retired"


class ProductionBatch(WorkflowModel):
    """A planting or breeding batch (生产批次) of one product on a plot or pen: the unit a certificate covers."""

    SCOPE_REGION = "producer__region"
    SCOPE_PRODUCER = "producer"
    STATE_FIELD = "status"  # moved only by services.BATCH_WORKFLOW

    code = models.CharField(_("batch number"), max_length=32, unique=True)
    producer = models.ForeignKey(
        "registry.Producer", verbose_name=_("producer"), on_delete=models.PROTECT, related_name="batches"
    )
    product = models.ForeignKey(
        "registry.ProductCategory",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="batches",
    )
    base = models.ForeignKey(
        "registry.Base",
        verbose_name=_("base"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="batches",
    )
    plot = models.CharField(_("plot / greenhouse / pen"), max_length=64, blank=True)
    origin = models.ForeignKey(
        Region, verbose_name=_("origin (village)"), on_delete=models.PROTECT, related_name="batches"
    )
    started = models.DateField(_("planted / stocked on"))
    expected_quantity = models.DecimalField(
        _("expected quantity"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=8, default="kg")
    status = models.CharField(
        _("status"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.GROWING
    )
    notes = models.TextField(_("notes"), blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recorded_batches",
    )
    created = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("production batch")
        verbose_name_plural = _("production batches")
        ordering = ["-started", "-id"]

    def __str__(self) -> str:
        return f"{self.code} {self.product}"


class InputUse(Versioned):
    """One use of an agricultural input on a batch: pesticide, veterinary drug, fertilizer or feed.

    ``recorded_at`` is set by the platform; an entry whose use date lies more than a few days before
    it must carry a reason (no silent back-dating). Changes are audited with a reason.
    """

    SCOPE_REGION = "batch__producer__region"
    SCOPE_PRODUCER = "batch__producer"

    batch = models.ForeignKey(
        ProductionBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="inputs"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=InputKind.choices)
    product_name = models.CharField(_("input product"), max_length=128)
    active_ingredient = models.CharField(_("active ingredient"), max_length=128, blank=True)
    source = models.CharField(_("bought from"), max_length=128, blank=True)
    dose = models.DecimalField(_("dose"), max_digits=12, decimal_places=3, null=True, blank=True)
    dose_unit = models.CharField(_("dose unit"), max_length=16, blank=True)
    used_on = models.DateField(_("used on"))
    plot = models.CharField(_("plot / pen"), max_length=64, blank=True)
    interval_days = models.PositiveSmallIntegerField(
        _("pre-harvest interval / withdrawal period (days)"), default=0
    )
    purpose = models.CharField(_("purpose (pest, disease)"), max_length=128, blank=True)
    late_reason = models.CharField(_("reason for late entry"), max_length=255, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recorded_inputs",
    )

    class Meta:
        verbose_name = _("input use")
        verbose_name_plural = _("input uses")
        ordering = ["-used_on", "-id"]

    def __str__(self) -> str:
        return f"{self.product_name} {self.used_on}"


class HarvestEvent(models.Model):
    """A harvest, slaughter or catch of (part of) a batch."""

    SCOPE_REGION = "batch__producer__region"
    SCOPE_PRODUCER = "batch__producer"

    batch = models.ForeignKey(
        ProductionBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="harvests"
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=HarvestKind.choices, default=HarvestKind.HARVEST
    )
    date = models.DateField(_("date"))
    quantity = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=8)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recorded_harvests",
    )

    class Meta:
        verbose_name = _("harvest")
        verbose_name_plural = _("harvests")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"


class Certificate(WorkflowModel):
    """A 承诺达标合格证: one per production batch (or per package/vehicle), or re-issued by a buyer
    from collected certificates (its ``parents``). Its number is the trace code (证码合一)."""

    SCOPE_REGION = "producer__region"
    SCOPE_PRODUCER = "producer"
    # What the ledger hashes (nongan.core.ledger): the promise as issued and what has since been said of it.
    LEDGER_FIELDS = (
        "number",
        "producer",
        "batch",
        "product_name",
        "quantity",
        "unit",
        "origin",
        "issued_at",
        "promiser",
        "promise_text",
        "basis",
        "basis_sample",
        "basis_rapid_test",
        "kid",
        "token",
        "status",
        "revoked_at",
        "contradicted_by",
    )
    STATE_FIELD = "status"  # moved only by services.CERTIFICATE_WORKFLOW

    # The counterfeit review joins the content once there is one (certificates never reviewed keep the digest
    # they were issued with).
    LEDGER_FIELDS_ONCE_SET = {
        "suspicion_reviewed_at": ("suspicious", "suspicious_reason", "suspicion_reviewed_by"),
    }

    number = models.CharField(_("certificate no."), max_length=17, unique=True)
    producer = models.ForeignKey(
        "registry.Producer", verbose_name=_("issuer"), on_delete=models.PROTECT, related_name="certificates"
    )
    batch = models.ForeignKey(
        ProductionBatch,
        verbose_name=_("batch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    product = models.ForeignKey(
        "registry.ProductCategory",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    product_name = models.CharField(_("product name"), max_length=64)
    quantity = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=8)
    origin = models.ForeignKey(
        Region, verbose_name=_("origin"), on_delete=models.PROTECT, related_name="certificates"
    )
    issued_at = models.DateTimeField(_("issued at"), db_index=True)
    promiser = models.CharField(_("promising party"), max_length=128)
    contact = models.CharField(_("contact phone"), max_length=32)
    promise_form = models.CharField(_("promise form"), max_length=16, choices=PromiseForm.choices)
    promise_text = models.CharField(_("promise"), max_length=255)
    basis = models.CharField(_("basis of the promise"), max_length=16, choices=Basis.choices)
    test_record = models.CharField(_("test record"), max_length=255, blank=True)
    basis_sample = models.ForeignKey(
        "monitoring.Sample",
        verbose_name=_("basis sample"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="basis_certificates",
    )
    basis_rapid_test = models.ForeignKey(
        "monitoring.RapidTest",
        verbose_name=_("basis rapid test"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="basis_certificates",
    )
    loss_quantity = models.DecimalField(
        _("declared loss"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    kid = models.CharField(_("signing key"), max_length=16)
    token = models.CharField(_("signed QR token"), max_length=600)
    # When the platform signed the token (server clock; ``issued_at`` may be the date the producer gives): what
    # the signing key's window and compromise are checked against.
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now, db_default=Now(), editable=False)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=CertificateStatus.choices,
        default=CertificateStatus.VALID,
        db_index=True,
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.CharField(_("reason for revocation"), max_length=255, blank=True)
    contradicted_by = models.CharField(
        _("contradicted by sample"), max_length=64, blank=True, help_text=_("承诺与抽检结果不符")
    )
    collected_quantity = models.DecimalField(
        _("quantity collected by buyers"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    print_count = models.PositiveIntegerField(_("times printed"), default=0)
    scan_count = models.PositiveIntegerField(_("times scanned"), default=0)
    # Set only by staff who reviewed the scan signals (services.certificate_suspicion_review), never by a scan.
    suspicious = models.BooleanField(_("counterfeit confirmed"), default=False, db_index=True)
    suspicious_reason = models.CharField(_("why confirmed"), max_length=255, blank=True)
    suspicion_reviewed_at = models.DateTimeField(_("signals reviewed at"), null=True, blank=True)
    suspicion_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signals reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_demo = models.BooleanField(_("demo data"), default=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="issued_certificates",
    )

    AUDIT_EXCLUDE = ("token", "scan_count", "print_count")

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["producer", "-issued_at"], name="cert_producer_issued_idx")]

    def __str__(self) -> str:
        return self.number

    def grower_origins(self) -> list:
        """Where the product was grown: the origin of each parent certificate of a buyer's re-issue (in code
        order), else the certificate's own origin."""
        if self.promise_form == "buyer":
            regions = list(
                Region.objects.filter(pk__in=self.inputs.values("parent__origin")).order_by("code")
            )
            if regions:
                return regions
        return [self.origin]

    @property
    def basis_record_label(self) -> str:
        """The linked test record, without personal data (safe for the public page)."""
        if self.basis_sample_id:
            s = self.basis_sample
            return _("Sample %(code)s %(verdict)s") % {"code": s.code, "verdict": s.get_verdict_display()}
        if self.basis_rapid_test_id:
            r = self.basis_rapid_test
            return _("Rapid test no. %(id)s of %(date)s %(outcome)s") % {
                "id": r.pk,
                "date": timezone.localtime(r.tested_at).date().isoformat(),
                "outcome": r.get_outcome_display(),
            }
        return ""

    @property
    def is_valid(self) -> bool:
        return self.status == CertificateStatus.VALID

    @property
    def remaining_quantity(self) -> Decimal:
        return self.quantity - self.collected_quantity


class CertificateEvent(models.Model):
    """A state change or notable event of a certificate: issued, printed, revoked, contradicted."""

    SCOPE_REGION = "certificate__producer__region"
    SCOPE_PRODUCER = "certificate__producer"

    certificate = models.ForeignKey(
        Certificate, verbose_name=_("certificate"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=32)
    from_status = models.CharField(_("from status"), max_length=16, blank=True)
    to_status = models.CharField(_("to status"), max_length=16, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certificate_events",
    )
    time = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("certificate event")
        verbose_name_plural = _("certificate events")
        ordering = ["time", "id"]

    def __str__(self) -> str:
        return f"{self.certificate_id} {self.kind}"

    @property
    def kind_label(self) -> str:
        """What happened, as a reader names it (``CertificateEventKind``; an unknown kind as it is stored)."""
        labels = dict(CertificateEventKind.choices)
        return str(labels.get(self.kind, self.kind))


class Scan(models.Model):
    """One public scan of a certificate QR (or a typed number) on /v/<code>."""

    SCOPE_REGION = "certificate__producer__region"
    SCOPE_PRODUCER = "certificate__producer"

    certificate = models.ForeignKey(
        Certificate,
        verbose_name=_("certificate"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="scans",
    )
    number = models.CharField(_("number scanned"), max_length=40)
    time = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    result = models.CharField(_("result"), max_length=16, choices=ScanResult.choices)
    # Why the QR's signature failed (a result of bad_signature): staff see it; the public page does not say.
    signature = models.CharField(
        _("signature check"), max_length=16, choices=SignatureCheck.choices, blank=True, default=""
    )
    # Where: a township chosen from the installation's fixed list (shown publicly by its name), and/or the
    # browser's location rounded to 0.01° (about 1 km; for staff only). Never free text.
    region = models.ForeignKey(
        Region, verbose_name=_("township"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    latitude = models.DecimalField(
        _("latitude (coarse)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude (coarse)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    # A keyed hash of the client's address (not reversible without the server's secret): counts distinct clients.
    client = models.CharField(_("client (hashed)"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("scan")
        verbose_name_plural = _("scans")
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["certificate", "-time"], name="cert_scan_recent_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.time:%Y-%m-%d %H:%M}"


class Collection(models.Model):
    """A certificate collected by a buyer, collector or wholesale market with a lot it bought
    (EPCIS object event: receiving). ``used_quantity`` is what later re-issued certificates drew from it."""

    SCOPE_REGION = "collector__region"
    SCOPE_PRODUCER = "collector"
    LEDGER_FIELDS = ("collector", "certificate", "lot", "quantity", "unit", "collected_at", "recorded_by")

    collector = models.ForeignKey(
        "registry.Producer", verbose_name=_("collector"), on_delete=models.PROTECT, related_name="collections"
    )
    certificate = models.ForeignKey(
        Certificate, verbose_name=_("certificate"), on_delete=models.PROTECT, related_name="collections"
    )
    lot = models.CharField(_("purchase lot"), max_length=64)
    quantity = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=8)
    used_quantity = models.DecimalField(
        _("used in re-issued certificates"), max_digits=14, decimal_places=2, default=0
    )
    collected_at = models.DateTimeField(_("collected at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recorded_collections",
    )
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("collection")
        verbose_name_plural = _("collections")
        ordering = ["-collected_at", "-id"]

    def __str__(self) -> str:
        return f"{self.lot} ← {self.certificate_id}"

    @property
    def remaining_quantity(self) -> Decimal:
        return self.quantity - self.used_quantity


class Lineage(models.Model):
    """A re-issued certificate drawing a quantity from a collection (EPCIS aggregation / transformation)."""

    SCOPE_REGION = "child__producer__region"
    SCOPE_PRODUCER = "child__producer"

    child = models.ForeignKey(
        Certificate, verbose_name=_("re-issued certificate"), on_delete=models.CASCADE, related_name="inputs"
    )
    collection = models.ForeignKey(
        Collection, verbose_name=_("collection"), on_delete=models.PROTECT, related_name="outputs"
    )
    parent = models.ForeignKey(
        Certificate,
        verbose_name=_("parent certificate"),
        on_delete=models.PROTECT,
        related_name="children_links",
    )
    quantity = models.DecimalField(_("quantity drawn"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("lineage link")
        verbose_name_plural = _("lineage links")
        constraints = [models.UniqueConstraint(fields=["child", "collection"], name="cert_lineage_unique")]

    def __str__(self) -> str:
        return f"{self.parent_id} → {self.child_id}"


class MarketCheck(models.Model):
    """A market checker's record of an incoming lot and its certificate (查验), valid or not."""

    SCOPE_REGION = "region"
    SCOPE_PRODUCER = "seller"
    LEDGER_FIELDS = (
        "region",
        "market",
        "checked_at",
        "product_name",
        "quantity",
        "unit",
        "number_entered",
        "certificate",
        "seller",
        "seller_name",
        "result",
        "note",
        "checker",
    )

    region = models.ForeignKey(
        Region, verbose_name=_("market location"), on_delete=models.PROTECT, related_name="market_checks"
    )
    market = models.CharField(_("market"), max_length=128)
    checked_at = models.DateTimeField(_("checked at"), db_index=True)
    product_name = models.CharField(_("product"), max_length=64)
    quantity = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=8, blank=True)
    number_entered = models.CharField(_("certificate number given"), max_length=40, blank=True)
    certificate = models.ForeignKey(
        Certificate,
        verbose_name=_("certificate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="market_checks",
    )
    seller = models.ForeignKey(
        "registry.Producer",
        verbose_name=_("seller"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="market_checks",
    )
    seller_name = models.CharField(_("seller (as stated)"), max_length=128, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=CheckResult.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checker"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="market_checks",
    )
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("market check")
        verbose_name_plural = _("market checks")
        ordering = ["-checked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.market} {self.product_name} {self.get_result_display()}"


class KeyTargetProposal(WorkflowModel):
    """A failed market check's proposal to make the seller a key supervision target (tier C). It changes
    nothing until a supervisor of the producer's own jurisdiction accepts it (``KEY_TARGET_WORKFLOW``)."""

    SCOPE_REGION = "producer__region"
    STATE_FIELD = "status"  # moved only by services.KEY_TARGET_WORKFLOW
    LEDGER_FIELDS = (
        "market_check",
        "producer",
        "reason",
        "status",
        "decided_by",
        "decided_at",
        "decision_reason",
    )

    market_check = models.OneToOneField(
        MarketCheck, verbose_name=_("market check"), on_delete=models.PROTECT, related_name="proposal"
    )
    producer = models.ForeignKey(
        "registry.Producer",
        verbose_name=_("producer"),
        on_delete=models.PROTECT,
        related_name="key_target_proposals",
    )
    reason = models.CharField(_("reason"), max_length=255)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ProposalStatus.choices,
        default=ProposalStatus.PROPOSED,
        db_index=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("reason for rejection"), max_length=255, blank=True)
    created = models.DateTimeField(_("proposed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("key-target proposal")
        verbose_name_plural = _("key-target proposals")
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.producer} ← {self.market_check}"
