"""Form pages: batch, input correction, purchase, re-issue, market check; the keys command."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from nongan.certificates import services
from nongan.certificates.models import (
    Certificate,
    Collection,
    InputUse,
    MarketCheck,
    ProductionBatch,
    SigningKey,
)

# these tests record inputs: the issue gate checks them against the shipped banned and restricted lists
pytestmark = pytest.mark.usefixtures("standards")


def test_batch_and_input_pages(client, users, ganyu, today):
    client.force_login(users.producer)
    r = client.post(
        "/certificates/batches/new/",
        {
            "producer": users.own_producer.pk,
            "product": ganyu.category("黄瓜").pk,
            "plot": "1号棚",
            "started": (today - dt.timedelta(days=20)).isoformat(),
            "unit": "kg",
        },
    )
    assert r.status_code == 302
    batch = ProductionBatch.objects.get()
    r = client.post(
        f"/certificates/batches/{batch.code}/",
        {
            "action": "input",
            "in-kind": "pesticide",
            "in-product_name": "吡虫啉",
            "in-used_on": today.isoformat(),
            "in-interval_days": "7",
        },
    )
    assert r.status_code == 302
    use = InputUse.objects.get()
    page = client.get(f"/certificates/batches/{batch.code}/").content.decode()
    assert "今天不能开具合格证" in page
    r = client.post(
        f"/certificates/batches/{batch.code}/",
        {
            "action": "issue",
            "is-quantity": "100",
            "is-unit": "kg",
            "is-count": "1",
            "is-basis": "control",
        },
    )
    assert r.status_code == 200
    assert "仍在安全间隔期内" in r.content.decode()
    assert Certificate.objects.count() == 0
    r = client.post(
        f"/certificates/inputs/{use.pk}/edit/",
        {
            "kind": "pesticide",
            "product_name": "吡虫啉",
            "used_on": today.isoformat(),
            "interval_days": "0",
            "reason": "",
        },
    )
    assert r.status_code == 200
    use.refresh_from_db()
    assert use.interval_days == 7
    r = client.post(
        f"/certificates/inputs/{use.pk}/edit/",
        {
            "kind": "pesticide",
            "product_name": "吡虫啉",
            "used_on": today.isoformat(),
            "interval_days": "0",
            "reason": "间隔期填错，标签为 0 天",
        },
    )
    assert r.status_code == 302
    use.refresh_from_db()
    assert use.interval_days == 0
    client.force_login(users.zw)
    assert client.get(f"/certificates/inputs/{use.pk}/edit/").status_code == 404


def test_purchase_reissue_and_market_pages(client, users, batch, issue, make_producer, ganyu):
    [a] = issue(batch, quantity="300")
    buyer = make_producer(name="收购站", type="buyer", credit_code=None)
    client.force_login(users.qk)
    r = client.post("/certificates/collect/", {"collector": buyer.pk, "lot": "L1", "lines": "无编号"})
    assert r.status_code == 200
    assert "请填写扫描所得的二维码内容、数量和单位" in r.content.decode()
    r = client.post(
        "/certificates/collect/", {"collector": buyer.pk, "lot": "L1", "lines": f"{a.token} 400 kg"}
    )
    assert "仅剩 300.00 kg 可收取" in r.content.decode()
    assert Collection.objects.count() == 0
    r = client.post(
        "/certificates/collect/",
        {
            "collector": buyer.pk,
            "lot": "L1",
            "lines": f"http://127.0.0.1:8000/v/{a.number.lower()}?s={a.token} 300 kg",
        },
    )
    assert r.status_code == 302
    col = Collection.objects.get()
    r = client.post(
        "/certificates/reissue/", {f"draw_{col.pk}": "300", "quantity": "300", "unit": "kg", "loss": "5"}
    )
    assert r.status_code == 200
    assert "数量不符" in r.content.decode()
    r = client.post(
        "/certificates/reissue/", {f"draw_{col.pk}": "300", "quantity": "295", "unit": "kg", "loss": "5"}
    )
    assert r.status_code == 302
    child = Certificate.objects.get(producer=buyer)
    assert child.quantity == 295
    client.force_login(users.market)
    r = client.post("/certificates/market-checks/", {"step": "look", "number": child.number})
    assert r.status_code == 200 and 'data-testid="check-preview"' in r.content.decode()
    assert MarketCheck.objects.count() == 0  # shown, not saved
    r = client.post(
        "/certificates/market-checks/",
        {
            "step": "save",
            "market": "青口农贸市场",
            "product_name": "黄瓜",
            "number": child.number,
            "quantity": "100",
            "unit": "kg",
        },
    )
    assert r.status_code == 302
    assert MarketCheck.objects.get().result == "valid"
    page = client.get(f"/v/{child.number}").content.decode()
    assert a.number in page  # made from collected certificates


def test_keys_command(db, tmp_path):
    out = io.StringIO()
    call_command("keys", "rotate", stdout=out)
    call_command("keys", "rotate", stdout=out)
    assert SigningKey.objects.count() == 2
    assert SigningKey.objects.filter(active=True).count() == 1
    call_command("keys", "export", str(tmp_path / "k.json"), stdout=out)
    data = json.loads((tmp_path / "k.json").read_text(encoding="utf-8"))
    assert [k["status"] for k in data["keys"]] == ["retired", "active"]
    listing = io.StringIO()
    call_command("keys", "list", stdout=listing)
    assert "启用" in listing.getvalue()
    assert services.public_keys()["keys"][1]["kid"] == SigningKey.objects.get(active=True).kid


def test_a_stale_input_correction_is_refused_and_shows_what_changed(client, users, batch, today):
    use = services.input_use_add(
        actor=users.producer,
        batch=batch,
        kind="pesticide",
        product_name="吡虫啉",
        used_on=today,
        interval_days=7,
    )
    client.force_login(users.producer)
    url = f"/certificates/inputs/{use.pk}/edit/"
    assert 'name="version" value="1"' in client.get(url).content.decode()
    services.input_use_update(
        actor=users.producer, use=use, reason="剂量补记", expected_version=1, plot="2号棚"
    )
    form = {
        "kind": "pesticide",
        "product_name": "吡虫啉",
        "used_on": today.isoformat(),
        "interval_days": "0",
        "reason": "间隔期填错",
        "version": "1",
    }
    r = client.post(url, form)
    assert r.status_code == 200
    use.refresh_from_db()
    assert (use.interval_days, use.plot, use.version) == (7, "2号棚", 2)
    rows = [(str(x["field"]), x["was"], x["yours"], x["now"]) for x in r.context["form"].stale]
    assert ("地块 / 圈舍", "", "", "2号棚") in rows
    assert ("安全间隔期 / 休药期（天）", 7, 0, 7) in rows
    assert 'name="version" value="2"' in r.content.decode()
    r = client.post(url, dict(form, plot="2号棚", version="2"))  # redone on the current version: saved
    assert r.status_code == 302
    use.refresh_from_db()
    assert (use.interval_days, use.plot, use.version) == (0, "2号棚", 3)
