"""A published round keeps what re-running needs (ids, codes, the hashed exclusions) but names no relationship:
every exclusion of a round frozen from now on is published as one kind, a recusal (回避); older rounds keep the
kinds they were hashed with and still verify. Family farms' personal names are masked like households'."""

import json

from conftest import commit_and_draw
from nongan.draws import algorithm, services
from nongan.draws.export import round_export, verify_round
from nongan.draws.models import DrawRound


def _published(make_round, spread, users, **kw):
    rnd = make_round(**kw)
    rnd = services.round_freeze(actor=users.admin, rnd=rnd)
    rnd = commit_and_draw(users.admin, rnd)
    return services.round_publish(actor=users.admin, rnd=rnd)


def test_public_data_names_no_relationship(client, make_round, spread, users):
    services.conflict_declare(
        actor=users.admin,
        inspector=users.sampler,
        producer=spread[0],
        kind="relative",
        reason="抽样员是负责人的表弟",
    )
    rnd = _published(make_round, spread, users)
    assert rnd.recusals_as_one_kind is True
    assert rnd.exclusions.get(inspector=users.sampler).kind == "relative"  # the bureau keeps the kind
    data = json.loads(client.get(f"/draws/public/{rnd.code}.json").content)
    assert data["exclusions"] == [
        {"inspector": users.sampler.pk, "producer": spread[0].code, "kind": "recusal"}
    ]
    text = json.dumps(data, ensure_ascii=False)
    assert "relative" not in text and "表弟" not in text
    page = client.get(f"/draws/public/{rnd.code}/").content.decode()
    assert "表弟" not in page and "亲属" not in page
    # what re-running needs is there: the published file verifies, and so does the round against its ledger
    ok, problems, _selections = algorithm.verify_export(data)
    assert ok, problems
    ok, problems, _data = verify_round(rnd)
    assert ok, problems


def test_rounds_hashed_before_the_rule_keep_their_kinds(make_round, spread, users):
    services.conflict_declare(
        actor=users.admin, inspector=users.sampler, producer=spread[0], kind="relative", reason="亲属"
    )
    rnd = make_round()
    DrawRound.objects.filter(pk=rnd.pk).update(
        recusals_as_one_kind=False
    )  # as the migration leaves old rounds
    rnd.refresh_from_db()
    rnd = services.round_freeze(actor=users.admin, rnd=rnd)
    rnd = commit_and_draw(users.admin, rnd)
    data = round_export(rnd)
    assert [e["kind"] for e in data["exclusions"] if e["producer"] == spread[0].code] == ["relative"]
    assert algorithm.verify_export(data)[0]


def test_family_farm_names_are_masked_in_the_round(client, make_round, spread, users, make_producer):
    farm = make_producer(name="赣榆区王大明家庭农场", type="family_farm", legal_rep="王大明", town="青口镇")
    rnd = _published(make_round, spread, users, ratio="1")
    data = json.loads(client.get(f"/draws/public/{rnd.code}.json").content)
    names = {c["code"]: c["name"] for c in data["candidates"]}
    assert names[farm.code] == "赣榆区王**家庭农场"
    assert "王大明" not in client.get(f"/draws/public/{rnd.code}/?page=1").content.decode()
