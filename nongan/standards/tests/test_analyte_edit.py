"""Editing an analyte by hand: /standards/analytes/edit/?id=<id> and services.analyte_update."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from nongan.core.models import AuditLog
from nongan.standards import engine, services
from nongan.standards.models import Analyte

URL = "/standards/analytes/edit/"


def snapshot(a: Analyte) -> tuple:
    a.refresh_from_db()
    return (a.name_zh, a.name_en, a.cas, a.kind, a.aliases)


@pytest.mark.parametrize(
    ("cas", "ok"),
    [
        ("52-68-6", True),  # 敌百虫
        ("32809-16-8", True),  # 腐霉利
        ("7732-18-5", True),  # water
        ("32809-16-7", False),
        ("52-68-5", False),
        ("52686", False),
        ("1-68-6", False),
        ("12345678-12-1", False),
        ("", False),
    ],
)
def test_cas_check_digit(cas, ok):
    assert services.cas_is_valid(cas) is ok


def test_admin_edits_english_name_cas_kind_and_other_names(client, users, standards):
    a = Analyte.objects.get(name_zh="腐霉利")
    assert a.limits.exists()
    engine.judge(food="韭菜", analyte="腐霉利", value="0.1", unit="mg/kg")  # the index is built
    with pytest.raises(ValidationError):  # not known yet
        engine.judge(food="韭菜", analyte="速克灵", value="0.1", unit="mg/kg")
    client.force_login(users.admin)
    page = client.get(URL, {"id": a.pk})
    assert page.status_code == 200
    assert "腐霉利" in page.content.decode()
    r = client.post(
        f"{URL}?id={a.pk}",
        {
            "name_zh": "改名企图",  # disabled field: ignored, the key stays
            "name_en": "procymidone",
            "cas": "32809-16-8",
            "kind": a.kind,
            "aliases": "速克灵；Sumilex;速克灵",
        },
    )
    assert r.status_code == 302
    assert snapshot(a) == ("腐霉利", "procymidone", "32809-16-8", a.kind, "速克灵;Sumilex")
    log = AuditLog.objects.filter(object_id=str(a.pk), action="update").latest("time")
    assert log.changes["cas"][1] == "32809-16-8"
    assert log.actor == users.admin
    # the judgement index was dropped and rebuilt: the new other name now judges against the limits
    j = engine.judge(food="韭菜", analyte="速克灵", value="0.1", unit="mg/kg")
    assert j == engine.judge(food="韭菜", analyte="腐霉利", value="0.1", unit="mg/kg")


def test_bad_cas_and_clashing_names_are_refused_in_chinese(client, users, standards):
    a = Analyte.objects.get(name_zh="腐霉利")
    before = snapshot(a)
    other = Analyte.objects.exclude(pk=a.pk).first()
    client.force_login(users.admin)
    logs = AuditLog.objects.count()
    r = client.post(
        f"{URL}?id={a.pk}",
        {"name_zh": "腐霉利", "name_en": "x", "cas": "32809-16-7", "kind": a.kind, "aliases": other.name_zh},
    )
    assert r.status_code == 200
    text = r.content.decode()
    assert "CAS 号 32809-16-7 的校验位不正确。" in text
    assert "以下其他名称是其他检测项目的中文名称" in text
    assert snapshot(a) == before and AuditLog.objects.count() == logs
    r = client.post(f"{URL}?id={a.pk}", {"name_zh": "腐霉利", "cas": "abc", "kind": "nonsense"})
    assert r.status_code == 200 and snapshot(a) == before


def test_the_chinese_name_changes_only_while_nothing_refers_to_it(users, standards):
    free = services.analyte_create(actor=users.admin, name_zh="测试农药甲", kind="pesticide")
    services.analyte_update(actor=users.admin, analyte=free, name_zh="测试农药乙", kind="pesticide")
    assert snapshot(free)[0] == "测试农药乙"
    used = Analyte.objects.get(name_zh="腐霉利")
    with pytest.raises(ValidationError) as e:
        services.analyte_update(actor=users.admin, analyte=used, name_zh="腐霉利新", kind=used.kind)
    assert list(e.value.message_dict) == ["name_zh"]
    assert "不能修改" in e.value.message_dict["name_zh"][0]
    with pytest.raises(ValidationError) as e:  # a name that another analyte already has
        services.analyte_update(actor=users.admin, analyte=free, name_zh="腐霉利", kind="pesticide")
    assert snapshot(free)[0] == "测试农药乙"
    assert Analyte.objects.filter(name_zh="腐霉利").count() == 1


def test_only_district_administrators_edit(client, users, standards):
    a = Analyte.objects.get(name_zh="腐霉利")
    before = snapshot(a)
    for user in (users.qk, users.sampler, users.analyst, users.producer):
        client.force_login(user)
        assert client.get(URL, {"id": a.pk}).status_code == 403
        r = client.post(f"{URL}?id={a.pk}", {"name_zh": "腐霉利", "name_en": "hacked", "kind": a.kind})
        assert r.status_code == 403
    with pytest.raises(PermissionDenied):
        services.analyte_update(actor=users.qk, analyte=a, name_zh="腐霉利", name_en="hacked", kind=a.kind)
    assert snapshot(a) == before


def test_unknown_or_malformed_id_is_404(client, users, standards):
    client.force_login(users.admin)
    for value in ("", "abc", "²", "999999", "1" * 30):
        assert client.get(URL, {"id": value}).status_code == 404


def test_the_list_links_to_the_form_for_administrators_only(client, users, standards):
    client.force_login(users.admin)
    assert URL in client.get("/standards/analytes/").content.decode()
    client.force_login(users.qk)
    assert URL not in client.get("/standards/analytes/").content.decode()


def test_a_stale_analyte_form_is_refused_and_shows_what_changed(client, users, standards):
    a = Analyte.objects.get(name_zh="腐霉利")
    client.force_login(users.admin)
    assert f'name="version" value="{a.version}"' in client.get(URL, {"id": a.pk}).content.decode()
    opened, en = a.version, a.name_en
    services.analyte_update(
        actor=users.admin,
        analyte=a,
        name_zh=a.name_zh,
        name_en="Procymidone X",
        kind=a.kind,
        aliases=a.aliases,
    )
    was_en = Analyte.objects.get(pk=a.pk).name_en
    before, logs = snapshot(a), AuditLog.objects.count()
    r = client.post(
        f"{URL}?id={a.pk}",
        {"name_zh": a.name_zh, "name_en": en, "cas": "32809-16-8", "kind": a.kind, "version": opened},
    )
    assert r.status_code == 200
    assert snapshot(a) == before and AuditLog.objects.count() == logs
    form = r.context["form"]
    assert form.stale_message.startswith(f"这条记录在您打开后已被他人修改（您打开的是第 {opened} 版")
    rows = {str(x["field"]): (x["was"], x["yours"], x["now"], x["changed"]) for x in form.stale}
    assert was_en == "Procymidone X"
    assert rows["英文名称"] == (en, en, "Procymidone X", True)
    assert rows["CAS 号"] == (a.cas, "32809-16-8", a.cas, False)
    assert f'name="version" value="{opened + 1}"' in r.content.decode()
