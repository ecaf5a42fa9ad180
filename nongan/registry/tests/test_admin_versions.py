"""The Django admin's change forms of versioned records refuse a save from a stale page, as the pages and the API
do (a superuser's admin form opened before another change used to overwrite it silently)."""

from django.contrib import admin
from django.forms.models import model_to_dict
from django.test import RequestFactory

from nongan.core.models import User
from nongan.registry.models import Producer
from nongan.registry.services import producer_update


def _form(producer, opened_version, **changes):
    superuser = User.objects.filter(username="root").first() or User.objects.create_superuser(
        "root", password="Nongan-root-2026"
    )
    request = RequestFactory().post("/")
    request.user = superuser
    model_admin = admin.site._registry[Producer]
    Form = model_admin.get_form(request, producer, change=True)
    data = {k: v for k, v in model_to_dict(producer).items() if v is not None}
    data["products"] = [p.pk for p in data.get("products", [])]
    data.update(changes, opened_version=opened_version)
    return Form(data=data, instance=producer)


def test_a_stale_admin_form_is_refused_and_a_fresh_one_saves(users):
    producer = Producer.objects.get(pk=users.own_producer.pk)
    opened = producer.version
    assert 'name="opened_version"' in str(_form(producer, opened)["opened_version"])
    producer_update(actor=users.admin, producer=Producer.objects.get(pk=producer.pk), address="青口镇新址1号")
    current = Producer.objects.get(pk=producer.pk)
    stale = _form(current, opened, notes="管理后台的修改")
    assert not stale.is_valid()
    assert "已被他人修改" in " ".join(stale.non_field_errors())
    assert Producer.objects.get(pk=producer.pk).notes != "管理后台的修改"
    fresh = _form(Producer.objects.get(pk=producer.pk), current.version, notes="管理后台的修改")
    assert fresh.is_valid(), fresh.errors
    fresh.save()
    saved = Producer.objects.get(pk=producer.pk)
    assert (saved.notes, saved.address, saved.version) == (
        "管理后台的修改",
        "青口镇新址1号",
        current.version + 1,
    )
