"""Every read of the monitoring app; lists go through the jurisdiction choke point.

Public interface (the reads that take ``user`` are ``scoped`` to it): plans (``plans_for``, ``quotas_for``,
``progress_for`` (a user's or a region's figures against its share of the plan; ``plan_progress`` is its older
name), ``current_progress`` (this year's plan for a user, or None), ``plan_shares``, ``year_bounds``, ``elapsed_fraction``), ``samples_for``, ``tasks_for``, ``results_for``,
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
from django.utils.translation import gettext as _

from nongan.core.choices import RegionLevel
from nongan.core.models import Region
from nongan.core.scoping import scoped, scoped_line
from nongan.core.validators import public_producer_name
from nongan.standards import selectors as standards
from nongan.standards.choices import Coverage

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
    """Quotas of the plans a user reads: the district-wide ones; for township staff also their township's
    share and its villages' shares, for village staff their village's share only (never the township's)."""
    qs = PlanQuota.objects.select_related("township", "village")
    if user is None or not user.is_authenticated:
        return qs.none()
    j = None if user.is_superuser else user.jurisdiction
    if j is None or j.level not in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE):
        return qs
    if j.level == RegionLevel.VILLAGE:
        return qs.filter(Q(township__isnull=True) | Q(village=j))
    return qs.filter(Q(township__isnull=True) | Q(township=j))


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
    """Done against planned for one part of a plan. ``planned`` is None where the plan gives that part no
    share (无分配): no expected number and no pace then, never a borrowed or zero quota."""

    key: str
    label: str
    planned: int | None
    done: int
    expected: Decimal | None
    passed: int = 0
    failed: int = 0
    positives: int = 0
    wilson: tuple | None = None
    not_judgeable: int = (
        0  # verified results no limit could judge (方法不适用, no limit …): shown, never dropped
    )

    @property
    def has_share(self) -> bool:
        return self.planned is not None

    @property
    def on_pace(self) -> bool | None:
        return None if self.expected is None else self.done >= self.expected

    @property
    def percent_done(self) -> Decimal | None:
        return None if self.planned is None else percent(self.done, self.planned)

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
    """A plan's progress for one jurisdiction (``region``) against that jurisdiction's share of the plan.

    ``total``, ``sectors``, ``rapid_total``: the jurisdiction's own figures. ``parts`` / ``rapid_parts``: the
    same split over the regions just below it (the district's townships, a township's villages), then the
    jurisdiction's own row (producers or stations registered at its level: ``key`` "own") — the parts add up to
    the total. ``townships``, ``rapid_district``, ``rapid_townships``, ``rapid_township_total`` keep the
    older district-shaped view (for a township: its own row; for a village: none)."""

    plan: MonitoringPlan
    on_date: dt.date
    fraction: Decimal
    total: ProgressRow
    region: Region | None = None
    sectors: list[ProgressRow] = field(default_factory=list)
    parts: list[ProgressRow] = field(default_factory=list)
    rapid_total: ProgressRow | None = None
    rapid_parts: list[ProgressRow] = field(default_factory=list)
    townships: list[ProgressRow] = field(default_factory=list)
    rapid_district: ProgressRow | None = None
    rapid_townships: list[ProgressRow] = field(default_factory=list)
    rapid_township_total: ProgressRow | None = None
    unqualified: int = 0
    handled: int = 0

    @property
    def is_plan_region(self) -> bool:
        return self.region is None or self.region.pk == self.plan.region_id

    @property
    def title(self) -> str:
        """The plan's title, naming the jurisdiction when it is not the plan's own district."""
        if self.is_plan_region:
            return self.plan.title
        return _("%(plan)s · share of %(region)s") % {"plan": self.plan.title, "region": self.region.name}

    @property
    def handling_rate(self) -> Decimal | None:
        return percent(self.handled, self.unqualified)

    @property
    def pass_target_met(self) -> bool | None:
        rate = self.total.pass_rate
        return None if rate is None else rate >= self.plan.pass_rate_target


