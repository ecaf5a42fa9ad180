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
    EMRL_FOOD = "emrl_food", _("Extraneous limit (EMRL) for the food itself")
    EMRL_GROUP = "emrl_group", _("Extraneous limit (EMRL) for the food group")
    LIMIT_NOT_LOADED = "limit_not_loaded", _("Limit not loaded")
    NO_EDITION = "no_edition", _("No edition loaded for the date")
    METHOD_UNFIT = "method_unfit", _("Method not fit for purpose")
    FAT_CONTENT_NEEDED = "fat_needed", _("Fat content needed")


class Coverage(models.TextChoices):
    """Whether a (food, analyte) pair can be judged on a date, before any sample is taken."""

    LIMIT = "limit", _("Limit in force")
    TEMPORARY = "temporary", _("Temporary limit only (*)")
    BANNED = "banned", _("No limit; banned for this use (any detection fails)")
    NOT_LOADED = "not_loaded", _("Limit not loaded (edition loaded in part)")
    NONE = "none", _("No limit")
    UNKNOWN = "unknown", _("Analyte or food unknown to the standards")


COVERED = (Coverage.LIMIT, Coverage.TEMPORARY, Coverage.BANNED)


class Policy(models.TextChoices):
    """How a banned substance detected below its limit is judged."""

    MRL = "mrl", _("Judged against the limit; a detection is flagged")
    STRICT = "strict", _("Any detection of a banned substance fails")


class Flag(models.TextChoices):
    BANNED_DETECTED = "banned_detected", _("Banned substance detected (违禁检出)")
    BASIS_UNVERIFIED = "basis_unverified", _("The ban's basis is unverified")


class LimitType(models.TextChoices):
    MRL = "mrl", _("Maximum residue limit (MRL)")
    EMRL = "emrl", _("Extraneous maximum residue limit (EMRL, 再残留限量)")


class LimitBasis(models.TextChoices):
    AS_IS = "as_is", _("As is (以原样计)")
    FAT = "fat", _("Fat basis (以脂肪计)")
    FAT_BELOW_10 = "fat_lt10", _("Fat content below 10% (as is)")
    FAT_10_UP = "fat_ge10", _("Fat content 10% and above (fat basis)")


class Verification(models.TextChoices):
    SECONDARY = "secondary", _("Checked against a secondary source")
    UNVERIFIED = "unverified", _("Not verified")


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


# Scopes written in English in the shipped lists (banned_pesticides.csv, restricted_scope_pesticides.csv) and in
# files imported from the same sources: stored as written (the restricted list's scope names are keys of the scope
# mappings), shown in the page's language.
SHIPPED_SCOPES = {
    "all uses": _("all uses"),
    "agricultural use": _("agricultural use"),
    "agricultural use (special exemption to 2019-03-26)": _(
        "agricultural use (special exemption to 2019-03-26)"
    ),
    "all uses (single-agent products first; mixtures from 2017-07-01)": _(
        "all uses (single-agent products first; mixtures from 2017-07-01)"
    ),
    "aqueous solutions (水剂) from 2016-07-01": _("aqueous solutions (水剂) from 2016-07-01"),
    "all crops except sanitary use and seed coating of some dry-field crops such as maize": _(
        "all crops except sanitary use and seed coating of some dry-field crops such as maize"
    ),
}


def scope_label(text: str) -> str:
    """A stored scope (of a ban, of a restricted use, a scope mapping's name) as shown: a shipped English scope in
    the page's language, any other as it is written."""
    label = SHIPPED_SCOPES.get((text or "").strip())
    return str(label) if label is not None else text
