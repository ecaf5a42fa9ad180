"""Pages, public page, API and the draw-verify command."""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from conftest import commit_and_draw
from nongan.draws import services
from nongan.draws.models import DrawRound, DrawSelection, InspectorConflict

SEED = "ganyu-2026-seed-0001"


@pytest.fixture
def admin_client(client, users):
    client.force_login(users.admin)
    return client


# ---------------------------------------------------------------- pages
def test_index_is_scoped(client, make_round, users, ganyu):
    make_round(title="区级轮次")
    make_round(title="青口镇轮次", region=ganyu.town["青口镇"], inspectors=[users.qk, users.sampler])
    client.force_login(users.qk)
    body = client.get(reverse("draws:index")).content.decode()
    assert "青口镇轮次" in body and "区级轮次" not in body
    client.force_login(users.zw)
    body = client.get(reverse("draws:index")).content.decode()
    assert "青口镇轮次" not in body
    client.force_login(users.producer)
    assert client.get(reverse("draws:index")).status_code == 403


def test_create_form(admin_client, users, spread, ganyu):
    url = reverse("draws:create")
    assert admin_client.get(url).status_code == 200
    data = {
        "title": "2026年蔬菜抽检",
        "purpose": "sampling",
        "year": 2026,
        "region": ganyu.district.pk,
        "township": ganyu.town["青口镇"].code,
        "types": ["cooperative"],
        "is_scale": "1",
        "ratio": "1.5",
        "strata": "none",
        "inspectors_per_object": 2,
        "inspectors": [users.sampler.pk, users.enforcement.pk],
    }
    r = admin_client.post(url, data)
    assert r.status_code == 200
    assert "大于0且不超过1" in r.content.decode()
    assert DrawRound.objects.count() == 0
    data["ratio"] = "0.5"
    r = admin_client.post(url, data)
    rnd = DrawRound.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("draws:detail", args=[rnd.pk])
    assert rnd.filter_spec == {
        "township": ganyu.town["青口镇"].code,
        "types": ["cooperative"],
        "is_scale": True,
    }
    assert rnd.ratio is not None and str(rnd.ratio) == "0.5000"


def test_create_is_for_managers_only(client, users):
    client.force_login(users.sampler)
    assert client.get(reverse("draws:create")).status_code == 403


def test_detail_steps_through_the_round(admin_client, make_round, spread, users):
    rnd = make_round()
    detail = reverse("draws:detail", args=[rnd.pk])
    body = admin_client.get(detail).content.decode()
    assert 'data-testid="action-freeze"' in body
    assert admin_client.post(reverse("draws:action", args=[rnd.pk, "freeze"])).status_code == 302
    assert 'name="seed"' not in admin_client.get(detail).content.decode()  # nobody chooses the seed
    admin_client.post(reverse("draws:action", args=[rnd.pk, "commit"]), {"seed": SEED})  # ignored
    rnd.refresh_from_db()
    assert rnd.status == "seed_committed" and rnd.seed_commitment != services.algorithm.sha256(SEED)
    body = admin_client.get(detail).content.decode()
    assert "最早抽取时间" in body and 'name="witness_1"' in body and 'name="seed"' not in body
    witnesses = {
        "witness_1": users.sampler.pk,
        "value_1": "7391",
        "witness_2": users.qk.pk,
        "value_2": "青口0582",
        "confirmed": "1",  # past the confirmation step (asserted below for publish)
    }
    r = admin_client.post(reverse("draws:action", args=[rnd.pk, "draw"]), witnesses, follow=True)
    assert "未抽取" in r.content.decode()  # the day after the commitment has not passed
    rnd.refresh_from_db()
    assert rnd.status == "seed_committed" and DrawSelection.objects.count() == 0
    DrawRound.objects.filter(pk=rnd.pk).update(committed_at=rnd.committed_at - dt.timedelta(hours=25))
    r = admin_client.post(
        reverse("draws:action", args=[rnd.pk, "draw"]),
        {**witnesses, "witness_2": "", "value_2": ""},
        follow=True,
    )
    assert "至少2名" in r.content.decode()
    admin_client.post(reverse("draws:action", args=[rnd.pk, "draw"]), witnesses)
    rnd.refresh_from_db()
    assert rnd.status == "drawn" and {e["value"] for e in rnd.witness_entropy} == {"7391", "青口0582"}
    asked = admin_client.post(reverse("draws:action", args=[rnd.pk, "publish"]))
    rnd.refresh_from_db()
    assert rnd.status == "drawn"  # the irreversible step asks first and changes nothing
    assert "选中名单、种子和见证人将向所有人公开：公开后不能撤回。" in asked.content.decode()
    admin_client.post(reverse("draws:action", args=[rnd.pk, "publish"]), {"confirmed": "1"})
    rnd.refresh_from_db()
    assert rnd.status == "published"
    body = admin_client.get(detail).content.decode()
    assert 'data-testid="selections"' in body and rnd.selection_hash in body
    assert admin_client.post(reverse("draws:action", args=[rnd.pk, "bogus"])).status_code == 404


