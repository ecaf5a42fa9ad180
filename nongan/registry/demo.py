"""The demo district: a believable Ganyu registry (3,000+ producers, bases, certifications, people).

Every name and identifier here is invented; credit codes and ID numbers are well-formed (their check
characters are right) but belong to nobody. Deterministic for a given seed.
"""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction

from nongan.core import demo as core_demo
from nongan.core.models import Region
from nongan.core.validators import id_check_digit, uscc_check_char

from .choices import BaseKind, CertificationKind, ProducerType, StaffKind
from .imports import apply_producer_rows
from .models import Base, Certification, Contact, Producer, ProductCategory, StaffMember

SURNAMES = list(
    "王张李刘陈杨赵黄周吴徐孙朱马胡郭林何高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = list("建国军伟强磊洋勇杰涛明超秀英华丽敏静燕霞玉兰海波平红梅春林峰刚晨文亮辉俊庆生福德成凤芳桂金荣")
BRANDS = [
    "绿源",
    "丰收",
    "金穗",
    "海韵",
    "青禾",
    "润田",
    "鑫旺",
    "佳禾",
    "沃土",
    "康农",
    "碧波",
    "富民",
    "兴农",
    "春晖",
    "瑞丰",
    "田园",
    "红日",
    "盛发",
    "益农",
    "四季",
    "黄海",
    "秦山",
    "夹谷山",
    "抗日山",
    "龙河",
    "朱堵",
    "禾盛",
    "农耕",
    "晨露",
    "鲜达",
]

# Town specialities (product names of the category tree), weighted by how common they are there.
TOWN_PRODUCTS = {
    "青口镇": ["普通白菜", "芹菜", "番茄", "黄瓜", "南美白对虾", "鸡蛋", "猪肉"],
    "柘汪镇": ["紫菜", "南美白对虾", "海参", "三疣梭子蟹", "大白菜", "花生"],
    "石桥镇": ["紫菜", "黄瓜", "番茄", "西瓜", "猪肉", "文蛤"],
    "金山镇": ["草莓", "番茄", "辣椒", "黄瓜", "鸡蛋", "猪肉"],
    "黑林镇": ["蓝莓", "绿茶", "鲜茶叶", "桃", "樱桃", "鸡肉"],
    "厉庄镇": ["番茄", "黄瓜", "茄子", "辣椒", "西葫芦", "韭菜", "结球甘蓝"],
    "海头镇": ["紫菜", "南美白对虾", "三疣梭子蟹", "文蛤", "牡蛎", "缢蛏"],
    "塔山镇": ["桃", "樱桃", "苹果", "猪肉", "鸡蛋", "生牛乳"],
    "赣马镇": ["大白菜", "萝卜", "猪肉", "鸡蛋", "韭菜", "菠菜"],
    "班庄镇": ["绿茶", "鲜茶叶", "蓝莓", "板栗", "鸡蛋", "猪肉"],
    "城头镇": ["葡萄", "黄瓜", "番茄", "猪肉", "鸭蛋", "生牛乳"],
    "城西镇": ["黄瓜", "芹菜", "菠菜", "鸡蛋", "猪肉", "草鱼"],
    "宋庄镇": ["南美白对虾", "草鱼", "鲫鱼", "鸭蛋", "大白菜", "西瓜"],
    "沙河镇": ["西瓜", "甜瓜", "猪肉", "鸡蛋", "黄瓜", "萝卜"],
    "墩尚镇": ["稻谷", "鸭蛋", "鸡蛋", "猪肉", "韭菜", "结球甘蓝"],
}
TOWN_WEIGHT = {
    "青口镇": 1.6,
    "海头镇": 1.3,
    "柘汪镇": 1.2,
    "厉庄镇": 1.2,
    "黑林镇": 1.0,
    "石桥镇": 1.0,
    "金山镇": 1.0,
    "塔山镇": 0.9,
    "赣马镇": 0.9,
    "班庄镇": 0.9,
    "城头镇": 0.9,
    "城西镇": 0.8,
    "宋庄镇": 0.8,
    "沙河镇": 0.9,
    "墩尚镇": 0.8,
}
TYPE_WEIGHTS = [
    (ProducerType.HOUSEHOLD, 30),
    (ProducerType.SCALE_GROWER, 22),
    (ProducerType.FAMILY_FARM, 20),
    (ProducerType.COOPERATIVE, 15),
    (ProducerType.ENTERPRISE, 6),
    (ProducerType.BUYER, 6),
    (ProducerType.SLAUGHTERHOUSE, 0.3),
    (ProducerType.WHOLESALE_MARKET, 0.3),
]
KIND_OF = {
    "蔬菜": "种植",
    "水果": "种植",
    "茶叶": "茶叶",
    "水产品": "水产养殖",
    "畜肉": "养殖",
    "禽肉": "养殖",
    "蛋类": "养殖",
    "生鲜乳": "奶牛养殖",
    "谷物": "粮食种植",
    "油料和油脂": "种植",
}
# What an enterprise's name says it does, by the root of its main product.
INDUSTRY = {
    "蔬菜": ("蔬菜", "农业科技", "生态农业"),
    "水果": ("果业", "生态农业", "农业科技"),
    "茶叶": ("茶业", "茶叶"),
    "水产品": ("水产", "海洋食品", "渔业"),
    "畜肉": ("牧业", "食品"),
    "禽肉": ("禽业", "食品"),
    "蛋类": ("禽业", "蛋品"),
    "生鲜乳": ("乳业", "牧业"),
    "谷物": ("米业", "粮油"),
}
BASE_KIND = {
    "蔬菜": BaseKind.GREENHOUSE,
    "水果": BaseKind.ORCHARD,
    "茶叶": BaseKind.TEA,
    "水产品": BaseKind.POND,
    "畜肉": BaseKind.FARM,
    "禽肉": BaseKind.FARM,
    "蛋类": BaseKind.FARM,
    "生鲜乳": BaseKind.FARM,
}


def person(rnd) -> str:
    return rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2, 2))))