def _row(
    key, label, planned, done, fraction, passed=0, failed=0, positives=0, not_judgeable=0
) -> ProgressRow:
    judged = passed + failed
    return ProgressRow(
        key=str(key),
        label=str(label),
        planned=planned,
        done=done,
        expected=None if planned is None else (Decimal(planned) * fraction).quantize(Decimal("0.1")),
        passed=passed,
        failed=failed,
        positives=positives,
        wilson=wilson_interval(passed, judged) if judged else None,
        not_judgeable=not_judgeable,
    )


def _codes(path: str) -> list[str]:
    return [c for c in path.strip("/").split("/") if c]


def _viewpoint(subject, plan: MonitoringPlan) -> tuple[Region, object]:
    """(the jurisdiction the figures are for, the user whose scope also applies or None)."""
    if isinstance(subject, Region):
        if not subject.path.startswith(plan.region.path):
            raise ValueError(f"{subject.code} is not inside the plan's region {plan.region.code}")
        return subject, None
    j = None if subject.is_superuser else subject.jurisdiction
    if j is not None and j.path.startswith(plan.region.path):
        return j, subject
    return plan.region, subject


def plan_shares(plan: MonitoringPlan) -> dict:
    """The plan's numbers by (kind, region id) for the district, its townships and their villages, and by
    sector for the district (``("sector", sector)``). A missing key = no share (无分配). One query."""
    out: dict = {
        (QuotaKind.QUANTITATIVE, plan.region_id): plan.quantitative_target,
        (QuotaKind.RAPID, plan.region_id): plan.district_rapid_target + plan.township_rapid_target,
    }
    for q in plan.quotas.all():
        if q.sector:
            out[("sector", q.sector)] = q.planned
        elif q.village_id:
            out[(q.kind, q.village_id)] = q.planned
        elif q.township_id:
            out[(q.kind, q.township_id)] = q.planned
    return out


