"""The ledger covers published results: an edit of a result row in the database is reported by
`nongan verify-ledger`; a void through the application is not."""

from decimal import Decimal

from nongan.core import ledger
from nongan.monitoring import services
from nongan.monitoring.models import LabResult, Sample


def _published(received, users):
    services.results_enter(
        actor=users.analyst,
        sample=received,
        rows=[{"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg", "lod": "0.005"}],
        submit=True,
    )
    services.sample_transition(
        actor=users.analyst2, sample=Sample.objects.get(pk=received.pk), action="verify"
    )
    return services.sample_transition(
        actor=users.admin, sample=Sample.objects.get(pk=received.pk), action="publish"
    )


def test_a_direct_edit_of_a_published_result_is_reported(received, users, judge):
    s = _published(received, users)
    [r] = LabResult.objects.filter(sample=s)
    assert ledger.verify_records() == (2, [])  # the sample and its result row
    LabResult.objects.filter(sample=s).update(value=Decimal("0.001"))
    count, problems = ledger.verify_records()
    assert count == 2 and sorted(p.message.split(" (")[0] for p in problems) == [
        f"monitoring.labresult {r.pk}",
        f"monitoring.sample {s.pk}",
    ]
    assert f"monitoring.sample {s.pk} ({s}) no longer matches" in problems[-1].message
    LabResult.objects.filter(sample=s).update(value=Decimal("0.01"))  # put back: consistent again
    assert ledger.verify_records() == (2, [])


def test_a_void_through_the_application_keeps_the_ledger_consistent(received, users, judge):
    s = _published(received, users)
    services.sample_transition(actor=users.admin, sample=s, action="void", reason="样品封条破损，检测无效")
    assert ledger.verify_records() == (2, [])
    Sample.objects.filter(pk=s.pk).update(notes="备注不在证据内容中")
    assert ledger.verify_records() == (2, [])
    Sample.objects.filter(pk=s.pk).update(verdict="fail")
    count, [problem] = ledger.verify_records()
    assert "no longer matches" in problem.message
