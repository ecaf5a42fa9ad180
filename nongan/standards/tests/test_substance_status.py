import datetime as dt

from nongan.standards.selectors import substance_status


def test_banned_restricted_and_allowed(standards):
    assert substance_status("甲胺磷", "黄瓜") == "banned"
    assert substance_status("克百威", "黄瓜") == "restricted"  # banned on 蔬菜, and 黄瓜 ⊂ 瓜类蔬菜 ⊂ 蔬菜
    assert substance_status("克百威", "花生") is None
    assert substance_status("灭多威", "结球甘蓝") == "restricted"  # 十字花科蔬菜 through the scope mapping
    assert substance_status("吡虫啉", "黄瓜") is None
    assert substance_status("不存在的药", "黄瓜") is None
    assert substance_status("克百威", "不存在的菜") is None


def test_effective_dates_are_honoured(standards):
    from nongan.standards import engine
    from nongan.standards.models import BannedSubstance

    BannedSubstance.objects.filter(analyte__name_zh="甲胺磷").update(effective_from=dt.date(2030, 1, 1))
    engine.invalidate()
    assert substance_status("甲胺磷", "黄瓜", dt.date(2029, 12, 31)) is None
    assert substance_status("甲胺磷", "黄瓜", dt.date(2030, 1, 1)) == "banned"
