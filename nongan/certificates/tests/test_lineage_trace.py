"""Collection with quantity-conserving lineage, market checks, trace and export, coverage."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from nongan.certificates import qrsign, selectors, services
from nongan.certificates.models import Certificate, Collection, Lineage, MarketCheck

# these tests record inputs: the issue gate checks them against the shipped banned and restricted lists
pytestmark = pytest.mark.usefixtures("standards")


@pytest.fixture
def buyer(make_producer):
    return make_producer(name="青口镇蔬菜收购站", type="buyer", credit_code=None)


@pytest.fixture
def market(make_producer):
    return make_producer(name="赣榆农产品批发市场", type="wholesale_market", credit_code=None, town="青口镇")


def test_collect_and_reissue_conserves_quantity(users, batch, issue, buyer, ganyu, today, make_producer):
    [a] = issue(batch, quantity="500")
    farm2 = make_producer(name="第二家庭农场", type="family_farm")
    b2 = services.batch_create(
        actor=None, producer=farm2, product=ganyu.category("黄瓜"), started=today - dt.timedelta(days=40)
    )
    [b] = issue(b2, actor=None, quantity="300")
    cols = services.purchase_record(
        actor=users.qk, collector=buyer, lot="L-001", items=[(a.token, "400", "kg"), (b.token, "600", "斤")]
    )
    assert [c.quantity for c in cols] == [Decimal("400.00"), Decimal("600.00")]
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.collected_quantity, b.collected_quantity) == (Decimal("400.00"), Decimal("300.00"))
    # quantities that do not add up: 400 + 300 drawn, 650 issued + 20 loss
    with pytest.raises(ValidationError) as exc:
        services.certificate_reissue(
            actor=users.qk,
            collector=buyer,
            draws=[(cols[0], "400"), (cols[1], "600")],
            quantity="650",
            unit="kg",
            loss="20",
        )
    assert "数量不符" in exc.value.messages[0]
    assert Certificate.objects.count() == 2
    # drawing more than collected
    with pytest.raises(ValidationError) as exc:
        services.certificate_reissue(
            actor=users.qk, collector=buyer, draws=[(cols[0], "401")], quantity="401", unit="kg"
        )
    assert "仅剩 400 kg 可用" in exc.value.messages[0] or "仅剩 400.00 kg 可用" in exc.value.messages[0]
    child = services.certificate_reissue(
        actor=users.qk,
        collector=buyer,
        draws=[(cols[0], "400"), (cols[1], "600")],
        quantity="680",
        unit="kg",
        loss="20",
    )
    assert child.promise_form == "buyer"
    assert child.promise_text.startswith("已按规定收取并保存")
    assert child.loss_quantity == Decimal("20.00")
    assert set(Lineage.objects.filter(child=child).values_list("parent__number", flat=True)) == {
        a.number,
        b.number,
    }
    assert [c.used_quantity for c in Collection.objects.order_by("pk")] == [
        Decimal("400.00"),
        Decimal("600.00"),
    ]
    # everything used: a further re-issue is refused
    with pytest.raises(ValidationError):
        services.certificate_reissue(
            actor=users.qk, collector=buyer, draws=[(cols[0], "1")], quantity="1", unit="kg"
        )


def test_purchase_needs_a_valid_unused_certificate(users, batch, issue, buyer):
    [a] = issue(batch, quantity="100")
    with pytest.raises(ValidationError) as exc:
        services.purchase_record(actor=users.qk, collector=buyer, lot="L-1", items=[])
    assert exc.value.messages == ["收购必须收取合格证：请为每个收购批次录入合格证编号。"]
    services.purchase_record(actor=users.qk, collector=buyer, lot="L-1", items=[(a.token, "100", "kg")])
    with pytest.raises(ValidationError) as exc:
        services.purchase_record(actor=users.qk, collector=buyer, lot="L-2", items=[(a.token, "1", "kg")])
    assert exc.value.messages == [f"第 1 行：合格证 {a.number} 已全部被收取（已收取 100.00 kg）。"]
    wrong = a.number[:-1] + ("0" if a.number[-1] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        services.purchase_record(actor=users.qk, collector=buyer, lot="L-3", items=[(wrong, "1", "kg")])
    assert "仅凭合格证编号不能收取" in exc.value.messages[0]
    [r] = issue(batch, quantity="5")
    services.certificate_revoke(actor=None, certificate=r, reason="x")
    with pytest.raises(ValidationError) as exc:
        services.purchase_record(actor=users.qk, collector=buyer, lot="L-4", items=[(r.token, "1", "kg")])
    assert exc.value.messages == [f"第 1 行：合格证 {r.number} 已撤销。"]
    assert Collection.objects.count() == 1
    # a scanned QR (the whole URL) works; a forged one is refused
    [q] = issue(batch, quantity="5")
    url = f"http://127.0.0.1:8000/v/{q.number}?s={q.token}"
    with pytest.raises(ValidationError) as exc:
        services.purchase_record(
            actor=users.qk, collector=buyer, lot="L-6", items=[(url[:-3] + "AAA", "1", "kg")]
        )
    assert "签名无效" in exc.value.messages[0]
    [col] = services.purchase_record(actor=users.qk, collector=buyer, lot="L-6", items=[(url, "5", "kg")])
    assert col.certificate == q
    # a collector outside the supervisor's township
    with pytest.raises(ValidationError):
        services.purchase_record(actor=users.zw, collector=buyer, lot="L-5", items=[(r.token, "1", "kg")])


def test_market_checks_flag_producers(users, batch, issue, ganyu):
    [a] = issue(batch, quantity="100")
    ok = services.market_check_record(
        actor=users.market,
        region=ganyu.town["青口镇"],
        market="青口农贸市场",
        product_name="黄瓜",
        number=a.number,
        quantity="50",
        unit="kg",
    )
    assert (ok.result, ok.seller) == ("valid", users.own_producer)
    users.own_producer.refresh_from_db()
    assert users.own_producer.key_target is False
    missing = services.market_check_record(
        actor=users.market,
        region=ganyu.town["青口镇"],
        market="青口农贸市场",
        product_name="番茄",
        seller_name="无名摊贩",
    )
    assert missing.result == "missing"
    unknown = a.number[:-3] + "99"  # well formed, with its check character, but issued to nobody
    unknown += qrsign.check_char(unknown)
    bad = services.market_check_record(
        actor=users.market,
        region=ganyu.town["青口镇"],
        market="青口农贸市场",
        product_name="黄瓜",
        number=unknown,
    )
    assert (bad.result, bad.number_entered, bad.seller) == ("invalid", unknown, None)
    services.certificate_revoke(actor=None, certificate=a, reason="召回")
    rev = services.market_check_record(
        actor=users.market,
        region=ganyu.town["青口镇"],
        market="青口农贸市场",
        product_name="黄瓜",
        number=a.number,
    )
    assert rev.result == "revoked"
    users.own_producer.refresh_from_db()
    assert users.own_producer.key_target is False  # a proposal only, until the township accepts it
    services.key_target_proposal_accept(actor=users.qk, proposal=rev.proposal)
    users.own_producer.refresh_from_db()
    assert users.own_producer.key_target is True
    assert "青口农贸市场" in users.own_producer.key_target_reason
    with pytest.raises(ValidationError):
        services.market_check_record(
            actor=users.zw, region=ganyu.town["青口镇"], market="x", product_name="y"
        )
    assert MarketCheck.objects.count() == 4


def _chain(users, batch, issue, make_producer):
    """Producer → buyer 1 → buyer 2 → market, with a market check at the end."""
    [a] = issue(batch, quantity="1000")
    services.input_use_add(
        actor=None,
        batch=batch,
        kind="fertilizer",
        product_name="复合肥",
        used_on=batch.started,
        late_reason="补录",
    )
    b1 = make_producer(name="一级收购商", type="buyer", credit_code=None)
    b2 = make_producer(name="二级收购商", type="buyer", credit_code=None)
    m = make_producer(name="批发市场", type="wholesale_market", credit_code=None)
    [c1] = services.purchase_record(actor=None, collector=b1, lot="A", items=[(a.token, "1000", "kg")])
    x1 = services.certificate_reissue(
        actor=None, collector=b1, draws=[(c1, "1000")], quantity="990", unit="kg", loss="10"
    )
    [c2] = services.purchase_record(actor=None, collector=b2, lot="B", items=[(x1.token, "990", "kg")])
    x2 = services.certificate_reissue(
        actor=None, collector=b2, draws=[(c2, "990")], quantity="990", unit="kg"
    )
    services.purchase_record(actor=None, collector=m, lot="C", items=[(x2.token, "500", "kg")])
    services.market_check_record(
        actor=None, region=m.region, market="批发市场", product_name="黄瓜", number=x2.number
    )
    return a, x1, x2


def test_trace_forward_and_back(users, batch, issue, make_producer):
    a, x1, x2 = _chain(users, batch, issue, make_producer)
    t = selectors.trace([a])
    events = [(r.direction, r.level, r.event) for r in t.sorted_rows()]
    assert ("back", 99, "input") in events
    assert ("self", 0, "issue") in events
    assert ("forward", 1, "collection") in events
    assert ("forward", 1, "issue") in events  # x1
    assert ("forward", 2, "issue") in events  # x2
    assert ("forward", 3, "collection") in events
    assert ("forward", 3, "market_check") in events
    assert t.certificates == 3
    back = selectors.trace([x2])
    assert {r.certificate for r in back.rows if r.direction == "back" and r.event == "issue"} == {
        a.number,
        x1.number,
    }
    assert any(r.event == "input" and r.product == "复合肥" for r in back.rows)


def test_trace_pages_and_export(client, users, batch, issue, make_producer):
    a, _x1, x2 = _chain(users, batch, issue, make_producer)
    client.force_login(users.admin)
    r = client.get("/certificates/trace/", {"number": a.number})
    assert x2.number in r.content.decode()
    r = client.get("/certificates/trace.xlsx", {"number": a.number})
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb.active
    assert [c.value for c in ws[1]][:4] == ["方向", "层级", "事件", "时间"]
    assert ws.auto_filter.ref
    assert any(row[4] == x2.number for row in ws.iter_rows(min_row=2, values_only=True))
    r = client.get("/certificates/trace.csv", {"batch": batch.code})
    assert r.content.decode("utf-8-sig").splitlines()[0].startswith("方向,层级,事件")
    # a township user of another town sees nothing to trace
    client.force_login(users.zw)
    assert "没有可追溯的对象" in client.get("/certificates/trace/", {"number": a.number}).content.decode()
    assert client.get("/certificates/trace.csv", {"number": a.number}).status_code == 404


def test_coverage(users, batch, issue, make_producer, ganyu):
    make_producer(name="未开证合作社", town="青口镇")
    make_producer(name="柘汪合作社", town="柘汪镇")
    issue(batch)
    cov = selectors.coverage(users.admin)
    assert (cov["total"], cov["issued"], cov["share"]) == (3, 1, 33.3)
    towns = {r["name"]: (r["total"], r["issued"]) for r in cov["by_township"]}
    assert towns == {"青口镇": (2, 1), "柘汪镇": (1, 0)}
    assert sum(m["issued"] for m in cov["months"]) == 1
    qk = selectors.coverage(users.qk)
    assert (qk["total"], qk["issued"]) == (2, 1)
