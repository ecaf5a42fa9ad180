import datetime as dt

from nongan.standards.selectors import substance_status

MAY_2026 = dt.date(2026, 5, 1)


def test_banned_restricted_and_allowed(standards):
    assert substance_status("甲胺磷", "黄瓜") == "banned"
    # before 公告第736号 bans it outright (2026-06-01): banned on 蔬菜, and 黄瓜 ⊂ 瓜类蔬菜 ⊂ 蔬菜
    assert substance_status("克百威", "黄瓜", MAY_2026) == "restricted"
    assert substance_status("克百威", "花生", MAY_2026) is None
    assert substance_status("克百威", "花生", dt.date(2026, 6, 1)) == "banned"
    assert (
        substance_status("灭多威", "结球甘蓝", MAY_2026) == "restricted"
    )  # 十字花科蔬菜 through the scope mapping
    # 毒死蜱 on vegetables (公告第2032号, 2016-12-31): matched through its other names, CAS number and product names
    for name in (
        "毒死蜱",
        "chlorpyrifos",
        "Chlorpyrifos",
        "2921-88-2",
        "毒死蜱乳油",
        "40%毒死蜱乳油",
        "chlorpyrifos 40% EC",
    ):
        assert substance_status(name, "黄瓜") == "restricted", name
    assert substance_status("毒死蜱乳油", "苹果") is None
    assert substance_status("甲拌磷颗粒剂", "花生") == "banned"  # 公告第536号 from 2024-09-01
    assert substance_status("甲拌磷颗粒剂", "花生", dt.date(2024, 8, 31)) is None
    assert substance_status("吡虫啉", "黄瓜") is None
    assert substance_status("不存在的药", "黄瓜") is None
    assert substance_status("克百威", "不存在的菜", MAY_2026) is None


def test_effective_dates_are_honoured(standards):
    from nongan.standards import engine
    from nongan.standards.models import BannedSubstance

    BannedSubstance.objects.filter(analyte__name_zh="甲胺磷").update(effective_from=dt.date(2030, 1, 1))
    engine.invalidate()
    assert substance_status("甲胺磷", "黄瓜", dt.date(2029, 12, 31)) is None
    assert substance_status("甲胺磷", "黄瓜", dt.date(2030, 1, 1)) == "banned"
