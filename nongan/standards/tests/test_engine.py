"""The judgement engine on the shipped standards."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nongan.standards import engine
from nongan.standards.choices import Rule, Verdict
from nongan.standards.engine import Judgement, judge
from nongan.standards.models import Edition
from nongan.standards.services import editions_import, mrl_import
from nongan.standards.tables import Table

D = Decimal
JUNE_2023 = dt.date(2023, 6, 1)
JAN_2023 = dt.date(2023, 1, 1)
DEC_2026 = dt.date(2026, 12, 1)
MID_2025 = dt.date(2025, 6, 1)


def test_amendment_applies_from_its_own_in_force_date(standards):
    after = judge(food="韭菜", analyte="腐霉利", value="0.8", unit="mg/kg", on_date=JUNE_2023)
    assert after == Judgement(
        verdict="pass",
        reason="0.8 mg/kg 未超过韭菜的限量 5 mg/kg（GB 2763-2021/GB 2763.1-2022）。",
        limit_mg_kg=D("5"),
        value_mg_kg=D("0.8"),
        edition="GB 2763-2021/GB 2763.1-2022",
        rule="mrl_food",
        rule_detail="韭菜 5 mg/kg (GB 2763-2021/GB 2763.1-2022)",
    )
    with pytest.raises(AttributeError):
        after.verdict = "fail"  # frozen
    assert hash(after) == hash(Judgement(**after.__dict__))
    before = judge(food="韭菜", analyte="腐霉利", value="0.8", unit="mg/kg", on_date=JAN_2023)
    assert (before.verdict, before.limit_mg_kg, before.edition, before.rule) == (
        "fail",
        D("0.2"),
        "GB 2763-2021",
        "mrl_food",
    )
    assert before.reason == "0.8 mg/kg 超过韭菜的限量 0.2 mg/kg（GB 2763-2021）。"
    # The day before and the day the amendment came into force (2023-05-11).
    assert (
        judge(food="韭菜", analyte="腐霉利", value="0.8", unit="mg/kg", on_date=dt.date(2023, 5, 10)).verdict
        == "fail"
    )
    assert (
        judge(food="韭菜", analyte="腐霉利", value="0.8", unit="mg/kg", on_date=dt.date(2023, 5, 11)).verdict
        == "pass"
    )


def test_a_new_full_edition_replaces_the_edition_and_amendment_it_supersedes(standards):
    j = judge(food="韭菜", analyte="腐霉利", value="0.8", unit="mg/kg", on_date=DEC_2026)
    assert (j.verdict, j.rule, j.edition, j.limit_mg_kg) == (
        "not_judgeable",
        "limit_not_loaded",
        "GB 2763-2026",
        None,
    )
    assert j.reason == (
        "GB 2763-2026 仅部分加载（摘录）：腐霉利在韭菜中的限量未加载，无法判定；这并不表示该标准未规定限量。"
    )
    j = judge(food="韭菜", analyte="吡虫啉", value="1", unit="mg/kg", on_date=DEC_2026)
    assert (j.verdict, j.rule, j.edition, j.limit_mg_kg) == ("pass", "mrl_food", "GB 2763-2026", D("1"))
    # Before GB 2763-2026 came into force its rows do not apply.
    assert (
        judge(food="韭菜", analyte="吡虫啉", value="1", unit="mg/kg", on_date=dt.date(2026, 2, 28)).verdict
        == "not_judgeable"
    )


def test_group_limit_and_group_exclusion(standards):
    j = judge(food="黄瓜", analyte="噻虫嗪", value="0.5", unit="mg/kg", on_date=DEC_2026)
    assert (j.verdict, j.rule, j.limit_mg_kg, j.rule_detail) == (
        "pass",
        "mrl_group",
        D("0.5"),
        "瓜类蔬菜 0.5 mg/kg (GB 2763-2026) [gb2763_2026_excerpt.csv:192, 4.372 表 372]",
    )
    assert j.reason == "0.5 mg/kg 未超过黄瓜所属类别瓜类蔬菜的限量 0.5 mg/kg（GB 2763-2026）。"
    assert (
        judge(food="黄瓜", analyte="噻虫嗪", value="0.51", unit="mg/kg", on_date=DEC_2026).verdict == "fail"
    )
    # 瓜类蔬菜(节瓜、苦瓜、丝瓜、冬瓜、南瓜除外): the exclusion is the row's; 节瓜 has its own row (1).
    excluded = judge(food="节瓜", analyte="噻虫嗪", value="0.1", unit="mg/kg", on_date=DEC_2026)
    assert (excluded.verdict, excluded.rule, excluded.limit_mg_kg) == ("pass", "mrl_food", D("1"))
    # 香瓜 is excluded from 甜瓜类水果 in 4.372 and has its own row; for 吡虫啉 (no exclusion) it takes the group's.
    assert judge(food="香瓜", analyte="噻虫嗪", value="1.5", unit="mg/kg", on_date=DEC_2026).limit_mg_kg == 2


def test_food_entry_beats_group_entry(standards):
    # 对硫磷 has 蔬菜 0.01 but is banned; use 噻虫嗪: 茄子 0.5 (own) vs no group entry; 番茄 1 (own).
    j = judge(food="番茄", analyte="噻虫嗪", value="0.9", unit="mg/kg", on_date=DEC_2026)
    assert (j.rule, j.limit_mg_kg) == ("mrl_food", D("1"))


def test_banned_substance_fails_at_or_above_lod(standards):
    # 对硫磷 is banned (公告第322号) and GB 2763-2026 sets 0.01 on 瓜类蔬菜: judged against the limit, the detection
    # flagged (违禁检出); the strict policy fails any detection at or above the LOD.
    j = judge(food="黄瓜", analyte="对硫磷", value="0.005", unit="mg/kg", lod="0.001", on_date=DEC_2026)
    assert (j.verdict, j.rule, j.edition, j.limit_mg_kg, j.flags) == (
        "pass",
        "mrl_group",
        "GB 2763-2026",
        D("0.01"),
        ("banned_detected",),
    )
    strict = dict(unit="mg/kg", lod="0.001", on_date=DEC_2026, policy="strict")
    j = judge(food="黄瓜", analyte="对硫磷", value="0.005", **strict)
    assert (j.verdict, j.rule, j.edition, j.policy) == ("fail", "banned", "农业部公告第322号", "strict")
    assert j.rule_detail == "对硫磷：禁用物质（农业部公告第322号）"
    at_lod = judge(food="黄瓜", analyte="对硫磷", value="0.001", **strict)
    assert at_lod.verdict == "fail"
    below = judge(food="黄瓜", analyte="对硫磷", value="0.0009", **strict)
    assert (below.verdict, below.rule) == ("pass", "not_detected")
    no_lod = judge(
        food="黄瓜", analyte="parathion", value="0.000001", unit="mg/kg", on_date=DEC_2026, policy="strict"
    )
    assert no_lod.verdict == "fail"
    zero = judge(food="黄瓜", analyte="对硫磷", value="0", unit="mg/kg", on_date=DEC_2026)
    assert (zero.verdict, zero.rule) == ("pass", "not_detected")


def test_banned_only_from_its_effective_date(standards):
    # 三氯杀螨醇 is banned from 2018-10-01; before that only its tea restriction applies.
    before = judge(food="黄瓜", analyte="三氯杀螨醇", value="0.1", unit="mg/kg", on_date=dt.date(2018, 9, 30))
    assert before.rule == "no_edition"  # no GB 2763 edition loaded for 2018
    # (no GB 2763 edition is loaded for 2018: the ban alone judges only under the strict policy)
    tea = judge(
        food="绿茶",
        analyte="三氯杀螨醇",
        value="0.1",
        unit="mg/kg",
        on_date=dt.date(2018, 9, 30),
        policy="strict",
    )
    assert (tea.verdict, tea.rule) == ("fail", "restricted_scope")
    after = judge(
        food="黄瓜",
        analyte="三氯杀螨醇",
        value="0.1",
        unit="mg/kg",
        on_date=dt.date(2018, 10, 1),
        policy="strict",
    )
    assert (after.verdict, after.rule) == ("fail", "banned")


def test_restricted_scope(standards):
    # 2025: GB 2763-2021 in force without limits for these, before the full bans of 公告第736号 (2026-06-01).
    # Shipped, GB 2763-2021 is loaded from sample rows (partial: "limit not loaded"); here it is complete, as an
    # official table import leaves it.
    engine.invalidate()
    assert judge(food="菠菜", analyte="克百威", value="0.005", unit="mg/kg", on_date=MID_2025).rule == (
        "limit_not_loaded"
    )
    Edition.objects.filter(code__in=["GB 2763-2021", "GB 2763.1-2022"]).update(partial=False)
    engine.invalidate()
    j = judge(food="菠菜", analyte="克百威", value="0.005", unit="mg/kg", lod="0.001", on_date=MID_2025)
    assert (j.verdict, j.rule, j.edition) == ("fail", "restricted_scope", "农业部公告第199号")
    assert j.rule_detail == "克百威：禁止用于蔬菜;果树;茶叶;中草药材（农业部公告第199号）"
    # 果树 is another name of 水果; 十字花科蔬菜 is a scope mapping; 甘蓝 another name of 结球甘蓝.
    assert (
        judge(food="苹果", analyte="克百威", value="0.01", unit="mg/kg", on_date=MID_2025).rule
        == "restricted_scope"
    )
    assert (
        judge(food="大白菜", analyte="灭多威", value="0.01", unit="mg/kg", on_date=MID_2025).rule
        == "restricted_scope"
    )
    assert (
        judge(food="青花菜", analyte="灭多威", value="0.01", unit="mg/kg", on_date=MID_2025).rule
        == "restricted_scope"
    )
    assert (
        judge(food="萝卜", analyte="灭多威", value="0.01", unit="mg/kg", on_date=MID_2025).rule
        == "restricted_scope"
    )
    assert (
        judge(food="胡萝卜", analyte="灭多威", value="0.01", unit="mg/kg", on_date=MID_2025).rule
        == "no_limit"
    )
    assert (
        judge(food="结球甘蓝", analyte="氧乐果", value="0.01", unit="mg/kg", on_date=MID_2025).rule
        == "restricted_scope"
    )
    assert (
        judge(food="橙", analyte="氧乐果", value="0.01", unit="mg/kg", on_date=MID_2025).rule
        == "restricted_scope"
    )
    assert (
        judge(food="稻谷", analyte="氟虫腈", value="0.01", unit="mg/kg", on_date=MID_2025).rule
        == "restricted_scope"
    )
    assert (
        judge(food="玉米", analyte="氟虫腈", value="0.01", unit="mg/kg", on_date=MID_2025).rule == "no_limit"
    )
    # Outside the scope: no limit, not judgeable.
    assert (
        judge(food="猪肉", analyte="克百威", value="0.01", unit="mg/kg", on_date=MID_2025).verdict
        == "not_judgeable"
    )


def test_units(standards):
    j = judge(food="黄瓜", analyte="噻虫嗪", value="600", unit="μg/kg", on_date=DEC_2026)
    assert (j.verdict, j.value_mg_kg) == ("fail", D("0.6"))
    for unit in ("ug/kg", "µg/kg", "μg/kg", "UG/KG", " μg / kg ", "ppb"):
        assert judge(
            food="黄瓜", analyte="噻虫嗪", value="500", unit=unit, on_date=DEC_2026
        ).value_mg_kg == D("0.5")
    assert judge(food="黄瓜", analyte="噻虫嗪", value="0.5", unit="ppm", on_date=DEC_2026).verdict == "pass"
    # LOD is in the value's unit.
    j = judge(food="黄瓜", analyte="对硫磷", value="0.5", unit="μg/kg", lod="1", on_date=DEC_2026)
    assert (j.verdict, j.rule) == ("pass", "not_detected")
    assert j.reason == "未检出：0.0005 mg/kg 低于检出限 0.001 mg/kg。"


def test_milk_may_be_given_per_litre(standards):
    j = judge(food="生牛乳", analyte="毒死蜱", value="0.01", unit="mg/L", on_date=DEC_2026)
    assert (j.value_mg_kg, j.rule, j.limit_mg_kg) == (D("0.01"), "mrl_group", D("0.02"))  # 4.125 生乳 0.02
    assert judge(food="生鲜牛乳", analyte="克百威", value="10", unit="μg/L").value_mg_kg == D("0.010")
    with pytest.raises(ValidationError) as exc:
        judge(food="黄瓜", analyte="噻虫嗪", value="0.1", unit="mg/L")
    assert exc.value.message_dict == {"unit": ["mg/L 只适用于乳；请以 mg/kg 或 μg/kg 给出黄瓜的检出值。"]}


def test_bad_input_raises_field_errors(standards):
    with pytest.raises(ValidationError) as exc:
        judge(food="火星菜", analyte="不存在农药", value="-1", unit="g/kg")
    assert exc.value.message_dict == {
        "food": ["“火星菜”不在农产品分类中。"],
        "analyte": ["“不存在农药”不是已知的农药、兽药或化合物。"],
        "value": ["浓度不能为负数（-1）。"],
        "unit": ["未知单位“g/kg”；请使用 mg/kg 或 μg/kg。"],
    }
    with pytest.raises(ValidationError) as exc:
        judge(food="", analyte="", value="abc", unit="")
    assert exc.value.message_dict == {
        "food": ["请填写食品（如黄瓜）。"],
        "analyte": ["请填写检测项目（如腐霉利）。"],
        "value": ["“abc”不是数字。"],
        "unit": ["请填写单位（mg/kg 或 μg/kg）。"],
    }
    for bad in (None, "", "NaN", "inf", True, "1e", [1]):
        with pytest.raises(ValidationError) as exc:
            judge(food="黄瓜", analyte="噻虫嗪", value=bad, unit="mg/kg")
        assert list(exc.value.message_dict) == ["value"]
    with pytest.raises(ValidationError) as exc:
        judge(food="黄瓜", analyte="噻虫嗪", value="0.1", unit="mg/kg", lod="0.01", loq="0.001")
    assert list(exc.value.message_dict) == ["loq"]
    with pytest.raises(ValidationError) as exc:
        judge(food="黄瓜", analyte="噻虫嗪", value="0.1", unit="mg/kg", lod="-0.01")
    assert list(exc.value.message_dict) == ["lod"]


def test_names_aliases_and_number_types(standards):
    assert (
        judge(food="西红柿", analyte="thiamethoxam", value=1, unit="mg/kg", on_date=DEC_2026).rule
        == "mrl_food"
    )
    assert (
        judge(food=" 番茄 ", analyte="Thiamethoxam", value=1.0, unit="mg/kg", on_date=DEC_2026).verdict
        == "pass"
    )
    assert (
        judge(food="番茄", analyte="噻虫嗪", value=D("1.0000001"), unit="mg/kg", on_date=DEC_2026).verdict
        == "fail"
    )
    assert (
        judge(
            food="番茄", analyte="噻虫嗪", value=0.5, unit="mg/kg", on_date=dt.datetime(2026, 12, 1, 8)
        ).verdict
        == "pass"
    )


def test_date_as_text(standards):
    assert (
        judge(food="韭菜", analyte="腐霉利", value="0.8", unit="mg/kg", on_date="2023-06-01").verdict
        == "pass"
    )
    with pytest.raises(ValidationError) as exc:
        judge(food="韭菜", analyte="腐霉利", value="0.8", unit="mg/kg", on_date="2023-02-30")
    assert exc.value.message_dict == {"date": ["“2023-02-30”不是日期，请写成 2026-11-28。"]}


def test_edition_is_in_force_as_the_engine_says(standards):
    """Edition.is_in_force (the rule in inforce.py, read from the database) agrees with the engine's index."""
    codes = ["GB 2763-2021", "GB 2763.1-2022", "GB 2763-2026", "GB 31650-2019", "GB 31650.1-2022"]
    for day, expected in (
        (JAN_2023, {"GB 2763-2021", "GB 31650-2019"}),
        (JUNE_2023, {"GB 2763-2021", "GB 2763.1-2022", "GB 31650-2019", "GB 31650.1-2022"}),
        (DEC_2026, {"GB 2763-2026", "GB 31650-2019", "GB 31650.1-2022"}),
    ):
        in_force = {c for c in codes if Edition.objects.get(code=c).is_in_force(day)}
        assert in_force == expected
        assert {e.code for e in engine.editions_in_force(day)} == expected


