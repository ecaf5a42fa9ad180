from django.core.management import call_command

from nongan.core.models import User
from nongan.registry.models import Base, Producer, StaffMember


def test_demo_builds_a_district_once(db, capsys):
    call_command("demo", producers=300)
    out = capsys.readouterr().out
    assert "admin" in out and "Nongan@2026" in out
    n = Producer.objects.count()
    assert n == 300
    assert Producer.objects.values("region__parent").distinct().count() == 15
    assert Base.objects.exists() and StaffMember.objects.filter(kind="township").count() >= 45
    roles = dict(User.objects.values_list("username", "role"))
    assert (
        roles["admin"] == "district_admin"
        and roles["producer"] == "producer"
        and roles["qingkou"] == "township_supervisor"
    )
    assert User.objects.get(username="producer").producer.region.parent.name == "海头镇"
    call_command("demo", producers=300)
    call_command("demo", "--once")
    assert Producer.objects.count() == n
    assert User.objects.filter(username="admin").count() == 1
