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
    VET_SPECIES = "vet_species", _("Veterinary drug limit for the species")
    VET_GROUP = "vet_group", _("Veterinary drug limit for the animal group")
    PROHIBITED = "prohibited", _("Prohibited in food animals (不得检出)")
    SUM_COMPONENT = "sum_component", _("Part of a residue defined as a sum")


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
    OFFICIAL = "official", _("Official limit table (as the standard prints it)")
    BANNED = "banned", _("Banned substances")
    RESTRICTED = "restricted", _("Substances banned on some crops")
    ANALYTES = "analytes", _("Analytes (names, CAS, other names)")
    VET = "vet", _("Veterinary drug limits (GB 31650)")


class Species(models.TextChoices):
    """Animal species (or group) of a veterinary drug limit or of a sample of animal origin."""

    ALL = "all", _("All food-producing animals")
    CATTLE = "cattle", _("Cattle")
    SHEEP = "sheep", _("Sheep and goats")
    RUMINANT = "ruminant", _("Ruminants")
    PIG = "pig", _("Pigs")
    POULTRY = "poultry", _("Poultry (chickens etc.)")
    CHICKEN = "chicken", _("Chickens")
    DUCK = "duck", _("Ducks")
    RABBIT = "rabbit", _("Rabbits")
    FISH = "fish", _("Fish")
    SHRIMP = "shrimp", _("Shrimps")


class Tissue(models.TextChoices):
    """Target tissue of a veterinary drug limit (GB 31650 靶组织) or of a sample."""

    MUSCLE = "muscle", _("Muscle")
    FAT = "fat", _("Fat")
    LIVER = "liver", _("Liver")
    KIDNEY = "kidney", _("Kidney")
    SKIN_FAT = "skin_fat", _("Skin and fat")
    MILK = "milk", _("Milk")
    EGGS = "eggs", _("Eggs")
    SKIN_MUSCLE = "skin_muscle", _("Skin and muscle (fish)")


