"""Choices shared across the platform."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
    PENDING = "pending", _("Waiting")
    VALIDATING = "validating", _("Validating")
    APPLYING = "applying", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Rejected")
