"""Every read of the monitoring app; lists go through the jurisdiction choke point.

Public interface (the reads that take ``user`` are ``scoped`` to it): plans (``plans_for``, ``quotas_for``,
``plan_progress``, ``year_bounds``, ``elapsed_fraction``), ``samples_for``, ``tasks_for``, ``results_for``,
``rapid_tests_for``, ``holds_for``, ``follow_ups_for``, ``handling_rate``, ``integrity_signals``; the public
disclosure (``published_results``, ``public_name``); for the certificates app: ``qualified_sample_for_basis``,
``negative_rapid_test_for_basis``, ``certificate_numbers_of_sample``. Events other apps may receive:
``nongan.monitoring.events``."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Max, Min, Q, QuerySet
from django.utils import timezone

from nongan.core.choices import RegionLevel
from nongan.core.models import Region
from nongan.core.scoping import ancestor_codes, scoped, scoped_line
from nongan.core.validators import public_producer_name

from .choices import (
    COUNTED_STATES,
    JUDGED_STATES,
    FollowUpStatus,
    HoldStatus,
    QuotaKind,
    RapidOutcome,
    SampleState,
    Sector,
    Verdict,
)
from .models import (
    LabResult,
    MonitoringPlan,
    PlanQuota,
    RapidTest,
    SaleHold,
    Sample,
    SamplingTask,
    UnqualifiedFollowUp,
)
from .stats import percent, wilson_interval


# ---------------------------------------------------------------- plans
def plans_for(user) -> QuerySet:
    """Plans a staff member may read: those of a district containing (or inside) their jurisdiction.
    Producers and dealers see none."""
    return scoped_line(user, MonitoringPlan.objects.select_related("region"))


def quotas_for(user) -> QuerySet:
    """Quotas of the plans a user reads: the district-wide ones, and the township ones of their own township
    only for township and village staff (as the progress page shows them)."""
    qs = PlanQuota.objects.select_related("township")
    if user is None or not user.is_authenticated:
        return qs.none()
    j = None if user.is_superuser else user.jurisdiction
    if j is None or j.level not in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE):
        return qs
    town = j if j.level == RegionLevel.TOWNSHIP else j.parent
    return qs.filter(Q(township__isnull=True) | Q(township=town))


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    return dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)


def elapsed_fraction(year: int, on_date: dt.date) -> Decimal:
    """Share of the year gone by the end of ``on_date`` (0 before the year, 1 after it)."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if on_date < start:
        return Decimal(0)
    if on_date >= end:
        return Decimal(1)
    days = (end - start).days + 1
    return Decimal((on_date - start).days + 1) / Decimal(days)


@dataclass
class ProgressRow:
    key: str
    label: str
    planned: int
    done: int
    expected: Decimal
    passed: int = 0
    failed: int = 0
    positives: int = 0
    wilson: tuple | None = None

    @property
    def on_pace(self) -> bool:
        return self.done >= self.expected

    @property
    def percent_done(self) -> Decimal | None:
        return percent(self.done, self.planned)

    @property
    def judged(self) -> int:
        return self.passed + self.failed

    @property
    def pass_rate(self) -> Decimal | None:
        return percent(self.passed, self.judged)

    @property
    def wilson_low(self) -> Decimal | None:
        return None if self.wilson is None else Decimal(self.wilson[0] * 100).quantize(Decimal("0.01"))

    @property
    def wilson_high(self) -> Decimal | None:
        return None if self.wilson is None else Decimal(self.wilson[1] * 100).quantize(Decimal("0.01"))


@dataclass
class Progress:
    plan: MonitoringPlan
    on_date: dt.date
    fraction: Decimal
    total: ProgressRow
    sectors: list[ProgressRow] = field(default_factory=list)
    townships: list[ProgressRow] = field(default_factory=list)
    rapid_district: ProgressRow | None = None
    rapid_townships: list[ProgressRow] = field(default_factory=list)
    rapid_township_total: ProgressRow | None = None
    unqualified: int = 0
    handled: int = 0

    @property
    def handling_rate(self) -> Decimal | None:
        return percent(self.handled, self.unqualified)

    @property
    def pass_target_met(self) -> bool | None:
        rate = self.total.pass_rate
        return None if rate is None else rate >= self.plan.pass_rate_target