def test_non_manager_cannot_step(client, make_round, users):
    rnd = make_round()
    client.force_login(users.sampler)
    assert client.post(reverse("draws:action", args=[rnd.pk, "freeze"])).status_code == 403
    rnd.refresh_from_db()
    assert rnd.status == "draft"


def test_staff_export_download(admin_client, drawn_round):
    r = admin_client.get(reverse("draws:export", args=[drawn_round.pk]))
    assert r["Content-Disposition"] == f'attachment; filename="{drawn_round.code}.json"'
    data = json.loads(r.content)
    assert data["seed"] == drawn_round.seed and len(data["selections"]) == 7
    assert data["entropy"] == drawn_round.witness_entropy and len(data["entropy"]) == 2


def test_conflicts_page_declare_and_withdraw(client, users, spread):
    client.force_login(users.sampler)
    url = reverse("draws:conflicts")
    r = client.post(url, {"producer_code": "000", "kind": "relative", "reason": "亲属"})
    assert "本辖区内没有该登记编号" in r.content.decode()
    r = client.post(url, {"producer_code": spread[0].code, "kind": "relative", "reason": "妻弟是该社社长"})
    assert r.status_code == 302
    c = InspectorConflict.objects.get()
    assert (c.inspector, c.producer, c.kind, c.declared_by) == (
        users.sampler,
        spread[0],
        "relative",
        users.sampler,
    )
    assert "妻弟是该社社长" in client.get(url).content.decode()
    client.post(reverse("draws:conflict_withdraw", args=[c.pk]), {"reason": "已调岗"})
    c.refresh_from_db()
    assert c.withdraw_reason == "已调岗"
    # another inspector cannot see or withdraw it
    client.force_login(users.analyst)
    assert "妻弟是该社社长" not in client.get(url).content.decode()


def test_admin_declares_for_an_inspector(admin_client, users, spread):
    r = admin_client.post(
        reverse("draws:conflicts"),
        {
            "inspector": users.enforcement.pk,
            "producer_code": spread[6].code,
            "kind": "recent_contact",
            "reason": "上周曾执法检查",
        },
    )
    assert r.status_code == 302
    assert InspectorConflict.objects.get().inspector == users.enforcement


# ---------------------------------------------------------------- public
def test_public_page_before_and_after_publication(client, make_round, spread, users):
    rnd = make_round(filter_spec={}, ratio="0.5")
    assert client.get(reverse("draws:public_detail", args=[rnd.code])).status_code == 404  # draft: not public
    rnd = services.round_freeze(actor=users.admin, rnd=rnd)
    rnd = commit_and_draw(users.admin, rnd)
    body = client.get(reverse("draws:public_detail", args=[rnd.code])).content.decode()
    assert rnd.candidate_hash in body and rnd.seed_commitment in body
    assert rnd.seed not in body and 'data-testid="selections"' not in body  # drawn, not yet published
    assert "张**" in body and "张三丰" not in body  # households masked
    data = json.loads(client.get(reverse("draws:public_export", args=[rnd.code])).content)
    assert data["seed"] == "" and data["selections"] == []
    services.round_publish(actor=users.admin, rnd=rnd)
    body = client.get(reverse("draws:public_detail", args=[rnd.code])).content.decode()
    assert rnd.seed in body and 'data-testid="selections"' in body and "见证值" in body
    assert f"python3 draw_verify.py {rnd.code}.json" in body
    assert rnd.code in client.get(reverse("draws:public_index")).content.decode()
    data = json.loads(client.get(reverse("draws:public_export", args=[rnd.code])).content)
    assert data["seed"] == rnd.seed and len(data["selections"]) == 9
    assert all("张三丰" != c["name"] for c in data["candidates"])
    script = client.get(reverse("draws:verify_script"))
    assert script.status_code == 200 and b"def draw(" in script.content


