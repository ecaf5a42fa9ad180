"""Certificates that tell the truth (MOA Order 2025 No. 4): the three promises everywhere the promise is
shown; a tested basis only with its own test record (same producer, same product, recent); a re-issue that
conserves product and states the growers' origins, never the buyer's village."""

import datetime as dt
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from pypdf import PdfReader

from nongan.certificates import labels, services
from nongan.certificates.models import Certificate
from nongan.core.workflow import unguarded_state_writes
from nongan.monitoring import services as monitoring
from nongan.monitoring.models import RapidTest, Sample

PROMISES = ("不使用禁用农药兽药、停用兽药和非法添加物", "常规农药兽药残留不超标", "对承诺的真实性负责")
NEEDS_RECORD = "自行检测合格、委托检测合格须关联其检测记录：请填写合格的抽样单号或阴性的速测记录号。"


@pytest.fixture
def harvested(batch, users, today):
    services.harvest_record(
        actor=users.producer, batch=batch, kind="harvest", date=today, quantity="1000", unit="kg"
    )
    return batch


@pytest.fixture
def sample_of(users, ganyu):
    def make(product="黄瓜", producer=None, days_ago=0.1, verdict="pass"):
        s = monitoring.sample_register(
            actor=users.sampler,
            producer=producer or users.own_producer,
            product=ganyu.category(product),
            quantity="2.5",
            quantity_unit="kg",
            place="大棚3号",
            lot="L1",
            sampled_at=timezone.now() - dt.timedelta(days=days_ago),
            seal_number="F0001",
        )
        with unguarded_state_writes():
            Sample.objects.filter(pk=s.pk).update(state="published", verdict=verdict)
        s.refresh_from_db()
        return s

    return make


def rapid_of(users, ganyu, product="黄瓜", days_ago=0.1):
    p = users.own_producer
    return RapidTest.objects.create(
        region=p.region.parent,
        township=p.region.parent,
        producer=p,
        product=ganyu.category(product),
        sector="crop",
        method="enzyme",
        inhibition="12.5",
        threshold="50",
        outcome="negative",
        tested_at=timezone.now() - dt.timedelta(days=days_ago),
        tester=users.sampler,
    )


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_three_promises_on_page_label_and_public_page(client, users, harvested, issue):
    [c] = issue(harvested, quantity="10")
    assert (
        c.promise_text
        == "不使用禁用农药兽药、停用兽药和非法添加物；常规农药兽药残留不超标；对承诺的真实性负责。"
    )
    client.force_login(users.producer)
    page = client.get(f"/certificates/c/{c.number}/").content.decode()
    client.logout()
    public = client.get(f"/v/{c.number}").content.decode()
    for key in labels.SIZES:
        text = flat(PdfReader(io.BytesIO(labels.labels_pdf([c], key))).pages[0].extract_text())
        for promise in PROMISES:
            assert promise in text, (key, promise)
    for promise in PROMISES:
        assert promise in page
        assert promise in public


@pytest.mark.parametrize("basis", ["self_test", "entrusted_test"])
def test_tested_basis_needs_its_record(users, harvested, issue, basis):
    with pytest.raises(ValidationError) as exc:
        issue(harvested, basis=basis, test_record="检测报告")
    assert exc.value.message_dict == {"basis": [NEEDS_RECORD]}
    assert Certificate.objects.count() == 0
    [c] = issue(harvested, basis="control")
    assert c.basis == "control"


def test_basis_record_of_another_product_is_refused(users, harvested, issue, sample_of, ganyu):
    tomato = sample_of(product="番茄")
    with pytest.raises(ValidationError) as exc:
        issue(harvested, basis="entrusted_test", basis_sample=tomato.code)
    assert exc.value.message_dict == {
        "basis_sample": [f"抽样单 {tomato.code} 的产品是番茄，不是本合格证的产品黄瓜。"]
    }
    r = rapid_of(users, ganyu, product="番茄")
    with pytest.raises(ValidationError) as exc:
        issue(harvested, basis="self_test", basis_rapid_test=r.pk)
    assert exc.value.message_dict == {
        "basis_rapid_test": [f"速测记录 {r.pk} 的产品是番茄，不是本合格证的产品黄瓜。"]
    }
    assert Certificate.objects.count() == 0


def test_basis_record_must_be_recent_and_before_issue(users, harvested, issue, sample_of, ganyu, settings):
    assert settings.NONGAN_BASIS_MAX_DAYS == 30
    old = sample_of(days_ago=31)
    with pytest.raises(ValidationError) as exc:
        issue(harvested, basis="entrusted_test", basis_sample=old.code)
    assert exc.value.message_dict == {
        "basis_sample": [f"抽样单 {old.code} 不是开具前 30 天内的检测，不能作为本次承诺的依据。"]
    }
    later = sample_of(days_ago=0.01)
    with pytest.raises(ValidationError) as exc:
        issue(
            harvested,
            basis="entrusted_test",
            basis_sample=later.code,
            issued_at=timezone.now() - dt.timedelta(days=1),
        )
    assert exc.value.message_dict == {
        "basis_sample": [f"抽样单 {later.code} 不是开具前 30 天内的检测，不能作为本次承诺的依据。"]
    }
    old_rapid = rapid_of(users, ganyu, days_ago=40)
    with pytest.raises(ValidationError) as exc:
        issue(harvested, basis="self_test", basis_rapid_test=old_rapid.pk)
    assert exc.value.message_dict == {
        "basis_rapid_test": [f"速测记录 {old_rapid.pk} 不是开具前 30 天内的检测，不能作为本次承诺的依据。"]
    }
    assert Certificate.objects.count() == 0
    settings.NONGAN_BASIS_MAX_DAYS = 60
    [c] = issue(harvested, basis="entrusted_test", basis_sample=old.code)
    assert c.basis_sample == old
    [c2] = issue(harvested, basis="self_test", basis_rapid_test=rapid_of(users, ganyu, days_ago=2).pk)
    assert c2.basis_rapid_test is not None


