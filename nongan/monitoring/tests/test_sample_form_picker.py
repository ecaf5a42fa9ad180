"""The sample form carries only the chosen producer, its bases and its products (a district holds thousands
of each); the others are searched and fetched, always within the user's scope, and what is posted is still
checked on the server."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from nongan.monitoring.models import Sample
from nongan.registry.models import Base
from nongan.registry.services import base_save


def _base(producer, name):
    return base_save(actor=None, base=Base(producer=producer, name=name, region=producer.region))


def _post(client, producer, **extra):
    data = {
        "producer": producer.pk,
        "product": producer.products.first().pk,
        "quantity": "3",
        "quantity_unit": "kg",
        "place": "田头",
        "sampled_at": (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(extra)
    return client.post(reverse("monitoring:sample_create"), data)


def test_the_form_lists_only_the_chosen_producers_bases_and_products(client, users, make_producer, ganyu):
    own, other = users.own_producer, make_producer(name="青口镇番茄合作社", products=("番茄",))
    _base(own, "东大棚")
    _base(other, "西大棚")
    client.force_login(users.sampler)
    page = client.get(reverse("monitoring:sample_create")).content.decode()
    assert own.name not in page and "东大棚" not in page and "西大棚" not in page  # nothing chosen yet
    parts = client.get(reverse("monitoring:sample_producer_parts"), {"producer": own.pk}).content.decode()
    assert "东大棚" in parts and "西大棚" not in parts
    assert ">黄瓜<" in parts and ">番茄<" not in parts  # its products only, not all 96
    found = client.get(reverse("monitoring:sample_producer_options"), {"q": "番茄"}).content.decode()
    assert other.name in found and own.name not in found
    tasks = client.get(reverse("monitoring:task_list")).content.decode()  # its creation form searches too
    assert 'id="producer-q"' in tasks and other.name not in tasks and own.name not in tasks


def test_the_fetches_stay_in_the_users_scope(client, users, make_producer):
    far = make_producer(name="柘汪镇远方合作社", town="柘汪镇")
    _base(far, "柘汪基地")
    client.force_login(users.qk)
    options = reverse("monitoring:sample_producer_options")
    assert far.name not in client.get(options, {"q": "远方"}).content.decode()
    parts = client.get(reverse("monitoring:sample_producer_parts"), {"producer": far.pk}).content.decode()
    assert "柘汪基地" not in parts and ">黄瓜<" not in parts
    assert client.get(options, {"q": ""}).content.decode().count("<option") == 1  # no search, no list


def test_a_base_or_product_not_of_the_producer_is_refused_with_a_field_error(client, users, make_producer):
    own, other = users.own_producer, make_producer(name="青口镇番茄合作社", products=("番茄",))
    theirs = _base(other, "西大棚")
    client.force_login(users.sampler)
    r = _post(client, own, base=theirs.pk)
    assert r.status_code == 200 and Sample.objects.count() == 0
    assert 'data-field-error="base"' in r.content.decode() and "该基地属于其他主体。" in r.content.decode()
    r = _post(client, own, product=other.products.first().pk)
    assert r.status_code == 200 and Sample.objects.count() == 0
    assert "“番茄”不在青口镇绿源蔬菜专业合作社登记的产品中。" in r.content.decode()
    assert ">西大棚<" not in r.content.decode()  # the refused form still lists only the chosen producer's
    mine = _base(own, "东大棚")
    assert _post(client, own, base=mine.pk).status_code == 302
    assert Sample.objects.get().base == mine