def _row(key, label, planned, done, fraction, passed=0, failed=0, positives=0) -> ProgressRow:
    judged = passed + failed
    return ProgressRow(
        key=str(key),
        label=str(label),
        planned=planned,
        done=done,
        expected=(Decimal(planned) * fraction).quantize(Decimal("0.1")),
        passed=passed,
        failed=failed,
        positives=positives,
        wilson=wilson_interval(passed, judged) if judged else None,
    )


def _visible_towns(user, plan: MonitoringPlan) -> tuple[list[Region], bool]:
    """The plan's townships a user has figures for: all of them for district staff, their own township for
    township and village staff."""
    qs = Region.objects.filter(level=RegionLevel.TOWNSHIP, path__startswith=plan.region.path)
    j = None if user.is_superuser else user.jurisdiction
    restricted = j is not None and j.path.startswith(plan.region.path) and j.pk != plan.region_id
    if restricted:
        qs = qs.filter(code__in=ancestor_codes(j)) if j.level != RegionLevel.TOWNSHIP else qs.filter(pk=j.pk)
    return list(qs.order_by("sort_order", "code")), restricted


def plan_progress(user, plan: MonitoringPlan, on_date: dt.date | None = None) -> Progress:
    """Done vs planned per sector and township, pace for the date, pass rate with its 95% Wilson interval,
    rapid tests, handling rate. A fixed number of queries, whatever the number of rows or townships."""
    on_date = on_date or timezone.localdate()
    fraction = elapsed_fraction(plan.year, on_date)
    start, end = year_bounds(plan.year)
    judged = Q(state__in=JUDGED_STATES)
    agg = {
        "n": Count("id"),
        "passed": Count("id", filter=judged & Q(verdict=Verdict.PASS)),
        "failed": Count("id", filter=judged & Q(verdict=Verdict.FAIL)),
    }
    samples = scoped(
        user, Sample.objects.filter(sampled_at__gte=start, sampled_at__lt=end, state__in=COUNTED_STATES)
    )
    by_sector = {r["sector"]: r for r in samples.order_by().values("sector").annotate(**agg)}
    by_town = {r["township"]: r for r in samples.order_by().values("township").annotate(**agg)}
    rapid = scoped(
        user, RapidTest.objects.filter(tested_at__gte=start, tested_at__lt=end, retest_of__isnull=True)
    )
    rapid_by_town = {
        r["township"]: r
        for r in rapid.order_by()
        .values("township")
        .annotate(n=Count("id"), pos=Count("id", filter=Q(outcome=RapidOutcome.POSITIVE)))
    }
    quotas = list(plan.quotas.all())
    towns, restricted = _visible_towns(user, plan)
    follow = UnqualifiedFollowUp.objects.filter(sample__sampled_at__gte=start, sample__sampled_at__lt=end)
    fu = scoped(user, follow).aggregate(
        total=Count("id"), handled=Count("id", filter=Q(status=FollowUpStatus.HANDLED))
    )

    q_sector = {q.sector: q.planned for q in quotas if q.kind == QuotaKind.QUANTITATIVE and q.sector}
    q_town = {q.township_id: q.planned for q in quotas if q.kind == QuotaKind.QUANTITATIVE and q.township_id}
    r_town = {q.township_id: q.planned for q in quotas if q.kind == QuotaKind.RAPID and q.township_id}

    sectors = []
    for value, label in Sector.choices:
        r = by_sector.get(value, {})
        sectors.append(
            _row(
                value,
                label,
                q_sector.get(value, 0),
                r.get("n", 0),
                fraction,
                r.get("passed", 0),
                r.get("failed", 0),
            )
        )
    total_passed = sum(r.passed for r in sectors)
    total_failed = sum(r.failed for r in sectors)
    total = _row(
        "total",
        "",
        sum(q_town.get(t.pk, 0) for t in towns) if restricted else plan.quantitative_target,
        sum(r.done for r in sectors),
        fraction,
        total_passed,
        total_failed,
    )
    townships = []
    rapid_towns = []
    for t in towns:
        r = by_town.get(t.pk, {})
        townships.append(
            _row(
                t.code,
                t.name,
                q_town.get(t.pk, 0),
                r.get("n", 0),
                fraction,
                r.get("passed", 0),
                r.get("failed", 0),
            )
        )
        rr = rapid_by_town.get(t.pk, {})
        rapid_towns.append(
            _row(t.code, t.name, r_town.get(t.pk, 0), rr.get("n", 0), fraction, positives=rr.get("pos", 0))
        )
    district = rapid_by_town.get(None, {})
    return Progress(
        plan=plan,
        on_date=on_date,
        fraction=fraction,
        total=total,
        sectors=sectors,
        townships=townships,
        rapid_district=_row(
            "district",
            plan.region.name,
            0 if restricted else plan.district_rapid_target,
            district.get("n", 0),
            fraction,
            positives=district.get("pos", 0),
        ),
        rapid_townships=rapid_towns,
        rapid_township_total=_row(
            "townships",
            "",
            sum(r_town.get(t.pk, 0) for t in towns) if restricted else plan.township_rapid_target,
            sum(r.done for r in rapid_towns),
            fraction,
            positives=sum(r.positives for r in rapid_towns),
        ),
        unqualified=fu["total"],
        handled=fu["handled"],
    )


