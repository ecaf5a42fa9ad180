"""Every read of the certificates app, through the jurisdiction choke point; trace and coverage.

Public interface (the reads that take ``user`` are ``scoped`` to it): ``certificates_for``, ``batches_for``,
``collections_for``, ``market_checks_for``, ``last_market``, ``producers_for``, ``recent_scans``, ``coverage``; the trace
(``trace``, ``trace_roots``, ``trace_table``, ``redact_for``); the public page's reads ``public_certificate``,
``public_page_certificate`` and ``public_recent_scans``.
Writes and the verdict on a scanned certificate (``verify``) are in ``nongan.certificates.services``."""

import datetime as dt
import weakref
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q, signals
from django.db.models.base import ModelState
from django.db.models.functions import TruncMonth
from django.utils import timezone

from nongan.core.scoping import scoped
from nongan.core.states import WorkflowModel
from nongan.core.validators import mask_name
from nongan.monitoring import selectors as monitoring
from nongan.registry import selectors as registry

from .choices import INDIVIDUAL_TYPES
from .models import (
    Certificate,
    CertificateEvent,
    Collection,
    HarvestEvent,
    InputUse,
    Lineage,
    MarketCheck,
    ProductionBatch,
    Scan,
)


def certificates_for(user):
    return scoped(user, Certificate.objects.select_related("producer", "origin", "product", "batch"))


def batches_for(user):
    return scoped(user, ProductionBatch.objects.select_related("producer", "product", "origin"))


def collections_for(user):
    return scoped(
        user, Collection.objects.select_related("collector", "certificate", "certificate__producer")
    )


def market_checks_for(user):
    return scoped(user, MarketCheck.objects.select_related("region", "certificate", "seller", "checker"))


def last_market(user) -> str:
    """The market this user named in their latest check ("" if none): the market field's default."""
    if user is None or not getattr(user, "pk", None):
        return ""
    return (
        MarketCheck.objects.filter(checker=user)
        .order_by("-checked_at", "-id")
        .values_list("market", flat=True)
        .first()
        or ""
    )


def producers_for(user):
    return registry.producers_in_scope(user).select_related("region")


def public_certificate(number: str) -> Certificate | None:
    """The certificate with this (normalised) number, behind /v/<code> and ``services.verify`` (public: no
    scope; the page masks personal data)."""
    return (
        Certificate.objects.select_related("producer", "product", "origin__parent__parent")
        .filter(number=number)
        .first()
    )


def recent_scans(certificate: Certificate, limit: int = 10):
    return certificate.scans.select_related("region").order_by("-time", "-id")[:limit]


# ---------------------------------------------------------------- the public page's lean reads
# /v/<code> is the busiest page of the platform (every consumer's scan). Its reads are written once as plain SQL
# over the columns the page shows, so a request costs two short indexed queries and no ORM compilation: the
# certificate with its issuer's public columns and its origin's names up to the district, and its last scans.
PAGE_FIELDS = (
    "id",
    "number",
    "producer",
    "product_name",
    "quantity",
    "unit",
    "origin",
    "issued_at",
    "promiser",
    "contact",
    "promise_form",
    "promise_text",
    "basis",
    "basis_sample",
    "basis_rapid_test",
    "kid",
    "token",
    "signed_at",
    "status",
    "revoked_at",
    "revoke_reason",
    "contradicted_by",
    "scan_count",
    "suspicious",
    "suspicious_reason",
)
_PRODUCER_FIELDS = ("name", "type", "legal_rep")
_REGION_FIELDS = ("name", "level", "parent")
_sql: dict = {}
RECENT_SCANS = 10
# How the page prints a scan's time (local time): PostgreSQL's to_char pattern and Python's strftime pattern.
SCAN_TIME_SQL = "'YYYY-MM-DD HH24:MI'"
SCAN_TIME_FORMAT = "%Y-%m-%d %H:%M"


def _sql_literal(text: str) -> str:
    """``text`` as an SQL string literal (a time-zone name from the settings; quotes doubled)."""
    return "'" + str(text).replace("'", "''") + "'"


