"""Rounds through their state machine: validation, freezing, commit-reveal, the draw, conflicts, ledger, scoping."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conftest import commit_and_draw
from nongan.core import kek, ledger
from nongan.core.ledger import verify as verify_ledger
from nongan.core.models import AuditLog, LedgerEntry
from nongan.draws import algorithm, services
from nongan.draws.export import round_export, verify_round
from nongan.draws.models import (
    DrawAssignment,
    DrawCandidate,
    DrawExclusion,
    DrawRound,
    DrawRoundEvent,
    DrawSelection,
    InspectorConflict,
)
from nongan.draws.selectors import eligible_inspectors, rounds_for, selections_for_round
from nongan.registry.choices import StaffKind
from nongan.registry.models import StaffMember

SEED = "ganyu-2026-seed-0001"


def messages(exc) -> str:
    return " ".join(exc.value.messages)


# ---------------------------------------------------------------- create
def test_create_makes_a_draft_with_pool_event_and_audit(make_round, users, inspectors):
    rnd = make_round()
    assert rnd.code == "SJ2026-0001"
    assert rnd.status == "draft"
    assert rnd.filter_spec == {"is_scale": True}
    assert sorted(rnd.pool.values_list("user_id", flat=True)) == sorted(u.pk for u in inspectors)
    assert list(rnd.events.values_list("from_status", "to_status")) == [("", "draft")]
    assert AuditLog.objects.filter(object_id=str(rnd.pk), content_type__model="drawround").count() == 1
    assert make_round().code == "SJ2026-0002"


@pytest.mark.parametrize(
    ("kw", "field", "text"),
    [
        ({"ratio": "1.5"}, "ratio", "大于0且不超过1"),
        ({"ratio": "0"}, "ratio", "大于0且不超过1"),
        ({"ratio": "abc"}, "ratio", "大于0且不超过1"),
        ({"ratio": "0.00001"}, "ratio", "大于0且不超过1"),
        ({"ratio": None, "count": None}, "count", "二者选一"),
        ({"ratio": "0.1", "count": 5}, "count", "二者选一"),
        ({"inspectors_per_object": 1}, "inspectors_per_object", "至少需要2名"),
        ({"inspectors_per_object": 40000}, "inspectors_per_object", "每个对象最多派 10 名检查人员。"),
        ({"ratio": None, "count": 10**12}, "count", "抽取对象数量不能超过 100000 个。"),
        ({"title": "  "}, "title", "标题"),
        ({"filter_spec": {"colour": "red"}}, "filter_spec", "未知的筛选条件"),
    ],
)
def test_create_rejects_bad_input_and_saves_nothing(make_round, kw, field, text):
    with pytest.raises(ValidationError) as exc:
        make_round(**kw)
    assert field in exc.value.message_dict
    assert text in " ".join(exc.value.message_dict[field])
    assert DrawRound.objects.count() == 0


def test_create_rejects_a_pool_outside_the_rules(make_round, users):
    with pytest.raises(ValidationError) as exc:
        make_round(inspectors=[users.sampler, users.market])  # a market checker is no inspector
    assert "market" in " ".join(exc.value.message_dict["inspectors"])
    with pytest.raises(ValidationError) as exc:
        make_round(inspectors=[users.sampler])
    assert "至少需要2名" in " ".join(exc.value.message_dict["inspectors"])
    assert DrawRound.objects.count() == 0


def test_only_a_manager_of_the_jurisdiction_creates_rounds(make_round, users, ganyu):
    with pytest.raises(ValidationError):
        make_round(actor=users.qk, region=ganyu.town["青口镇"])
    with pytest.raises(ValidationError) as exc:
        make_round(
            filter_spec={"township": ganyu.town["青口镇"].code},
            region=ganyu.town["柘汪镇"],
            inspectors=[users.sampler, users.enforcement],
        )
    assert "township" in exc.value.message_dict
    assert DrawRound.objects.count() == 0


def test_eligible_inspectors_of_a_township_round(ganyu, users):
    names = set(eligible_inspectors(ganyu.town["青口镇"]).values_list("username", flat=True))
    assert names == {"qk", "sampler", "analyst", "analyst2", "enforcement"}
    names = set(eligible_inspectors(ganyu.district).values_list("username", flat=True))
    assert names == {"qk", "zw", "sampler", "analyst", "analyst2", "enforcement"}
    names = set(eligible_inspectors(ganyu.district, "sampling").values_list("username", flat=True))
    assert names == {"sampler", "enforcement"}


def test_a_sampling_round_draws_samplers_and_enforcement_only(make_round, users):
    with pytest.raises(ValidationError) as exc:
        make_round(purpose="sampling", inspectors=[users.sampler, users.enforcement, users.analyst])
    assert "抽样轮次只抽取抽样员和执法人员" in exc.value.message_dict["inspectors"][0]
    assert "analyst" in exc.value.message_dict["inspectors"][0]
    assert DrawRound.objects.count() == 0
    rnd = make_round(purpose="sampling", inspectors=[users.sampler, users.enforcement])
    assert rnd.pool.count() == 2


# ---------------------------------------------------------------- freeze
def test_freeze_lists_hashes_and_ledgers_the_candidates(make_round, spread, users, ganyu):
    rnd = services.round_freeze(actor=users.admin, rnd=make_round())
    assert rnd.status == "candidates_frozen"
    # 13 scale producers (own_producer + 12), households excluded by is_scale
    assert rnd.candidate_count == 13
    rows = list(rnd.candidates.values_list("producer_code", "name", "stratum", "stratum_label"))
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    by_town = {}
    for _code, _name, stratum, label in rows:
        by_town[label] = by_town.get(label, 0) + 1
        assert (
            stratum
            == {
                "青口镇": ganyu.town["青口镇"].code,
                "柘汪镇": ganyu.town["柘汪镇"].code,
                "班庄镇": ganyu.town["班庄镇"].code,
            }[label]
        )
    assert by_town == {"青口镇": 6, "柘汪镇": 4, "班庄镇": 3}
    assert rnd.candidate_hash == algorithm.candidate_hash(
        {"code": c, "name": n, "stratum": s} for c, n, s, _l in rows
    )
    entry = LedgerEntry.objects.get(kind="draw.candidates_frozen", ref=rnd.code)
    payload = json.loads(entry.payload)
    assert payload["candidate_hash"] == rnd.candidate_hash
    assert payload["inspector_hash"] == rnd.inspector_hash
    assert payload["candidate_count"] == 13
    assert payload["parameters"] == {
        "count": None,
        "ratio": "0.5",
        "strata": "township",
        "inspectors_per_object": 2,
    }
    assert list(rnd.events.values_list("from_status", "to_status")) == [
        ("", "draft"),
        ("draft", "candidates_frozen"),
    ]


def test_freeze_masks_households_and_applies_filters(make_round, spread, users, ganyu):
    rnd = make_round(filter_spec={"types": ["household"]}, ratio="1", strata="type")
    rnd = services.round_freeze(actor=users.admin, rnd=rnd)
    assert sorted(rnd.candidates.values_list("name", "stratum")) == [
        ("张**", "household"),
        ("李*", "household"),
    ]
    rnd2 = make_round(filter_spec={"township": ganyu.town["柘汪镇"].code}, ratio="1", strata="none")
    rnd2 = services.round_freeze(actor=users.admin, rnd=rnd2)
    assert rnd2.candidate_count == 5
    assert set(rnd2.candidates.values_list("stratum", flat=True)) == {""}


def test_freeze_by_product_category(make_round, make_producer, users, ganyu):
    make_producer(name="果园", products=("苹果",))
    make_producer(name="无产品户", products=())
    rnd = services.round_freeze(actor=users.admin, rnd=make_round(strata="category", ratio="1"))
    assert sorted(rnd.candidates.values_list("name", "stratum", "stratum_label")) == [
        ("无产品户", "none", "未登记产品"),
        ("果园", "F", "水果"),
        ("青口镇绿源蔬菜专业合作社", "V", "蔬菜"),
    ]


def test_freeze_rejects_a_count_larger_than_the_pool_and_changes_nothing(make_round, spread, users):
    rnd = make_round(ratio=None, count=14)
    with pytest.raises(ValidationError) as exc:
        services.round_freeze(actor=users.admin, rnd=rnd)
    assert "14" in messages(exc) and "13" in messages(exc)
    rnd.refresh_from_db()
    assert rnd.status == "draft" and rnd.candidate_hash == ""
    assert DrawCandidate.objects.count() == 0
    assert LedgerEntry.objects.count() == 0
    assert rnd.events.count() == 1


def test_freeze_with_nothing_to_draw_from(make_round, users):
    rnd = make_round(filter_spec={"types": ["slaughterhouse"]})
    with pytest.raises(ValidationError) as exc:
        services.round_freeze(actor=users.admin, rnd=rnd)
    assert "没有符合" in messages(exc)


def test_freeze_excludes_declared_and_same_village_conflicts(make_round, spread, users, ganyu):
    target = spread[0]  # 青口镇, village 0, the same village as users.own_producer
    services.conflict_declare(
        actor=users.enforcement,
        inspector=users.enforcement,
        producer=target,
        kind="relative",
        reason="执法员的表兄是该社理事长",
    )
    StaffMember.objects.create(
        name="qk",
        kind=StaffKind.TOWNSHIP,
        region=ganyu.village("青口镇", 0),
        phone="13800000000",
        user=users.qk,
    )
    rnd = services.round_freeze(actor=users.admin, rnd=make_round())
    rows = set(rnd.exclusions.values_list("inspector_id", "producer_code", "kind", "source"))
    assert rows == {
        (users.enforcement.pk, target.code, "relative", "declared"),
        (users.qk.pk, target.code, "same_village", "automatic"),
        (users.qk.pk, users.own_producer.code, "same_village", "automatic"),
    }
    rnd = commit_and_draw(users.admin, rnd)
    for sel in selections_for_round(rnd.pk):
        if sel["producer_id"] == target.pk:
            assert users.enforcement.pk not in sel["inspector_ids"]
            assert users.qk.pk not in sel["inspector_ids"]


def test_freeze_refuses_when_conflicts_leave_too_few_inspectors(make_round, spread, users):
    target = spread[0]
    for u in (users.sampler, users.enforcement, users.analyst):
        services.conflict_declare(
            actor=users.admin,
            inspector=u,
            producer=target,
            kind="recent_contact",
            reason="上月曾在该社参加培训",
        )
    rnd = make_round()
    with pytest.raises(ValidationError) as exc:
        services.round_freeze(actor=users.admin, rnd=rnd)
    assert target.code in messages(exc) and "只有1名" in messages(exc)
    rnd.refresh_from_db()
    assert rnd.status == "draft"
    assert DrawExclusion.objects.count() == 0 and DrawCandidate.objects.count() == 0


# ---------------------------------------------------------------- commit and draw
def test_generated_seed_is_sealed_and_not_audited(make_round, spread, users):
    rnd = services.round_freeze(actor=users.admin, rnd=make_round())
    rnd = services.round_commit_seed(
        actor=users.admin, rnd=rnd, beacon_source="中国福利彩票3D 2026年12月1日开奖号码"
    )
    assert rnd.seed_source == "generated" and rnd.seed_escrow.startswith("k1:")
    seed = services.unseal_seed(rnd)
    assert len(seed) == 64 and seed not in rnd.seed_escrow
    assert rnd.seed_commitment == algorithm.sha256(seed)
    assert rnd.seed == ""
    assert not AuditLog.objects.filter(changes__icontains=seed).exists()
    assert not AuditLog.objects.filter(changes__icontains=rnd.seed_escrow).exists()
    assert seed not in LedgerEntry.objects.get(kind="draw.seed_committed").payload
    # the public value is required once named
    with pytest.raises(ValidationError) as exc:
        commit_and_draw(users.admin, rnd)
    assert "beacon_value" in exc.value.message_dict
    rnd = commit_and_draw(users.admin, rnd, beacon_value="4 1 7")
    assert rnd.seed == seed and rnd.seed_escrow == "" and rnd.beacon_value == "4 1 7"
    ok, problems, data = verify_round(rnd)
    assert ok, problems
    assert data["beacon"] == {"source": "中国福利彩票3D 2026年12月1日开奖号码", "value": "4 1 7"}
    assert data["format"] == "nongan-draw/2" and len(data["entropy"]) == 2


def test_a_chosen_seed_is_refused(make_round, spread, users):
    """The operator cannot pick a seed (a wanted outcome was found in 15 offline tries when they could)."""
    rnd = services.round_freeze(actor=users.admin, rnd=make_round())
    with pytest.raises(ValidationError) as exc:
        services.round_commit_seed(actor=users.admin, rnd=rnd, seed=SEED)
    assert "由服务器生成" in " ".join(exc.value.message_dict["seed"])
    rnd.refresh_from_db()
    assert rnd.status == "candidates_frozen" and rnd.seed_commitment == "" and rnd.seed_escrow == ""


def test_the_draw_waits_the_minimum_delay_after_the_commitment(make_round, spread, users):
    rnd = services.round_freeze(actor=users.admin, rnd=make_round())
    rnd = services.round_commit_seed(actor=users.admin, rnd=rnd)
    ledger_before = LedgerEntry.objects.count()
    witnesses = [(users.sampler, "1234"), (users.analyst, "abcd")]
    with pytest.raises(ValidationError) as exc:
        services.round_draw(actor=users.admin, rnd=rnd, witnesses=witnesses)
    assert "24小时" in messages(exc) and "未抽取" in messages(exc)
    rnd.refresh_from_db()
    assert rnd.status == "seed_committed" and rnd.seed == "" and rnd.seed_escrow.startswith("k1:")
    assert DrawSelection.objects.count() == 0 and LedgerEntry.objects.count() == ledger_before
    # 23 hours later: still refused; 24 hours and a minute: drawn
    DrawRound.objects.filter(pk=rnd.pk).update(committed_at=rnd.committed_at - dt.timedelta(hours=23))
    rnd.refresh_from_db()
    with pytest.raises(ValidationError):
        services.round_draw(actor=users.admin, rnd=rnd, witnesses=witnesses)
    DrawRound.objects.filter(pk=rnd.pk).update(
        committed_at=rnd.committed_at - dt.timedelta(hours=1, minutes=1)
    )
    rnd.refresh_from_db()
    rnd = services.round_draw(actor=users.admin, rnd=rnd, witnesses=witnesses)
    assert rnd.status == "drawn"
    assert rnd.witness_entropy == sorted(
        [{"inspector": users.sampler.pk, "value": "1234"}, {"inspector": users.analyst.pk, "value": "abcd"}],
        key=lambda e: e["inspector"],
    )


@pytest.mark.parametrize(
    "witnesses, words",
    [
        ([], "至少2名"),
        ([("sampler", "1234")], "至少2名"),
        ([("sampler", "1234"), ("admin", "5678")], "检查人员库"),
        ([("sampler", "1234"), ("sampler", "5678")], "只能输入一个"),
        ([("sampler", "1234"), ("analyst", "12")], "4至64"),
    ],
)
def test_the_draw_needs_values_from_two_inspectors_of_the_pool(make_round, spread, users, witnesses, words):
    rnd = services.round_freeze(actor=users.admin, rnd=make_round())
    with pytest.raises(ValidationError) as exc:
        commit_and_draw(
            users.admin, rnd, witnesses=[(getattr(users, name), value) for name, value in witnesses]
        )
    assert words in messages(exc)
    rnd.refresh_from_db()
    assert rnd.status == "seed_committed" and DrawSelection.objects.count() == 0


def test_witness_values_decide_the_draw_with_the_seed():
    """Same sealed seed, other witness values: another effective seed, so nobody who knows only one of them
    can steer the draw."""
    cands = [{"code": f"P{i:03d}", "stratum": "", "name": f"主体{i}"} for i in range(200)]
    pool = [{"id": i, "name": f"检查员{i}"} for i in range(1, 7)]
    a, ha = algorithm.draw(cands, pool, [], "s" * 64, count=5, entropy=[{"inspector": 1, "value": "1111"}])
    b, hb = algorithm.draw(cands, pool, [], "s" * 64, count=5, entropy=[{"inspector": 1, "value": "1112"}])
    assert ha["selection_hash"] != hb["selection_hash"]
    assert algorithm.effective_seed("x", "", [], algorithm.FORMAT_V1) == algorithm.sha256("nongan-draw/1|x|")
    assert algorithm.effective_seed("x", "b", [{"inspector": 2, "value": "v"}]) == algorithm.sha256(
        'nongan-draw/2|x|b|[[2,"v"]]'
    )


def test_the_sealed_seed_opens_only_with_the_installation_key(make_round, spread, users, settings, tmp_path):
    rnd = services.round_freeze(actor=users.admin, rnd=make_round())
    rnd = services.round_commit_seed(actor=users.admin, rnd=rnd)
    settings.NONGAN_KEY_FILE = kek.kek_generate(tmp_path / "other.kek")  # another installation's key
    with pytest.raises(ValidationError) as exc:
        commit_and_draw(users.admin, rnd)
    assert "NONGAN_KEY_FILE" in messages(exc)
    rnd.refresh_from_db()
    assert rnd.status == "seed_committed" and rnd.seed == ""


def test_a_cancelled_round_stays_public_with_its_seed_and_selection(make_round, spread, users, client):
    committed = services.round_freeze(actor=users.admin, rnd=make_round(title="承诺后取消"))
    committed = services.round_commit_seed(actor=users.admin, rnd=committed)
    commitment = committed.seed_commitment
    committed = services.round_cancel(actor=users.admin, rnd=committed, reason="抽查范围有误")
    assert committed.seed and algorithm.sha256(committed.seed) == commitment and committed.seed_escrow == ""
    drawn = commit_and_draw(
        users.admin, services.round_freeze(actor=users.admin, rnd=make_round(title="抽取后取消"))
    )
    drawn = services.round_cancel(actor=users.admin, rnd=drawn, reason="重新抽取")
    index = client.get("/draws/public/").content.decode()
    assert committed.code in index and drawn.code in index and "已取消" in index
    page = client.get(f"/draws/public/{committed.code}/").content.decode()
    assert "抽查范围有误" in page and committed.seed in page
    data = client.get(f"/draws/public/{drawn.code}.json").json()
    assert data["round"]["status"] == "cancelled" and data["round"]["status_reason"] == "重新抽取"
    assert data["seed"] == drawn.seed and len(data["selections"]) == 7 and len(data["entropy"]) == 2
    ok, problems, _sel = algorithm.verify_export(data)
    assert ok, problems
    payload = json.loads(LedgerEntry.objects.filter(kind="draw.cancelled", ref=committed.code).get().payload)
    assert payload["seed"] == committed.seed


def test_a_round_committed_with_an_entered_seed_before_the_change_still_draws_and_verifies(
    make_round, spread, users
):
    rnd = services.round_freeze(actor=users.admin, rnd=make_round())
    rnd = services.round_commit_seed(actor=users.admin, rnd=rnd)
    DrawRound.objects.filter(pk=rnd.pk).update(
        seed_escrow="",
        format="nongan-draw/1",
        seed_source="entered",
        seed_commitment=algorithm.sha256(SEED),
        committed_at=timezone.now() - dt.timedelta(days=2),
    )  # as a round committed with a hand-entered seed before this change
    rnd.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.round_draw(actor=users.admin, rnd=rnd, seed=SEED + "x")
    assert "与已公布的承诺" in " ".join(exc.value.message_dict["seed"])
    rnd = services.round_draw(actor=users.admin, rnd=rnd, seed=SEED)
    assert rnd.status == "drawn" and rnd.witness_entropy == []
    data = round_export(rnd)
    assert data["format"] == "nongan-draw/1"
    ok, problems, _sel = algorithm.verify_export(data)
    assert ok, problems


def test_draw_selects_assigns_and_ledgers(drawn_round, users):
    rnd = drawn_round
    assert rnd.status == "drawn"
    assert rnd.results_due == timezone.localtime(rnd.drawn_at).date() + dt.timedelta(days=20)
    # ratio 0.5, strata 6/4/3 → ceil 3/2/2
    sel = selections_for_round(rnd.pk)
    assert len(sel) == 7
    assert [s["rank"] for s in sel] == [1, 2, 3, 1, 2, 1, 2] or sorted(s["rank"] for s in sel) == [
        1,
        1,
        1,
        2,
        2,
        2,
        3,
    ]
    assert set(sel[0]) == {"producer_id", "stratum", "inspector_ids", "rank"}
    pool = {users.sampler.pk, users.enforcement.pk, users.analyst.pk, users.qk.pk}
    for s in sel:
        assert len(s["inspector_ids"]) == 2 and set(s["inspector_ids"]) <= pool
    assert DrawAssignment.objects.count() == 14
    kinds = list(LedgerEntry.objects.filter(ref=rnd.code).values_list("kind", flat=True))
    assert kinds == ["draw.candidates_frozen", "draw.seed_committed", "draw.drawn"]
    payload = json.loads(LedgerEntry.objects.get(kind="draw.drawn").payload)
    assert (
        payload["seed"] == rnd.seed
        and payload["entropy"] == rnd.witness_entropy
        and len(rnd.witness_entropy) == 2
        and payload["selection_hash"] == rnd.selection_hash
        and payload["selected"] == 7
    )
    assert verify_ledger() == (3, [])
    # the stored draw is exactly the pure function's result
    data = round_export(rnd)
    ok, problems, _ = algorithm.verify_export(data)
    assert ok, problems


def test_publish_and_state_guards(drawn_round, users):
    rnd = drawn_round
    with pytest.raises(ValidationError) as exc:
        services.round_freeze(actor=users.admin, rnd=rnd)
    assert "已抽取" in messages(exc)
    rnd = services.round_publish(actor=users.admin, rnd=rnd)
    assert rnd.status == "published" and rnd.published_at is not None
    with pytest.raises(ValidationError):
        services.round_cancel(actor=users.admin, rnd=rnd, reason="发现问题")
    assert list(rnd.events.values_list("to_status", flat=True)) == [
        "draft",
        "candidates_frozen",
        "seed_committed",
        "drawn",
        "published",
    ]


def test_cancel_needs_a_reason(make_round, users):
    rnd = make_round()
    with pytest.raises(ValidationError) as exc:
        services.round_cancel(actor=users.admin, rnd=rnd, reason=" ")
    assert "reason" in exc.value.message_dict
    rnd.refresh_from_db()
    assert rnd.status == "draft"
    rnd = services.round_cancel(actor=users.admin, rnd=rnd, reason="计划调整")
    assert rnd.status == "cancelled" and rnd.status_reason == "计划调整"
    assert json.loads(LedgerEntry.objects.get(kind="draw.cancelled").payload)["reason"] == "计划调整"


def test_only_the_admin_moves_rounds(make_round, users):
    rnd = make_round()
    with pytest.raises(ValidationError):
        services.round_freeze(actor=users.sampler, rnd=rnd)
    rnd.refresh_from_db()
    assert rnd.status == "draft"


def test_verify_round_detects_database_tampering(drawn_round):
    rnd = drawn_round
    ok, problems, _ = verify_round(rnd)
    assert ok, problems
    # someone removes a candidate that was not drawn
    drawn = set(DrawSelection.objects.filter(round=rnd).values_list("candidate_id", flat=True))
    DrawCandidate.objects.filter(round=rnd).exclude(pk__in=drawn).first().delete()
    ok, problems, _ = verify_round(rnd)
    assert not ok
    assert problems[0].startswith("candidate list does not match candidate_hash")


def test_verify_round_checks_the_ledger(drawn_round):
    rnd = drawn_round
    # rewrite both the stored hash and the seed consistently: the ledger still holds the originals
    DrawRound.objects.filter(pk=rnd.pk).update(
        seed_commitment=algorithm.sha256("another-seed-00001"), seed="another-seed-00001"
    )
    rnd.refresh_from_db()
    ok, problems, _ = verify_round(rnd)
    assert not ok
    assert any("ledger entry" in p and "seed_commitment" in p for p in problems)


# ---------------------------------------------------------------- conflicts
def test_conflict_rules(spread, users):
    p = spread[6]  # 柘汪镇
    with pytest.raises(ValidationError) as exc:
        services.conflict_declare(
            actor=users.sampler, inspector=users.analyst, producer=p, kind="relative", reason="亲属"
        )
    assert "只能申报本人" in messages(exc)
    with pytest.raises(ValidationError) as exc:
        services.conflict_declare(
            actor=users.sampler, inspector=users.sampler, producer=p, kind="relative", reason=""
        )
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.conflict_declare(
            actor=users.qk, inspector=users.qk, producer=p, kind="relative", reason="亲属"
        )
    assert InspectorConflict.objects.count() == 0
    c = services.conflict_declare(
        actor=users.sampler, inspector=users.sampler, producer=p, kind="relative", reason="妻弟"
    )
    with pytest.raises(ValidationError):
        services.conflict_declare(
            actor=users.sampler, inspector=users.sampler, producer=p, kind="relative", reason="妻弟"
        )
    services.conflict_withdraw(actor=users.sampler, conflict=c, reason="已离职")
    c.refresh_from_db()
    assert c.withdrawn_at is not None and not c.is_active
    with pytest.raises(ValidationError):
        services.conflict_withdraw(actor=users.sampler, conflict=c, reason="再次")


# ---------------------------------------------------------------- scoping
def test_rounds_are_scoped_to_the_jurisdiction(make_round, users, ganyu):
    district = make_round()
    qk_round = make_round(region=ganyu.town["青口镇"], inspectors=[users.qk, users.sampler])
    assert set(rounds_for(users.admin)) == {district, qk_round}
    assert set(rounds_for(users.qk)) == {qk_round}
    assert set(rounds_for(users.zw)) == set()
    assert set(rounds_for(users.producer)) == set()
    assert DrawRoundEvent.objects.count() == 2


def test_filter_and_ratio_in_words(ganyu, make_round, users):
    from nongan.draws.selectors import describe_filter

    spec = {
        "township": ganyu.town["青口镇"].code,
        "types": ["cooperative", "household"],
        "category": "V",
        "is_scale": True,
    }
    assert describe_filter(spec) == "镇（街道）：青口镇；主体类型：合作社、农户；产品类别：蔬菜；仅规模主体"
    assert describe_filter({}) == "全部正常经营的主体"
    assert make_round(ratio="0.05").ratio_percent == "5%"
    assert make_round(ratio="0.125").ratio_percent == "12.5%"


def test_a_direct_edit_of_a_round_is_found_by_the_ledger(drawn_round):
    """An insider moving the commitment back (to draw before the delay) or changing the seed in the database."""
    assert ledger.verify_records() == (1, [])
    DrawRound.objects.filter(pk=drawn_round.pk).update(
        committed_at=drawn_round.committed_at - dt.timedelta(days=3)
    )
    count, [problem] = ledger.verify_records()
    assert count == 1 and f"draws.drawround {drawn_round.pk} ({drawn_round})" in problem.message
