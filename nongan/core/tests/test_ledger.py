import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from conftest import on_postgresql
from nongan.core import ledger
from nongan.core.models import LedgerEntry, NumberCounter


@pytest.fixture
def chain(db):
    for i in range(5):
        ledger.append(
            kind="result.published", ref=f"S{i}", payload={"value": f"0.{i}", "unit": "mg/kg"}, actor="检测员"
        )
    return list(LedgerEntry.objects.order_by("seq"))


def test_appends_link_each_entry_to_the_previous(chain):
    assert [e.seq for e in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == ledger.GENESIS
    assert all(chain[i].prev_hash == chain[i - 1].hash for i in range(1, 5))
    assert ledger.verify() == (5, [])


def test_an_edited_payload_is_found(chain):
    LedgerEntry.objects.filter(seq=3).update(payload='{"unit":"mg/kg","value":"0.02"}')
    count, problems = ledger.verify()
    assert count == 5
    assert [(p.seq, p.message) for p in problems] == [
        (3, "content does not match its hash (the entry was edited)")
    ]


def test_a_deleted_entry_is_found(chain):
    LedgerEntry.objects.filter(seq=2).delete()
    _count, problems = ledger.verify()
    assert [p.seq for p in problems] == [3, 3]
    assert "missing" in problems[0].message


def test_rehashing_an_edited_entry_still_breaks_the_next_link(chain):
    e = LedgerEntry.objects.get(seq=2)
    e.payload = '{"value":"9"}'
    e.hash = ledger.entry_hash(
        e.prev_hash, e.seq, e.time.isoformat(), e.kind, e.ref, e.actor_repr, e.payload, e.scope_path
    )
    e.save()
    _count, problems = ledger.verify()
    assert [p.seq for p in problems] == [3]


def test_verify_ledger_command(chain, capsys):
    call_command("verify_ledger")
    out = capsys.readouterr().out
    assert out.startswith("账本完好：5 条账本条目，哈希链完整；") and "（全部，用时 " in out
    call_command("verify_ledger", "--english")
    assert "ledger OK: 5 entries" in capsys.readouterr().out
    LedgerEntry.objects.filter(seq=4).update(ref="S9")
    with pytest.raises(CommandError, match="中发现 1 个问题（全部）"):
        call_command("verify_ledger")
    assert "账本条目 #4：" in capsys.readouterr().err
    with pytest.raises(CommandError, match="1 problem"):
        call_command("verify_ledger", "--english")


def test_the_region_is_part_of_the_hash_and_scopes_the_page(client, users, ganyu):
    qk_entry = ledger.append(kind="monitoring.result", ref="QK-1", payload={}, region=ganyu.village("青口镇"))
    ledger.append(kind="monitoring.result", ref="ZW-1", payload={}, region=ganyu.village("柘汪镇"))
    client.force_login(users.admin)
    refs = [e.ref for e in client.get("/ledger/").context["page_obj"]]
    assert refs == ["ZW-1", "QK-1"]
    from nongan.core.choices import Role
    from nongan.core.models import Region
    from nongan.core.services import user_create

    other = Region.objects.create(code="320703000000", name="连云区", level="district", path="/320703000000/")
    ly = user_create(
        actor=None, username="ly", password="x" * 12, role=Role.DISTRICT_ADMIN, jurisdiction=other
    )
    client.force_login(ly)
    assert list(client.get("/ledger/").context["page_obj"]) == []
    LedgerEntry.objects.filter(pk=qk_entry.pk).update(
        scope_path=other.path
    )  # moving an entry breaks its hash
    _count, problems = ledger.verify()
    assert [p.seq for p in problems] == [qk_entry.seq]


def test_audit_records_a_file_field_by_its_stored_name(users):
    from django.core.files.base import ContentFile

    from nongan.core import audit
    from nongan.core.models import ImportJob

    job = ImportJob(kind="producers", created_by=users.qk, original_name="a.xlsx")
    job.file.save("a.xlsx", ContentFile(b"x"), save=True)
    entry = audit.record_create(users.qk, job)
    assert entry.changes["file"] == [None, job.file.name]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_appends_make_one_intact_chain(parallel):
    """Locking the head row let two appends read the same head (49 of 50 failed with IntegrityError on
    PostgreSQL); the ledger's counter in the numbering service serialises them."""

    def append(i):
        with transaction.atomic():
            return ledger.append(kind="x.test", ref=str(i), payload={"i": i}).seq

    results, errors = parallel(append, n=50)
    assert errors == []
    assert sorted(results) == list(range(1, 51))
    assert ledger.verify() == (50, [])


def test_a_deleted_head_is_not_silently_replaced(chain):
    """The sequence continues after a deleted last entry, so the next append leaves the gap visible."""
    LedgerEntry.objects.filter(seq=5).delete()
    assert ledger.append(kind="x.test", ref="after", payload={}).seq == 6
    _count, problems = ledger.verify()
    assert [(p.seq, p.message) for p in problems] == [(6, "entries 5–5 are missing")]


def test_the_migration_starts_the_ledger_counter_at_the_head(chain):
    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    NumberCounter.objects.all().delete()
    migration = MigrationLoader(None, ignore_no_migrations=True).get_migration(
        "core", "0007_seed_ledger_counter"
    )
    migration.operations[0].code(apps, None)
    assert NumberCounter.objects.get(series="ledger", key="").last == 5
    assert ledger.append(kind="x.test", ref="next", payload={}).seq == 6
    assert ledger.verify() == (6, [])


def test_the_ledger_page_checks_the_chain_and_the_records(chain, client, users):
    client.force_login(users.admin)
    body = client.post("/ledger/").content.decode()
    assert "已校验 5 条，链条完整。" in body and "已重新计算 0 条记录的哈希" in body


def test_the_system_actor_is_named_in_the_readers_language(db):
    from django.utils import translation

    entry = ledger.append(kind="x.test", ref="sys", payload={})
    assert entry.actor_repr == ledger.SYSTEM_ACTOR == "system"  # stored (and hashed) as before
    assert ledger.actor_label(entry.actor_repr) == "系统"
    with translation.override("en"):
        assert ledger.actor_label(entry.actor_repr) == "system"
    assert ledger.actor_label("检测员") == "检测员"


def test_the_ledger_page_names_kinds_and_the_system_actor_in_chinese(client, users, ganyu):
    ledger.append(kind="certificate.issue", ref="C-1", payload={}, region=ganyu.district)
    ledger.append(
        kind="draw.published", ref="SJ2026-0001", payload={}, actor=users.admin, region=ganyu.district
    )
    client.force_login(users.admin)
    body = client.get("/ledger/").content.decode()
    assert '<td class="cell-first" data-label="类别">开具合格证</td>' in body
    assert '<td data-label="操作人">系统</td>' in body and '<td data-label="操作人">admin</td>' in body
    assert "certificate.issue" not in body and ">system<" not in body
