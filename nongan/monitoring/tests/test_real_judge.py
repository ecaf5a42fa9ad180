"""The chain against the standards app's real judgement engine (reference data shipped with it)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from nongan.monitoring import services
from nongan.monitoring.models import LabResult

standards = pytest.importorskip("nongan.standards.services")


@pytest.fixture
def standards_data(db):
    standards.standards_load()


def test_results_judged_by_the_standards_engine(standards_data, received, users):
    rows = services.results_enter(
        actor=users.analyst,
        sample=received,
        rows=[
            {"analyte": "吡虫啉", "value": "0.5", "unit": "mg/kg", "lod": "0.01"},
            {"analyte": "噻虫嗪", "value": "0.8", "unit": "mg/kg", "lod": "0.01"},
        ],
    )
    by = {r.analyte: r for r in rows}
    assert by["吡虫啉"].verdict == "pass" and by["吡虫啉"].limit_mg_kg == Decimal("1")
    assert by["噻虫嗪"].verdict == "fail" and by["噻虫嗪"].limit_mg_kg == Decimal("0.5")
    assert "2763" in by["吡虫啉"].edition and by["吡虫啉"].rule


def test_unknown_analyte_refused_by_engine(standards_data, received, users):
    with pytest.raises(ValidationError) as e:
        services.results_enter(
            actor=users.analyst,
            sample=received,
            rows=[{"analyte": "不存在的农药甲", "value": "0.5", "unit": "mg/kg"}],
        )
    assert "不存在的农药甲" in e.value.message_dict["rows"][0]
    assert LabResult.objects.count() == 0
