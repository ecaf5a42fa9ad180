"""A 自行检测合格 / 委托检测合格 promise linked to its test record (a lab sample or a rapid test)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from nongan.certificates import services
from nongan.certificates.models import Certificate
from nongan.core.workflow import unguarded_state_writes
from nongan.monitoring import services as monitoring
from nongan.monitoring.models import RapidTest, Sample


@pytest.fixture
def make_sample(users, ganyu):
    def make(producer=None, state="published", verdict="pass"):
        s = monitoring.sample_register(
            actor=users.sampler,
            producer=producer or users.own_producer,
            product=ganyu.category("黄瓜"),
            quantity="2.5",
            quantity_unit="kg",
            place="大棚3号",
            lot="L1",
            sampled_at=timezone.now() - dt.timedelta(hours=2),
            seal_number="F0001",
        )
        with unguarded_state_writes():  # a sample in the given state, without walking the lab's steps
            Sample.objects.filter(pk=s.pk).update(state=state, verdict=verdict)
        s.refresh_from_db()
        return s

    return make


@pytest.fixture
def make_rapid(users, ganyu):
    def make(producer=None, outcome="negative"):
        producer = producer or users.own_producer
        return RapidTest.objects.create(
            region=producer.region.parent,
            township=producer.region.parent,
            producer=producer,
            product=ganyu.category("黄瓜"),
            sector="crop",
            method="enzyme",
            inhibition="12.5",
            threshold="50",
            outcome=outcome,
            tested_at=timezone.now() - dt.timedelta(hours=3),
            tester=users.sampler,
        )

    return make


@pytest.fixture
def harvested(batch, users, today):
    from nongan.certificates import services

    services.harvest_record(
        actor=users.producer, batch=batch, kind="harvest", date=today, quantity="1000", unit="kg"
    )
    return batch


def test_link_sample_ok_and_shown(client, users, harvested, issue, make_sample):
    s = make_sample()
    [c] = issue(harvested, basis="entrusted_test", basis_sample=s.code.lower(), test_record="检测报告")
    assert (c.basis_sample, c.basis_rapid_test, c.test_record) == (s, None, "检测报告")
    client.force_login(users.producer)
    r = client.get(f"/certificates/c/{c.number}/")
    assert f"抽样单 {s.code} 合格" in r.content.decode()
    client.logout()
    body = client.get(f"/v/{c.number}").content.decode()
    assert f"委托检测合格：<span data-basis-record>抽样单 {s.code} 合格</span>" in body
    assert "13812345678" not in body


def test_link_rapid_test_ok(harvested, issue, make_rapid):
    r = make_rapid()
    [c] = issue(harvested, basis="self_test", basis_rapid_test=str(r.pk))
    assert c.basis_rapid_test == r
    assert (
        c.basis_record_label == f"速测 {r.pk} 号（{timezone.localtime(r.tested_at).date().isoformat()}）阴性"
    )


def test_refused_other_producers_sample(harvested, issue, make_sample, make_producer, users):
    other = make_producer(name="青口镇另一家合作社")
    s = make_sample(producer=other)
    with pytest.raises(ValidationError) as exc:
        issue(harvested, actor=users.admin, basis="entrusted_test", basis_sample=s.code)
    assert exc.value.message_dict == {"basis_sample": ["该样品抽自其他生产经营主体。"]}
    # the producer itself cannot even see the other producer's sample
    with pytest.raises(ValidationError) as exc:
        issue(harvested, basis="entrusted_test", basis_sample=s.code)
    assert exc.value.message_dict == {"basis_sample": ["您的管辖范围内没有该编号的抽样单。"]}
    assert Certificate.objects.count() == 0


@pytest.mark.parametrize(
    ("state", "verdict", "shown"),
    [
        ("published", "fail", "不合格"),
        ("published", "not_judgeable", "无法判定"),
        ("received", "", "实验室已接收"),
    ],
)
def test_refused_not_a_pass(harvested, issue, make_sample, users, state, verdict, shown):
    s = make_sample(state=state, verdict=verdict)
    # staff issuing for the producer learn why; the producer itself does not see an unpublished sample at all
    with pytest.raises(ValidationError) as exc:
        issue(harvested, actor=users.admin, basis="entrusted_test", basis_sample=s.code)
    msg = exc.value.message_dict["basis_sample"][0]
    assert s.code in msg and shown in msg
    with pytest.raises(ValidationError) as exc:
        issue(harvested, basis="entrusted_test", basis_sample=s.code)
    expected = [msg] if state == "published" else ["您的管辖范围内没有该编号的抽样单。"]
    assert exc.value.message_dict["basis_sample"] == expected
    assert Certificate.objects.count() == 0


def test_refused_positive_rapid_and_wrong_basis(harvested, issue, make_rapid, make_sample):
    r = make_rapid(outcome="positive")
    with pytest.raises(ValidationError) as exc:
        issue(harvested, basis="self_test", basis_rapid_test=r.pk)
    assert exc.value.message_dict == {"basis_rapid_test": [f"速测 {r.pk} 号结果为阳性，不能作为承诺依据。"]}
    s = make_sample()
    with pytest.raises(ValidationError) as exc:
        issue(harvested, basis="control", basis_sample=s.code)
    assert list(exc.value.message_dict) == ["basis"]
    with pytest.raises(ValidationError) as exc:
        issue(harvested, basis="self_test", basis_rapid_test="999999")
    assert list(exc.value.message_dict) == ["basis_rapid_test"]
    assert Certificate.objects.count() == 0


def test_out_of_scope_sample_is_unknown(harvested, issue, make_sample, users):
    """A township officer of another township cannot link (or even learn about) a sample outside its scope."""
    s = make_sample()
    with pytest.raises(ValidationError) as exc:
        issue(harvested, actor=users.admin, basis="entrusted_test", basis_sample="CY0000000000")
    assert list(exc.value.message_dict) == ["basis_sample"]
    [c] = issue(harvested, actor=users.admin, basis="entrusted_test", basis_sample=s.code)
    assert c.basis_sample == s


def test_api_link_and_400(client, users, harvested, make_sample, make_producer):
    client.force_login(users.producer)
    s = make_sample()
    r = client.post(
        "/api/v1/certificates/",
        {
            "batch": harvested.code,
            "quantity": "20",
            "unit": "kg",
            "basis": "entrusted_test",
            "basis_sample": s.code,
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()[0]["basis_sample"] == s.code
    bad = make_sample(verdict="fail")
    r = client.post(
        "/api/v1/certificates/",
        {
            "batch": harvested.code,
            "quantity": "20",
            "unit": "kg",
            "basis": "entrusted_test",
            "basis_sample": bad.code,
        },
        content_type="application/json",
    )
    assert r.status_code == 400
    assert list(r.json()) == ["basis_sample"]
    assert Certificate.objects.count() == 1


def test_form_shows_error(client, users, harvested, make_sample):
    client.force_login(users.producer)
    bad = make_sample(verdict="fail")
    r = client.post(
        f"/certificates/batches/{harvested.code}/",
        {
            "action": "issue",
            "is-quantity": "10",
            "is-unit": "kg",
            "is-count": "1",
            "is-basis": "entrusted_test",
            "is-basis_sample": bad.code,
        },
    )
    assert r.status_code == 200
    assert "不能作为承诺依据" in r.content.decode()
    assert Certificate.objects.count() == 0


# --- origin down to the village -------------------------------------------------------------------------


def test_origin_village_of_township_producer(users, ganyu, today, make_producer):
    from nongan.certificates import services
    from nongan.certificates.models import ProductionBatch

    town = ganyu.town["青口镇"]
    p = make_producer(name="青口镇镇级合作社", region=town)
    v = ganyu.village("青口镇", 1)
    b = services.batch_create(
        actor=users.admin, producer=p, product=ganyu.category("黄瓜"), started=today, origin=v
    )
    assert b.origin == v
    outside = ganyu.village("柘汪镇", 0)
    with pytest.raises(ValidationError) as exc:
        services.batch_create(
            actor=users.admin, producer=p, product=ganyu.category("黄瓜"), started=today, origin=outside
        )
    assert exc.value.message_dict == {"origin": ["产地必须是该主体所在村或其所在镇的村（青口镇）。"]}
    with pytest.raises(ValidationError):
        services.batch_create(
            actor=users.admin, producer=p, product=ganyu.category("黄瓜"), started=today, origin=town
        )
    assert ProductionBatch.objects.filter(producer=p).count() == 1


def test_origin_village_producer_only_its_village(users, ganyu, today):
    from nongan.certificates import services

    p = users.own_producer
    other = ganyu.village("青口镇", 1)
    assert other != p.region
    with pytest.raises(ValidationError) as exc:
        services.batch_create(
            actor=users.producer, producer=p, product=ganyu.category("黄瓜"), started=today, origin=other
        )
    assert list(exc.value.message_dict) == ["origin"]
    b = services.batch_create(
        actor=users.producer, producer=p, product=ganyu.category("黄瓜"), started=today, origin=p.region
    )
    assert b.origin == p.region


def test_batch_form_offers_villages_of_the_township(client, users, ganyu, today):
    from nongan.certificates.forms import BatchForm
    from nongan.registry.models import Producer

    town = ganyu.town["青口镇"]
    Producer.objects.filter(pk=users.own_producer.pk).update(region=town)
    form = BatchForm(producers=Producer.objects.filter(pk=users.own_producer.pk))
    offered = set(form.fields["origin"].queryset)
    assert offered == set(town.children.filter(level="village"))
    assert ganyu.village("柘汪镇", 0) not in offered
    client.force_login(users.producer)
    r = client.post(
        "/certificates/batches/new/",
        {
            "producer": users.own_producer.pk,
            "product": ganyu.category("黄瓜").pk,
            "origin": ganyu.village("柘汪镇", 0).pk,
            "started": today.isoformat(),
            "unit": "kg",
        },
    )
    assert r.status_code == 200
    assert "请选择该主体所在镇的村。" in r.content.decode()
    r = client.post(
        "/certificates/batches/new/",
        {
            "producer": users.own_producer.pk,
            "product": ganyu.category("黄瓜").pk,
            "origin": ganyu.village("青口镇", 2).pk,
            "started": today.isoformat(),
            "unit": "kg",
        },
    )
    assert r.status_code == 302
    from nongan.certificates.models import ProductionBatch

    assert ProductionBatch.objects.get(producer=users.own_producer).origin == ganyu.village("青口镇", 2)


def test_monitoring_decides_what_backs_a_promise(users, make_sample, make_rapid):
    """monitoring.selectors answers for its own states: which sample or rapid test may back a promise."""
    from nongan.monitoring import selectors

    s, held = make_sample(), make_sample(state="verified", verdict="")
    found = selectors.qualified_sample_for_basis(users.producer, f" {s.code.lower()} ")
    assert (found.record, found.producer_id, found.qualified) == (s, users.own_producer.pk, True)
    assert selectors.qualified_sample_for_basis(users.producer, s).record == s
    assert (
        selectors.qualified_sample_for_basis(users.producer, held) is None
    )  # unpublished: not the producer's to see
    assert selectors.qualified_sample_for_basis(users.admin, held).qualified is False
    assert selectors.qualified_sample_for_basis(users.producer, "CY0000000000") is None
    negative, positive = make_rapid(), make_rapid(outcome="positive")
    assert selectors.negative_rapid_test_for_basis(users.producer, str(negative.pk)).qualified is True
    assert selectors.negative_rapid_test_for_basis(users.producer, positive).qualified is False
    RapidTest.objects.filter(pk=negative.pk).update(confirmed_positive=True)
    assert selectors.negative_rapid_test_for_basis(users.producer, negative.pk).qualified is False
    assert [selectors.negative_rapid_test_for_basis(users.producer, x) for x in ("x", "", 0)] == [None] * 3


def test_trace_from_a_sample_follows_its_recorded_certificate_number(users, harvested, issue, make_sample):
    from nongan.certificates import selectors as certificates
    from nongan.monitoring import selectors

    [c] = issue(harvested)
    s = make_sample()
    Sample.objects.filter(pk=s.pk).update(certificate_number=c.number.lower())
    assert selectors.certificate_numbers_of_sample(s.code) == {c.number}
    assert selectors.certificate_numbers_of_sample("CY0000000000") == set()
    assert certificates.trace_roots(users.admin, sample=s.code) == [c]


def test_a_failed_sample_naming_a_certificate_contradicts_it_in_the_same_transaction(
    users, batch, issue, make_sample
):
    """monitoring sends certified_sample_failed; the certificates app's receiver (connected in its
    AppConfig.ready) marks the certificate, and the follow-up records that a certificate was flagged."""
    from django.db import transaction

    from nongan.certificates.models import CertificateEvent
    from nongan.monitoring.events import certified_sample_failed
    from nongan.monitoring.models import UnqualifiedFollowUp

    assert services.certificate_promise_contradicted in certified_sample_failed.receivers
    [c] = issue(batch)
    s = make_sample(verdict="fail")
    Sample.objects.filter(pk=s.pk).update(certificate_number=c.number.lower())
    s.refresh_from_db()
    with pytest.raises(ZeroDivisionError), transaction.atomic():  # the reaction rolls back with the change
        monitoring.follow_up_open(actor=users.analyst, sample=s)
        1 / 0  # noqa: B018
    c.refresh_from_db()
    assert c.contradicted_by == "" and not UnqualifiedFollowUp.objects.exists()
    with transaction.atomic():
        fu = monitoring.follow_up_open(actor=users.analyst, sample=s)
    c.refresh_from_db()
    assert (fu.certificate_flagged, c.contradicted_by) == (True, s.code)
    assert list(
        CertificateEvent.objects.filter(kind="contradicted").values_list("certificate", flat=True)
    ) == [c.pk]
    # an unknown number flags nothing and blocks nothing
    other = make_sample(verdict="fail")
    Sample.objects.filter(pk=other.pk).update(certificate_number="HG-001")
    other.refresh_from_db()
    with transaction.atomic():
        assert monitoring.follow_up_open(actor=users.analyst, sample=other).certificate_flagged is False
    assert CertificateEvent.objects.filter(kind="contradicted").count() == 1