def _page_sql() -> dict:
    """The page's two queries (the certificate's, the last scans'), the fields their columns hold and the
    converters the database backend applies to them, made once per process from the models' names."""
    if _sql:
        return _sql
    from django.db import connection

    qn = connection.ops.quote_name
    meta = Certificate._meta
    producer = meta.get_field("producer").related_model._meta
    region = meta.get_field("origin").related_model._meta
    scan = Scan._meta

    def col(alias, model_meta, name):
        return f"{alias}.{qn(model_meta.get_field(name).column)}"

    # The certificate's columns in model order (``from_db`` defers the others), then the issuer's, then the
    # origin's and its two parents'.
    fields = [f for f in meta.concrete_fields if f.name in PAGE_FIELDS]
    select = [col("c", meta, f.name) for f in fields]
    select += [col("p", producer, n) for n in _PRODUCER_FIELDS]
    select += [col(f"r{i}", region, n) for i in range(3) for n in ("id", *_REGION_FIELDS)]
    recent = (
        f"SELECT {col('s', scan, 'time')}, {col('r', region, 'name')} "
        f"FROM {qn(scan.db_table)} s LEFT JOIN {qn(region.db_table)} r ON {col('r', region, 'id')} = "
        f"{col('s', scan, 'region')} WHERE {col('s', scan, 'certificate')} = %s "
        f"ORDER BY {col('s', scan, 'time')} DESC, {col('s', scan, 'id')} DESC LIMIT {RECENT_SCANS}"
    )
    joined = connection.vendor == "postgresql"
    if joined:
        # The last scans in the same round trip, as a JSON array of [local time as the page prints it, township]
        # (the installation's time zone, a constant of the process, written into the statement as a literal).
        # The newest scans are taken first, then each one's township is read by its key: planned as a join, a
        # stale row estimate for the regions table made PostgreSQL scan all of it for every page (1.5 of 1.9 ms).
        time, sid = col("s", scan, "time"), col("s", scan, "id")
        local = f"to_char({time} AT TIME ZONE {_sql_literal(settings.TIME_ZONE)}, {SCAN_TIME_SQL})"
        newest = (
            f"SELECT {local} AS t, {time} AS ts, {sid} AS sid, {col('s', scan, 'region')} AS rid "
            f"FROM {qn(scan.db_table)} s WHERE {col('s', scan, 'certificate')} = {col('c', meta, 'id')} "
            f"ORDER BY {time} DESC, {sid} DESC LIMIT {RECENT_SCANS}"
        )
        township = f"(SELECT {col('r', region, 'name')} FROM {qn(region.db_table)} r WHERE {col('r', region, 'id')} = x.rid)"
        select.append(
            f"(SELECT json_agg(json_build_array(x.t, {township}) ORDER BY x.ts DESC, x.sid DESC) FROM ({newest}) x)"
        )
    parent = qn(region.get_field("parent").column)
    rid = qn(region.pk.column)
    certificate = (
        f"SELECT {', '.join(select)} FROM {qn(meta.db_table)} c "
        f"INNER JOIN {qn(producer.db_table)} p ON {col('p', producer, 'id')} = {col('c', meta, 'producer')} "
        f"LEFT JOIN {qn(region.db_table)} r0 ON r0.{rid} = {col('c', meta, 'origin')} "
        f"LEFT JOIN {qn(region.db_table)} r1 ON r1.{rid} = r0.{parent} "
        f"LEFT JOIN {qn(region.db_table)} r2 ON r2.{rid} = r1.{parent} "
        f"WHERE {col('c', meta, 'number')} = %s"
    )

    def converters(model_fields):
        out = []
        for i, f in enumerate(model_fields):
            column = f.cached_col
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                out.append((i, found, column))
        return out

    _sql.update(
        certificate=certificate,
        scans=recent,
        joined=joined,
        fields=[f.attname for f in fields],
        converters=converters(fields),
        time_converters=converters([scan.get_field("time")]),
    )
    return _sql


def _converted(row: list, converters) -> list:
    from django.db import connection

    for i, found, column in converters:
        value = row[i]
        for convert in found:
            value = convert(value, column, connection)
        row[i] = value
    return row


