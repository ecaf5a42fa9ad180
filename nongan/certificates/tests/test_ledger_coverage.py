"""Collections, market checks and their key-target proposals, counterfeit reviews and key rotation / compromise are
ledgered with the digests of the records they change; a direct edit of any of them in the database is reported."""

import json

from nongan.certificates import services
from nongan.certificates.models import (
    Certificate,
    Collection,
    KeyTargetProposal,
    MarketCheck,
    SigningKey,
)
from nongan.core import ledger
from nongan.core.models import LedgerEntry
from nongan.registry.models import Producer


def _covers(kind: str) -> list[tuple[str, int]]:
    entry = LedgerEntry.objects.filter(kind=kind).order_by("-seq").first()
    return [(label, pk) for label, pk, _d in json.loads(entry.payload).get("records", [])]


def _problems() -> list[str]:
    return [p.message for p in ledger.verify_records()[1]]


def test_a_collection_is_ledgered(users, batch, issue, make_producer):
    buyer = make_producer(name="青口镇蔬菜收购站", type="buyer", credit_code=None)
    [a] = issue(batch, quantity="100")
    [col] = services.purchase_record(
        actor=users.qk, collector=buyer, lot="L-1", items=[(f"http://x/v/{a.number}?s={a.token}", "60", "kg")]
    )
    assert _covers("certificate.collected") == [("certificates.collection", col.pk)]
    assert _problems() == []
    Collection.objects.filter(pk=col.pk).update(quantity="6")  # less collected, on paper
    [problem] = _problems()
    assert problem.startswith(f"certificates.collection {col.pk} ")


def test_a_market_check_its_proposal_and_the_decision_are_ledgered(users, ganyu, batch, issue):
    [c] = issue(batch, quantity="100")
    services.certificate_revoke(actor=users.producer, certificate=c, reason="召回")
    check = services.market_check_record(
        actor=users.village,
        region=ganyu.village("青口镇", 0),
        market="朱堵村集市",
        product_name="黄瓜",
        number=c.number,
    )
    proposal = KeyTargetProposal.objects.get(market_check=check)
    assert _covers("certificate.market_check") == [
        ("certificates.marketcheck", check.pk),
        ("certificates.keytargetproposal", proposal.pk),
    ]
    services.key_target_proposal_accept(actor=users.qk, proposal=proposal)
    assert _covers("certificate.key_target_accepted") == [("certificates.keytargetproposal", proposal.pk)]
    assert _covers("producer.key_target") == [("registry.producer", users.own_producer.pk)]
    assert _problems() == []
    MarketCheck.objects.filter(pk=check.pk).update(result="valid")
    Producer.objects.filter(pk=users.own_producer.pk).update(key_target=False)
    assert sorted(p.split(" ")[0] for p in _problems()) == ["certificates.marketcheck", "registry.producer"]


def test_a_counterfeit_review_is_covered(users, batch, issue):
    [c] = issue(batch, quantity="100")
    services.certificate_suspicion_review(
        actor=users.qk, certificate=c, decision="confirm", reason="市场查获复印标签"
    )
    assert _covers("certificate.counterfeit_confirmed") == [("certificates.certificate", c.pk)]
    assert _problems() == []
    Certificate.objects.filter(pk=c.pk).update(suspicious=False)  # the warning quietly taken down
    [problem] = _problems()
    assert problem.startswith(f"certificates.certificate {c.pk} ")


def test_key_rotation_and_compromise_are_covered(users):
    first = services.signing_key_rotate(actor=users.admin)
    second = services.signing_key_rotate(actor=users.admin)
    assert _covers("signing_key.rotate") == [
        ("certificates.signingkey", first.pk),
        ("certificates.signingkey", second.pk),
    ]
    services.signing_key_compromise(actor=users.admin, kid=first.kid, reason="旧服务器失窃")
    assert _covers("signing_key.compromise") == [("certificates.signingkey", first.pk)]
    assert _problems() == []
    SigningKey.objects.filter(pk=first.pk).update(compromised_at=None)  # the compromise erased
    [problem] = _problems()
    assert problem.startswith(f"certificates.signingkey {first.pk} ")
