"""Core's part of the demo district: the region tree, and the demo logins (one per role).

``nongan demo`` (the dashboard app) calls each app's ``AppConfig.demo`` lowest first; the logins are made by
the registry's demo once the producers exist (the producer login belongs to one of them).
"""

from nongan.core.choices import Role
from nongan.core.models import Region, User
from nongan.core.services import user_create

DEMO_PASSWORD = "Nongan@2026"
# username, role, jurisdiction code (or None for the producer account), description
DEMO_USERS = [
    ("admin", Role.DISTRICT_ADMIN, "320707000000", "区级监管（赣榆区农业农村局）"),
    ("qingkou", Role.TOWNSHIP_SUPERVISOR, "320707100000", "乡镇监管员（青口镇）"),
    ("haitou", Role.TOWNSHIP_SUPERVISOR, "320707106000", "乡镇监管员（海头镇）"),
    ("village", Role.VILLAGE_COORDINATOR, None, "村协管员（青口镇第一个村）"),
    ("producer", Role.PRODUCER, None, "生产主体（海头镇一家紫菜合作社）"),
    ("sampler", Role.SAMPLER, "320707000000", "抽样员"),
    ("analyst", Role.ANALYST, "320707000000", "检测员"),
    ("analyst2", Role.ANALYST, "320707000000", "检测员（复核）"),
    ("enforcement", Role.ENFORCEMENT, "320707000000", "执法人员"),
    ("market", Role.MARKET_CHECKER, "320707000000", "市场查验员"),
]


def users_create(*, producer) -> list[User]:
    """Create the demo logins that do not exist yet (the producer login belongs to ``producer``); returns
    the accounts created."""
    created = []
    for username, role, code, desc in DEMO_USERS:
        if User.objects.filter(username=username).exists():
            continue
        jurisdiction = Region.objects.get(code=code) if code else None
        if role == Role.VILLAGE_COORDINATOR:
            jurisdiction = (
                Region.objects.filter(parent__code="320707100000", level="village").order_by("code").first()
            )
        user = user_create(
            actor=None,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            # the producer's login is its legal representative's (the page header names the producer itself)
            full_name=producer.legal_rep
            if role == Role.PRODUCER and producer.legal_rep
            else desc.split("（")[0],
            jurisdiction=jurisdiction,
            producer=producer if role == Role.PRODUCER else None,
        )
        if role == Role.DISTRICT_ADMIN:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        created.append(user)
    return created


def logins_print(stdout) -> None:
    stdout.write(f"\n演示账号 Demo logins (password / 密码: {DEMO_PASSWORD})\n")
    for username, _role, _code, desc in DEMO_USERS:
        stdout.write(f"  {username:<12} {desc}\n")
    listed = {u[0] for u in DEMO_USERS}
    for user in User.objects.exclude(username__in=listed).filter(
        role__in=[r for _u, r, _c, _d in DEMO_USERS]
    ):
        if user.check_password(DEMO_PASSWORD):  # accounts that the capabilities' demos added
            stdout.write(f"  {user.username:<12} {user.get_role_display()}\n")
    stdout.write("\nOpen http://127.0.0.1:8000/ in a browser.\n")
