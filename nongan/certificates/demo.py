"""Demo data: production records and certificates of a few hundred scale producers in Ganyu, some
collected and re-issued by buyers, some market checks and public scans. Idempotent; nothing without producers."""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from nongan.registry import selectors as registry

from . import services
from .models import Certificate, ProductionBatch

# (product, input product, active ingredient, kind, interval days, unit, quantity range)
PLANS = {
    "紫菜": ("多菌灵", "", "other", 0, "kg", (200, 2000)),
    "蓝莓": ("嘧菌酯悬浮剂", "嘧菌酯", "pesticide", 7, "kg", (100, 800)),
    "黄瓜": ("吡虫啉可湿性粉剂", "吡虫啉", "pesticide", 3, "kg", (200, 1500)),
    "番茄": ("阿维菌素乳油", "阿维菌素", "pesticide", 7, "kg", (200, 1500)),
    "猪肉": ("阿莫西林可溶性粉", "阿莫西林", "vet_drug", 14, "头", (10, 60)),
}
TOWN_PRODUCTS = {"海头镇": "紫菜", "黑林镇": "蓝莓", "厉庄镇": "黄瓜", "石桥镇": "番茄"}


def _pick_producers(rnd, limit=300):
    qs = (
        registry.producers()
        .filter(is_scale=True, status="active")
        .exclude(type__in=["buyer", "wholesale_market"])
        .select_related("region", "region__parent")
        .order_by("code")
    )
    # producers with a demo login first, so their accounts show records and certificates
    with_accounts = set(registry.producers_with_accounts().values_list("pk", flat=True))
    ordered = [p for p in qs.filter(pk__in=with_accounts)] + list(
        qs.exclude(pk__in=with_accounts)[: limit * 3]
    )
    chosen = []
    for p in ordered:
        town = p.region.parent.name if p.region.level == "village" and p.region.parent else p.region.name
        product = TOWN_PRODUCTS.get(town) or (
            "猪肉" if p.type == "enterprise" and rnd.random() < 0.3 else None
        )
        if product is None:
            lines = list(p.product_lines.select_related("category").values_list("category__name", flat=True))
            product = next((n for n in lines if n in PLANS), None)
        if product:
            chosen.append((p, product))
        if len(chosen) >= limit:
            break
    return chosen


def build(*, stdout, seed: int = 320707) -> None:
    if not registry.producers().exists():
        stdout.write("certificates demo: no producers, nothing to do")
        return
    if ProductionBatch.objects.filter(is_demo=True).exists():
        stdout.write("certificates demo: already loaded")
        return
    rnd = random.Random(seed)
    today = timezone.localdate()
    cats = {c.name: c for c in registry.categories_named(PLANS)}
    made = 0
    with transaction.atomic():
        services.active_signer()
        for p, product in _pick_producers(rnd):
            if product not in cats:
                continue
            input_name, ingredient, kind, interval, unit, (lo, hi) = PLANS[product]
            started = today - dt.timedelta(days=rnd.randint(60, 150))
            batch = services.batch_create(
                actor=None,
                producer=p,
                product=cats[product],
                started=started,
                plot=f"{rnd.randint(1, 20)}号地块",
                unit=unit,
                is_demo=True,
            )
            used = today - dt.timedelta(days=rnd.randint(interval + 2, interval + 30))
            services.input_use_add(
                actor=None,
                batch=batch,
                kind=kind if kind != "other" else "other",
                product_name=input_name,
                active_ingredient=ingredient,
                dose=rnd.choice([15, 20, 30]),
                dose_unit="g/亩" if unit == "kg" else "g/头",
                used_on=used,
                interval_days=interval,
                late_reason="演示数据补录",
            )
            qty = rnd.randint(lo, hi)
            services.harvest_record(
                actor=None,
                batch=batch,
                date=today - dt.timedelta(days=rnd.randint(0, 1)),
                quantity=qty,
                unit=unit,
            )
            count = rnd.choice([1, 1, 2, 4])
            each = max(1, qty // count)
            certs = services.certificate_issue(
                actor=None,
                batch=batch,
                quantity=each,
                unit=unit,
                count=count,
                # 自行检测合格 / 委托检测合格 need a test record of this lot; the demo's lots have none
                basis="control",
                issued_at=timezone.now() - dt.timedelta(hours=rnd.randint(0, 20)),
                is_demo=True,
            )
            made += len(certs)
        _collections_and_checks(rnd)
    stdout.write(f"certificates demo: {made} certificates")


def _collections_and_checks(rnd) -> None:
    buyers = list(registry.producers().filter(type="buyer", status="active").order_by("code")[:10])
    from nongan.core.models import Region

    market = (
        registry.producers().filter(type="wholesale_market").select_related("region").order_by("code").first()
    )
    market_region = (
        market.region if market else Region.objects.filter(level="township", name="青口镇").first()
    )
    market_name = market.name if market else "青口镇农贸市场"
    certs = list(
        Certificate.objects.filter(is_demo=True, unit="kg").select_related("origin").order_by("number")
    )
    rnd.shuffle(certs)
    # each buyer collects lots of one product (a re-issue conserves product)
    by_product: dict[int, list] = {}
    for c in certs:
        by_product.setdefault(c.product_id, []).append(c)
    groups = [g[k : k + 4] for g in by_product.values() for k in range(0, len(g), 4)]
    groups.sort(key=len, reverse=True)
    for i, buyer in enumerate(buyers):
        group = groups[i] if i < len(groups) else []
        if not group:
            break
        cols = services.purchase_record(
            actor=None,
            collector=buyer,
            lot=f"SG-{i + 1:03d}",
            items=[(c.token, c.quantity, c.unit) for c in group if c.producer_id != buyer.pk],
            is_demo=True,
        )
        if cols and i % 2 == 0:
            total = sum(c.quantity for c in cols)
            loss = (total * 2 / 100).quantize(services.QUANT)
            child = services.certificate_reissue(
                actor=None,
                collector=buyer,
                draws=[(c, c.quantity) for c in cols],
                quantity=total - loss,
                unit="kg",
                loss=loss,
                is_demo=True,
            )
            if market_region:
                services.market_check_record(
                    actor=None,
                    region=market_region,
                    market=market_name,
                    product_name=child.product_name,
                    number=child.number,
                    quantity=child.quantity,
                    unit="kg",
                    is_demo=True,
                )
    if market_region:
        services.market_check_record(
            actor=None,
            region=market_region,
            market=market_name,
            product_name="韭菜",
            seller_name="流动摊贩",
            is_demo=True,
        )
    towns = [r.code for r in services.scan_places()] + [""]
    for c in certs[40:120]:
        for _ in range(rnd.randint(1, 3)):
            services.scan_record(
                certificate=c,
                number=c.number,
                result="genuine",
                town=rnd.choice(towns),
                client=f"10.0.0.{rnd.randint(1, 250)}",
            )