def phone(rnd) -> str:
    return "1" + rnd.choice("3456789") + "".join(rnd.choice("0123456789") for _ in range(9))


def id_number(rnd) -> str:
    birth = dt.date(1955, 1, 1) + dt.timedelta(days=rnd.randrange(0, 365 * 45))
    first17 = "320721" + birth.strftime("%Y%m%d") + f"{rnd.randrange(0, 1000):03d}"
    return first17 + id_check_digit(first17)


def credit_code(rnd, kind: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    head = {
        "cooperative": "93",
        "enterprise": "91",
        "slaughterhouse": "91",
        "wholesale_market": "91",
        "family_farm": "92",
    }[kind]
    body = head + "320707" + "MA" + "".join(rnd.choice(alphabet) for _ in range(7))
    return body + uscc_check_char(body)


def _root_name(cat: ProductCategory, by_id) -> str:
    while cat.parent_id:
        cat = by_id[cat.parent_id]
    return cat.name


def build(*, stdout, seed: int = 320707, count: int = 3200) -> dict:
    """Create the demo registry if it is not there yet; returns counts."""
    if Producer.objects.filter(is_demo=True).exists():
        return {"producers": Producer.objects.filter(is_demo=True).count(), "created": 0}
    rnd = random.Random(seed)
    cats = {c.name: c for c in ProductCategory.objects.all()}
    by_id = {c.pk: c for c in cats.values()}
    towns = list(Region.objects.filter(level="township").order_by("sort_order"))
    villages = {t.pk: list(Region.objects.filter(parent=t, level="village").order_by("code")) for t in towns}
    weights = [TOWN_WEIGHT.get(t.name, 1.0) for t in towns]
    types, type_w = zip(*TYPE_WEIGHTS, strict=True)
    rows, used_names, used_credit = [], set(), set()
    while len(rows) < count:
        town = rnd.choices(towns, weights)[0]
        village = rnd.choice(villages[town.pk])
        ptype = rnd.choices(types, type_w)[0]
        specials = [p for p in TOWN_PRODUCTS.get(town.name, ["黄瓜"]) if p in cats]
        main = rnd.choice(specials)
        products = sorted({main, *rnd.sample(specials, k=min(len(specials), rnd.choice((0, 1, 1, 2))))})
        root = _root_name(cats[main], by_id)
        head = person(rnd)
        short = town.name[:-1]
        if ptype == ProducerType.COOPERATIVE:
            name = f"赣榆区{short}{rnd.choice(BRANDS)}{main}专业合作社"
        elif ptype == ProducerType.ENTERPRISE:
            trade = INDUSTRY.get(root, ("农业科技", "生态农业", "农业发展"))
            name = f"连云港{rnd.choice(BRANDS)}{rnd.choice(trade)}有限公司"
        elif ptype == ProducerType.FAMILY_FARM:
            name = f"赣榆区{head}家庭农场"
        elif ptype == ProducerType.SCALE_GROWER:
            name = f"{head}（{main}{KIND_OF.get(root, '种植')}大户）"
        elif ptype == ProducerType.BUYER:
            name = f"{head}农产品收购点（{short}）"
        elif ptype == ProducerType.SLAUGHTERHOUSE:
            name = f"赣榆区{rnd.choice(BRANDS)}生猪定点屠宰场"
            products = ["猪肉"]
        elif ptype == ProducerType.WHOLESALE_MARKET:
            name = f"赣榆区{short}农产品批发市场"
            products = []
        else:
            name = head
        if ptype != ProducerType.HOUSEHOLD and name in used_names:
            continue
        used_names.add(name)
        cc = None
        if ptype in (
            ProducerType.COOPERATIVE,
            ProducerType.ENTERPRISE,
            ProducerType.SLAUGHTERHOUSE,
            ProducerType.WHOLESALE_MARKET,
        ) or (ptype == ProducerType.FAMILY_FARM and rnd.random() < 0.7):
            cc = credit_code(rnd, ptype)
            if cc in used_credit:
                continue
            used_credit.add(cc)
        is_scale = (
            ptype
            in (
                ProducerType.ENTERPRISE,
                ProducerType.COOPERATIVE,
                ProducerType.FAMILY_FARM,
                ProducerType.SCALE_GROWER,
                ProducerType.SLAUGHTERHOUSE,
            )
            and rnd.random() < 0.85
        )
        tier = rnd.choices(["A", "B", "C"], [35, 55, 10])[0]
        rows.append(
            {
                "name": name,
                "type": ptype,
                "credit_code": cc,
                "legal_rep": head,
                "id_number": id_number(rnd)
                if ptype in (ProducerType.HOUSEHOLD, ProducerType.SCALE_GROWER)
                else "",
                "phone": phone(rnd),
                "region": village,
                "address": f"{town.name}{village.name}{rnd.randrange(1, 300)}号",
                "is_scale": is_scale,
                "tier": tier,
                "tier_reason": {
                    "A": "近三年抽检全部合格，记录规范",
                    "B": "常规监管",
                    "C": "曾有速测阳性，列为重点监管",
                }[tier],
                "products": [cats[p].pk for p in products],
                "established": dt.date(2008, 1, 1) + dt.timedelta(days=rnd.randrange(0, 5800)),
            }
        )
    with transaction.atomic():
        before = set(Producer.objects.values_list("pk", flat=True))
        apply_producer_rows(rows, actor=None)
        new = Producer.objects.exclude(pk__in=before)
        new.update(is_demo=True)
        producers = list(
            new.order_by("code").select_related("region").prefetch_related("product_lines__category")
        )
        _children(rnd, producers, by_id)
        _staff(rnd, towns, villages)
    stdout.write(f"registry: {len(producers)} producers\n")
    return {"producers": len(producers), "created": len(producers)}


def _children(rnd, producers, by_id):
    bases, certs, contacts, base_products = [], [], [], []
    today = dt.date.today()
    cert_seq = 0
    for p in producers:
        lines = [pl.category for pl in p.product_lines.all()]
        if (
            p.type in (ProducerType.BUYER, ProducerType.WHOLESALE_MARKET, ProducerType.HOUSEHOLD)
            and rnd.random() < 0.7
        ):
            n_bases = 0
        else:
            n_bases = rnd.choice((1, 1, 1, 2, 3)) if lines else 0
        for i in range(n_bases):
            cat = rnd.choice(lines)
            root = _root_name(cat, by_id)
            kind = BASE_KIND.get(root, BaseKind.FIELD)
            if kind == BaseKind.GREENHOUSE and rnd.random() < 0.4:
                kind = BaseKind.FIELD
            b = Base(
                producer=p,
                name=f"{p.region.name}{cat.name}基地" + (f"{i + 1}号" if n_bases > 1 else ""),
                kind=kind,
                region=p.region,
                address=p.address,
                latitude=Decimal("34.84") + Decimal(rnd.randrange(-1500, 1500)) / 10000,
                longitude=Decimal("119.12") + Decimal(rnd.randrange(-2000, 1500)) / 10000,
                area=Decimal(rnd.randrange(5, 800)) if kind not in (BaseKind.FARM,) else None,
                capacity=rnd.randrange(200, 20000) if kind == BaseKind.FARM else None,
            )
            bases.append(b)
            base_products.append((b, cat))
        if p.is_scale and lines and rnd.random() < 0.12:
            cert_seq += 1
            kind = rnd.choices(
                [CertificationKind.GREEN, CertificationKind.ORGANIC, CertificationKind.GI], [70, 20, 10]
            )[0]
            issued = today - dt.timedelta(days=rnd.randrange(30, 1000))
            valid = issued + dt.timedelta(days=365 * 3)
            if rnd.random() < 0.15:
                valid = today + dt.timedelta(days=rnd.randrange(5, 85))  # due for renewal soon
            prefix = {"green": "LB-", "organic": "320OP", "gi": "AGI"}[kind]
            certs.append(
                Certification(
                    producer=p,
                    kind=kind,
                    number=f"{prefix}{issued.year % 100:02d}{cert_seq:06d}",
                    product_name=lines[0].name,
                    scope=f"{lines[0].name}生产",
                    issuer={
                        "green": "中国绿色食品发展中心",
                        "organic": "南京国环有机产品认证中心",
                        "gi": "农业农村部",
                    }[kind],
                    issued_on=issued,
                    valid_until=valid,
                )
            )
        if p.type != ProducerType.HOUSEHOLD:
            contacts.append(
                Contact(producer=p, name=p.legal_rep, title="负责人", phone=p.phone, is_primary=True)
            )
            if rnd.random() < 0.4:
                contacts.append(
                    Contact(
                        producer=p,
                        name=person(rnd),
                        title=rnd.choice(["质量安全员", "内检员", "技术员"]),
                        phone=phone(rnd),
                    )
                )
    Base.objects.bulk_create(bases, batch_size=1000)
    through = Base.products.through
    through.objects.bulk_create(
        [through(base_id=b.pk, productcategory_id=c.pk) for b, c in base_products], batch_size=2000
    )
    Certification.objects.bulk_create(certs, batch_size=1000)
    Contact.objects.bulk_create(contacts, batch_size=1000)


def _staff(rnd, towns, villages):
    staff = []
    district = Region.objects.get(code="320707000000")
    for position in ("质量安全监管科科长", "监管员", "监管员", "检测员", "检测员", "执法队员", "执法队员"):
        staff.append(
            StaffMember(
                name=person(rnd),
                kind=StaffKind.DISTRICT if "执法" not in position else StaffKind.ENFORCEMENT,
                region=district,
                position=position,
                phone=phone(rnd),
                id_number=id_number(rnd),
                is_demo=True,
            )
        )
    for t in towns:
        for position in ["站长"] + ["专职监管员"] * rnd.choice((2, 3, 3, 4)):
            staff.append(
                StaffMember(
                    name=person(rnd),
                    kind=StaffKind.TOWNSHIP,
                    region=t,
                    position=position,
                    phone=phone(rnd),
                    id_number=id_number(rnd),
                    is_demo=True,
                )
            )
        for v in villages[t.pk]:
            for _ in range(rnd.choice((1, 1, 2))):
                staff.append(
                    StaffMember(
                        name=person(rnd),
                        kind=StaffKind.VILLAGE,
                        region=v,
                        position="村协管员",
                        phone=phone(rnd),
                        full_time=False,
                        is_demo=True,
                    )
                )
    StaffMember.objects.bulk_create(staff, batch_size=1000)


def accounts() -> None:
    """The demo logins (``nongan.core.demo.DEMO_USERS``): the producer login belongs to a 紫菜 cooperative of
    海头镇, and each staff login takes over an unlinked staff record of its region (and its name)."""
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
    for user in core_demo.users_create(producer=producer):
        if user.jurisdiction_id is None:
            continue
        staff = StaffMember.objects.filter(region=user.jurisdiction_id, user__isnull=True).first()
        if staff is not None:
            staff.user = user
            staff.save(update_fields=["user"])
            user.full_name = staff.name
            user.save(update_fields=["full_name"])