# The groups a species belongs to, nearest first: a limit for 家禽 holds for 鸡, one for 所有食品动物 for all.
SPECIES_PARENTS: dict[str, tuple[str, ...]] = {
    Species.ALL: (),
    Species.CATTLE: (Species.RUMINANT, Species.ALL),
    Species.SHEEP: (Species.RUMINANT, Species.ALL),
    Species.RUMINANT: (Species.ALL,),
    Species.PIG: (Species.ALL,),
    Species.POULTRY: (Species.ALL,),
    Species.CHICKEN: (Species.POULTRY, Species.ALL),
    Species.DUCK: (Species.POULTRY, Species.ALL),
    Species.RABBIT: (Species.ALL,),
    Species.FISH: (Species.ALL,),
    Species.SHRIMP: (Species.ALL,),
}
_MAMMAL = (Tissue.MUSCLE, Tissue.FAT, Tissue.LIVER, Tissue.KIDNEY)
_BIRD = (*_MAMMAL, Tissue.SKIN_FAT, Tissue.EGGS)
# The tissues a species (or group) has: 奶 of ruminants, 蛋 of poultry, 皮+肉 of fish, 皮+脂 of pigs and poultry.
SPECIES_TISSUES: dict[str, tuple[str, ...]] = {
    Species.ALL: tuple(Tissue.values),
    Species.CATTLE: (*_MAMMAL, Tissue.MILK),
    Species.SHEEP: (*_MAMMAL, Tissue.MILK),
    Species.RUMINANT: (*_MAMMAL, Tissue.MILK),
    Species.PIG: (*_MAMMAL, Tissue.SKIN_FAT),
    Species.POULTRY: _BIRD,
    Species.CHICKEN: _BIRD,
    Species.DUCK: _BIRD,
    Species.RABBIT: _MAMMAL,
    Species.FISH: (Tissue.MUSCLE, Tissue.SKIN_MUSCLE),
    Species.SHRIMP: (Tissue.MUSCLE,),
}
# Names a species or tissue is written with (GB 31650's words, the labels, the codes), normalised by vet_key.
SPECIES_NAMES: dict[str, str] = {
    "所有食品动物": Species.ALL,
    "食品动物": Species.ALL,
    "牛": Species.CATTLE,
    "羊": Species.SHEEP,
    "绵羊": Species.SHEEP,
    "山羊": Species.SHEEP,
    "反刍动物": Species.RUMINANT,
    "猪": Species.PIG,
    "家禽": Species.POULTRY,
    "禽": Species.POULTRY,
    "家禽(鸡等)": Species.POULTRY,
    "鸡": Species.CHICKEN,
    "鸭": Species.DUCK,
    "兔": Species.RABBIT,
    "鱼": Species.FISH,
    "鱼类": Species.FISH,
    "虾": Species.SHRIMP,
    "虾类": Species.SHRIMP,
}
TISSUE_NAMES: dict[str, str] = {
    "肌肉": Tissue.MUSCLE,
    "脂肪": Tissue.FAT,
    "肝": Tissue.LIVER,
    "肝脏": Tissue.LIVER,
    "肾": Tissue.KIDNEY,
    "肾脏": Tissue.KIDNEY,
    "皮+脂": Tissue.SKIN_FAT,
    "皮和脂": Tissue.SKIN_FAT,
    "皮脂": Tissue.SKIN_FAT,
    "奶": Tissue.MILK,
    "乳": Tissue.MILK,
    "蛋": Tissue.EGGS,
    "皮+肉": Tissue.SKIN_MUSCLE,
    "皮和肉": Tissue.SKIN_MUSCLE,
    "鱼皮+肉": Tissue.SKIN_MUSCLE,
}
# The product-tree kinds (registry CategoryKind) a species' samples belong to.
SPECIES_FOOD_KINDS: dict[str, frozenset[str]] = {
    Species.CATTLE: frozenset({"livestock", "milk"}),
    Species.SHEEP: frozenset({"livestock", "milk"}),
    Species.RUMINANT: frozenset({"livestock", "milk"}),
    Species.PIG: frozenset({"livestock"}),
    Species.RABBIT: frozenset({"livestock"}),
    Species.POULTRY: frozenset({"poultry", "eggs"}),
    Species.CHICKEN: frozenset({"poultry", "eggs"}),
    Species.DUCK: frozenset({"poultry", "eggs"}),
    Species.FISH: frozenset({"aquatic"}),
    Species.SHRIMP: frozenset({"aquatic"}),
}
# The scope of a ban in the list of compounds prohibited in food animals (农业农村部公告第250号): it holds for foods
# of animal origin and veterinary judgements, never for crops.
FOOD_ANIMALS = "food-producing animals"


def vet_key(text) -> str:
    """ "皮＋脂", " 肝脏 ", "Pig" → a key of SPECIES_NAMES / TISSUE_NAMES or a code."""
    return (
        str(text or "")
        .strip()
        .lower()
        .replace(" ", "")
        .replace("＋", "+")
        .replace("（", "(")
        .replace("）", ")")
    )


_SPECIES_CODES = frozenset(Species.values)
_TISSUE_CODES = frozenset(Tissue.values)


def species_of(text) -> str | None:
    """A species code from its code or Chinese name; None when unknown."""
    key = vet_key(text)
    if key in _SPECIES_CODES:
        return key
    return SPECIES_NAMES.get(key)


def tissue_of(text) -> str | None:
    key = vet_key(text)
    if key in _TISSUE_CODES:
        return key
    return TISSUE_NAMES.get(key)


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
    "food-producing animals": _("food-producing animals"),
    "all crops except sanitary use and seed coating of some dry-field crops such as maize": _(
        "all crops except sanitary use and seed coating of some dry-field crops such as maize"
    ),
}


def scope_label(text: str) -> str:
    """A stored scope (of a ban, of a restricted use, a scope mapping's name) as shown: a shipped English scope in
    the page's language, any other as it is written."""
    label = SHIPPED_SCOPES.get((text or "").strip())
    return str(label) if label is not None else text


LEDGER_KINDS = {
    "standards.edition_partial": _("Edition marked loaded in part or complete"),
}