# The database connections (DB-API objects) the page's query is prepared on (PostgreSQL, NONGAN_PG_PREPARE).
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _execute_page_query(cur, q: dict, number: str) -> None:
    """The page's query for ``number``. On PostgreSQL it is a prepared statement of the connection (PREPARE once
    per connection, then EXECUTE): planning the joined query took about three times as long as running it.
    NONGAN_PG_PREPARE = False (behind a pooler that shares server sessions between clients, such as pgbouncer
    in transaction mode) sends it plainly."""
    from django.db import connection

    if not (q["joined"] and settings.NONGAN_PG_PREPARE):
        cur.execute(q["certificate"], [number])
        return
    raw = connection.connection
    if raw not in _PREPARED:
        cur.execute("DEALLOCATE ALL")  # a connection handed back by a pooler may hold an older one
        cur.execute("PREPARE nongan_public_page (text) AS " + q["certificate"].replace("%s", "$1"))
        _PREPARED[raw] = True
    cur.execute("EXECUTE nongan_public_page (%s)", [number])


def _loaded(model, alias: str, names: list[str], values: list):
    """What ``model.from_db(alias, names, values)`` returns (the named columns loaded, the others deferred until
    read), made without ``Model.__init__`` when nothing listens to its init signals: the page builds five
    instances per view, about 13 µs each through ``from_db`` and 1 µs this way."""
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return model.from_db(alias, names, values)
    obj = model.__new__(model)
    state = obj._state = ModelState()
    state.adding = False
    state.db = alias
    obj.__dict__.update(zip(names, values, strict=True))
    if isinstance(obj, WorkflowModel):
        obj.remember_loaded_state()
    return obj


def public_page_certificate(number: str) -> Certificate | None:
    """``public_certificate`` for the public page: the same certificate with the columns the page and the
    verdict read (any other column is loaded on first use), its issuer's name, type and head, and its origin
    with the parents up to the district, in one indexed query (on PostgreSQL with its last scans too, which
    ``public_recent_scans`` then returns without a query)."""
    from django.db import connection

    q = _page_sql()
    with connection.cursor() as cur:
        _execute_page_query(cur, q, number)
        row = cur.fetchone()
    if row is None:
        return None
    row = list(row)
    n = len(q["fields"])
    c = _loaded(Certificate, connection.alias, q["fields"], _converted(row[:n], q["converters"]))
    meta = Certificate._meta
    c._state.fields_cache["producer"] = _loaded(
        meta.get_field("producer").related_model,
        connection.alias,
        ["id", *_PRODUCER_FIELDS],
        [c.producer_id, *row[n : n + len(_PRODUCER_FIELDS)]],
    )
    region_model = meta.get_field("origin").related_model
    child, attname, i = c, "origin", n + len(_PRODUCER_FIELDS)
    for _level in range(3):
        pk, name, level, parent_id = row[i : i + 4]
        i += 4
        if pk is None:
            child._state.fields_cache[attname] = None
            break
        region = _loaded(
            region_model, connection.alias, ["id", "name", "level", "parent_id"], [pk, name, level, parent_id]
        )
        child._state.fields_cache[attname] = region
        child, attname = region, "parent"
    if q["joined"]:
        c.public_scans = [(when, name or "") for when, name in row[-1] or ()]
    return c


def public_recent_scans(certificate: Certificate) -> list[tuple[str, str]]:
    """The last scans of a certificate for the public page: (local time "YYYY-MM-DD HH:MM", township name or "")
    only (read with the certificate by ``public_page_certificate`` on PostgreSQL)."""
    if hasattr(certificate, "public_scans"):
        return certificate.public_scans
    from django.db import connection

    q = _page_sql()
    with connection.cursor() as cur:
        cur.execute(q["scans"], [certificate.pk])
        rows = cur.fetchall()
    return [
        (timezone.localtime(_converted([t], q["time_converters"])[0]).strftime(SCAN_TIME_FORMAT), name or "")
        for t, name in rows
    ]


# ================================================================ trace
@dataclass
class TraceRow:
    direction: str  # "back" / "self" / "forward"
    level: int
    event: str
    date: dt.datetime | dt.date | None
    certificate: str = ""
    party: str = ""
    product: str = ""
    quantity: str = ""
    unit: str = ""
    place: str = ""
    detail: str = ""
    owner_id: int | None = None  # the producer the row belongs to (not shown)
    individual: bool = False  # the owner is a household or an individual grower (not shown)


