"""Choices shared across the platform."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    DISTRICT = "district", _("District / county")
    TOWNSHIP = "township", _("Township / subdistrict")
    VILLAGE = "village", _("Village / community")


LEVEL_DEPTH = {
    RegionLevel.PROVINCE: 0,
    RegionLevel.CITY: 1,
    RegionLevel.DISTRICT: 2,
    RegionLevel.TOWNSHIP: 3,
    RegionLevel.VILLAGE: 4,
}


class Role(models.TextChoices):
    PROVINCE_ADMIN = "province_admin", _("Provincial administrator")
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    TOWNSHIP_SUPERVISOR = "township_supervisor", _("Township supervisor")
    VILLAGE_COORDINATOR = "village_coordinator", _("Village coordinator")
    SAMPLER = "sampler", _("Sampler")
    ANALYST = "analyst", _("Lab analyst")
    ENFORCEMENT = "enforcement", _("Enforcement officer")
    PRODUCER = "producer", _("Producer")
    INPUT_DEALER = "input_dealer", _("Input dealer")
    MARKET_CHECKER = "market_checker", _("Market checker")


# Roles whose data scope is a region subtree (their jurisdiction).
JURISDICTION_ROLES = {
    Role.PROVINCE_ADMIN,
    Role.DISTRICT_ADMIN,
    Role.TOWNSHIP_SUPERVISOR,
    Role.VILLAGE_COORDINATOR,
    Role.SAMPLER,
    Role.ANALYST,
    Role.ENFORCEMENT,
    Role.MARKET_CHECKER,
}
# Roles whose data scope is the one entity they belong to.
ENTITY_ROLES = {Role.PRODUCER, Role.INPUT_DEALER}
# Roles that may change registry data inside their jurisdiction.
REGISTRY_EDITOR_ROLES = {
    Role.PROVINCE_ADMIN,
    Role.DISTRICT_ADMIN,
    Role.TOWNSHIP_SUPERVISOR,
    Role.VILLAGE_COORDINATOR,
}
ADMIN_ROLES = {Role.PROVINCE_ADMIN, Role.DISTRICT_ADMIN}


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")


class ImportStatus(models.TextChoices):
    """The states of an import job (``nongan.core.imports``): uploaded → checking → checked (preview, waiting
    for the user's confirmation) or invalid → confirmed → applying → done or failed; a checked job may be
    discarded."""

    PENDING = "pending", _("Waiting")
    VALIDATING = "validating", _("Validating")
    CHECKED = "checked", _("Checked, waiting for confirmation")
    INVALID = "invalid", _("Rejected")
    CONFIRMED = "confirmed", _("Confirmed, waiting to import")
    APPLYING = "applying", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", pgettext_lazy("import job", "Failed")
    DISCARDED = "discarded", _("Discarded")
