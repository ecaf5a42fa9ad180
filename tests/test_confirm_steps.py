"""Irreversible steps ask first: voiding a sample and revoking a certificate show the confirmation page (which
changes nothing) unless the post carries ``confirmed=1``."""

import datetime as dt

from django.utils import timezone


def test_voiding_a_sample_asks_first(client, users, ganyu):
    from nongan.monitoring import services as mon

    s = mon.sample_register(
        actor=users.sampler,
        producer=users.own_producer,
        product=ganyu.category("黄瓜"),
        quantity="2",
        quantity_unit="kg",
        place="大棚",
        lot="L1",
        sampled_at=timezone.now() - dt.timedelta(hours=1),
        seal_number="V-1",
    )
    mon.sample_transition(actor=users.analyst, sample=s, action="receive")
    client.force_login(users.admin)
    url = f"/monitoring/samples/{s.code}/transition/"
    post = {"action": "void", "reason": "封条破损"}
    r = client.post(url, post)
    page = r.content.decode()
    assert r.status_code == 200 and 'data-testid="confirm-step"' in page
    assert 'name="reason" value="封条破损"' in page and 'name="confirmed" value="1"' in page
    assert "作废后不可撤销" in page
    s.refresh_from_db()
    assert s.state == "received" and s.events.filter(action="void").count() == 0
    r = client.post(url, post | {"confirmed": "1"})
    assert r.status_code == 302
    s.refresh_from_db()
    assert s.state == "voided" and s.events.get(action="void").reason == "封条破损"


def test_revoking_a_certificate_asks_first(client, users, ganyu):
    from nongan.certificates import services as certs

    batch = certs.batch_create(
        actor=None,
        producer=users.own_producer,
        product=ganyu.category("黄瓜"),
        started=timezone.localdate() - dt.timedelta(days=3),
        unit="kg",
    )
    [c] = certs.certificate_issue(actor=None, batch=batch, quantity="10", unit="kg", count=1)
    client.force_login(users.producer)
    url = f"/certificates/c/{c.number}/"
    r = client.post(url, {"reason": "批次召回"})
    page = r.content.decode()
    assert r.status_code == 200 and 'data-testid="confirm-step"' in page
    assert 'name="reason" value="批次召回"' in page and "撤销后不可恢复" in page
    c.refresh_from_db()
    assert c.status == "valid" and c.revoked_at is None
    assert not c.events.filter(kind="revoked").exists()
    assert client.post(url, {"reason": "批次召回", "confirmed": "1"}).status_code == 302
    c.refresh_from_db()
    assert c.status == "revoked" and c.revoke_reason == "批次召回"
    assert c.events.get(kind="revoked").reason == "批次召回"
