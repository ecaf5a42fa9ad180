"""Residue standards: editions of GB 2763 / GB 31650, analytes, maximum residue limits, banned and
restricted-scope substances, and the mapping of scope names to the product tree.

Nothing here is ever typed over: a new edition is a new row, and a limit belongs to exactly one edition.
The standards are national reference data, the same for every jurisdiction, so these models declare no
scope: every signed-in account may read them (see ``selectors``); only administrators change them.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nongan.core.versions import Versioned

from .choices import (
    AnalyteKind,
    EditionKind,
    LimitBasis,
    LimitType,
    Species,
    Tissue,
    Verification,
    scope_label,
)
from .inforce import EDITION_FIELDS, EditionInfo, active_editions


class Edition(models.Model):
    """One edition or amendment of a standard (e.g. GB 2763-2021, GB 2763.1-2022).

    ``family`` groups the editions of one standard ("GB 2763"). On a given date the limits in force are
    those of the latest full edition in force, with the amendments to it that are in force laid on top.
    """

    # What the ledger hashes once a change of the edition is ledgered (marking it loaded in part or complete).
    LEDGER_FIELDS = ("code", "family", "kind", "in_force", "partial")

    code = models.CharField(_("standard"), max_length=64, unique=True, help_text=_("e.g. GB 2763-2021"))
    family = models.CharField(_("standard family"), max_length=32, db_index=True, help_text=_("e.g. GB 2763"))
    kind = models.CharField(_("kind"), max_length=16, choices=EditionKind.choices)
    kind_text = models.CharField(_("kind as published"), max_length=255, blank=True)
    amends = models.ForeignKey(
        "self",
        verbose_name=_("amends"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="amendments",
    )
    supersedes_text = models.CharField(_("supersedes"), max_length=255, blank=True)
    supersedes = models.ManyToManyField(
        "self",
        verbose_name=_("superseded editions"),
        symmetrical=False,
        blank=True,
        related_name="superseded_by",
    )
    issued = models.DateField(_("issued"), null=True, blank=True)
    in_force = models.DateField(_("in force from"))
    scope = models.CharField(_("scope"), max_length=255, blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)
    partial = models.BooleanField(
        _("loaded in part"),
        default=False,
        help_text=_(
            "Only part of the edition is loaded (an excerpt): a pair it does not hold is “limit not loaded”, "
            "never “no limit”."
        ),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="standard_editions",
    )

    class Meta:
        verbose_name = _("edition of a standard")
        verbose_name_plural = _("editions of standards")
        ordering = ["family", "in_force", "code"]

    def __str__(self) -> str:
        return self.code

    @property
    def base_edition(self) -> "Edition":
        return self.amends if self.kind == EditionKind.AMENDMENT and self.amends_id else self

    def is_in_force(self, on_date: dt.date | None = None) -> bool:
        """In force on the date as (part of) the standard (the rule in ``inforce``, as the engine applies it)."""
        editions = [EditionInfo(*row) for row in Edition.objects.values_list(*EDITION_FIELDS)]
        active = active_editions(editions, on_date or timezone.localdate())
        return self.pk in active.get(self.family, ())


class Analyte(Versioned):
    """A substance that is tested for: a pesticide, a veterinary drug or a prohibited compound."""

    name_zh = models.CharField(_("Chinese name"), max_length=64, unique=True)
    name_en = models.CharField(_("English name"), max_length=128, blank=True)
    cas = models.CharField(_("CAS number"), max_length=32, blank=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=AnalyteKind.choices, default=AnalyteKind.PESTICIDE
    )
    aliases = models.CharField(_("other names"), max_length=255, blank=True, help_text=_("Separated by ;"))
    marker_of = models.ForeignKey(
        "self",
        verbose_name=_("marker residue of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="markers",
        help_text=_("The drug this substance is the marker residue of (AOZ of 呋喃唑酮)."),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("analyte")
        verbose_name_plural = _("analytes")
        ordering = ["name_zh"]

    def __str__(self) -> str:
        return self.name_zh

    @property
    def alias_list(self) -> list[str]:
        return [a.strip() for a in self.aliases.replace("；", ";").split(";") if a.strip()]


class MaxResidueLimit(models.Model):
    """A maximum residue limit of one analyte in one food or food group, in mg/kg, from one edition."""

    edition = models.ForeignKey(
        Edition, verbose_name=_("edition"), on_delete=models.PROTECT, related_name="limits"
    )
    analyte = models.ForeignKey(
        Analyte, verbose_name=_("analyte"), on_delete=models.PROTECT, related_name="limits"
    )
    food = models.ForeignKey(
        "registry.ProductCategory",
        verbose_name=_("food or food group"),
        on_delete=models.PROTECT,
        related_name="residue_limits",
    )
    food_text = models.CharField(_("food as written"), max_length=128, blank=True)
    excludes = models.CharField(
        _("excluded foods"),
        max_length=255,
        blank=True,
        help_text=_("Members of the group this entry leaves out; separated by ;"),
    )
    limit_mg_kg = models.DecimalField(_("limit (mg/kg)"), max_digits=12, decimal_places=6)
    temporary = models.BooleanField(_("temporary limit (*)"), default=False)
    limit_type = models.CharField(
        _("type of limit"), max_length=8, choices=LimitType.choices, default=LimitType.MRL
    )
    basis = models.CharField(_("basis"), max_length=16, choices=LimitBasis.choices, blank=True)
    clause = models.CharField(_("clause"), max_length=16, blank=True)
    table_no = models.CharField(_("table"), max_length=16, blank=True)
    residue_definition = models.TextField(_("residue definition"), blank=True)
    source_file = models.CharField(_("source file"), max_length=128, blank=True)
    source_row = models.PositiveIntegerField(_("source row"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("maximum residue limit")
        verbose_name_plural = _("maximum residue limits")
        ordering = ["analyte__name_zh", "food__path", "edition__in_force"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "analyte", "food", "basis"], name="mrl_unique_per_edition_basis"
            )
        ]

    def __str__(self) -> str:
        return f"{self.analyte} · {self.food} · {self.limit_mg_kg} mg/kg ({self.edition})"

    @property
    def source_label(self) -> str:
        """ "gb2763_2026_excerpt.csv row 123, 4.125 表 125" (what a judgement cites)."""
        parts = []
        if self.source_file:
            parts.append(f"{self.source_file}:{self.source_row}" if self.source_row else self.source_file)
        if self.clause or self.table_no:
            parts.append(" ".join(p for p in (self.clause, self.table_no) if p))
        return ", ".join(parts)


class VetDrugLimit(models.Model):
    """A maximum residue limit of a veterinary drug (GB 31650) in one tissue of one animal species or group, from
    one edition: stored in mg/kg, with the value and unit as published (μg/kg). ``components`` names the analytes
    whose sum the residue definition is (恩诺沙星 = 恩诺沙星;环丙沙星), empty for a single substance."""

    edition = models.ForeignKey(
        Edition, verbose_name=_("edition"), on_delete=models.PROTECT, related_name="vet_limits"
    )
    analyte = models.ForeignKey(
        Analyte, verbose_name=_("drug"), on_delete=models.PROTECT, related_name="vet_limits"
    )
    marker = models.CharField(_("marker residue as published"), max_length=255, blank=True)
    components = models.CharField(
        _("residue defined as the sum of"), max_length=255, blank=True, help_text=_("Separated by ;")
    )
    species = models.CharField(_("animal species"), max_length=16, choices=Species.choices)
    tissue = models.CharField(_("target tissue"), max_length=16, choices=Tissue.choices)
    limit_mg_kg = models.DecimalField(_("limit (mg/kg)"), max_digits=12, decimal_places=6)
    limit_published = models.DecimalField(_("limit as published"), max_digits=14, decimal_places=6)
    unit_published = models.CharField(_("unit as published"), max_length=16, default="μg/kg")
    basis = models.CharField(_("basis"), max_length=16, choices=LimitBasis.choices, blank=True)
    species_text = models.CharField(_("species as written"), max_length=128, blank=True)
    source_file = models.CharField(_("source file"), max_length=128, blank=True)
    source_row = models.PositiveIntegerField(_("source row"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("veterinary drug limit")
        verbose_name_plural = _("veterinary drug limits")
        ordering = ["analyte__name_zh", "species", "tissue", "edition__in_force"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "analyte", "species", "tissue"], name="vet_limit_unique_per_edition"
            )
        ]

    def __str__(self) -> str:
        return f"{self.analyte} · {self.get_species_display()} {self.get_tissue_display()} · {self.limit_published} {self.unit_published} ({self.edition})"

    @property
    def component_list(self) -> list[str]:
        return [c.strip() for c in self.components.replace("；", ";").split(";") if c.strip()]


class BannedSubstance(models.Model):
    """A substance banned from sale and use (禁用农药) or prohibited in food animals: any confirmed
    detection fails, whatever the limit table says."""

    analyte = models.ForeignKey(
        Analyte, verbose_name=_("analyte"), on_delete=models.PROTECT, related_name="bans"
    )
    ban_scope = models.CharField(
        _("scope of the ban"), max_length=255, blank=True
    )  # shown as ban_scope_label
    announcement = models.CharField(_("announcement"), max_length=128, blank=True)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    effective_text = models.CharField(
        _("date as written"), max_length=128, blank=True, help_text=_("A date the source gives only as text.")
    )
    verification = models.CharField(
        _("verification"), max_length=16, choices=Verification.choices, blank=True
    )
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("supersedes"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    source = models.CharField(_("source"), max_length=500, blank=True)
    source_row = models.CharField(_("source row"), max_length=128, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("banned substance")
        verbose_name_plural = _("banned substances")
        ordering = ["announcement", "id"]
        constraints = [models.UniqueConstraint(fields=["analyte", "announcement"], name="banned_unique")]

    def __str__(self) -> str:
        return f"{self.analyte} ({self.announcement})" if self.announcement else str(self.analyte)

    @property
    def ban_scope_label(self) -> str:
        return scope_label(self.ban_scope)


class RestrictedUse(models.Model):
    """A pesticide banned on some crops (e.g. 克百威 on 蔬菜;果树;茶叶;中草药材): a detection on a food in the
    banned scope fails."""

    analyte = models.ForeignKey(
        Analyte, verbose_name=_("analyte"), on_delete=models.PROTECT, related_name="restrictions"
    )
    banned_on = models.CharField(
        _("banned on"), max_length=255, help_text=_("Crops or groups as published, separated by ;")
    )
    announcement = models.CharField(_("announcement"), max_length=128, blank=True)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    effective_text = models.CharField(
        _("date as written"), max_length=128, blank=True, help_text=_("A date the source gives only as text.")
    )
    verification = models.CharField(
        _("verification"), max_length=16, choices=Verification.choices, blank=True
    )
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("supersedes"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    source = models.CharField(_("source"), max_length=500, blank=True)
    source_row = models.CharField(_("source row"), max_length=128, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("restricted-scope substance")
        verbose_name_plural = _("restricted-scope substances")
        ordering = ["announcement", "id"]
        constraints = [models.UniqueConstraint(fields=["analyte", "announcement"], name="restricted_unique")]

    def __str__(self) -> str:
        return f"{self.analyte}: {self.banned_on}"

    @property
    def scope_names(self) -> list[str]:
        return [s.strip() for s in self.banned_on.replace("；", ";").split(";") if s.strip()]


class ScopeMapping(models.Model):
    """A scope name of the restricted list that is not one node of the product tree (十字花科蔬菜), mapped
    to the nodes it covers (芸薹属类蔬菜 + 大白菜 + 普通白菜 + 萝卜)."""

    name = models.CharField(_("scope name"), max_length=255, unique=True)
    categories = models.ManyToManyField(
        "registry.ProductCategory", verbose_name=_("covered foods and groups"), related_name="scope_mappings"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("scope mapping")
        verbose_name_plural = _("scope mappings")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def name_label(self) -> str:
        return scope_label(self.name)


class StandardsRevision(models.Model):
    """A token changed by every write to the standards, so each process knows when to rebuild its
    in-memory judgement index."""

    token = models.CharField(_("token"), max_length=32)
    changed = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("standards revision")
        verbose_name_plural = _("standards revisions")

    def __str__(self) -> str:
        return self.token