@pytest.fixture
def two_growers(users, ganyu, make_producer, today):
    """A 黄瓜 certificate from a 青口镇 village and a 番茄 and a 黄瓜 certificate from a 柘汪镇 village."""

    def cert(producer, product):
        b = services.batch_create(
            actor=None,
            producer=producer,
            product=ganyu.category(product),
            started=today - dt.timedelta(days=40),
        )
        [c] = services.certificate_issue(actor=None, batch=b, quantity="100", unit="kg")
        return c

    far = make_producer(name="柘汪镇种植场", town="柘汪镇", village_index=2, products=("黄瓜", "番茄"))
    return {
        "qk_cucumber": cert(users.own_producer, "黄瓜"),
        "zw_cucumber": cert(far, "黄瓜"),
        "zw_tomato": cert(far, "番茄"),
    }


@pytest.fixture
def buyer(make_producer):
    return make_producer(
        name="青口镇蔬菜收购站", type="buyer", credit_code=None, town="青口镇", village_index=5
    )


def collect(users, buyer, *certs):
    return services.purchase_record(
        actor=users.admin, collector=buyer, lot="L", items=[(c.token, "100", "kg") for c in certs]
    )


def test_reissue_of_mixed_products_is_refused_unless_declared(users, ganyu, two_growers, buyer):
    cols = collect(users, buyer, two_growers["qk_cucumber"], two_growers["zw_tomato"])
    draws = [(c, "100") for c in cols]
    with pytest.raises(ValidationError) as exc:
        services.certificate_reissue(
            actor=users.admin, collector=buyer, draws=draws, quantity="200", unit="kg"
        )
    assert exc.value.messages == [
        "所用合格证的产品不同（番茄、黄瓜）：混装须申报一个包含全部产品的类别（如其共同的上级类别）。"
    ]
    with pytest.raises(ValidationError) as exc:
        services.certificate_reissue(
            actor=users.admin,
            collector=buyer,
            draws=draws,
            quantity="200",
            unit="kg",
            product=ganyu.category("番茄"),
        )
    assert exc.value.messages == ["申报的产品番茄不包含所用合格证的产品黄瓜。"]
    assert Certificate.objects.filter(producer=buyer).count() == 0
    veg = ganyu.category("黄瓜").parent
    while not ganyu.category("番茄").path.startswith(veg.path):  # their common parent (蔬菜)
        veg = veg.parent
    child = services.certificate_reissue(
        actor=users.admin, collector=buyer, draws=draws, quantity="200", unit="kg", product=veg
    )
    assert child.product == veg


def test_reissue_states_the_growers_origins_not_the_buyers_village(client, users, ganyu, two_growers, buyer):
    a, b = two_growers["qk_cucumber"], two_growers["zw_cucumber"]
    cols = collect(users, buyer, a, b)
    child = services.certificate_reissue(
        actor=users.admin, collector=buyer, draws=[(c, "100") for c in cols], quantity="200", unit="kg"
    )
    assert child.product_name == "黄瓜"
    assert child.origin != buyer.region
    assert child.origin == ganyu.district  # the region holding both growers
    assert {r.pk for r in child.grower_origins()} == {a.origin_id, b.origin_id}
    expected = "、".join(labels.origin_text(r) for r in child.grower_origins())
    assert dict(labels.label_lines(child))["产地"] == expected
    public = client.get(f"/v/{child.number}").content.decode()
    assert a.origin.name in public and b.origin.name in public
    assert buyer.region.name not in public
    client.force_login(users.admin)
    page = client.get(f"/certificates/c/{child.number}/").content.decode()
    assert a.origin.name in page and b.origin.name in page


def test_reissue_page_refuses_mixed_products_and_accepts_a_declared_mixture(
    client, users, ganyu, two_growers, buyer
):
    cols = collect(users, buyer, two_growers["qk_cucumber"], two_growers["zw_tomato"])
    post = {f"draw_{c.pk}": "100" for c in cols} | {"quantity": "200", "unit": "kg", "loss": "0"}
    client.force_login(users.admin)
    r = client.post("/certificates/reissue/", post)
    assert r.status_code == 200 and "所用合格证的产品不同（番茄、黄瓜）" in r.content.decode()
    r = client.post("/certificates/reissue/", post | {"product": "不存在的类别"})
    assert "没有名为“不存在的类别”的产品类别。" in r.content.decode()
    assert Certificate.objects.filter(producer=buyer).count() == 0
    veg = ganyu.category("黄瓜").parent
    while not ganyu.category("番茄").path.startswith(veg.path):
        veg = veg.parent
    r = client.post("/certificates/reissue/", post | {"product": veg.code})
    assert r.status_code == 302
    assert Certificate.objects.get(producer=buyer).product == veg
