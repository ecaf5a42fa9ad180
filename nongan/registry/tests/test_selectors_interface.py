"""The registry's read interface for the other apps (``nongan.registry.selectors``): the lookups they use instead
of importing ``registry.models`` give the records the scope allows, and nothing else."""

from nongan.registry import selectors as registry
from nongan.registry.models import StaffMember


def test_producer_by_code_and_in_scope_follow_the_jurisdiction(users, make_producer):
    qk_own = users.own_producer  # 青口镇
    zw = make_producer(name="柘汪镇海产合作社", town="柘汪镇")
    assert registry.producer_by_code(users.qk, f"  {qk_own.code} ") == qk_own
    assert registry.producer_by_code(users.qk, zw.code) is None  # another township's: as if unknown
    assert registry.producer_by_code(users.qk, "320707999999999") is None
    assert registry.producer_by_code(users.admin, zw.code) == zw
    assert registry.producer_in_scope(users.qk, qk_own) is True
    assert registry.producer_in_scope(users.qk, zw) is False
    assert set(registry.producers_in_scope(users.zw)) == {zw}
    assert set(registry.producers_in_region(users.zw.jurisdiction)) == {zw}
    assert registry.is_producer(zw) and not registry.is_producer(zw.code)


def test_the_product_tree_lookups(ganyu, make_producer):
    cucumber, melons, veg = ganyu.category("黄瓜"), ganyu.category("瓜类蔬菜"), ganyu.category("蔬菜")
    assert set(registry.category_with_ancestors(cucumber)) == {cucumber, melons, veg}
    assert registry.category_by_code("V05001") == cucumber
    assert registry.category_by_code("nope") is None
    assert registry.category_by_code_or_name("V05") == melons
    assert registry.category_by_code_or_name("黄瓜") == cucumber
    assert registry.category_root_names()[cucumber.pk] == "蔬菜"
    assert veg in set(registry.category_roots()) and cucumber not in set(registry.category_roots())
    assert cucumber in set(registry.category_leaves()) and melons not in set(registry.category_leaves())
    assert registry.is_category(cucumber) and not registry.is_category("黄瓜")
    grower = make_producer(products=("黄瓜",))
    other = make_producer(products=("番茄",))
    assert set(registry.producers_growing(melons)) == {grower}
    assert set(registry.producers_growing(veg)) == {grower, other}
    assert registry.product_categories_of([grower.pk]) == [(grower.pk, cucumber.pk)]


def test_staff_regions_are_those_of_active_staff_only(users, ganyu):
    town = ganyu.town["青口镇"]
    StaffMember.objects.create(name="甲", kind="township", region=town, phone="13812345678", user=users.qk)
    StaffMember.objects.create(
        name="乙", kind="township", region=town, phone="13812345679", user=users.zw, active=False
    )
    assert registry.staff_regions([users.qk.pk, users.zw.pk, users.admin.pk]) == [(users.qk.pk, town.pk)]
