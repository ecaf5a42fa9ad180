"""The account ↔ producer link lives in the registry (ProducerAccount); core reads it through the hook the
registry registers, and user.producer / user.producer_id keep working for every caller."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from nongan.core.choices import Role
from nongan.core.models import AuditLog, User
from nongan.core.scoping import scoped
from nongan.core.services import user_create
from nongan.registry.models import Producer, ProducerAccount


def test_a_producer_account_belongs_to_its_producer(users):
    account = ProducerAccount.objects.get(user=users.producer)
    assert account.producer == users.own_producer
    assert (users.producer.producer, users.producer.producer_id) == (
        users.own_producer,
        users.own_producer.pk,
    )
    assert list(users.own_producer.accounts.all()) == [account]
    assert AuditLog.objects.filter(
        object_id=str(users.producer.pk), content_type__model="produceraccount"
    ).exists()
    assert (users.admin.producer, users.admin.producer_id) == (None, None)
    assert ProducerAccount.objects.count() == 1


def test_the_link_is_read_once_per_user_object_in_one_query(users):
    user = User.objects.get(pk=users.producer.pk)
    with CaptureQueriesContext(connection) as ctx:
        assert user.producer_id == users.own_producer.pk
        assert user.producer.name == "青口镇绿源蔬菜专业合作社"
        list(scoped(user, Producer.objects.all()))
        list(scoped(user, Producer.objects.all()))
    assert len(ctx.captured_queries) == 3  # the link (producer joined) once, then the two lists
    staff = User.objects.get(pk=users.qk.pk)
    with CaptureQueriesContext(connection) as ctx:
        assert staff.producer_id is None and staff.producer is None and staff.producer_id is None
    assert len(ctx.captured_queries) == 1


def test_a_producer_account_needs_a_producer(ganyu):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as e:
        user_create(actor=None, username="p2", password="x" * 12, role=Role.PRODUCER)
    assert e.value.message_dict == {"producer": ["生产主体账号必须关联一个生产主体。"]}
    assert not User.objects.filter(username="p2").exists() and ProducerAccount.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_link_both_ways(make_producer):
    own = make_producer(name="迁移合作社")
    user_create(actor=None, username="p1", password="x" * 12, role=Role.PRODUCER, producer=own)
    user_create(actor=None, username="p2", password="x" * 12, role=Role.PRODUCER, producer=own)
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph

    def parent(app, name):  # the migration of the same app that this one follows
        return next(p for p in graph.node_map[(app, name)].parents if p.key[0] == app).key

    before = [
        parent("core", "0005_user_producer_moves_to_registry"),
        parent("registry", "0004_producer_account"),
    ]
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("core", "User")
        assert dict(old.objects.filter(producer__isnull=False).values_list("username", "producer_id")) == {
            "p1": own.pk,
            "p2": own.pk,
        }
    finally:
        call_command("migrate", verbosity=0)
    assert sorted(ProducerAccount.objects.values_list("user__username", "producer_id")) == [
        ("p1", own.pk),
        ("p2", own.pk),
    ]
    assert User.objects.get(username="p2").producer == own