def test_no_edition_in_force(standards):
    j = judge(food="黄瓜", analyte="噻虫嗪", value="0.1", unit="mg/kg", on_date=dt.date(2020, 1, 1))
    assert (j.verdict, j.rule, j.edition) == ("not_judgeable", "no_edition", "")
    assert j.reason == (
        "2020-01-01 没有已加载的标准版本在实施：已加载的最早版本 GB 2763-2021 自 2021-09-03 起实施。"
        "请加载该日期实施的版本后再判定。"
    )


def test_reason_follows_the_active_language(standards):
    with translation.override("en"):
        j = judge(food="韭菜", analyte="腐霉利", value="0.8", unit="mg/kg", on_date=JUNE_2023)
        assert j.reason == "0.8 mg/kg is within the limit of 5 mg/kg for 韭菜 (GB 2763-2021/GB 2763.1-2022)."
        assert str(Verdict(j.verdict).label) == "Pass"
        assert str(Rule(j.rule).label) == "Limit for the food itself"
    assert str(Verdict(j.verdict).label) == "合格"


def test_an_import_rebuilds_the_index(standards, users):
    assert (
        judge(food="韭菜", analyte="腐霉利", value="0.8", unit="mg/kg", on_date=dt.date(2027, 6, 1)).verdict
        == "not_judgeable"
    )
    editions_import(
        actor=users.admin,
        table=Table(
            rows=[
                (
                    2,
                    {
                        "standard": "GB 2763.1-2027",
                        "kind": "amendment (adds to GB 2763-2026)",
                        "in_force": "2027-05-01",
                        "issued": "",
                        "supersedes": "",
                        "scope": "",
                        "source": "",
                    },
                )
            ],
            headers={},
        ),
    )
    mrl_import(
        actor=users.admin,
        table=Table(
            rows=[
                (
                    2,
                    {"analyte": "腐霉利", "food": "鳞茎类蔬菜", "limit": "0.5", "standard": "GB 2763.1-2027"},
                ),
                (
                    3,
                    {
                        "analyte": "噻虫嗪",
                        "food": "瓜类蔬菜(节瓜、苦瓜除外)",
                        "limit": "0.3",
                        "standard": "GB 2763.1-2027",
                    },
                ),
            ],
            headers={},
        ),
    )
    j = judge(food="韭菜", analyte="腐霉利", value="0.8", unit="mg/kg", on_date=dt.date(2027, 6, 1))
    assert (j.verdict, j.rule, j.edition, j.limit_mg_kg) == (
        "fail",
        "mrl_group",
        "GB 2763-2026/GB 2763.1-2027",
        D("0.5"),
    )
    # The amendment's group row overrides the edition's group row; its own exclusions are honoured.
    assert (
        judge(food="黄瓜", analyte="噻虫嗪", value="0.4", unit="mg/kg", on_date=dt.date(2027, 6, 1)).verdict
        == "fail"
    )
    assert (
        judge(food="苦瓜", analyte="噻虫嗪", value="0.4", unit="mg/kg", on_date=dt.date(2027, 6, 1)).edition
        == "GB 2763-2026"
    )
    assert (
        judge(food="黄瓜", analyte="噻虫嗪", value="0.4", unit="mg/kg", on_date=dt.date(2027, 4, 30)).verdict
        == "pass"
    )
    assert Edition.objects.get(code="GB 2763.1-2027").amends.code == "GB 2763-2026"