def test_draw_verify_command_on_db_and_files(drawn_round, tmp_path, capsys, users):
    services.round_publish(actor=users.admin, rnd=drawn_round)
    call_command("draw_verify", str(drawn_round.pk))
    assert "MATCH" in capsys.readouterr().out
    call_command("draw_verify", drawn_round.code)
    assert "MATCH" in capsys.readouterr().out
    path = tmp_path / "r.json"
    call_command("draw_export", drawn_round.code, "-o", str(path))
    capsys.readouterr()
    call_command("draw_verify", str(path))
    out = capsys.readouterr().out
    assert "MATCH" in out and "MISMATCH" not in out
    data = json.loads(path.read_text(encoding="utf-8"))
    for tamper in ("candidate", "seed", "selection"):
        bad = json.loads(json.dumps(data))
        if tamper == "candidate":
            drawn = {s["code"] for s in bad["selections"]}
            bad["candidates"] = [
                c
                for c in bad["candidates"]
                if c["code"] != next(x["code"] for x in bad["candidates"] if x["code"] not in drawn)
            ]
        elif tamper == "seed":
            bad["seed"] = "another-seed-0000000"
        else:
            bad["selections"][0]["inspectors"] = list(reversed(bad["selections"][0]["inspectors"]))
        p = tmp_path / f"{tamper}.json"
        p.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
        with pytest.raises(SystemExit) as exc:
            call_command("draw_verify", str(p))
        assert exc.value.code == 1
        assert "MISMATCH" in capsys.readouterr().out


# ---------------------------------------------------------------- API
def test_api_list_detail_export_scoped(client, make_round, drawn_round, users, ganyu):
    make_round(title="青口镇轮次", region=ganyu.town["青口镇"], inspectors=[users.qk, users.sampler])
    client.force_login(users.admin)
    r = client.get("/api/v1/draws/")
    assert r.status_code == 200 and r.json()["count"] == 2
    client.force_login(users.zw)
    assert client.get("/api/v1/draws/").json()["count"] == 0
    assert client.get(f"/api/v1/draws/{drawn_round.pk}/").status_code == 404
    client.force_login(users.admin)
    d = client.get(f"/api/v1/draws/{drawn_round.pk}/").json()
    assert d["code"] == drawn_round.code and d["status"] == "drawn" and len(d["selections"]) == 7
    assert set(d["selections"][0]) == {"producer_id", "stratum", "inspector_ids", "rank"}
    assert "seed_escrow" not in d
    e = client.get(f"/api/v1/draws/{drawn_round.pk}/export/").json()
    assert e["format"] == "nongan-draw/2" and e["seed"] == drawn_round.seed


