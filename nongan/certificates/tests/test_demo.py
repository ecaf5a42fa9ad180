import io

from nongan.certificates import demo
from nongan.certificates.models import Certificate, Collection, MarketCheck, Scan
from nongan.registry import demo as rdemo


def test_demo(db, ganyu):
    out = io.StringIO()
    demo.build(stdout=out)
    assert "no producers" in out.getvalue()
    rdemo.build(stdout=out, count=400)
    demo.build(stdout=out)
    n = Certificate.objects.count()
    assert Collection.objects.count() > 0
    assert MarketCheck.objects.count() > 0
    assert Scan.objects.count() > 0
    assert n > 50
    demo.build(stdout=out)
    assert Certificate.objects.count() == n


def test_demo_holds_no_untruthful_certificate(db, ganyu):
    """No tested basis without its record, no re-issue of other products, no buyer's village as origin."""
    from nongan.certificates.choices import PROMISES

    rdemo.build(stdout=io.StringIO(), count=400)
    demo.build(stdout=io.StringIO())
    certs = Certificate.objects.select_related("product", "producer", "basis_sample", "basis_rapid_test")
    assert certs.count() > 50
    for c in certs:
        assert PROMISES in c.promise_text
        if c.basis in ("self_test", "entrusted_test"):
            record = c.basis_sample or c.basis_rapid_test
            assert record is not None, c.number
            assert record.product_id == c.product_id and record.producer_id == c.producer_id
    children = [c for c in certs if c.promise_form == "buyer"]
    assert children
    for child in children:
        parents = [link.parent for link in child.inputs.select_related("parent__product", "parent__origin")]
        assert parents
        assert all(p.product.path.startswith(child.product.path) for p in parents), child.number
        assert {r.pk for r in child.grower_origins()} == {p.origin_id for p in parents}
        assert all(child.origin.contains(p.origin) for p in parents)
        if child.producer.region_id not in {p.origin_id for p in parents}:
            assert child.origin_id != child.producer.region_id