# ---------------------------------------------------------------- lists
def samples_for(user) -> QuerySet:
    return scoped(user, Sample.objects.select_related("producer", "product", "township", "sampler"))


def tasks_for(user) -> QuerySet:
    return scoped(user, SamplingTask.objects.select_related("producer", "product", "plan"))


def results_for(user) -> QuerySet:
    return scoped(user, LabResult.objects.select_related("sample", "analyst", "verified_by"))


def rapid_tests_for(user) -> QuerySet:
    return scoped(user, RapidTest.objects.select_related("region", "product", "producer", "tester"))


def holds_for(user) -> QuerySet:
    return scoped(
        user,
        SaleHold.objects.filter(status=HoldStatus.HELD).select_related(
            "rapid_test", "rapid_test__product", "rapid_test__region", "task"
        ),
    )


def follow_ups_for(user) -> QuerySet:
    return scoped(
        user,
        UnqualifiedFollowUp.objects.select_related(
            "sample", "sample__producer", "sample__product", "township"
        ),
    )


# ---------------------------------------------------------------- test records behind a certificate's promise
@dataclass(frozen=True)
class BasisRecord:
    """A sample or rapid test offered as the test record of a certificate's self-test / lab-test promise
    (used by the certificates app; the decision what may back a promise is monitoring's)."""

    record: Sample | RapidTest
    producer_id: int
    qualified: bool  # it may back the promise
    status: str  # what it is, for a refusal: the verdict (or state) of a sample, the outcome of a rapid test
    product: object  # the ProductCategory tested
    tested_at: object  # when the sample was taken / the rapid test made


def qualified_sample_for_basis(user, sample) -> BasisRecord | None:
    """The sample (a ``Sample`` or its code) if it is in the user's scope, and whether it is a qualified
    result that has been verified or published; None when the user does not see it."""
    if isinstance(sample, Sample):
        found = scoped(user, Sample.objects.filter(pk=sample.pk)).exists()
        sample = sample if found else None
    else:
        sample = scoped(user, Sample.objects.all()).filter(code=str(sample).strip().upper()).first()
    if sample is None:
        return None
    return BasisRecord(
        record=sample,
        producer_id=sample.producer_id,
        qualified=sample.verdict == Verdict.PASS
        and sample.state in (SampleState.VERIFIED, SampleState.PUBLISHED),
        status=sample.get_verdict_display() or sample.get_state_display(),
        product=sample.product,
        tested_at=sample.sampled_at,
    )


def negative_rapid_test_for_basis(user, rapid_test) -> BasisRecord | None:
    """The rapid test (a ``RapidTest`` or its id) if it is in the user's scope, and whether it is negative
    (and not a positive confirmed by the lab); None when the user does not see it."""
    if isinstance(rapid_test, RapidTest):
        found = scoped(user, RapidTest.objects.filter(pk=rapid_test.pk)).exists()
        rapid = rapid_test if found else None
    else:
        try:
            pk = int(str(rapid_test).strip())
        except (TypeError, ValueError):
            pk = None
        rapid = scoped(user, RapidTest.objects.all()).filter(pk=pk).first() if pk else None
    if rapid is None:
        return None
    return BasisRecord(
        record=rapid,
        producer_id=rapid.producer_id,
        qualified=rapid.outcome == RapidOutcome.NEGATIVE and not rapid.confirmed_positive,
        status=rapid.get_outcome_display(),
        product=rapid.product,
        tested_at=rapid.tested_at,
    )