def test_another_process_sees_an_import_through_the_revision_token(standards, users, monkeypatch):
    engine.get_index()
    monkeypatch.setattr(engine, "invalidate_on_commit", lambda: None)  # as if the import ran elsewhere
    editions_import(
        actor=users.admin,
        table=Table(
            rows=[(2, {"standard": "GB 31650-2030", "kind": "full edition", "in_force": "2030-01-01"})],
            headers={},
        ),
    )
    stale = engine._state["index"]
    engine._state["checked"] = 0.0
    assert engine.get_index() is not stale
    assert "GB 31650-2030" in {e.code for e in engine.get_index().editions.values()}


VALUES = st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False, allow_infinity=False)
CASES = [
    ("韭菜", "腐霉利"),
    ("黄瓜", "噻虫嗪"),
    ("菠菜", "克百威"),
    ("黄瓜", "对硫磷"),
    ("节瓜", "噻虫嗪"),
    ("茶叶", "吡虫啉"),
]
DATES = st.sampled_from([JAN_2023, JUNE_2023, DEC_2026])
RANK = {"pass": 0, "not_judgeable": 1, "fail": 2}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(CASES), a=VALUES, b=VALUES, lod=st.one_of(st.none(), VALUES), day=DATES)
def test_raising_a_value_never_turns_fail_into_pass(standards, case, a, b, lod, day):
    low, high = sorted((a, b))
    food, analyte = case
    j_low = judge(food=food, analyte=analyte, value=low, unit="mg/kg", lod=lod, on_date=day)
    j_high = judge(food=food, analyte=analyte, value=high, unit="mg/kg", lod=lod, on_date=day)
    if j_low.verdict == "fail":
        assert j_high.verdict == "fail"
    if j_high.verdict == "pass" and j_high.rule != "not_detected":
        assert j_low.verdict == "pass"
    assert j_low.value_mg_kg == low and j_high.value_mg_kg == high


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=VALUES)
def test_unit_conversion_is_exact(standards, value):
    in_mg = judge(food="黄瓜", analyte="噻虫嗪", value=value, unit="mg/kg", on_date=DEC_2026)
    in_ug = judge(food="黄瓜", analyte="噻虫嗪", value=value * 1000, unit="μg/kg", on_date=DEC_2026)
    assert in_mg.value_mg_kg == in_ug.value_mg_kg
    assert in_mg.verdict == in_ug.verdict


def test_language_reader_agrees_with_django():
    import threading

    from django.conf import settings as dj_settings

    def agrees():
        t = engine._language()
        if t is None:
            return translation.get_language() == dj_settings.LANGUAGE_CODE
        return t.to_language() == translation.get_language()

    assert engine._language is not engine._language_slow  # the fast reader is in use with this asgiref
    results = [agrees()]
    with translation.override("en"):
        results.append(agrees() and engine._language().to_language() == "en")
        with translation.override("zh-hans"):
            results.append(agrees())
        results.append(agrees())
    translation.deactivate_all()
    results.append(agrees())
    translation.activate("zh-hans")
    results.append(agrees())
    translation.deactivate()
    results.append(agrees())
    box = []
    thread = threading.Thread(target=lambda: box.append(agrees()))
    thread.start()
    thread.join()
    assert results + box == [True] * 8