@dataclass
class Trace:
    roots: list[Certificate]
    rows: list[TraceRow] = field(default_factory=list)
    certificates: int = 0

    def sorted_rows(self) -> list[TraceRow]:
        order = {"back": 0, "self": 1, "forward": 2}

        def key(r: TraceRow):
            d = r.date
            if isinstance(d, dt.datetime):
                d = timezone.localtime(d).date()
            return (order[r.direction], r.level if r.direction != "back" else -r.level, d or dt.date.min)

        return sorted(self.rows, key=key)


def _d(q) -> str:
    return format(q.normalize(), "f") if q is not None else ""


MAX_LEVELS = 10
CHUNK = 5000


def _chunks(ids):
    ids = list(ids)
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def trace(roots: list[Certificate], *, max_rows: int = 1_000_000, viewer=None) -> Trace:
    """Back (inputs, plots, harvests, upstream certificates) and forward (collections, re-issued
    certificates, market checks) from the given certificates, level by level with set queries
    (IN lists in chunks, so it runs the same on SQLite and PostgreSQL)."""
    t = Trace(roots=list(roots))
    root_ids = [c.pk for c in roots]

    def cert_rows(ids, direction, level):
        for chunk in _chunks(ids):
            qs = Certificate.objects.filter(pk__in=chunk).values_list(
                "producer_id",
                "producer__type",
                "issued_at",
                "number",
                "producer__name",
                "product_name",
                "quantity",
                "unit",
                "origin__name",
                "status",
                "contradicted_by",
            )
            for (
                owner,
                owner_type,
                issued_at,
                number,
                producer,
                product,
                quantity,
                unit,
                origin,
                status,
                contradicted,
            ) in qs:
                detail = " ".join(
                    x
                    for x in [
                        "已撤销" if status == "revoked" else "",
                        contradicted and f"抽检不合格 {contradicted}",
                    ]
                    if x
                )
                t.rows.append(
                    TraceRow(
                        direction,
                        level,
                        "issue",
                        issued_at,
                        number,
                        producer,
                        product,
                        _d(quantity),
                        unit,
                        origin,
                        detail,
                        owner,
                        owner_type in INDIVIDUAL_TYPES,
                    )
                )

    # ---- backwards
    level = 0
    frontier = list(root_ids)
    back_ids = set(root_ids)
    while frontier and level < MAX_LEVELS:
        parents = set()
        for chunk in _chunks(frontier):
            parents |= set(Lineage.objects.filter(child_id__in=chunk).values_list("parent_id", flat=True))
        parents -= back_ids
        level += 1
        if not parents:
            break
        back_ids |= parents
        cert_rows(parents, "back", level)
        frontier = list(parents)
    # production records of every certificate with a batch on the back side (roots included)
    batch_ids = set()
    for chunk in _chunks(back_ids):
        batch_ids |= set(
            Certificate.objects.filter(pk__in=chunk, batch__isnull=False).values_list("batch_id", flat=True)
        )
    batches = {}
    for chunk in _chunks(batch_ids):
        for b in ProductionBatch.objects.filter(pk__in=chunk).select_related(
            "producer", "product", "origin", "base"
        ):
            batches[b.pk] = b
            plot = " ".join(x for x in [b.base.name if b.base else "", b.plot] if x)
            t.rows.append(
                TraceRow(
                    "back",
                    99,
                    "batch",
                    b.started,
                    "",
                    b.producer.name,
                    b.product.name,
                    _d(b.expected_quantity),
                    b.unit,
                    b.origin.name,
                    f"{b.code} {plot}".strip(),
                    b.producer_id,
                    b.producer.type in INDIVIDUAL_TYPES,
                )
            )
        for u in InputUse.objects.filter(batch_id__in=chunk):
            b = batches[u.batch_id]
            t.rows.append(
                TraceRow(
                    "back",
                    99,
                    "input",
                    u.used_on,
                    "",
                    b.producer.name,
                    u.product_name,
                    _d(u.dose),
                    u.dose_unit,
                    u.plot or b.plot,
                    f"{u.get_kind_display()} {u.active_ingredient} · {u.interval_days}天".strip(),
                    b.producer_id,
                    b.producer.type in INDIVIDUAL_TYPES,
                )
            )
        for h in HarvestEvent.objects.filter(batch_id__in=chunk):
            b = batches[h.batch_id]
            t.rows.append(
                TraceRow(
                    "back",
                    99,
                    "harvest",
                    h.date,
                    "",
                    b.producer.name,
                    b.product.name,
                    _d(h.quantity),
                    h.unit,
                    b.origin.name,
                    h.get_kind_display(),
                    b.producer_id,
                    b.producer.type in INDIVIDUAL_TYPES,
                )
            )
    # ---- the roots themselves
    cert_rows(root_ids, "self", 0)
    # ---- forwards
    level = 0
    frontier = list(root_ids)
    seen = set(root_ids)
    while frontier and level < MAX_LEVELS and len(t.rows) < max_rows:
        level += 1
        children = set()
        for chunk in _chunks(frontier):
            for (
                owner,
                owner_type,
                when,
                number,
                collector,
                region,
                quantity,
                unit,
                lot,
            ) in Collection.objects.filter(certificate_id__in=chunk).values_list(
                "collector_id",
                "collector__type",
                "collected_at",
                "certificate__number",
                "collector__name",
                "collector__region__name",
                "quantity",
                "unit",
                "lot",
            ):
                t.rows.append(
                    TraceRow(
                        "forward",
                        level,
                        "collection",
                        when,
                        number,
                        collector,
                        "",
                        _d(quantity),
                        unit,
                        region,
                        f"收购批次 {lot}",
                        owner,
                        owner_type in INDIVIDUAL_TYPES,
                    )
                )
            for mc in MarketCheck.objects.filter(certificate_id__in=chunk).select_related("certificate"):
                t.rows.append(
                    TraceRow(
                        "forward",
                        level,
                        "market_check",
                        mc.checked_at,
                        mc.certificate.number,
                        mc.market,
                        mc.product_name,
                        _d(mc.quantity),
                        mc.unit,
                        "",
                        mc.get_result_display(),
                    )
                )
            children |= set(Lineage.objects.filter(parent_id__in=chunk).values_list("child_id", flat=True))
        children -= seen
        if not children:
            break
        seen |= children
        cert_rows(children, "forward", level)
        frontier = list(children)
    t.certificates = len(seen | back_ids)
    if viewer is not None:
        redact_for(t, viewer)
    return t


