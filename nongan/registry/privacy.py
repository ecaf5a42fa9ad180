"""Who may see a producer's personal and contact data: one rule for the producer export, the API and the
producer pages.

The registry's keepers and enforcers (administrators, township supervisors, village coordinators, enforcement
officers) and a producer or dealer account (its own row: scoping already limits it to that) see everything.
Field staff who only need to find a producer (samplers, market checkers, lab analysts, any other role) see the
register without contact and identity data: no credit code, head, ID number, phone, address, coordinates,
supervision tier, notes or contact persons. Of the exports, samplers and market checkers get that basic register
and lab analysts (blind testing) none at all.
"""

from nongan.core.choices import Role

# Roles that see a producer's contact and identity data.
PERSONAL_DATA_ROLES = frozenset(
    {
        Role.PROVINCE_ADMIN,
        Role.DISTRICT_ADMIN,
        Role.TOWNSHIP_SUPERVISOR,
        Role.VILLAGE_COORDINATOR,
        Role.ENFORCEMENT,
        Role.PRODUCER,
        Role.INPUT_DEALER,
    }
)
# Roles that may export the producer register without those columns (any other role: no export).
BASIC_EXPORT_ROLES = frozenset({Role.SAMPLER, Role.MARKET_CHECKER})
# Producer fields withheld from everyone else (API keys and page rows alike); contact persons are withheld whole.
PERSONAL_FIELDS = (
    "credit_code",
    "legal_rep",
    "id_number",
    "phone",
    "address",
    "latitude",
    "longitude",
    "tier",
    "tier_reason",
    "notes",
)


def sees_personal_data(user) -> bool:
    """Whether ``user`` may see producers' contact and identity data (inside their scope, as always)."""
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_superuser or user.role in PERSONAL_DATA_ROLES)


def may_export_basic(user) -> bool:
    """Whether ``user`` may export the producer register at least without the personal columns."""
    return sees_personal_data(user) or (user.is_authenticated and user.role in BASIC_EXPORT_ROLES)
