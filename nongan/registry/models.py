"""The registry of producers and operators (生产经营主体名录) and what hangs off them."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nongan.core.models import Region
from nongan.core.versions import Versioned
from nongan.core.workflow import WorkflowModel

from .choices import BaseKind, CategoryKind, CertificationKind, ProducerStatus, ProducerType, StaffKind, Tier

EXPIRY_WARNING_DAYS = 90


class ProductCategory(models.Model):
    """A node of the product classification tree: GB 2763 annex A for plant products
    (蔬菜 → 瓜类蔬菜 → 黄瓜), plus livestock, poultry, eggs, raw milk and aquatic products."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CategoryKind.choices)
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0)
    initials = models.CharField(_("pinyin initials"), max_length=32, blank=True)
    aliases = models.CharField(_("other names"), max_length=255, blank=True, help_text=_("Separated by ;"))
    excludes = models.CharField(
        _("excluded members"),
        max_length=255,
        blank=True,
        help_text=_("Members the group entry leaves out, by name; separated by ;"),
    )
    certificate_scope = models.BooleanField(
        _("in certificate scope"), default=True, help_text=_("Covered by the 承诺达标合格证 rule.")
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_leaf(self) -> bool:
        return not self.children.exists()


class Producer(Versioned, WorkflowModel):
    """A producer or operator: enterprise, cooperative, family farm, scale grower, household,
    buyer/collector, slaughterhouse or wholesale market."""

    SCOPE_REGION = "region"
    SCOPE_PRODUCER = "pk"
    # What the ledger hashes: the producer's status and key-target flag (each change is ledgered).
    LEDGER_FIELDS = ("status", "key_target", "key_target_reason")
    AUDIT_EXCLUDE = ("search_text", "name_initials", "updated")
    STATE_FIELD = "status"  # moved only by services.PRODUCER_WORKFLOW

    code = models.CharField(_("registry number"), max_length=20, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=128, db_index=True)
    name_initials = models.CharField(_("pinyin initials"), max_length=64, blank=True, editable=False)
    search_text = models.TextField(_("search text"), blank=True, editable=False)
    type = models.CharField(_("type"), max_length=24, choices=ProducerType.choices)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, null=True, blank=True, unique=True
    )
    legal_rep = models.CharField(_("legal representative / head"), max_length=64)
    id_number = models.CharField(_("ID number of the head"), max_length=18, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=11)
    region = models.ForeignKey(
        Region, verbose_name=_("village / township"), on_delete=models.PROTECT, related_name="producers"
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    is_scale = models.BooleanField(_("scale producer (规模主体)"), default=False, db_index=True)
    tier = models.CharField(
        _("supervision tier"), max_length=1, choices=Tier.choices, default=Tier.B, db_index=True
    )
    tier_reason = models.CharField(_("reason for the tier"), max_length=255, blank=True)
    key_target = models.BooleanField(_("key supervision target"), default=False, db_index=True)
    key_target_reason = models.CharField(_("why a key target"), max_length=255, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ProducerStatus.choices,
        default=ProducerStatus.ACTIVE,
        db_index=True,
    )
    status_reason = models.CharField(_("reason for the status"), max_length=255, blank=True)
    established = models.DateField(_("established"), null=True, blank=True)
    products = models.ManyToManyField(
        ProductCategory,
        verbose_name=_("products"),
        through="ProducerProduct",
        related_name="producers",
        blank=True,
    )
    notes = models.TextField(_("notes"), blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("producer")
        verbose_name_plural = _("producers")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["region", "code"], name="producer_region_code_idx"),
            models.Index(fields=["type", "code"], name="producer_type_code_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def township(self) -> Region | None:
        if self.region.level == "township":
            return self.region
        return self.region.parent

    @property
    def may_issue_certificates(self) -> bool:
        return self.status == ProducerStatus.ACTIVE


class ProducerAccount(models.Model):
    """The producer (or dealer) a producer or dealer account belongs to: the account sees that entity's data.

    Core reads it as ``user.producer`` / ``user.producer_id`` through the link the registry registers
    (``nongan.registry.accounts``)."""

    SCOPE_REGION = "producer__region"
    SCOPE_PRODUCER = "producer"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="producer_account",
    )
    producer = models.ForeignKey(
        Producer, verbose_name=_("producer"), on_delete=models.PROTECT, related_name="accounts"
    )

    class Meta:
        verbose_name = _("producer account")
        verbose_name_plural = _("producer accounts")

    def __str__(self) -> str:
        return f"{self.user} → {self.producer}"


class ProducerProduct(models.Model):
    """A product a producer grows, raises or handles, with its yearly output."""

    SCOPE_REGION = "producer__region"
    SCOPE_PRODUCER = "producer"

    producer = models.ForeignKey(
        Producer, verbose_name=_("producer"), on_delete=models.CASCADE, related_name="product_lines"
    )
    category = models.ForeignKey(
        ProductCategory, verbose_name=_("product"), on_delete=models.PROTECT, related_name="producer_lines"
    )
    annual_output = models.DecimalField(
        _("yearly output"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=16, default="吨", blank=True)

    class Meta:
        verbose_name = _("producer product")
        verbose_name_plural = _("producer products")
        constraints = [
            models.UniqueConstraint(fields=["producer", "category"], name="producer_product_unique")
        ]

    def __str__(self) -> str:
        return f"{self.producer} · {self.category}"


class Base(Versioned):
    """A production base of a producer: a field, greenhouse, orchard, farm or pond."""

    SCOPE_REGION = "producer__region"
    SCOPE_PRODUCER = "producer"

    producer = models.ForeignKey(
        Producer, verbose_name=_("producer"), on_delete=models.CASCADE, related_name="bases"
    )
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=BaseKind.choices, default=BaseKind.FIELD)
    region = models.ForeignKey(
        Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="bases"
    )
    address = models.CharField(_("location"), max_length=255, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    area = models.DecimalField(_("area (mu)"), max_digits=12, decimal_places=2, null=True, blank=True)
    capacity = models.PositiveIntegerField(_("head / stock capacity"), null=True, blank=True)
    products = models.ManyToManyField(
        ProductCategory, verbose_name=_("crops or animals"), related_name="bases", blank=True
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("production base")
        verbose_name_plural = _("production bases")
        ordering = ["producer_id", "name"]

    def __str__(self) -> str:
        return self.name


class Certification(Versioned):
    """A green-food, organic or geographical-indication certification (二品一标) of a producer."""

    SCOPE_REGION = "producer__region"
    SCOPE_PRODUCER = "producer"

    producer = models.ForeignKey(
        Producer, verbose_name=_("producer"), on_delete=models.CASCADE, related_name="certifications"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CertificationKind.choices)
    number = models.CharField(_("certification number"), max_length=64)
    product_name = models.CharField(_("product"), max_length=128)
    scope = models.CharField(_("scope"), max_length=255, blank=True)
    issuer = models.CharField(_("certifying body"), max_length=128, blank=True)
    issued_on = models.DateField(_("date of issue"))
    valid_until = models.DateField(_("valid until"))

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        ordering = ["valid_until"]
        constraints = [models.UniqueConstraint(fields=["kind", "number"], name="certification_number_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def days_left(self, today: dt.date | None = None) -> int:
        return (self.valid_until - (today or timezone.localdate())).days

    @property
    def is_expired(self) -> bool:
        return self.days_left() < 0

    @property
    def is_expiring(self) -> bool:
        return 0 <= self.days_left() <= EXPIRY_WARNING_DAYS


class Contact(Versioned):
    """A person to reach at a producer."""

    SCOPE_REGION = "producer__region"
    SCOPE_PRODUCER = "producer"

    producer = models.ForeignKey(
        Producer, verbose_name=_("producer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=64)
    title = models.CharField(_("position"), max_length=64, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=11)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    is_primary = models.BooleanField(_("main contact"), default=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name"]

    def __str__(self) -> str:
        return self.name


class StaffMember(Versioned):
    """A person of the supervision network: district staff, township station staff, village coordinators.
    Later capabilities use these records for training hours and grid assignments."""

    SCOPE_REGION = "region"
    AUDIT_EXCLUDE = ("updated",)

    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=StaffKind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="staff"
    )
    position = models.CharField(_("position"), max_length=64, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=11)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    full_time = models.BooleanField(_("full-time"), default=True)
    active = models.BooleanField(_("in post"), default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff_record",
    )
    is_demo = models.BooleanField(_("demo data"), default=False)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["region__path", "kind", "name"]

    def __str__(self) -> str:
        return self.name
