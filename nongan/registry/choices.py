from django.db import models
from django.utils.translation import gettext_lazy as _


class ProducerType(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    COOPERATIVE = "cooperative", _("Cooperative")
    FAMILY_FARM = "family_farm", _("Family farm")
    SCALE_GROWER = "scale_grower", _("Scale grower")
    HOUSEHOLD = "household", _("Household")
    BUYER = "buyer", _("Buyer / collector")
    SLAUGHTERHOUSE = "slaughterhouse", _("Slaughterhouse")
    WHOLESALE_MARKET = "wholesale_market", _("Wholesale market")


# Types that are legal persons and carry a unified social credit code.
CREDIT_CODE_TYPES = {
    ProducerType.ENTERPRISE,
    ProducerType.COOPERATIVE,
    ProducerType.SLAUGHTERHOUSE,
    ProducerType.WHOLESALE_MARKET,
}


class Tier(models.TextChoices):
    A = "A", _("A — low risk")
    B = "B", _("B — medium risk")
    C = "C", _("C — key supervision")


class ProducerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Certificate issuing revoked")
    CLOSED = "closed", _("Closed down")


class CategoryKind(models.TextChoices):
    PLANT = "plant", _("Plant product")
    LIVESTOCK = "livestock", _("Livestock")
    POULTRY = "poultry", _("Poultry")
    EGGS = "eggs", _("Eggs")
    MILK = "milk", _("Raw milk")
    AQUATIC = "aquatic", _("Aquatic product")


class CertificationKind(models.TextChoices):
    GREEN = "green", _("Green food")
    ORGANIC = "organic", _("Organic product")
    GI = "gi", _("Geographical indication")


class StaffKind(models.TextChoices):
    DISTRICT = "district", _("District bureau staff")
    TOWNSHIP = "township", _("Township station staff")
    VILLAGE = "village", _("Village coordinator")
    LAB = "lab", _("Lab staff")
    ENFORCEMENT = "enforcement", _("Enforcement officer")


class BaseKind(models.TextChoices):
    FIELD = "field", _("Open field")
    GREENHOUSE = "greenhouse", _("Greenhouse")
    ORCHARD = "orchard", _("Orchard")
    TEA = "tea", _("Tea garden")
    FARM = "farm", _("Livestock / poultry farm")
    POND = "pond", _("Pond / sea area")
    OTHER = "other", _("Other")


# What the ledger page calls this app's kinds of entry (registered with nongan.core.ledger in AppConfig.ready).
LEDGER_KINDS = {
    "producer.status": _("Producer status changed"),
    "producer.key_target": _("Producer made a key target"),
}
