"""A failed market check never changes a producer directly: it proposes the key-target flag (tier C),
which a supervisor of the producer's own jurisdiction accepts or rejects."""

import pytest
from django.core.exceptions import ValidationError

from nongan.certificates import services
from nongan.certificates.models import KeyTargetProposal


@pytest.fixture
def far_cert(make_producer, ganyu, today):
    """A certificate of a 柘汪镇 producer (another township than the village coordinator's)."""
    import datetime as dt

    far = make_producer(name="柘汪镇种植场", town="柘汪镇", village_index=2)
    b = services.batch_create(
        actor=None, producer=far, product=ganyu.category("黄瓜"), started=today - dt.timedelta(days=40)
    )
    [c] = services.certificate_issue(actor=None, batch=b, quantity="100", unit="kg")
    services.certificate_revoke(actor=None, certificate=c, reason="召回")
    return c


def _check(users, ganyu, number):
    return services.market_check_record(
        actor=users.village,
        region=ganyu.village("青口镇", 0),
        market="朱堵村集市",
        product_name="黄瓜",
        number=number,
    )


def test_a_village_coordinators_check_only_proposes(users, ganyu, far_cert):
    far = far_cert.producer
    check = _check(users, ganyu, far_cert.number)
    assert check.result == "revoked"
    far.refresh_from_db()
    assert far.key_target is False and far.tier != "C"
    proposal = KeyTargetProposal.objects.get(market_check=check)
    assert (proposal.producer, proposal.status) == (far, "proposed")
    # neither the coordinator nor another township's supervisor may decide
    for who, message in ((users.village, "您的角色无权进行此操作。"), (users.qk, "该主体不在您的辖区内。")):  # noqa: E501
        with pytest.raises(ValidationError) as exc:
            services.key_target_proposal_accept(actor=who, proposal=proposal)
        assert exc.value.messages == [message]
    far.refresh_from_db()
    assert far.key_target is False and proposal.status == "proposed"
    # the producer's own township supervisor accepts: now it is a key target, tier C
    services.key_target_proposal_accept(actor=users.zw, proposal=proposal)
    far.refresh_from_db()
    proposal.refresh_from_db()
    assert (far.key_target, far.tier, proposal.status, proposal.decided_by) == (
        True,
        "C",
        "accepted",
        users.zw,
    )
    assert "朱堵村集市" in far.key_target_reason


def test_a_rejected_proposal_changes_nothing_and_needs_a_reason(users, ganyu, far_cert):
    far = far_cert.producer
    proposal = KeyTargetProposal.objects.get(market_check=_check(users, ganyu, far_cert.number))
    with pytest.raises(ValidationError) as exc:
        services.key_target_proposal_reject(actor=users.admin, proposal=proposal, reason=" ")
    assert exc.value.message_dict == {"reason": ["请填写原因。"]}
    services.key_target_proposal_reject(actor=users.admin, proposal=proposal, reason="该证已由生产者主动召回")
    proposal.refresh_from_db()
    far.refresh_from_db()
    assert (proposal.status, proposal.decided_by, far.key_target) == ("rejected", users.admin, False)
    with pytest.raises(ValidationError):
        services.key_target_proposal_accept(actor=users.zw, proposal=proposal)


def test_proposals_page_lists_only_the_supervisors_jurisdiction(client, users, ganyu, far_cert):
    proposal = KeyTargetProposal.objects.get(market_check=_check(users, ganyu, far_cert.number))
    client.force_login(users.qk)
    assert "柘汪镇种植场" not in client.get("/certificates/key-target-proposals/").content.decode()
    client.force_login(users.zw)
    page = client.get("/certificates/key-target-proposals/").content.decode()
    assert "柘汪镇种植场" in page and "接受" in page
    r = client.post("/certificates/key-target-proposals/", {"proposal": proposal.pk, "action": "accept"})
    assert r.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "accepted"


def test_a_proposal_is_on_the_to_do_of_the_producers_supervisors_only(client, users, ganyu, far_cert):
    from nongan.core import todo

    def waiting(user):
        return {i.key: i.count for i in todo.items_for(user)}.get("certificates.key_target_proposals", 0)

    proposal = KeyTargetProposal.objects.get(market_check=_check(users, ganyu, far_cert.number))
    assert (waiting(users.zw), waiting(users.admin), waiting(users.qk), waiting(users.village)) == (
        1,
        1,
        0,
        0,
    )
    client.force_login(users.zw)
    assert 'data-todo="certificates.key_target_proposals"' in client.get("/").content.decode()
    services.key_target_proposal_accept(actor=users.zw, proposal=proposal)
    assert waiting(users.zw) == 0
