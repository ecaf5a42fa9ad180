"""The ledger page names a changed registry record only to those whose jurisdiction holds its entry.

It lives here, not in core's tests, because it needs a registry record (core sits below the registry)."""

from nongan.core import ledger
from nongan.core.choices import Role
from nongan.core.models import Region
from nongan.core.services import user_create
from nongan.registry.models import Producer


def test_a_changed_record_is_named_only_inside_its_jurisdiction(client, users, ganyu, monkeypatch):
    producer = Producer.objects.get(pk=users.own_producer.pk)
    monkeypatch.setattr(Producer, "LEDGER_FIELDS", ("name",), raising=False)  # covered, for this test only
    ledger.append(kind="test.record", ref="R-2", payload={}, region=producer.region, records=[producer])
    Producer.objects.filter(pk=producer.pk).update(name="改过的名称")
    client.force_login(users.admin)
    body = client.post("/ledger/").content.decode()
    assert f"registry.producer {producer.pk}" in body
    other = Region.objects.create(code="320703000000", name="连云区", level="district", path="/320703000000/")
    ly = user_create(
        actor=None, username="ly", password="x" * 12, role=Role.DISTRICT_ADMIN, jurisdiction=other
    )
    client.force_login(ly)
    body = client.post("/ledger/").content.decode()
    assert f"registry.producer {producer.pk}" not in body and "改过的名称" not in body
    assert "一条不在您管辖范围内的记录与其账本条目不再一致。" in body
