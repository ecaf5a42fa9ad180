from nongan.core.models import Region
from nongan.core.scoping import scoped
from nongan.registry.models import Producer


def test_fixtures_build_the_ganyu_tree_and_role_accounts(users, ganyu):
    assert Region.objects.filter(level="township").count() == 15
    assert Region.objects.filter(level="village").count() == 469
    assert ganyu.town["青口镇"].initials == "qkz"
    assert list(scoped(users.producer, Producer.objects.all())) == [users.own_producer]
    assert scoped(users.zw, Producer.objects.all()).count() == 0
    assert scoped(users.qk, Producer.objects.all()).count() == 1
