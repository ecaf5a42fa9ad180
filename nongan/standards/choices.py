"""Choices of the standards app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Verdict(models.TextChoices):
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")
    NOT_JUDGEABLE = "not_judgeable", _("Not judgeable")


class Rule(models.TextChoices):
    MRL_FOOD = "mrl_food", _("Limit for the food itself")
    MRL_GROUP = "mrl_group", _("Limit for the food group")
    BANNED = "banned", _("Banned substance")
    RESTRICTED_SCOPE = "restricted_scope", _("Banned on this crop")
    NO_LIMIT = "no_limit", _("No limit")
    NOT_DETECTED = "not_detected", _("Not detected")


class EditionKind(models.TextChoices):
    FULL = "full", _("Full edition")
    AMENDMENT = "amendment", _("Amendment")


class AnalyteKind(models.TextChoices):
    PESTICIDE = "pesticide", _("Pesticide")
    VET_DRUG = "vet_drug", _("Veterinary drug")
    PROHIBITED = "prohibited", _("Prohibited compound")


class ImportKind(models.TextChoices):
    EDITIONS = "editions", _("Editions of standards")
    MRL = "mrl", _("Maximum residue limits")
    BANNED = "banned", _("Banned substances")
    RESTRICTED = "restricted", _("Substances banned on some crops")
    ANALYTES = "analytes", _("Analytes (names, CAS, other names)")
