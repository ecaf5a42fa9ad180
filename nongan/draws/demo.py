"""Demo data of the draws app: one published sampling round for the current year in Ganyu
(5% of scale producers, stratified by township, 2 inspectors each, drawn from samplers and enforcement officers;
three extra district accounts sampler2, sampler3, enforcement2 are created for that pool) and one inspection round waiting for its draw.

Idempotent: a round with the same title and year is never created twice. Does nothing without producers
or without the demo accounts."""

import hashlib

from django.test.utils import override_settings
from django.utils import timezone

from nongan.core.choices import Role
from nongan.core.demo import DEMO_PASSWORD
from nongan.core.models import Region, User
from nongan.core.services import user_create
from nongan.registry import selectors as registry

from . import services
from .models import DrawRound, InspectorConflict
from .selectors import eligible_inspectors

INSPECTION_POOL = ["sampler", "analyst", "analyst2", "enforcement", "qingkou", "haitou"]
SAMPLING_POOL = ["sampler", "enforcement", "sampler2", "sampler3", "enforcement2"]
# Extra district accounts so that a sampling round has a pool worth drawing from (password: the demo password).
EXTRA_ACCOUNTS = [
    ("sampler2", Role.SAMPLER, "区农产品质量检测中心抽样员"),
    ("sampler3", Role.SAMPLER, "区农产品质量检测中心抽样员"),
    ("enforcement2", Role.ENFORCEMENT, "区农业综合行政执法大队执法人员"),
]
EXTRA_NAMES = {"sampler2": "孙立华", "sampler3": "陈晓燕", "enforcement2": "吴卫东"}


def build(*, stdout, seed: int = 320707) -> None:
    admin = User.objects.filter(username="admin").first()
    district = Region.objects.filter(code="320707000000").first()
    if admin is None or district is None or not registry.producers_in_region(district).exists():
        stdout.write("draws demo: no producers or accounts yet, nothing to do.\n")
        return
    year = timezone.localdate().year
    _extra_accounts(admin, district)
    sampling_pool = _pool(district, "sampling", SAMPLING_POOL)
    pool = _pool(district, "inspection", INSPECTION_POOL)
    if len(sampling_pool) < 3 or len(pool) < 3:
        stdout.write("draws demo: fewer than 3 inspector accounts, nothing to do.\n")
        return

    title = f"{year}年度农产品质量安全例行监测双随机抽样（第一批）"
    if not DrawRound.objects.filter(title=title, year=year).exists():
        _declare_conflicts(admin, sampling_pool, district)
        rnd = services.round_create(
            actor=admin,
            title=title,
            purpose="sampling",
            year=year,
            region=district,
            inspectors=sampling_pool,
            filter_spec={"is_scale": True},
            ratio="0.05",
            strata="township",
            inspectors_per_object=2,
        )
        rnd = services.round_freeze(actor=admin, rnd=rnd)
        rnd = services.round_commit_seed(actor=admin, rnd=rnd)
        # Demo data cannot wait the day between commitment and draw that the rule requires of real rounds.
        witnesses = [
            (u, hashlib.sha256(f"nongan-demo-{seed}-{year}-{u.username}".encode()).hexdigest()[:8])
            for u in sampling_pool[:2]
        ]
        with override_settings(NONGAN_DRAW_MIN_DELAY_HOURS=0):
            rnd = services.round_draw(actor=admin, rnd=rnd, witnesses=witnesses)
        rnd = services.round_publish(actor=admin, rnd=rnd)
        stdout.write(
            f"draws demo: {rnd.code} published, {rnd.candidate_count} candidates, {rnd.selections.count()} drawn.\n"
        )

    title2 = f"{year}年度生产经营主体双随机监督检查（按产品类别分层）"
    if not DrawRound.objects.filter(title=title2, year=year).exists():
        rnd = services.round_create(
            actor=admin,
            title=title2,
            purpose="inspection",
            year=year,
            region=district,
            inspectors=pool,
            filter_spec={"types": ["cooperative", "enterprise", "family_farm"]},
            ratio="0.02",
            strata="category",
            inspectors_per_object=2,
        )
        rnd = services.round_freeze(actor=admin, rnd=rnd)
        rnd = services.round_commit_seed(actor=admin, rnd=rnd)
        stdout.write(f"draws demo: {rnd.code} waits for its draw (seed committed).\n")


def _pool(district, purpose, usernames):
    allowed = set(eligible_inspectors(district, purpose).values_list("pk", flat=True))
    return [u for u in User.objects.filter(username__in=usernames).order_by("username") if u.pk in allowed]


def _extra_accounts(admin, district) -> None:
    for username, role, _desc in EXTRA_ACCOUNTS:
        if not User.objects.filter(username=username).exists():
            user_create(
                actor=admin,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                full_name=EXTRA_NAMES[username],
                jurisdiction=district,
            )


def _declare_conflicts(admin, pool, district) -> None:
    """Two realistic declarations: a relative and a recent contact."""
    by_name = {u.username: u for u in pool}
    producers = list(registry.producers_in_region(district).filter(is_scale=True).order_by("code")[:40])
    plans = [
        ("enforcement", 3, "relative", "执法人员的表兄为该主体负责人"),
        ("sampler", 17, "recent_contact", "近三个月内曾为该主体提供技术指导"),
    ]
    for username, index, kind, reason in plans:
        user = by_name.get(username)
        if user is None or index >= len(producers):
            continue
        if InspectorConflict.objects.filter(inspector=user, producer=producers[index], kind=kind).exists():
            continue
        services.conflict_declare(
            actor=admin, inspector=user, producer=producers[index], kind=kind, reason=reason
        )