PRODUCTION_EVENTS = {"batch", "input", "harvest"}


def redact_for(t: Trace, viewer) -> Trace:
    """A producer's own account sees other producers' certificates, collections and checks along the chain,
    but not their production records, and households' and individual growers' names masked. Supervision
    staff see the whole chain: following it across townships is what the trace is for."""
    if not getattr(viewer, "is_entity_role", False):
        return t
    own = viewer.producer_id
    kept = []
    for row in t.rows:
        if row.owner_id == own:
            kept.append(row)
        elif row.event in PRODUCTION_EVENTS:
            continue
        else:
            if row.individual:
                row.party = mask_name(row.party)
            kept.append(row)
    t.rows = kept
    return t


def trace_roots(
    user, *, number: str = "", batch: str = "", producer: str = "", sample: str = ""
) -> list[Certificate]:
    """Certificates a trace starts from, inside the user's scope."""
    qs = certificates_for(user)
    if number:
        return list(qs.filter(number=number))
    if batch:
        return list(qs.filter(batch__code=batch))
    if producer:
        return list(qs.filter(producer__code=producer)[:5000])
    if sample:
        numbers = set(qs.filter(contradicted_by=sample).values_list("number", flat=True))
        # the monitoring app's sample records the certificate number of the sampled lot
        numbers |= monitoring.certificate_numbers_of_sample(sample)
        return list(qs.filter(number__in=numbers))
    return []


TRACE_COLUMNS = [
    ("direction", "方向"),
    ("level", "层级"),
    ("event", "事件"),
    ("date", "时间"),
    ("certificate", "合格证编号"),
    ("party", "主体"),
    ("product", "产品 / 投入品"),
    ("quantity", "数量"),
    ("unit", "单位"),
    ("place", "地点"),
    ("detail", "说明"),
]
DIRECTION_ZH = {"back": "溯源（上游）", "self": "本证", "forward": "追踪（下游）"}
EVENT_ZH = {
    "issue": "开具合格证",
    "batch": "生产批次",
    "input": "投入品使用",
    "harvest": "采收 / 出栏",
    "collection": "收购并收取合格证",
    "market_check": "市场查验",
}