def certificate_numbers_of_sample(code: str) -> set[str]:
    """The certificate numbers recorded for the sampled lot of the sample with this code (upper case; no
    scope: the caller limits what it shows, e.g. a trace inside the user's certificates)."""
    return {
        n.upper() for n in Sample.objects.filter(code=code).values_list("certificate_number", flat=True) if n
    }


def handling_rate(user, year: int | None = None) -> tuple[int, int, Decimal | None]:
    qs = scoped(user, UnqualifiedFollowUp.objects.all())
    if year:
        start, end = year_bounds(year)
        qs = qs.filter(sample__sampled_at__gte=start, sample__sampled_at__lt=end)
    agg = qs.aggregate(total=Count("id"), handled=Count("id", filter=Q(status=FollowUpStatus.HANDLED)))
    return agg["handled"], agg["total"], percent(agg["handled"], agg["total"])


# ---------------------------------------------------------------- public disclosure
def public_name(producer) -> str:
    """A producer's name for the public page: a person's name masked (core's one rule for every public page):
    郭杰（紫菜养殖大户） → 郭*（紫菜养殖大户）, 赣榆区张三家庭农场 → 赣榆区张*家庭农场."""
    return public_producer_name(producer.name, kind=producer.type, person=producer.legal_rep)


def published_results(year: int | None = None) -> QuerySet:
    """Published samples for the public page (no login): no personal data."""
    qs = Sample.objects.filter(state=SampleState.PUBLISHED).select_related("producer", "product", "township")
    if year:
        start, end = year_bounds(year)
        qs = qs.filter(sampled_at__gte=start, sampled_at__lt=end)
    return qs.order_by("-published_at", "-id")


# ---------------------------------------------------------------- data-integrity signals
@dataclass
class Signal:
    kind: str
    station: Region
    detail: dict


PERFECT_MIN_TESTS = 300
LATE_HOURS = 72
BURST_MIN = 20
REPEAT_MIN = 10


def integrity_signals(user, since: dt.datetime | None = None) -> list[Signal]:
    """Signs that uploaded rapid tests may not be genuine: a station with no positive over many tests, many
    results uploaded in one burst long after their test time, the same reading repeated. Not blocking:
    for review. Three grouped queries plus one for the station names."""
    since = since or (timezone.now() - dt.timedelta(days=365))
    qs = scoped(user, RapidTest.objects.filter(tested_at__gte=since, retest_of__isnull=True)).order_by()
    perfect = list(
        qs.values("region")
        .annotate(n=Count("id"), pos=Count("id", filter=Q(outcome=RapidOutcome.POSITIVE)))
        .filter(n__gte=PERFECT_MIN_TESTS, pos=0)
    )
    late = qs.filter(uploaded_at__gt=F("tested_at") + dt.timedelta(hours=LATE_HOURS))
    bursts = list(
        late.values("region", "uploaded_at__date")
        .annotate(n=Count("id"), first=Min("tested_at"), last=Max("tested_at"))
        .filter(n__gte=BURST_MIN)
    )
    repeats = list(
        qs.filter(inhibition__isnull=False)
        .values("region", "tested_at__date", "inhibition")
        .annotate(n=Count("id"))
        .filter(n__gte=REPEAT_MIN)
    )
    regions = Region.objects.in_bulk({r["region"] for r in perfect + bursts + repeats})
    out = [Signal("perfect", regions[r["region"]], {"tests": r["n"]}) for r in perfect]
    out += [
        Signal(
            "burst",
            regions[r["region"]],
            {"uploaded": r["uploaded_at__date"], "tests": r["n"], "first": r["first"], "last": r["last"]},
        )
        for r in bursts
    ]
    out += [
        Signal(
            "repeat",
            regions[r["region"]],
            {"date": r["tested_at__date"], "inhibition": r["inhibition"], "tests": r["n"]},
        )
        for r in repeats
    ]
    return out
