"""Demo data of monitoring: Ganyu's 2026 plan with quotas, a few hundred samples across the states with judged
results (some unqualified, with follow-ups), a few thousand rapid tests over the towns, and one station whose
uploads look too good (for the data-integrity review page). Idempotent: nothing is added once the plan exists."""

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone

from nongan.core.choices import Role
from nongan.core.models import Region, User
from nongan.core.services import root_region, townships
from nongan.registry import selectors as registry

from . import services
from .choices import KIND_SECTOR, QuotaKind, RapidSource
from .models import MonitoringPlan, RapidTest, SaleHold

YEAR = 2026
TZ = ZoneInfo("Asia/Shanghai")
FOCUS_PRODUCTS = [
    "普通白菜",
    "芹菜",
    "番茄",
    "黄瓜",
    "豇豆",
    "草莓",
    "葡萄",
    "猪肉",
    "生牛乳",
    "鸡蛋",
    "南美白对虾",
    "紫菜",
]
FOCUS_ANALYTES = "克百威；甲拌磷；氧乐果；毒死蜱；吡虫啉；噻虫嗪；腐霉利；氟虫腈；恩诺沙星；孔雀石绿"
# Foods with limits for 吡虫啉 / 噻虫嗪 in the shipped reference tables.
MRL_FOODS = {
    "黄瓜",
    "番茄",
    "芹菜",
    "菠菜",
    "普通白菜",
    "大白菜",
    "结球甘蓝",
    "茄子",
    "豇豆",
    "苹果",
    "葡萄",
    "草莓",
}
SUSPECT_TOWN = "班庄镇"


def weighted_split(total: int, weights: dict) -> dict:
    """Whole numbers proportional to weights that add up exactly to total (largest remainder)."""
    s = sum(weights.values()) or 1
    raw = {k: Decimal(total) * w / s for k, w in weights.items()}
    out = {k: int(v) for k, v in raw.items()}
    rest = total - sum(out.values())
    for k in sorted(raw, key=lambda k: raw[k] - out[k], reverse=True)[:rest]:
        out[k] += 1
    return out


def _when(rnd, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    span = int((end - start).total_seconds())
    t = start + dt.timedelta(seconds=rnd.randrange(max(span, 1)))
    return t.replace(hour=rnd.randint(7, 16), minute=rnd.randint(0, 59), second=0, microsecond=0)


FULL_DISTRICT = 3200  # producers of the full demo district; a smaller demo gets proportionally fewer records


def build(*, stdout, seed: int = 320707, producers: int = FULL_DISTRICT) -> None:
    district = root_region()
    lines = list(
        registry.product_lines()
        .select_related("producer__region", "category")
        .filter(producer__status="active")
    )
    if district is None or not lines:
        stdout.write("monitoring: no producers, nothing created")
        return
    if MonitoringPlan.objects.filter(region=district, year=YEAR).exists():
        stdout.write("monitoring: demo already loaded")
        return
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["admin", "sampler", "analyst", "analyst2", "qingkou", "haitou"]
        )
    }
    if not {"admin", "sampler", "analyst", "analyst2"} <= set(users):
        stdout.write("monitoring: demo accounts missing, nothing created")
        return
    rnd = random.Random(seed + 7)
    scale = min(
        1.0, max(0.05, producers / FULL_DISTRICT)
    )  # a few dozen producers: a twentieth of the records
    admin, sampler, analyst, analyst2 = (users[k] for k in ("admin", "sampler", "analyst", "analyst2"))
    towns = list(townships(district))
    weights = dict(registry.product_lines().values_list("producer__region__parent").annotate(n=Count("id")))
    tw = {t: weights.get(t.pk, 0) + 1 for t in towns}
    plan = services.plan_save(
        actor=admin,
        year=YEAR,
        region=district,
        title="赣榆区2026年农产品质量安全例行监测计划",
        quantitative_target=800,
        pass_rate_target=Decimal("97"),
        district_rapid_target=8000,
        township_rapid_target=7200,
        focus_analytes=FOCUS_ANALYTES,
        sector_quotas={"crop": 500, "livestock": 150, "aquatic": 150},
        township_quantitative=weighted_split(800, tw),
        township_rapid=weighted_split(7200, tw),
        focus_products=list(registry.categories_named(FOCUS_PRODUCTS)),
    )
    n_villages = _village_shares(plan, towns, admin)
    # Published as a bureau would in January: most focus pairs lack a loaded limit before GB 2763-2026, so the
    # reason is recorded (shown on the coverage page, ledgered).
    services.plan_publish(
        actor=admin,
        plan=plan,
        reason="省级例行监测任务要求的品种和项目；GB 2763-2021 限量未完整载入，缺少限量的组合按风险监测记录，不作合格判定。",
    )
    now = timezone.now()
    start = dt.datetime(YEAR, 1, 4, tzinfo=TZ)
    end = min(now - dt.timedelta(days=1), dt.datetime(YEAR, 12, 31, tzinfo=TZ))
    n_samples = _samples(
        rnd, lines, plan, start, end, sampler, analyst, analyst2, admin, users.get("qingkou"), scale
    )
    n_rapid = _rapid(rnd, lines, towns, district, start, end, admin, users, scale)
    # a few open tasks for the samplers
    for line in rnd.sample(lines, min(20, len(lines))):
        services.task_create(
            actor=sampler,
            producer=line.producer,
            product=line.category,
            samplers=[sampler],
            due=timezone.localdate() + dt.timedelta(days=rnd.randint(3, 20)),
        )
    stdout.write(
        f"monitoring: plan {plan.year} ({n_villages} village shares), {n_samples} samples, {n_rapid} rapid tests, 20 open tasks"
    )