def test_api_steps_and_errors(client, make_round, spread, users):
    rnd = make_round()
    client.force_login(users.sampler)
    assert client.post(f"/api/v1/draws/{rnd.pk}/freeze/").status_code == 403
    client.force_login(users.admin)
    assert client.post(f"/api/v1/draws/{rnd.pk}/freeze/").json()["status"] == "candidates_frozen"
    r = client.post(f"/api/v1/draws/{rnd.pk}/commit/", {"seed": SEED}, content_type="application/json")
    assert r.status_code == 400 and "由服务器生成" in r.json()["seed"][0]
    r = client.post(f"/api/v1/draws/{rnd.pk}/commit/", {}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "seed_committed"
    rnd.refresh_from_db()
    DrawRound.objects.filter(pk=rnd.pk).update(committed_at=rnd.committed_at - dt.timedelta(hours=25))
    one = [{"inspector": users.sampler.pk, "value": "7391"}]
    r = client.post(f"/api/v1/draws/{rnd.pk}/draw/", {"witnesses": one}, content_type="application/json")
    assert r.status_code == 400 and "至少2名" in r.json()["witnesses"][0]
    two = one + [{"inspector": users.analyst.pk, "value": "abcd"}]
    r = client.post(f"/api/v1/draws/{rnd.pk}/draw/", {"witnesses": two}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "drawn"
    r = client.post(f"/api/v1/draws/{rnd.pk}/freeze/")
    assert r.status_code == 400


def test_draw_verify_runs_offline_without_a_database(drawn_round, tmp_path, users):
    """`nongan draw-verify file.json` in a fresh process with an empty data directory: no database is touched."""
    import os
    import subprocess
    import sys

    services.round_publish(actor=users.admin, rnd=drawn_round)
    path = tmp_path / "round.json"
    call_command("draw_export", drawn_round.code, "-o", str(path))
    var = tmp_path / "empty-var"
    env = {**os.environ, "NONGAN_VAR": str(var), "DJANGO_SETTINGS_MODULE": "nongan.settings"}
    env.pop("DATABASE_URL", None)
    run = subprocess.run(
        [sys.executable, "-m", "nongan", "draw-verify", str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert "MATCH" in run.stdout
    assert not (var / "nongan.sqlite3").exists()


def test_api_create(client, users, ganyu):
    body = {
        "title": "API轮次",
        "purpose": "sampling",
        "year": 2026,
        "region": ganyu.district.code,
        "filter_spec": {"is_scale": True},
        "ratio": "1.5",
        "strata": "township",
        "inspectors": [users.sampler.pk, users.enforcement.pk],
    }
    client.force_login(users.sampler)
    assert client.post("/api/v1/draws/", body, content_type="application/json").status_code == 403
    client.force_login(users.admin)
    r = client.post("/api/v1/draws/", body, content_type="application/json")
    assert r.status_code == 400 and "大于0且不超过1" in r.json()["ratio"][0]
    assert DrawRound.objects.count() == 0
    body["ratio"] = "0.05"
    r = client.post("/api/v1/draws/", body, content_type="application/json")
    assert r.status_code == 201
    assert (
        r.json()["code"] == "SJ2026-0001" and r.json()["status"] == "draft" and r.json()["ratio"] == "0.0500"
    )
    assert sorted(DrawRound.objects.get().pool.values_list("user_id", flat=True)) == sorted(
        [users.sampler.pk, users.enforcement.pk]
    )


@pytest.mark.parametrize(
    ("username", "detail", "export"),
    [("admin", 200, 200), ("qk", 200, 200), ("zw", 404, 404), ("village", 404, 404), ("producer", 403, 403)],
)
def test_round_pages_scope_matrix(client, make_round, users, ganyu, username, detail, export):
    rnd = make_round(title="青口镇轮次", region=ganyu.town["青口镇"], inspectors=[users.qk, users.sampler])
    client.force_login(getattr(users, username))
    assert client.get(reverse("draws:detail", args=[rnd.pk])).status_code == detail
    assert client.get(reverse("draws:export", args=[rnd.pk])).status_code == export
    assert client.get(reverse("draws:conflicts")).status_code == (403 if username == "producer" else 200)


def test_server_held_seed_never_leaks_before_the_draw(admin_client, client, make_round, spread, users):
    rnd = services.round_freeze(actor=users.admin, rnd=make_round())
    rnd = services.round_commit_seed(actor=users.admin, rnd=rnd)
    escrow = services.unseal_seed(rnd)
    assert len(escrow) == 64
    pages = [
        admin_client.get(reverse("draws:detail", args=[rnd.pk])),
        admin_client.get(reverse("draws:export", args=[rnd.pk])),
        admin_client.get(f"/api/v1/draws/{rnd.pk}/"),
        admin_client.get(f"/api/v1/draws/{rnd.pk}/export/"),
        admin_client.get("/api/v1/draws/"),
        client.get(reverse("draws:public_detail", args=[rnd.code])),
        client.get(reverse("draws:public_export", args=[rnd.code])),
    ]
    for page in pages:
        assert page.status_code == 200
        assert escrow not in page.content.decode() and rnd.seed_escrow not in page.content.decode()
    assert rnd.seed_commitment in pages[5].content.decode()
