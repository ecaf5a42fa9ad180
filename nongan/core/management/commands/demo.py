"""`nongan demo`: load the Ganyu demo district (idempotent) and print the demo logins."""

from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

from nongan.core.choices import Role
from nongan.core.models import Region, User
from nongan.core.services import regions_load, user_create

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
APP_DEMOS = [
    "nongan.standards.demo",
    "nongan.draws.demo",
    "nongan.monitoring.demo",
    "nongan.certificates.demo",
]


class Command(BaseCommand):
    help = "Load the Ganyu demo district: regions, products, 3,000+ producers, staff, one login per role."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Do nothing if the demo district is already loaded."
        )
        parser.add_argument(
            "--producers", type=int, default=3200, help="How many producers to create (default 3200)."
        )
        parser.add_argument("--seed", type=int, default=320707)

    def handle(self, *args, once=False, producers=3200, seed=320707, **options):
        from nongan.registry import demo as registry_demo
        from nongan.registry.models import Producer
        from nongan.registry.services import categories_load

        loaded = (
            User.objects.filter(username="admin").exists() and Producer.objects.filter(is_demo=True).exists()
        )
        if once and loaded:
            self.stdout.write("演示数据已加载 (demo district already loaded).")
            self._print_logins()
            return
        regions_load()
        categories_load()
        registry_demo.build(stdout=self.stdout, seed=seed, count=producers)
        self._users()
        for module in APP_DEMOS:
            try:
                mod = import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name != module:
                    raise
                continue
            with transaction.atomic():
                mod.build(stdout=self.stdout, seed=seed)
        self._print_logins()

    def _users(self):
        from nongan.registry.models import Producer, StaffMember

        for username, role, code, _desc in DEMO_USERS:
            if User.objects.filter(username=username).exists():
                continue
            jurisdiction = Region.objects.get(code=code) if code else None
            producer = None
            if role == Role.VILLAGE_COORDINATOR:
                jurisdiction = (
                    Region.objects.filter(parent__code="320707100000", level="village")
                    .order_by("code")
                    .first()
                )
            if role == Role.PRODUCER:
                producer = (
                    Producer.objects.filter(
                        region__parent__code="320707106000",
                        type="cooperative",
                        product_lines__category__name="紫菜",
                    )
                    .order_by("code")
                    .first()
                    or Producer.objects.filter(type="cooperative").order_by("code").first()
                )
            user = user_create(
                actor=None,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                full_name=_desc.split("（")[0],
                jurisdiction=jurisdiction,
                producer=producer,
            )
            if role == Role.DISTRICT_ADMIN:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
            if jurisdiction is not None:
                staff = StaffMember.objects.filter(region=jurisdiction, user__isnull=True).first()
                if staff is not None:
                    staff.user = user
                    staff.save(update_fields=["user"])
                    user.full_name = staff.name
                    user.save(update_fields=["full_name"])

    def _print_logins(self):
        self.stdout.write(f"\n演示账号 Demo logins (password / 密码: {DEMO_PASSWORD})\n")
        for username, _role, _code, desc in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {desc}\n")
        listed = {u[0] for u in DEMO_USERS}
        for user in User.objects.exclude(username__in=listed).filter(
            role__in=[r for _u, r, _c, _d in DEMO_USERS]
        ):
            if user.check_password(DEMO_PASSWORD):  # accounts that the capabilities' demos added
                self.stdout.write(f"  {user.username:<12} {user.get_role_display()}\n")
        self.stdout.write("\nOpen http://127.0.0.1:8000/ in a browser.\n")