def _village_shares(plan, towns, admin) -> int:
    """Each township keeps a tenth of its quantitative share for itself and divides the rest among its
    villages that have producers, by their number of product lines; villages without producers get no
    share (无分配)."""
    shares = {
        q.township_id: q.planned
        for q in plan.quotas.filter(kind=QuotaKind.QUANTITATIVE, township__isnull=False, village__isnull=True)
    }
    lines = dict(
        registry.product_lines()
        .filter(producer__region__level="village")
        .values_list("producer__region")
        .annotate(n=Count("id"))
    )
    n = 0
    for town in towns:
        villages = list(Region.objects.filter(parent=town, level="village").order_by("code"))
        weights = {v: lines[v.pk] for v in villages if lines.get(v.pk)}
        share = shares.get(town.pk, 0)
        if not weights or not share:
            continue
        split = weighted_split(share - share // 10, weights)
        services.village_shares_save(
            actor=admin,
            plan=plan,
            township=town,
            quantitative={v: k for v, k in split.items() if k},
            rapid={},
        )
        n += sum(1 for k in split.values() if k)
    return n


def _result_rows(rnd, sample, fail: bool) -> list[dict]:
    lod = Decimal("0.005")
    rows = []
    if sample.product.name in MRL_FOODS:
        rows.append(
            {
                "analyte": "吡虫啉",
                "value": str(Decimal(rnd.randint(0, 40)) / 100),
                "unit": "mg/kg",
                "method": "GB 23200.121-2021",
                "lod": "0.01",
                "loq": "0.02",
                "instrument": "LC-MS/MS",
            }
        )
        v = Decimal("0.9") if fail else Decimal(rnd.randint(0, 20)) / 100
        rows.append(
            {
                "analyte": "噻虫嗪",
                "value": str(v),
                "unit": "mg/kg",
                "method": "GB 23200.121-2021",
                "lod": "0.01",
                "loq": "0.02",
                "instrument": "LC-MS/MS",
            }
        )
        fail = False
    banned_value = Decimal("0.032") if fail else Decimal(rnd.randint(0, 4)) / 1000
    rows.append(
        {
            "analyte": "克百威",
            "value": str(banned_value),
            "unit": "mg/kg",
            "method": "GB 23200.112-2018",
            "lod": str(lod),
            "loq": "0.01",
            "instrument": "LC-MS/MS",
        }
    )
    rows.append(
        {
            "analyte": "甲拌磷",
            "value": "0",
            "unit": "mg/kg",
            "method": "GB 23200.113-2018",
            "lod": "0.002",
            "loq": "0.005",
            "instrument": "GC-MS/MS",
        }
    )
    return rows


def _samples(
    rnd, lines, plan, start, end, sampler, analyst, analyst2, admin, township_user, scale: float = 1.0
) -> int:
    by_sector: dict[str, list] = {}
    for line in lines:
        by_sector.setdefault(KIND_SECTOR.get(line.category.kind, "crop"), []).append(line)
    # at least a dozen per sector, so that every state of a sample is shown
    wanted = {
        sector: max(12, round(n * scale))
        for sector, n in {"crop": 200, "livestock": 60, "aquatic": 60}.items()
    }
    made = 0
    for sector, n in wanted.items():
        pool = by_sector.get(sector) or []
        for i in range(min(n, len(pool) * 3)):
            line = rnd.choice(pool)
            when = _when(rnd, start, end)
            if i < 6:  # the newest few of each sector: every early state is shown whatever the draw
                when = max(start, end - dt.timedelta(days=i, hours=3))
            age = (end - when).days
            try:
                s = services.sample_register(
                    actor=sampler,
                    producer=line.producer,
                    product=line.category,
                    base=line.producer.bases.first(),
                    lot=f"{when:%m%d}-{rnd.randint(1, 9)}",
                    quantity=str(rnd.choice([1, 1.5, 2, 2.5, 3])),
                    quantity_unit="kg",
                    place=(line.producer.address or line.producer.region.name)[:255],
                    sampled_at=when,
                    latitude=line.producer.latitude,
                    longitude=line.producer.longitude,
                    seal_number=f"GYFY{YEAR}{made + 1:05d}",
                    party_name=line.producer.legal_rep,
                    party_confirmed=True,
                )
            except ValidationError:
                continue
            made += 1
            if age < 3 and i % 3 == 0:
                continue  # still registered
            if i % 47 == 5:
                services.sample_transition(
                    actor=sampler, sample=s, action="cancel", reason="被抽样方停产，样品作废"
                )
                continue
            services.sample_transition(actor=analyst, sample=s, action="receive")
            if age < 6 and i % 2 == 0:
                continue  # in the lab
            fail = rnd.random() < 0.03 or i == 10  # one unqualified sample per sector at least
            try:
                services.results_enter(actor=analyst, sample=s, rows=_result_rows(rnd, s, fail), submit=True)
            except ValidationError:
                continue
            if age < 9 and i % 2 == 1:
                continue  # waiting for verification
            services.sample_transition(actor=analyst2, sample=s, action="verify")
            if age > 20:
                services.sample_transition(actor=admin, sample=s, action="publish")
            s.refresh_from_db()
            # four eyes: the sample's township supervisor proposes closing, the district approves
            proposer = (
                User.objects.filter(role=Role.TOWNSHIP_SUPERVISOR, jurisdiction=s.township, is_active=True)
                .order_by("pk")
                .first()
                if s.verdict == "fail" and township_user is not None
                else None
            )
            if s.verdict == "fail" and age > 30 and proposer is not None and rnd.random() < 0.6:
                fu = s.follow_up
                services.follow_up_update(
                    actor=admin,
                    follow_up=fu,
                    trace_note="已核查该主体生产记录，确认不合格批次的用药记录与采收日期。",
                    measures="责令召回并监督销毁不合格批次；约谈负责人；列入重点监管对象并加密抽检。",
                    case_number=f"赣农(农)立〔{YEAR}〕{rnd.randint(10, 99)}号" if rnd.random() < 0.5 else "",
                )
                services.follow_up_propose_close(actor=proposer, follow_up=fu)
                services.follow_up_close(actor=admin, follow_up=fu)
    return made


def _rapid(rnd, lines, towns, district, start, end, admin, users, scale: float = 1.0) -> int:
    by_town: dict[int, list] = {}
    for line in lines:
        if line.category.kind == "plant":
            town = (
                line.producer.region.parent_id
                if line.producer.region.level == "village"
                else line.producer.region_id
            )
            by_town.setdefault(town, []).append(line)
    town_user = {"青口镇": users.get("qingkou"), "海头镇": users.get("haitou")}
    total = 0
    stations = [(t, round((150 + rnd.randint(0, 60)) * scale)) for t in towns] + [
        (district, round(600 * scale))
    ]
    for station, n in stations:
        pool = by_town.get(station.pk) or []
        if station == district or not pool:
            pool = pool or [line for line in lines if line.category.kind == "plant"]
        actor = town_user.get(station.name) or admin
        suspect = station.name == SUSPECT_TOWN
        if suspect:
            n = round(320 * scale)
            suspect_days = [_when(rnd, start, end) for _ in range(12)]
        items = []
        for _ in range(n):
            line = rnd.choice(pool)
            enzyme = rnd.random() < 0.85
            own = station == district or line.producer.region.path.startswith(station.path)
            item = {
                "station": station.code,
                "producer": line.producer.code if own else "",
                "product": line.category,
                "lot": f"R{rnd.randint(100, 999)}",
                "tested_at": _when(rnd, start, end) if not suspect else rnd.choice(suspect_days),
                "instrument": "RP-12",
            }
            if enzyme:
                inh = Decimal(rnd.randint(20, 450)) / 10
                if not suspect and rnd.random() < 0.025:
                    inh = Decimal(rnd.randint(510, 850)) / 10
                if suspect:
                    inh = Decimal("12.0") if rnd.random() < 0.5 else Decimal(rnd.randint(50, 200)) / 10
                item.update(method="enzyme", analyte="有机磷和氨基甲酸酯类", inhibition=inh)
            else:
                pos = not suspect and rnd.random() < 0.02
                item.update(
                    method="gold",
                    analyte=rnd.choice(["克百威", "毒死蜱", "氧乐果"]),
                    c_line=True,
                    t_line="lighter" if pos else "same_or_darker",
                )
            items.append(item)
        rows = services.rapid_tests_record(actor=actor, items=items, source=RapidSource.API)
        total += len(rows)
        # uploads follow the test within minutes, except the suspect station's late burst
        for r in rows:
            delay = dt.timedelta(minutes=rnd.randint(2, 90))
            if suspect and r.tested_at.month < 9:
                upload = dt.datetime(YEAR, 9, 28, 22, 0, tzinfo=TZ)
            else:
                upload = r.tested_at + delay
            RapidTest.objects.filter(pk=r.pk).update(uploaded_at=upload)
        positives = [r for r in rows if r.outcome == "positive"]
        for r in positives[: max(1, len(positives) // 2)]:
            again = {
                "station": station.code,
                "producer": r.producer.code if r.producer_id else "",
                "product": r.product,
                "lot": r.lot,
                "method": r.method,
                "analyte": r.analyte,
                "tested_at": r.tested_at + dt.timedelta(hours=1),
                "retest_of": r,
            }
            if r.method == "enzyme":
                again["inhibition"] = (
                    r.inhibition - Decimal(rnd.randint(0, 8)) if rnd.random() < 0.6 else Decimal("18")
                )
            else:
                again.update(c_line=True, t_line="lighter" if rnd.random() < 0.6 else "same_or_darker")
            try:
                services.rapid_tests_record(actor=actor, items=[again])
            except ValidationError:
                continue
    # holds cleared by their confirmatory samples, except the recent ones
    cutoff = end - dt.timedelta(days=14)
    for hold in SaleHold.objects.filter(status="held", rapid_test__tested_at__lt=cutoff).select_related(
        "rapid_test"
    ):
        services.sale_hold_release(actor=admin, hold=hold, reason="确证定量检测合格，解除暂停销售")
    return total