def trace_table(t: Trace) -> list[list]:
    out = []
    for r in t.sorted_rows():
        date = r.date
        if isinstance(date, dt.datetime):
            date = timezone.localtime(date).strftime("%Y-%m-%d %H:%M")
        elif isinstance(date, dt.date):
            date = date.isoformat()
        out.append(
            [
                DIRECTION_ZH[r.direction],
                "" if r.level == 99 else r.level,
                EVENT_ZH.get(r.event, r.event),
                date or "",
                r.certificate,
                r.party,
                r.product,
                r.quantity,
                r.unit,
                r.place,
                r.detail,
            ]
        )
    return out


# ================================================================ coverage
def coverage(user, year: int | None = None) -> dict:
    """Share of scale producers that issued certificates this year, per township and product category
    (target 100%), and certificates issued, printed and scanned per month."""
    year = year or timezone.localdate().year
    start = timezone.make_aware(dt.datetime(year, 1, 1))
    end = timezone.make_aware(dt.datetime(year + 1, 1, 1))
    producers = producers_for(user).filter(is_scale=True).exclude(type__in=["buyer", "wholesale_market"])
    issuing = set(
        certificates_for(user)
        .filter(issued_at__gte=start, issued_at__lt=end)
        .values_list("producer_id", flat=True)
        .distinct()
    )
    rows = producers.values_list("pk", "region__parent__name", "region__name", "region__level")
    cat_names = registry.category_root_names()
    cats_of = defaultdict(set)
    for pid, cid in registry.product_categories_of(producers):
        cats_of[pid].add(cat_names.get(cid, ""))
    by_town: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_cat: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    total = done = 0
    for pid, parent_name, name, level in rows:
        town = name if level == "township" else parent_name
        ok = pid in issuing
        total += 1
        done += ok
        by_town[town][0] += 1
        by_town[town][1] += ok
        for cat in cats_of.get(pid) or {"—"}:
            by_cat[cat][0] += 1
            by_cat[cat][1] += ok

    def table(d):
        return [
            {"name": k, "total": v[0], "issued": v[1], "share": round(100 * v[1] / v[0], 1) if v[0] else 0.0}
            for k, v in sorted(d.items(), key=lambda kv: kv[0] or "")
        ]

    certs = certificates_for(user).filter(issued_at__gte=start, issued_at__lt=end)
    issued_m = dict(
        certs.annotate(m=TruncMonth("issued_at")).values("m").annotate(n=Count("id")).values_list("m", "n")
    )
    printed_m = dict(
        scoped(user, CertificateEvent.objects.filter(kind="printed", time__gte=start, time__lt=end))
        .annotate(m=TruncMonth("time"))
        .values("m")
        .annotate(n=Count("id"))
        .values_list("m", "n")
    )
    scanned_m = dict(
        scoped(user, Scan.objects.filter(time__gte=start, time__lt=end))
        .annotate(m=TruncMonth("time"))
        .values("m")
        .annotate(n=Count("id"))
        .values_list("m", "n")
    )

    def month_key(d):
        if d is None:
            return None
        if isinstance(d, dt.datetime):
            d = timezone.localtime(d) if timezone.is_aware(d) else d
        return d.month

    months = []
    for m in range(1, 13):
        months.append(
            {
                "month": m,
                "issued": sum(n for d, n in issued_m.items() if month_key(d) == m),
                "printed": sum(n for d, n in printed_m.items() if month_key(d) == m),
                "scanned": sum(n for d, n in scanned_m.items() if month_key(d) == m),
            }
        )
    return {
        "year": year,
        "target": 100,
        "total": total,
        "issued": done,
        "share": round(100 * done / total, 1) if total else 0.0,
        "by_township": table(by_town),
        "by_category": table(by_cat),
        "months": months,
        "flagged": certificates_for(user).filter(Q(suspicious=True) | ~Q(contradicted_by="")).count(),
    }