def progress_for(subject, plan: MonitoringPlan, on_date: dt.date | None = None) -> Progress:
    """A plan's progress for ``subject`` — a user (their jurisdiction, and only what their scope shows) or a
    ``Region`` inside the plan's district — against that jurisdiction's share of the plan: the district
    against the plan's totals, a township against its share, a village against its share or none (无分配).
    A sample counts where its producer is registered, a rapid test where its station is; producers and
    stations registered at a township itself count as the township's own. Pace for the date, pass rate
    with its 95% Wilson interval, handling rate. A fixed number of queries, whatever the number of rows
    or regions."""
    on_date = on_date or timezone.localdate()
    region, user = _viewpoint(subject, plan)
    fraction = elapsed_fraction(plan.year, on_date)
    start, end = year_bounds(plan.year)
    judged = Q(state__in=JUDGED_STATES)
    agg = {
        "n": Count("id"),
        "passed": Count("id", filter=judged & Q(verdict=Verdict.PASS)),
        "failed": Count("id", filter=judged & Q(verdict=Verdict.FAIL)),
        "not_judgeable": Count("id", filter=judged & Q(verdict=Verdict.NOT_JUDGEABLE)),
    }
    samples = Sample.objects.filter(
        sampled_at__gte=start,
        sampled_at__lt=end,
        state__in=COUNTED_STATES,
        producer__region__path__startswith=region.path,
    )
    rapid = RapidTest.objects.filter(
        tested_at__gte=start, tested_at__lt=end, retest_of__isnull=True, region__path__startswith=region.path
    )
    follow = UnqualifiedFollowUp.objects.filter(
        sample__sampled_at__gte=start,
        sample__sampled_at__lt=end,
        sample__producer__region__path__startswith=region.path,
    )
    if user is not None:
        samples, rapid, follow = scoped(user, samples), scoped(user, rapid), scoped(user, follow)
    sample_rows = list(samples.order_by().values("producer__region__path", "sector").annotate(**agg))
    rapid_rows = list(
        rapid.order_by()
        .values("region__path")
        .annotate(n=Count("id"), pos=Count("id", filter=Q(outcome=RapidOutcome.POSITIVE)))
    )
    fu = follow.aggregate(total=Count("id"), handled=Count("id", filter=Q(status=FollowUpStatus.HANDLED)))
    shares = plan_shares(plan)
    children = list(Region.objects.filter(parent=region).order_by("sort_order", "code"))
    depth = len(_codes(region.path))
    by_code = {c.code: c.pk for c in children}

    def part_of(path: str) -> int | str:  # the child of ``region`` holding ``path``, or "own"
        codes = _codes(path)
        return by_code.get(codes[depth], "own") if len(codes) > depth else "own"

    def add(acc: dict, key, **counts) -> None:
        slot = acc.setdefault(key, dict.fromkeys(counts, 0))
        for k, v in counts.items():
            slot[k] += v

    by_sector: dict = {}
    by_part: dict = {}
    for r in sample_rows:
        counts = {
            "n": r["n"],
            "passed": r["passed"],
            "failed": r["failed"],
            "not_judgeable": r["not_judgeable"],
        }
        add(by_sector, r["sector"], **counts)
        add(by_part, part_of(r["producer__region__path"]), **counts)
    rapid_by_part: dict = {}
    for r in rapid_rows:
        add(rapid_by_part, part_of(r["region__path"]), n=r["n"], pos=r["pos"])

    def qrow(key, label, planned, c):
        return _row(
            key,
            label,
            planned,
            c.get("n", 0),
            fraction,
            c.get("passed", 0),
            c.get("failed", 0),
            not_judgeable=c.get("not_judgeable", 0),
        )

    def rrow(key, label, planned, c):
        return _row(key, label, planned, c.get("n", 0), fraction, positives=c.get("pos", 0))

    at_plan = region.pk == plan.region_id
    sectors = [
        qrow(value, label, shares.get(("sector", value), 0) if at_plan else None, by_sector.get(value, {}))
        for value, label in Sector.choices
    ]
    total = _row(
        "total",
        "",
        shares.get((QuotaKind.QUANTITATIVE, region.pk)),
        sum(r.done for r in sectors),
        fraction,
        sum(r.passed for r in sectors),
        sum(r.failed for r in sectors),
        not_judgeable=sum(r.not_judgeable for r in sectors),
    )
    own_label = _("%(name)s itself") % {"name": region.name}
    parts = [
        qrow(c.code, c.name, shares.get((QuotaKind.QUANTITATIVE, c.pk)), by_part.get(c.pk, {}))
        for c in children
    ]
    if children and (region.level == RegionLevel.TOWNSHIP or by_part.get("own")):
        parts.append(qrow("own", own_label, None, by_part.get("own", {})))
    rapid_parts = [
        rrow(c.code, c.name, shares.get((QuotaKind.RAPID, c.pk)), rapid_by_part.get(c.pk, {}))
        for c in children
        if at_plan or (QuotaKind.RAPID, c.pk) in shares or c.pk in rapid_by_part
    ]
    own_rapid = rrow(
        "own", own_label, plan.district_rapid_target if at_plan else None, rapid_by_part.get("own", {})
    )
    rapid_parts.append(own_rapid)
    rapid_total = rrow(
        "total",
        "",
        shares.get((QuotaKind.RAPID, region.pk)),
        {
            "n": sum(r.done for r in rapid_parts),
            "pos": sum(r.positives for r in rapid_parts),
        },
    )
    if not children:  # a village: its own figures are the whole
        rapid_parts = []
    if at_plan:
        townships = parts[: len(children)]
        rapid_townships = rapid_parts[: len(children)]
        rapid_district = _row(
            "district",
            plan.region.name,
            own_rapid.planned,
            own_rapid.done,
            fraction,
            positives=own_rapid.positives,
        )
        rapid_township_total = _row(
            "townships",
            "",
            plan.township_rapid_target,
            sum(r.done for r in rapid_townships),
            fraction,
            positives=sum(r.positives for r in rapid_townships),
        )
    else:
        mine = region.level == RegionLevel.TOWNSHIP
        townships = [
            _row(
                region.code,
                region.name,
                total.planned,
                total.done,
                fraction,
                total.passed,
                total.failed,
                not_judgeable=total.not_judgeable,
            )
        ]
        townships = townships if mine else []
        rapid_townships = (
            [
                rrow(
                    region.code,
                    region.name,
                    rapid_total.planned,
                    {"n": rapid_total.done, "pos": rapid_total.positives},
                )
            ]
            if mine
            else []
        )
        rapid_district = _row("district", plan.region.name, 0, 0, fraction)
        rapid_township_total = rapid_total
    return Progress(
        plan=plan,
        on_date=on_date,
        fraction=fraction,
        total=total,
        region=region,
        sectors=sectors,
        parts=parts,
        rapid_total=rapid_total,
        rapid_parts=rapid_parts,
        townships=townships,
        rapid_district=rapid_district,
        rapid_townships=rapid_townships,
        rapid_township_total=rapid_township_total,
        unqualified=fu["total"],
        handled=fu["handled"],
    )


