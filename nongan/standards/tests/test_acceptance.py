"""Acceptance suite: verdicts a county lab director would sign, on the shipped data (the GB 2763-2026 excerpt, the
GB 2763-2021 / 2763.1-2022 sample rows, the banned and restricted lists merged with the 2026 list), through the real
loader and the real engine. Each case names the table row or rule it rests on."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from nongan.standards import engine
from nongan.standards.engine import judge
from nongan.standards.services import standards_load

JUN_2026 = dt.date(2026, 6, 10)
MAY_2026 = dt.date(2026, 5, 1)
BD = ("banned_detected",)
BDU = ("banned_detected", "basis_unverified")


@pytest.fixture(scope="module")
def shipped(django_db_setup, django_db_blocker):
    """The shipped data loaded once for the module, in a transaction rolled back after it (the cases only read)."""
    with django_db_blocker.unblock(), transaction.atomic():
        standards_load()
        engine.invalidate()
        yield
        transaction.set_rollback(True)
    engine.invalidate()


# (food, analyte, value, unit, lod, loq, date, policy, fat) → (verdict, rule, limit, flags)
# fmt: off
CASES = [
    # --- limits for the food and its groups; exclusions belong to the row (4.372 噻虫嗪) ---
    ("黄瓜", "噻虫嗪", "0.5", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_group", "0.5", ()),
    ("黄瓜", "噻虫嗪", "0.51", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "mrl_group", "0.5", ()),
    ("节瓜", "噻虫嗪", "0.8", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_food", "1", ()),
    ("苦瓜", "噻虫嗪", "0.3", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "mrl_food", "0.2", ()),
    ("西葫芦", "噻虫嗪", "0.4", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_group", "0.5", ()),
    ("腌制用小黄瓜", "噻虫嗪", "0.4", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_group", "0.5", ()),
    ("菠菜", "噻虫嗪", "4", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_food", "5", ()),
    ("油麦菜", "噻虫嗪", "3.5", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "mrl_group", "3", ()),
    ("叶用莴苣", "噻虫嗪", "9", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_food", "10", ()),
    ("芹菜", "噻虫嗪", "1.2", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "mrl_food", "1", ()),
    ("大白菜", "噻虫嗪", "2.9", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_group", "3", ()),
    ("韭菜", "噻虫嗪", "9", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_food", "10", ()),
    ("茄子", "噻虫嗪", "0.6", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "mrl_food", "0.5", ()),
    ("樱桃番茄", "噻虫嗪", "0.9", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "mrl_group", "0.7", ()),
    ("豇豆", "噻虫嗪", "0.6", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "mrl_food", "0.5", ()),
    ("食荚豌豆", "噻虫嗪", "0.9", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_food", "1", ()),
    ("扁豆", "噻虫嗪", "0.35", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "mrl_group", "0.3", ()),
    ("菜用大豆", "噻虫嗪", "0.02", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "mrl_group", "0.01", ()),
    ("豌豆", "噻虫嗪", "0.04", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_food", "0.05", ()),
    ("桃", "噻虫嗪", "0.6", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "mrl_food", "0.5", ()),
    ("樱桃", "噻虫嗪", "0.9", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_group", "1", ()),
    ("杧果", "噻虫嗪", "0.2", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_food", "0.2", ()),
    ("哈密瓜", "噻虫嗪", "0.4", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_group", "0.5", ()),
    ("橙", "噻虫嗪", "0.5", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_group", "0.5", ()),
    ("香瓜", "噻虫嗪", "1.5", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_food", "2", ()),
    # --- 大米 / 糙米 / 稻谷 are distinct foods (annex A) ---
    ("稻谷", "噻虫嗪", "1.5", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_food", "2", ()),
    ("糙米", "噻虫嗪", "0.6", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "mrl_food", "0.5", ()),
    ("大米", "噻虫嗪", "0.1", "mg/kg", None, None, JUN_2026, "mrl", None, "not_judgeable", "limit_not_loaded", None, ()),
    ("绿豆", "噻虫嗪", "4", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_food", "5", ()),
    ("赤豆", "噻虫嗪", "0.05", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "mrl_group", "0.04", ()),
    ("豌豆(干)", "吡虫啉", "0.15", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "mrl_food", "0.1", ()),
    ("赤豆", "吡虫啉", "1.5", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_group", "2", ()),
    # --- units: μg/kg ↔ mg/kg; mg/L and μg/L for milk ---
    ("黄瓜", "噻虫嗪", "600", "μg/kg", None, None, JUN_2026, "mrl", None, "fail", "mrl_group", "0.5", ()),
    ("黄瓜", "噻虫嗪", "500", "ug/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_group", "0.5", ()),
    ("生牛乳", "毒死蜱", "0.01", "mg/L", None, None, JUN_2026, "mrl", None, "pass", "mrl_group", "0.02", ()),
    ("生牛乳", "毒死蜱", "30", "μg/L", None, None, JUN_2026, "mrl", None, "fail", "mrl_group", "0.02", ()),
    ("黄瓜", "噻虫嗪", "0.1", "mg/L", None, None, JUN_2026, "mrl", None, "error", "unit", None, ()),
    ("猪肉", "噻虫嗪", "0.1", "g/kg", None, None, JUN_2026, "mrl", None, "error", "unit", None, ()),
    ("黄瓜", "噻虫嗪", "-0.1", "mg/kg", None, None, JUN_2026, "mrl", None, "error", "value", None, ()),
    # --- LOD / LOQ ---
    ("黄瓜", "噻虫嗪", "0.6", "mg/kg", "1", None, JUN_2026, "mrl", None, "fail", "mrl_group", "0.5", ()),
    ("黄瓜", "噻虫嗪", "0.3", "mg/kg", "1", None, JUN_2026, "mrl", None, "not_judgeable", "method_unfit", "0.5", ()),
    ("黄瓜", "噻虫嗪", "0", "mg/kg", "1", None, JUN_2026, "mrl", None, "not_judgeable", "method_unfit", "0.5", ()),
    ("黄瓜", "噻虫嗪", "0.004", "mg/kg", "0.005", None, JUN_2026, "mrl", None, "pass", "not_detected", "0.5", ()),
    ("黄瓜", "噻虫嗪", "0.3", "mg/kg", "0.01", "0.8", JUN_2026, "mrl", None, "not_judgeable", "method_unfit", "0.5", ()),
    ("黄瓜", "噻虫嗪", "0.3", "mg/kg", "0.01", "0.05", JUN_2026, "mrl", None, "pass", "mrl_group", "0.5", ()),
    ("黄瓜", "噻虫嗪", "0.4", "mg/kg", "0.5", None, JUN_2026, "mrl", None, "pass", "not_detected", "0.5", ()),
    ("黄瓜", "噻虫嗪", "300", "μg/kg", "1000", None, JUN_2026, "mrl", None, "not_judgeable", "method_unfit", "0.5", ()),
    # --- banned for the use: judged against the limit, the detection flagged (违禁检出); strict policy fails ---
    ("黄瓜", "毒死蜱", "0.01", "mg/kg", "0.001", None, JUN_2026, "mrl", None, "pass", "mrl_group", "0.02", BDU),
    ("黄瓜", "毒死蜱", "0.01", "mg/kg", "0.001", None, JUN_2026, "strict", None, "fail", "restricted_scope", "0.02", BDU),
    ("黄瓜", "毒死蜱", "0.0005", "mg/kg", "0.001", None, JUN_2026, "strict", None, "pass", "not_detected", "0.02", ()),
    ("黄瓜", "毒死蜱", "0.03", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "mrl_group", "0.02", BDU),
    ("苹果", "毒死蜱", "0.5", "mg/kg", None, None, JUN_2026, "strict", None, "pass", "mrl_food", "1", ()),
    ("芹菜", "毒死蜱", "0.04", "mg/kg", "0.001", None, JUN_2026, "mrl", None, "pass", "mrl_food", "0.05", BDU),
    ("普通白菜", "毒死蜱", "0.03", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "mrl_group", "0.02", BDU),
    ("黄瓜", "甲拌磷", "0.005", "mg/kg", "0.001", None, JUN_2026, "mrl", None, "pass", "mrl_group", "0.01", BD),
    ("黄瓜", "甲拌磷", "0.005", "mg/kg", "0.001", None, JUN_2026, "strict", None, "fail", "banned", "0.01", BD),
    ("黄瓜", "甲拌磷", "0.02", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "mrl_group", "0.01", BD),
    ("黄瓜", "克百威", "0.01", "mg/kg", None, None, MAY_2026, "strict", None, "fail", "restricted_scope", "0.02", BD),
    ("黄瓜", "克百威", "0.01", "mg/kg", None, None, JUN_2026, "strict", None, "fail", "banned", "0.02", BD),
    ("猪肉", "克百威", "0.01", "mg/kg", None, None, MAY_2026, "mrl", None, "pass", "mrl_food", "0.05", ()),
    ("猪肉", "克百威", "0.01", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_food", "0.05", BD),
    # no limit loaded: a detection of a banned substance fails citing the announcement
    ("菠菜", "甲胺磷", "0.02", "mg/kg", "0.01", None, dt.date(2025, 6, 1), "mrl", None, "fail", "banned", None, BD),
    ("黄瓜", "毒死蜱", "0.01", "mg/kg", None, None, dt.date(2025, 6, 1), "mrl", None, "fail", "restricted_scope", None, BDU),
    # the limit of the partial edition is not loaded: not judgeable, flagged; the strict policy fails it
    ("菠菜", "甲胺磷", "0.02", "mg/kg", "0.01", None, JUN_2026, "mrl", None, "not_judgeable", "limit_not_loaded", None, BD),
    ("菠菜", "甲胺磷", "0.02", "mg/kg", "0.01", None, JUN_2026, "strict", None, "fail", "banned", None, BD),
    ("菠菜", "甲胺磷", "0.005", "mg/kg", "0.01", None, JUN_2026, "mrl", None, "pass", "not_detected", None, ()),
    ("黄瓜", "氟苯虫酰胺", "0.01", "mg/kg", None, None, JUN_2026, "mrl", None, "not_judgeable", "limit_not_loaded", None, ()),
    ("稻谷", "氟苯虫酰胺", "0.01", "mg/kg", None, None, JUN_2026, "mrl", None, "not_judgeable", "limit_not_loaded", None, BDU),
    # --- 再残留限量 (EMRL): judged like limits ---
    ("茶叶", "六六六", "0.03", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "emrl_food", "0.2", BD),
    ("茶叶", "六六六", "0.3", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "emrl_food", "0.2", BD),
    ("黄瓜", "六六六", "0.06", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "emrl_group", "0.05", BD),
    ("鸡蛋", "滴滴涕", "0.05", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "emrl_group", "0.1", BD),
    ("生牛乳", "狄氏剂", "0.01", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "emrl_group", "0.006", BD),
    # fat-content bands (脂肪含量10%以下 以原样计 / 10%及以上 以脂肪计)
    ("猪肉", "六六六", "0.05", "mg/kg", None, None, JUN_2026, "mrl", "5", "pass", "emrl_group", "0.1", BD),
    ("猪肉", "六六六", "0.5", "mg/kg", None, None, JUN_2026, "mrl", "20", "pass", "emrl_group", "1", BD),
    ("猪肉", "六六六", "0.5", "mg/kg", None, None, JUN_2026, "mrl", "5", "fail", "emrl_group", "0.1", BD),
    ("猪肉", "六六六", "0.05", "mg/kg", None, None, JUN_2026, "mrl", None, "not_judgeable", "fat_needed", None, BD),
    ("猪肉", "六六六", "0.05", "mg/kg", None, None, JUN_2026, "mrl", "101", "error", "fat", None, ()),
    # --- editions by sampling date ---
    ("韭菜", "腐霉利", "3", "mg/kg", None, None, dt.date(2023, 6, 1), "mrl", None, "pass", "mrl_food", "5", ()),
    ("韭菜", "腐霉利", "3", "mg/kg", None, None, dt.date(2022, 6, 1), "mrl", None, "fail", "mrl_food", "0.2", ()),
    ("韭菜", "腐霉利", "0.1", "mg/kg", None, None, dt.date(2019, 6, 1), "mrl", None, "not_judgeable", "no_edition", None, ()),
    ("韭菜", "腐霉利", "0.1", "mg/kg", None, None, JUN_2026, "mrl", None, "not_judgeable", "limit_not_loaded", None, ()),
    ("黄瓜", "吡虫啉", "0.1", "mg/kg", None, None, dt.date(2025, 6, 1), "mrl", None, "not_judgeable", "no_limit", None, ()),
    ("韭菜", "吡虫啉", "0.8", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_food", "1", ()),
    # --- one analyte under its names and CAS number ---
    ("黄瓜", "chlorpyrifos", "0.03", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "mrl_group", "0.02", BDU),
    ("黄瓜", "2921-88-2", "0.01", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_group", "0.02", BDU),
    ("柑", "毒死蜱乳油", "0.5", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_food", "1", ()),
    ("干辣椒", "毒死蜱", "15", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_food", "20", ()),
    ("胡椒", "毒死蜱", "2.5", "mg/kg", None, None, JUN_2026, "mrl", None, "fail", "mrl_food", "2", ()),
    ("豆蔻", "毒死蜱", "0.5", "mg/kg", None, None, JUN_2026, "mrl", None, "pass", "mrl_group", "1", ()),
]
# fmt: on


@pytest.mark.django_db
@pytest.mark.parametrize(
    "food,analyte,value,unit,lod,loq,on_date,policy,fat,verdict,rule,limit,flags",
    CASES,
    ids=[f"{c[0]}-{c[1]}-{c[2]}{c[3]}-{c[7]}-{c[9]}" for c in CASES],
)
def test_verdict(
    shipped, food, analyte, value, unit, lod, loq, on_date, policy, fat, verdict, rule, limit, flags
):
    if verdict == "error":  # bad input: a field error, nothing judged
        with pytest.raises(ValidationError) as exc:
            judge(food=food, analyte=analyte, value=value, unit=unit, on_date=on_date, fat=fat)
        assert list(exc.value.message_dict) == [rule]
        return
    j = judge(
        food=food,
        analyte=analyte,
        value=value,
        unit=unit,
        lod=lod,
        loq=loq,
        on_date=on_date,
        policy=policy,
        fat=fat,
    )
    assert (j.verdict, j.rule, j.limit_mg_kg, j.flags, j.policy) == (
        verdict,
        rule,
        None if limit is None else D(limit),
        flags,
        policy,
    ), j.reason


def test_at_least_sixty_cases():
    assert len(CASES) >= 60


def test_every_rule_has_a_failure_path():
    failing = {c[10] for c in CASES if c[9] in ("fail", "not_judgeable", "error")}
    assert {
        "mrl_food",
        "mrl_group",
        "emrl_food",
        "emrl_group",
        "banned",
        "restricted_scope",
        "method_unfit",
        "limit_not_loaded",
        "no_edition",
        "no_limit",
        "fat_needed",
        "unit",
        "fat",
    } <= failing


@pytest.mark.django_db
def test_result_cites_the_source_row(shipped):
    j = judge(food="黄瓜", analyte="毒死蜱", value="0.03", unit="mg/kg", on_date=JUN_2026)
    assert j.source == "gb2763_2026_excerpt.csv:781, 4.125 表 125"
    assert j.rule_detail == "瓜类蔬菜 0.02 mg/kg (GB 2763-2026) [gb2763_2026_excerpt.csv:781, 4.125 表 125]"
    strict = judge(
        food="黄瓜", analyte="毒死蜱", value="0.01", unit="mg/kg", on_date=JUN_2026, policy="strict"
    )
    assert strict.source == "banned_restricted_2026.csv:62"
    assert strict.edition == "农业部公告第2032号"
    temporary = judge(food="猪肉", analyte="克百威", value="0.01", unit="mg/kg", on_date=MAY_2026)
    assert temporary.rule_detail.startswith("猪肉 0.05* mg/kg (GB 2763-2026)")


@pytest.mark.django_db
def test_unverified_rows_can_be_excluded(shipped):
    with override_settings(STANDARDS_EXCLUDE_UNVERIFIED=True):
        engine.invalidate()
        j = judge(
            food="黄瓜", analyte="毒死蜱", value="0.01", unit="mg/kg", on_date=JUN_2026, policy="strict"
        )
        assert (j.verdict, j.rule, j.flags) == ("pass", "mrl_group", ())
        # 硫丹: the unverified 2026 row (2019-03-26) set aside, the older list's 2019-01-01 comes back
        old = judge(
            food="黄瓜",
            analyte="硫丹",
            value="0.01",
            unit="mg/kg",
            on_date=dt.date(2019, 2, 1),
            policy="strict",
        )
        assert (old.verdict, old.rule) == ("fail", "banned")
    engine.invalidate()
    verified = judge(
        food="黄瓜", analyte="硫丹", value="0.01", unit="mg/kg", on_date=dt.date(2019, 2, 1), policy="strict"
    )
    assert verified.rule != "banned"


@pytest.mark.django_db
def test_judge_command_prints_rule_policy_and_source(shipped, capsys):
    call_command(
        "judge", food="黄瓜", analyte="毒死蜱", value="0.01", unit="mg/kg", date="2026-06-10", policy="strict"
    )
    out = capsys.readouterr().out
    assert "restricted_scope" in out
    assert "strict" in out
    assert "banned_restricted_2026.csv:62" in out
    assert "违禁检出" in out
