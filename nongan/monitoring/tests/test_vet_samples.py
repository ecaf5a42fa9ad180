"""Samples of animal origin: species, tissue and fat content recorded at sampling (or carried by a result row) and
passed to the real judgement engine; bad input refused in Chinese, nothing saved."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from nongan.monitoring import services
from nongan.monitoring.models import LabResult, Sample
from nongan.standards.services import standards_load, vet_limits_import
from nongan.standards.tables import read_table

TABLE = (
    "药物名称,残留标志物,动物种类,靶组织,残留限量(μg/kg),标准\n"
    "恩诺沙星,恩诺沙星与环丙沙星之和,猪,肌肉,100,GB 31650-2019\n"
    "伊维菌素,伊维菌素,牛,奶（以脂肪计）,40,GB 31650-2019\n"
)


@pytest.fixture
def vet_standards(db):
    standards_load()
    vet_limits_import(actor=None, table=read_table("vet", TABLE.encode(), "t.csv"), source_file="t.csv")


def test_species_tissue_and_fat_recorded(make_sample):
    s = make_sample(product="猪肉", species="猪", tissue="肌肉", fat_content="12.5")
    s.refresh_from_db()
    assert (s.species, s.tissue, s.fat_content) == ("pig", "muscle", Decimal("12.50"))
    plain = make_sample()
    assert (plain.species, plain.tissue, plain.fat_content) == ("", "", None)


@pytest.mark.parametrize(
    "product,species,tissue,fat,field,message",
    [
        (
            "猪肉",
            "马",
            "肌肉",
            "",
            "species",
            "“马”不是标准中的动物种类（猪、牛、羊、家禽、鸡、鸭、兔、鱼、虾）。",
        ),
        (
            "猪肉",
            "猪",
            "心",
            "",
            "tissue",
            "“心”不是标准中的组织（肌肉、脂肪、肝、肾、皮+脂、奶、蛋、皮+肉）。",
        ),
        ("猪肉", "猪", "蛋", "", "tissue", "猪没有“蛋”这一组织：请从肌肉、脂肪、肝、肾、皮+脂中选择。"),
        ("猪肉", "猪", "", "", "tissue", "请填写组织（如：肌肉）。"),
        ("黄瓜", "猪", "肌肉", "", "species", "黄瓜不是动物源性食品；动物种类和组织仅适用于动物产品。"),
        ("鸡肉", "猪", "肌肉", "", "species", "鸡肉不来自猪。"),
        ("猪肉", "猪", "肌肉", "120", "fat_content", "脂肪含量应在 0 到 100% 之间，“120”不是。"),
    ],
)
def test_bad_animal_fields_refused_nothing_saved(make_sample, product, species, tissue, fat, field, message):
    before = Sample.objects.count()
    with pytest.raises(ValidationError) as exc:
        make_sample(product=product, species=species, tissue=tissue, fat_content=fat)
    assert exc.value.message_dict[field] == [message]
    assert Sample.objects.count() == before


def test_results_of_an_animal_sample_judged_for_vet_drugs(vet_standards, make_sample, users):
    sample = services.sample_transition(
        actor=users.analyst, sample=make_sample(product="猪肉", species="猪", tissue="肌肉"), action="receive"
    )
    rows = services.results_enter(
        actor=users.analyst,
        sample=sample,
        rows=[
            {"analyte": "恩诺沙星", "value": "150", "unit": "μg/kg"},
            {"analyte": "AOZ", "value": "0.8", "unit": "μg/kg", "lod": "0.5"},
            {"analyte": "环丙沙星", "value": "40", "unit": "μg/kg"},
        ],
    )
    by = {r.analyte: r for r in rows}
    assert (by["恩诺沙星"].verdict, by["恩诺沙星"].rule, by["恩诺沙星"].limit_mg_kg) == (
        "fail",
        "vet_species",
        Decimal("0.1"),
    )
    assert by["恩诺沙星"].source_row == "t.csv:2"
    assert (by["AOZ"].verdict, by["AOZ"].rule, by["AOZ"].edition) == (
        "fail",
        "prohibited",
        "农业农村部公告第250号",
    )
    assert (by["环丙沙星"].verdict, by["环丙沙星"].rule) == ("not_judgeable", "sum_component")
    assert {(r.species, r.tissue) for r in rows} == {("pig", "muscle")}
    # the stored judgement never changes: a later table does not touch it
    stored = LabResult.objects.get(pk=by["恩诺沙星"].pk)
    assert (stored.verdict, stored.limit_mg_kg) == ("fail", Decimal("0.1"))


def test_result_row_carries_species_tissue_and_fat(vet_standards, make_sample, users):
    sample = services.sample_transition(
        actor=users.analyst, sample=make_sample(product="生牛乳"), action="receive"
    )
    (r,) = services.results_enter(
        actor=users.analyst,
        sample=sample,
        rows=[
            {"analyte": "伊维菌素", "value": "2", "unit": "μg/L", "species": "牛", "tissue": "奶", "fat": "4"}
        ],
    )
    assert (r.verdict, r.rule, r.species, r.tissue, r.fat_content) == (
        "fail",
        "vet_species",
        "cattle",
        "milk",
        Decimal("4.00"),
    )


def test_bad_result_rows_refused_nothing_saved(vet_standards, make_sample, users):
    sample = services.sample_transition(
        actor=users.analyst, sample=make_sample(product="猪肉", species="猪", tissue="肌肉"), action="receive"
    )
    for row, text in (
        ({"analyte": "恩诺沙星", "value": "150", "unit": "mg/L"}, "mg/L 仅适用于奶"),
        ({"analyte": "恩诺沙星", "value": "150", "unit": "μg/kg", "species": "牛"}, "与样品登记的信息不一致"),
        ({"analyte": "恩诺沙星", "value": "-1", "unit": "μg/kg"}, "不能为负"),
    ):
        with pytest.raises(ValidationError) as exc:
            services.results_enter(actor=users.analyst, sample=sample, rows=[row])
        assert text in exc.value.message_dict["rows"][0], exc.value.message_dict
    assert LabResult.objects.filter(sample=sample).count() == 0


def test_an_edit_of_the_animal_tissue_or_fat_behind_the_application_is_reported(
    vet_standards, make_sample, users
):
    """What a veterinary result was judged with is evidence: the ledger hashes the result's species, tissue and
    fat content (and the sample's), so changing them in the database is found by verify-ledger."""
    from nongan.core import ledger

    sample = services.sample_transition(
        actor=users.analyst,
        sample=make_sample(product="猪肉", species="猪", tissue="肌肉", fat_content="12.5"),
        action="receive",
    )
    [r] = services.results_enter(
        actor=users.analyst,
        sample=sample,
        rows=[{"analyte": "恩诺沙星", "value": "150", "unit": "μg/kg"}],
        submit=True,
    )
    services.sample_transition(actor=users.analyst2, sample=Sample.objects.get(pk=sample.pk), action="verify")
    services.sample_transition(actor=users.admin, sample=Sample.objects.get(pk=sample.pk), action="publish")
    records, problems = ledger.verify_records()  # every record the steps above ledgered
    assert (records, problems) == (4, [])
    for model, pk, change, back in (
        (LabResult, r.pk, {"tissue": "liver"}, {"tissue": "muscle"}),
        (LabResult, r.pk, {"species": "cattle"}, {"species": "pig"}),
        (LabResult, r.pk, {"fat_content": Decimal("30")}, {"fat_content": Decimal("12.5")}),
        (Sample, sample.pk, {"fat_content": Decimal("30")}, {"fat_content": Decimal("12.5")}),
        (Sample, sample.pk, {"tissue": "liver"}, {"tissue": "muscle"}),
    ):
        model.objects.filter(pk=pk).update(**change)
        count, [problem] = ledger.verify_records()
        assert problem.message.startswith(f"{model._meta.label_lower} {pk} "), (change, problem.message)
        model.objects.filter(pk=pk).update(**back)
        assert ledger.verify_records() == (records, [])
