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
