"""Every page in the navigation opens for every role that sees it, in Chinese and in English."""

import pytest
from django.test import Client

from nongan.core.apps import nav_items

ROLES = ["admin", "qk", "village", "producer", "sampler", "analyst", "enforcement", "market"]


@pytest.mark.parametrize("role", ROLES)
def test_every_navigation_link_opens(users, role):
    client = Client()
    client.force_login(getattr(users, role))
    home = client.get("/", follow=True)
    assert home.status_code == 200
    items = home.context["nav_items"]
    assert items, "the shell shows a navigation"
    for item in items:
        for lang in ("zh-hans", "en"):
            client.cookies["django_language"] = lang
            r = client.get(item["url"], follow=True)
            assert r.status_code == 200, (role, item["url"], lang, r.status_code)


def test_producers_do_not_see_staff_sections(users):
    client = Client()
    client.force_login(users.producer)
    keys = {i["key"] for i in client.get("/", follow=True).context["nav_items"]}
    assert keys <= {"home", "registry", "certificates"}
    assert client.get("/registry/staff/").status_code == 403


def test_navigation_lists_every_capability_for_the_admin(users):
    client = Client()
    client.force_login(users.admin)
    keys = [i["key"] for i in client.get("/").context["nav_items"]]
    assert keys == [i.key for i in nav_items()]
    assert keys == ["home", "registry", "staff", "standards", "monitoring", "draws", "certificates", "audit"]