def current_progress(user, on_date: dt.date | None = None) -> Progress | None:
    """The progress of the year's plan (of ``on_date``, default today) for the user's jurisdiction, or None
    when no plan of that year is in the user's line (for a home page or workbench card)."""
    on_date = on_date or timezone.localdate()
    plan = plans_for(user).filter(year=on_date.year).order_by("region__path").first()
    return None if plan is None else progress_for(user, plan, on_date)


def plan_progress(user, plan: MonitoringPlan, on_date: dt.date | None = None) -> Progress:
    """The plan's progress for the user's jurisdiction (``progress_for``; the older name)."""
    return progress_for(user, plan, on_date)


# ---------------------------------------------------------------- lists
def samples_for(user) -> QuerySet:
    return scoped(user, Sample.objects.select_related("producer", "product", "township", "sampler"))


def tasks_for(user) -> QuerySet:
    return scoped(user, SamplingTask.objects.select_related("producer", "product", "plan"))


TASK_DUE_FILTERS = ("overdue", "today", "later")


def tasks_filtered(user, params) -> QuerySet:
    """``user``'s tasks with the task list's filters read from ``params`` (a query dict): ``status``, ``mine``
    (the user is one of the samplers), ``unassigned`` and ``due`` (overdue / today / later). The task page, its
    export and the API filter alike."""
    qs = tasks_for(user).prefetch_related("samplers")
    status = params.get("status")
    if status:
        qs = qs.filter(status=status)
    if params.get("mine") not in (None, "", "0", "false"):
        qs = qs.filter(samplers=user)
    if params.get("unassigned") not in (None, "", "0", "false"):
        qs = qs.filter(samplers__isnull=True)
    today = timezone.localdate()
    due = params.get("due")
    if due == "overdue":
        qs = qs.filter(due__lt=today)
    elif due == "today":
        qs = qs.filter(due=today)
    elif due == "later":
        qs = qs.filter(Q(due__gt=today) | Q(due__isnull=True))
    return qs


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


@dataclass
class PlanCoverage:
    """Which of a plan's focus pairs (focus products × focus analytes) the standards can judge over the plan's
    year (``nongan.standards.selectors.limit_coverage``). ``from_standards``: the plan names no analytes, so
    the pairs are its products × the analytes the standards hold limits for on them."""

    plan: MonitoringPlan
    start: dt.date
    end: dt.date
    rows: list
    from_standards: bool = False

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(Coverage.values, 0)
        for r in self.rows:
            out[r.status] += 1
        return out

    @property
    def gaps(self) -> list:
        return [r for r in self.rows if not r.covered]

    @property
    def covered(self) -> int:
        return len(self.rows) - len(self.gaps)


def plan_coverage(plan: MonitoringPlan) -> PlanCoverage:
    """The plan's focus products × focus analytes over its year: limit in force, temporary limit only, banned
    (no limit, a detection fails), limit not loaded, none. Read before sampling, and by ``plan_publish``."""
    start, end = dt.date(plan.year, 1, 1), dt.date(plan.year, 12, 31)
    foods = list(plan.focus_products.order_by("path"))
    names = plan.analyte_list
    rows = standards.limit_coverage(foods, names, start, end)
    return PlanCoverage(plan, start, end, rows, from_standards=not names)
