"""Platform-wide data-scoping matrix: every URL and API route, every role, in scope and out of it.

The rule (DOMAIN.md, ARCHITECTURE.md): a user sees only their jurisdiction (a region subtree) or their own
entity (producer accounts); public pages show no personal data of households.

The cases are generated from the URL resolver and the API router where possible, so that a new endpoint
that forgets the scope is caught:

* every URL pattern must be classified in ``ROUTES`` below (a new one fails until someone classifies it);
* every API list route, requested by every role, returns only rows the role may see — checked against the
  model's ``SCOPE_REGION`` / ``SCOPE_PRODUCER`` path, independently of ``scoped()``;
* every detail route (API and page), for every world object out of the role's scope, answers 403/404;
* every page that renders for a role contains no marker (name, phone, number) of an out-of-scope object;
* writes on out-of-scope objects, or by roles without the right, change nothing in the database;
* anonymous requests to non-public pages redirect to login, to the API answer 401/403;
* public pages (no login) carry no unmasked household name, phone or ID number.
"""

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from conftest import commit_and_draw, module_world
from nongan.api_urls import router
from nongan.core.choices import ENTITY_ROLES, JURISDICTION_ROLES
from nongan.core.validators import mask_id_number, mask_name, mask_phone

# The accounts of conftest's ``users``, plus: ly, the administrator of a second county (连云区) in the same
# installation (a province runs one installation), and qk_sampler, a sampler whose jurisdiction is 青口镇.
ROLES = ["admin", "qk", "zw", "village", "producer", "market", "sampler", "ly", "qk_sampler"]
NONGAN_APPS = {"core", "registry", "standards", "draws", "monitoring", "certificates"}

QK_HH_ID = "320707198001011232"
ZW_HH_ID = "320707197505054565"


# ---------------------------------------------------------------- a judge for the monitoring app
@dataclass
class _Judgement:
    verdict: str
    reason: str
    limit_mg_kg: Decimal | None
    value_mg_kg: Decimal | None
    edition: str = "GB 2763-2021"
    rule: str = "mrl"
    rule_detail: str = ""


def _judge(*, food, analyte, value, unit, lod=None, loq=None, on_date=None, **_rules):
    """0.02 mg/kg for everything: enough to make passing and failing samples."""
    v = Decimal(value)
    limit = Decimal("0.02")
    return _Judgement("pass" if v <= limit else "fail", "", limit, v)


# ---------------------------------------------------------------- the world
SECOND_COUNTY = """code,name,level,parent_code,is_demo
320703000000,连云区,district,320700000000,0
320703100000,高公岛街道,township,320703000000,1
320703100201,黄窝村,village,320703100000,1
"""


def _photo(mon, actor, sample):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 128, 0)).save(buf, format="PNG")
    return mon.sample_photo_add(actor=actor, sample=sample, image=SimpleUploadedFile("p.png", buf.getvalue()))


# One world for the module (conftest's ``module_db``), present for every test (autouse, so no test's rows depend on
# which tests ran before it); each test's own rows are rolled back after it.
pytestmark = pytest.mark.django_db


ganyu, make_producer, users = module_world()


@pytest.fixture(scope="module")
def _fake_judge():
    """The monitoring app judges with ``_judge`` for the whole module (the world's results and the tests')."""
    from nongan.monitoring import services as mon

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(mon.common, "get_judge", lambda: _judge)
        yield


@pytest.fixture(scope="module", autouse=True)
def world(users, make_producer, ganyu, _fake_judge, tmp_path_factory):
    """Producers and their data in 青口镇 and 柘汪镇, made through each app's services; a second county
    (连云区) with one producer and its administrator."""
    from nongan.certificates import services as cert_services
    from nongan.core.choices import Role
    from nongan.core.models import Region
    from nongan.core.services import regions_load, townships, user_create
    from nongan.draws import services as draw_services
    from nongan.monitoring import services as mon
    from nongan.registry import services as reg
    from nongan.registry.models import Base, Certification, Contact, StaffMember

    tmp_path = tmp_path_factory.mktemp("second-county")

    def account(username, role, region):
        return user_create(
            actor=None,
            username=username,
            password="Nongan-test-2026",
            role=role,
            full_name=username,
            jurisdiction=region,
        )

    (tmp_path / "lianyun.csv").write_text(SECOND_COUNTY, encoding="utf-8")
    regions_load(path=tmp_path / "lianyun.csv")
    w = SimpleNamespace(
        users=SimpleNamespace(
            **vars(users),
            ly=account("ly", Role.DISTRICT_ADMIN, Region.objects.get(code="320703000000")),
            qk_sampler=account("qk_sampler", Role.SAMPLER, ganyu.town["青口镇"]),
            qk_analyst=account("qk_analyst", Role.ANALYST, ganyu.town["青口镇"]),
        )
    )
    w.ly_p = reg.producer_create(
        actor=None,
        name="连云区黄窝村渔业合作社",
        type="household",
        legal_rep="黄大海",
        id_number="",
        phone="13900001111",
        region=Region.objects.get(code="320703100201"),
    )
    # 青口镇, first village (the producer account's own); its phone made unique (the default is the
    # import template's example number)
    w.qk_p = reg.producer_update(actor=None, producer=users.own_producer, phone="13800000001")
    w.qk2 = make_producer(name="青口镇丰收果蔬合作社", town="青口镇", village_index=3, phone="13800000002")
    w.qk_hh = make_producer(
        name="张三丰",
        town="青口镇",
        village_index=1,
        type="household",
        is_scale=False,
        phone="13911112222",
        id_number=QK_HH_ID,
        legal_rep="张三丰",
    )
    w.zw_p = make_producer(name="柘汪镇海产合作社", town="柘汪镇", phone="13800000003")
    w.zw_hh = make_producer(
        name="李四海",
        town="柘汪镇",
        village_index=1,
        type="household",
        is_scale=False,
        phone="13933334444",
        id_number=ZW_HH_ID,
        legal_rep="李四海",
    )
    w.producers = [w.qk_p, w.qk2, w.qk_hh, w.zw_p, w.zw_hh]

    # registry children and staff
    w.bases, w.certifications, w.contacts, w.staff = [], [], [], []
    for tag, p in (("青口", w.qk_p), ("柘汪", w.zw_p)):
        w.bases.append(
            reg.base_save(
                actor=None, base=Base(producer=p, name=f"{tag}基地甲", kind="field", region=p.region)
            )
        )
        w.certifications.append(
            reg.certification_save(
                actor=None,
                certification=Certification(
                    producer=p,
                    kind="green",
                    number=f"LB-{tag}-0001",
                    product_name="黄瓜",
                    issued_on=dt.date(2025, 1, 1),
                    valid_until=dt.date(2028, 1, 1),
                ),
            )
        )
        w.contacts.append(
            reg.contact_save(
                actor=None,
                contact=Contact(
                    producer=p, name=f"{tag}联系人", phone="1370000" + ("0001" if tag == "青口" else "0002")
                ),
            )
        )
    for tag, town in (("青口", "青口镇"), ("柘汪", "柘汪镇")):
        w.staff.append(
            reg.staff_save(
                actor=None,
                staff=StaffMember(
                    name=f"{tag}站员", kind="township", region=ganyu.town[town], phone="13600000001"
                ),
            )
        )

    # monitoring: a plan, tasks, samples in every interesting state, rapid tests with holds
    towns = list(townships(ganyu.district))
    w.plan = mon.plan_save(
        actor=users.admin,
        year=timezone.localdate().year,
        region=ganyu.district,
        sector_quotas={"crop": 500, "livestock": 150, "aquatic": 150},
        township_quantitative=mon.split_evenly(800, towns),
        township_rapid=mon.split_evenly(7200, towns),
    )
    cucumber = ganyu.category("黄瓜")
    w.tasks = [mon.task_create(actor=users.sampler, producer=p, product=cucumber) for p in (w.qk_p, w.zw_p)]

    def sample(p, seal):
        return mon.sample_register(
            actor=users.sampler,
            producer=p,
            product=cucumber,
            quantity="2.5",
            quantity_unit="kg",
            place="大棚",
            lot="L1",
            sampled_at=timezone.now() - dt.timedelta(hours=2),
            seal_number=seal,
        )

    w.published, w.registered, w.received = [], [], []
    for i, p in enumerate(w.producers):
        s = sample(p, f"P{i}")
        mon.sample_transition(actor=users.analyst, sample=s, action="receive")
        value = "0.5" if p.type != "household" else "0.01"
        mon.results_enter(
            actor=users.analyst,
            sample=s,
            rows=[{"analyte": "毒死蜱", "value": value, "unit": "mg/kg"}],
            submit=True,
        )
        mon.sample_transition(actor=users.analyst2, sample=s, action="verify")
        mon.sample_transition(actor=users.admin, sample=s, action="publish")
        s.refresh_from_db()
        w.published.append(s)
    for i, p in enumerate((w.qk_p, w.zw_p)):
        w.registered.append(sample(p, f"R{i}"))
        s = sample(p, f"X{i}")
        mon.sample_transition(actor=users.analyst, sample=s, action="receive")
        mon.results_enter(
            actor=users.analyst, sample=s, rows=[{"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg"}]
        )
        s.refresh_from_db()
        w.received.append(s)
    w.samples = w.published + w.registered + w.received
    w.photos = [_photo(mon, users.sampler, s) for s in w.registered]

    w.rapid = []
    for town, p in (("青口镇", w.qk_p), ("柘汪镇", w.zw_p)):
        item = {
            "station": ganyu.town[town].code,
            "producer": p.code,
            "product": "黄瓜",
            "method": "enzyme",
            "inhibition": "80",
            "tested_at": timezone.localtime(timezone.now() - dt.timedelta(hours=1)).strftime(
                "%Y-%m-%d %H:%M"
            ),
            "lot": f"RL-{town}",
        }
        [first] = mon.rapid_tests_record(actor=users.admin, items=[item])
        [retest] = mon.rapid_tests_record(actor=users.admin, items=[{**item, "retest_of": first.pk}])
        w.rapid += [first, retest]

    # draws: a published and a draft round in each township; conflicts on producers of each
    w.rounds, w.drafts, w.conflicts = [], [], []
    for town in ("青口镇", "柘汪镇"):
        kw = {
            "actor": users.admin,
            "title": f"{town}双随机检查",
            "purpose": "inspection",
            "region": ganyu.town[town],
            "year": 2026,
            "inspectors": [users.sampler, users.enforcement, users.analyst],
            "filter_spec": {},
            "ratio": "1",
            "inspectors_per_object": 2,
        }
        rnd = draw_services.round_create(**kw)
        rnd = draw_services.round_freeze(actor=users.admin, rnd=rnd)
        rnd = commit_and_draw(users.admin, rnd)
        rnd = draw_services.round_publish(actor=users.admin, rnd=rnd)
        w.rounds.append(rnd)
        w.drafts.append(draw_services.round_create(**{**kw, "title": f"{town}草稿"}))
    for p in (w.qk_p, w.zw_p):
        w.conflicts.append(
            draw_services.conflict_declare(
                actor=users.admin, inspector=users.enforcement, producer=p, kind="relative", reason="亲属"
            )
        )

    # certificates: a batch and a certificate of every producer
    w.batches, w.certs = [], []
    for p in w.producers:
        b = cert_services.batch_create(
            actor=None,
            producer=p,
            product=cucumber,
            started=timezone.localdate() - dt.timedelta(days=60),
            plot="1号棚",
            unit="kg",
        )
        w.batches.append(b)
        w.certs += cert_services.certificate_issue(actor=None, batch=b, quantity="100", unit="kg")
    w.inputs = [
        cert_services.input_use_add(
            actor=None,
            batch=b,
            kind="fertilizer",
            product_name=f"有机肥{i}",
            used_on=timezone.localdate() - dt.timedelta(days=50),
            late_reason="补录",
        )
        for i, b in enumerate(w.batches[:4:3])  # 青口镇 and 柘汪镇 cooperatives
    ]

    # import jobs: their uploader's, and the administrators' of the uploader's jurisdiction
    from django.core.files.base import ContentFile

    from nongan.core.models import ImportJob

    w.jobs = []
    for u, kind in ((users.qk, "producers"), (users.zw, "producers"), (users.admin, "standards.limits")):
        job = ImportJob(kind=kind, created_by=u, original_name=f"{u.username}.xlsx", status="done")
        job.file.save(f"{u.username}.xlsx", ContentFile(b"x"), save=False)
        job.save()
        w.jobs.append(job)

    # API tokens: one per account, each its owner's only; the accounts an administrator looks after
    from nongan.core.accounts import token_create

    w.tokens = [
        token_create(actor=u, user=u, name=u.username)[0]
        for u in vars(w.users).values()
        if hasattr(u, "role")
    ]
    w.accounts = [u for u in vars(w.users).values() if hasattr(u, "role")]
    return w


# ---------------------------------------------------------------- who may see what, computed independently
GLOBAL_MODELS = {
    "core.Region",
    "registry.ProductCategory",
    "standards.Edition",
    "standards.MaxResidueLimit",
    "standards.Analyte",
    "standards.BannedSubstance",
    "standards.RestrictedUse",
    "standards.ScopeMapping",
    "standards.VetDrugLimit",
}


def _follow(obj, path: str):
    for part in path.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


def may_see(user, obj) -> bool:
    """The scope rule, from the model's SCOPE_REGION / SCOPE_PRODUCER, without calling scoped()."""
    model = type(obj)
    label = model._meta.label
    if label in GLOBAL_MODELS:
        return True
    if label == "core.ApiToken":
        return obj.user_id == user.pk
    if label == "core.User":  # accounts: administrators see those of their jurisdiction (not their own)
        region = obj.jurisdiction if obj.role not in ENTITY_ROLES else obj.producer.region
        return (
            user.role in ("district_admin", "province_admin")
            and obj.pk != user.pk
            and not obj.is_superuser
            and region is not None
            and region.path.startswith(user.jurisdiction.path)
        )
    if label == "core.ImportJob":  # the uploader, and the administrators of the uploader's jurisdiction
        owner = obj.created_by
        return obj.created_by_id == user.pk or (
            user.role in ("district_admin", "province_admin")
            and owner.jurisdiction is not None
            and owner.jurisdiction.path.startswith(user.jurisdiction.path)
        )
    if label == "monitoring.MonitoringPlan":  # a district plan is read by the staff inside the district
        if user.role in ENTITY_ROLES:
            return False
        return obj.region.path.startswith(user.jurisdiction.path) or user.jurisdiction.path.startswith(
            obj.region.path
        )
    if user.role in ENTITY_ROLES:
        path = getattr(model, "SCOPE_PRODUCER", None)
        if path is None:
            return False
        target = _follow(obj, path)
        return getattr(target, "pk", target) == user.producer_id
    assert user.role in JURISDICTION_ROLES
    path = getattr(model, "SCOPE_REGION", None)
    if path is None:
        return False
    region = _follow(obj, path)
    return region is not None and region.path.startswith(user.jurisdiction.path)


class _WriteWatch:
    """Counts the statements of the test's connection that may write one of the platform's tables: anything
    but a SELECT, a savepoint command, or an INSERT / UPDATE / DELETE whose table is named and is not the
    platform's (sessions, the cache table). Between two fingerprints with no such statement the database
    cannot have changed, so ``db_state`` answers the last fingerprint instead of reading every table again (a
    full read takes about 40 ms; the matrix asks for thousands)."""

    READS = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK TO")
    TABLE = re.compile(r'^(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([\w.]+)"?', re.IGNORECASE)

    def __init__(self):
        self.writes = 0
        self.known: tuple[int, str] | None = None
        self.tables: set[str] | None = None

    def may_write(self, sql: str) -> bool:
        sql = sql.lstrip()
        if sql.upper().startswith(self.READS):
            return False
        if self.tables is None:
            self.tables = {
                t.lower()
                for m in apps.get_models(include_auto_created=True)
                if m._meta.app_label in NONGAN_APPS
                for t in [m._meta.db_table]
            }
        m = self.TABLE.match(sql)
        return m is None or m.group(1).lower() in self.tables

    def __call__(self, execute, sql, params, many, context):
        if self.may_write(sql):
            self.writes += 1
        return execute(sql, params, many, context)


_WATCH = _WriteWatch()


@pytest.fixture(autouse=True)
def _watch_writes(db):
    from django.db import connection

    _WATCH.known = None
    with connection.execute_wrapper(_WATCH):
        yield
    _WATCH.known = None


def db_state() -> str:
    """A fingerprint of every row of the platform's own tables (read again only after a statement that may
    have written)."""
    if _WATCH.known is not None and _WATCH.known[0] == _WATCH.writes:
        return _WATCH.known[1]
    writes = _WATCH.writes
    value = _full_db_state()
    _WATCH.known = (writes, value)
    return value


def _full_db_state() -> str:
    h = hashlib.sha256()
    for model in apps.get_models():
        if model._meta.app_label not in NONGAN_APPS:
            continue
        rows = list(model.objects.order_by("pk").values())
        if model._meta.label == "core.User":
            for r in rows:
                r.pop("last_login", None)
        h.update(model._meta.label.encode())
        h.update(repr(rows).encode())
    return h.hexdigest()


def markers(w) -> list[tuple[str, object]]:
    """Strings that identify one object on a page: (text, object whose scope governs it)."""
    out = []
    for p in [*w.producers, w.ly_p]:
        out += [(p.name, p), (p.phone, p), (p.code, p)]
        if p.id_number:
            out.append((p.id_number, p))
    out += [(s.code, s) for s in w.samples]
    out += [(c.number, c) for c in w.certs]
    out += [(b.code, b) for b in w.batches]
    out += [(r.code, r) for r in w.rounds + w.drafts] + [(r.title, r) for r in w.rounds + w.drafts]
    out += [(s.name, s) for s in w.staff]
    out += [(c.name, c) for c in w.contacts] + [(c.phone, c) for c in w.contacts]
    out += [(b.name, b) for b in w.bases] + [(c.number, c) for c in w.certifications]
    out += [(r.lot, r) for r in w.rapid[::2]]
    out += [(u.product_name, u) for u in w.inputs]
    return out


def body_text(response) -> str:
    ctype = response.get("Content-Type", "")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in ctype:
        import io

        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            str(v)
            for ws in wb.worksheets
            for row in ws.iter_rows(values_only=True)
            for v in row
            if v is not None
        )
    if "pdf" in ctype or "image" in ctype:
        return ""
    return content.decode("utf-8", "replace")


def foreign_markers_in(text: str, user, w) -> list[str]:
    return sorted({m for m, obj in markers(w) if m and m in text and not may_see(user, obj)})


# ---------------------------------------------------------------- the URL map, classified
# kind: public (no login) / auth (login machinery, docs) / list (scoped list or form page without args) /
# admin (district administration only) / detail (GET with an object) / write (POST with an object) /
# api (router routes: generated below) / media.
# For detail and write routes, ``objs`` names the world objects that fill the URL kwargs.
ROUTES = {
    "home": "list",
    "login": "auth",
    "logout": "auth",
    "core:token": "list",
    "core:import_list": "list",
    "core:import_list_export": "list",
    "core:import_job": ("detail", "jobs"),
    "core:import_errors": ("detail", "jobs"),
    "core:ledger": "admin",
    "core:ledger_export": "admin",
    "core:ledger_checkpoints": "public",
    "core:ledger_checkpoints_json": "public",
    "core:password_change": "list",
    "core:password_reset": "auth",
    "core:users": "admin",
    "core:user_detail": ("detail", "accounts"),
    "api-password": "auth",
    "registry:producer_list": "list",
    "registry:index": "list",
    "registry:producer_create": "list",
    "registry:producer_export": "list",
    "monitoring:sample_export": "list",
    "monitoring:results_export": "list",
    "monitoring:rapid_export": "list",
    "monitoring:follow_up_export": "list",
    "certificates:market_checks_export": "list",
    "certificates:batch_list_export": "list",
    "certificates:key_target_proposals_export": "list",
    "registry:producer_template": "list",
    "registry:producer_import": "list",
    "registry:village_options": "list",
    "registry:producer_detail": ("detail", "producers"),
    "registry:producer_edit": ("detail", "producers"),
    "registry:child_create": ("detail", "child_new"),
    "registry:child_edit": ("detail", "children"),
    "registry:child_delete": ("write", "children"),
    "registry:staff_list": "list",
    "registry:staff_create": "list",
    "registry:staff_edit": ("detail", "staff"),
    "set_language": "auth",
    "javascript-catalog": "auth",
    "api-root": "auth",
    "api-token": "auth",
    "schema": "auth",
    "api-docs": "auth",
    "api-redoc": "auth",
    "standards:index": "list",
    "standards:limits": "list",
    "standards:analytes": "list",
    "standards:banned": "list",
    "standards:restricted": "list",
    "standards:judge": "list",
    "standards:import": "admin",
    "standards:official_template": "admin",
    "standards:analyte_edit": "admin",
    "standards:edition_partial": "admin",
    "standards:vet_limits": "list",
    "standards:vet_limits_export": "list",
    "standards:import_result": ("detail", "std_jobs"),
    "standards:import_errors": ("detail", "std_jobs"),
    "standards-judge": "api-extra",
    "draws:index": "list",
    "draws:rounds_export": "list",
    "draws:create": "admin",
    "draws:detail": ("detail", "all_rounds"),
    "draws:export": ("detail", "all_rounds"),
    "draws:action": ("write", "round_actions"),
    "draws:conflicts": "list",
    "draws:conflict_withdraw": ("write", "conflicts"),
    "draws:public_index": "public",
    "draws:verify_script": "public",
    "draws:public_detail": ("public", "rounds"),
    "draws:public_export": ("public", "rounds"),
    "monitoring:index": "list",
    "monitoring:plan_list": "list",
    "monitoring:plan_create": "admin",
    "monitoring:plan_edit": ("detail", "plan_years"),
    "monitoring:progress": ("detail", "plan_years"),
    "monitoring:progress_export": ("detail", "plan_years"),
    "monitoring:plan_coverage": ("detail", "plan_years"),
    "monitoring:village_shares": ("detail", "plan_towns"),
    "monitoring:task_list": "list",
    "monitoring:task_export": "list",
    "monitoring:task_create": "list",
    "monitoring:tasks_from_draw": "list",
    "monitoring:task_cancel": ("write", "tasks"),
    "monitoring:task_assign": ("write", "tasks"),
    "monitoring:task_unassign": ("write", "tasks"),
    "monitoring:task_batch_assign": "list",
    "monitoring:sample_list": "list",
    "monitoring:sample_batch": "list",
    "monitoring:sample_create": "list",
    "monitoring:sample_producer_options": "list",
    "monitoring:sample_producer_parts": "list",
    "monitoring:sample_detail": ("detail", "samples"),
    "monitoring:sample_transition": ("write", "samples"),
    "monitoring:sample_confirm": ("write", "samples"),
    "monitoring:sample_print": ("detail", "samples"),
    "monitoring:photo_file": ("detail", "photos"),
    "monitoring:results_enter": ("detail", "samples"),
    "monitoring:result_correct": ("detail", "results"),
    "monitoring:results_import": "list",
    "monitoring:results_template": "list",
    "monitoring:rapid_list": "list",
    "monitoring:rapid_create": "list",
    "monitoring:rapid_import": "list",
    "monitoring:rapid_template": "list",
    "monitoring:hold_release": ("write", "holds"),
    "monitoring:integrity": "list",
    "monitoring:follow_up_list": "list",
    "monitoring:follow_up_detail": ("detail", "follow_ups"),
    "monitoring:public": "public",
    "certificates:index": "list",
    "certificates:batch_list": "list",
    "certificates:batch_create": "list",
    "certificates:batch_detail": ("detail", "batches"),
    "certificates:input_edit": ("detail", "inputs"),
    "certificates:labels": "list",
    "certificates:labels_pdf": "list",
    "certificates:labels_printed": "list",
    "certificates:collect": "list",
    "certificates:collections": "list",
    "certificates:reissue": "list",
    "certificates:market_checks": "list",
    "certificates:key_target_proposals": "list",
    "certificates:trace": "list",
    "certificates:trace_export": ("detail", "trace_formats"),
    "certificates:coverage": "list",
    "certificates:keys_rotate": "admin",
    "certificates:suspected": "list",
    "certificates:suspicion_review": ("write", "certs"),
    "certificates:detail": ("detail", "certs"),
    "certificates:qr": ("detail", "certs"),
    "certificates-verify": "api-extra",
    "certificates-collect": "api-extra",
    "certificates_lookup": "public",
    "certificates_public_keys": "public",
    "certificates_verify": ("public", "cert_codes"),
}


def _walk(patterns, prefix="", ns=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            sub = ns
            if p.namespace:
                sub = f"{ns}:{p.namespace}" if ns else p.namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), sub)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), (f"{ns}:{p.name}" if ns and p.name else p.name), p


def url_patterns() -> list[tuple[str, str | None, URLPattern]]:
    return [
        (route, name, p)
        for route, name, p in _walk(get_resolver().url_patterns)
        if not route.startswith(("django-admin/", "^media/"))
    ]


API_BASENAMES = {basename for _prefix, _vs, basename in router.registry}


def _is_router_route(name: str | None) -> bool:
    return bool(name) and any(name.startswith(f"{b}-") for b in API_BASENAMES)


def test_every_url_pattern_is_classified():
    """A new page or API path fails here until it is classified (and so covered by the matrix)."""
    unclassified = sorted(
        f"{route} ({name})"
        for route, name, _p in url_patterns()
        if not _is_router_route(name) and name not in ROUTES
    )
    assert unclassified == []
    names = {name for _r, name, _p in url_patterns()}
    assert sorted(set(ROUTES) - names) == []  # no stale entries either


# ---------------------------------------------------------------- world objects by route kwargs
def _objects(w, key):
    """[(url kwargs, governing object)] for a ROUTES ``objs`` key."""
    from nongan.monitoring.models import LabResult, SaleHold, UnqualifiedFollowUp

    if key == "producers":
        return [({"pk": p.pk}, p) for p in [*w.producers, w.ly_p]]
    if key == "child_new":
        return [
            ({"pk": p.pk, "kind": k}, p)
            for p in (w.qk_p, w.zw_p)
            for k in ("base", "certification", "contact")
        ]
    if key == "children":
        out = []
        for kind, objs in (("base", w.bases), ("certification", w.certifications), ("contact", w.contacts)):
            out += [({"pk": o.producer_id, "kind": kind, "child_pk": o.pk}, o) for o in objs]
        return out
    if key == "staff":
        return [({"pk": s.pk}, s) for s in w.staff]
    if key == "jobs":
        return [({"pk": j.pk}, j) for j in w.jobs[:2]]
    if key == "std_jobs":
        return [({"pk": j.pk}, j) for j in w.jobs[2:]]
    if key == "all_rounds":
        return [({"pk": r.pk}, r) for r in w.rounds + w.drafts]
    if key == "rounds":
        return [({"code": r.code}, r) for r in w.rounds]
    if key == "round_actions":
        return [({"pk": r.pk, "name": "freeze"}, r) for r in w.drafts] + [
            ({"pk": r.pk, "name": "cancel"}, r) for r in w.drafts
        ]
    if key == "conflicts":
        return [({"pk": c.pk}, c) for c in w.conflicts]
    if key == "plan_years":  # the year names the caller's own plan of that year, not one object
        return [({"year": w.plan.year}, None)]
    if key == "plan_towns":  # a township's share of the caller's plan, divided among its villages
        return [
            ({"year": w.plan.year, "code": p.region.parent.code}, p.region.parent) for p in (w.qk_p, w.zw_p)
        ]
    if key == "tasks":
        return [({"pk": t.pk}, t) for t in w.tasks]
    if key == "samples":
        return [({"code": s.code}, s) for s in w.samples]
    if key == "photos":
        return [({"pk": p.pk}, p) for p in w.photos]
    if key == "results":
        return [({"pk": r.pk}, r) for r in LabResult.objects.filter(sample__in=w.received)]
    if key == "holds":
        return [({"pk": h.pk}, h) for h in SaleHold.objects.all()]
    if key == "follow_ups":
        return [({"pk": f.pk}, f) for f in UnqualifiedFollowUp.objects.all()]
    if key == "batches":
        return [({"code": b.code}, b) for b in w.batches]
    if key == "inputs":
        return [({"pk": u.pk}, u) for u in w.inputs]
    if key == "certs":
        return [({"number": c.number}, c) for c in w.certs]
    if key == "cert_codes":
        return [({"code": c.number}, c) for c in w.certs]
    if key == "accounts":
        return [({"pk": u.pk}, u) for u in w.accounts]
    if key == "trace_formats":
        return [({"fmt": "xlsx"}, None), ({"fmt": "csv"}, None)]
    raise KeyError(key)


def _url(name, kwargs):
    from django.urls import reverse

    return reverse(name, kwargs=kwargs)


# Known leaks not fixed yet (see the xfail tests at the end): route names per role.
KNOWN_LEAKS: dict[str, set[str]] = {}

# Import templates: fixed example rows (their example name and sample number are those of the fixtures).
STATIC_EXAMPLES = {"registry:producer_template", "monitoring:results_template", "monitoring:rapid_template"}


def _page_routes(kinds):
    for _route, name, _p in url_patterns():
        if _is_router_route(name) or name not in ROUTES:
            continue
        spec = ROUTES[name]
        kind, objs = (spec, None) if isinstance(spec, str) else spec
        if kind in kinds:
            yield name, kind, objs


def test_world_builds(world):
    assert len(world.samples) == 9
    assert world.published[0].state == "published"
    assert len(world.certs) == 5


# ---------------------------------------------------------------- API: generated from the router
def _api_model(viewset, user):
    """The model a viewset serves, read from its own queryset."""
    request = APIRequestFactory().get("/")
    request.user = user
    from rest_framework.request import Request

    view = viewset()
    view.request = Request(request)
    view.request.user = user
    view.action = "list"
    view.kwargs = {}
    view.format_kwarg = None
    return view.get_queryset().model


def _lookup(viewset) -> tuple[str, str]:
    field = getattr(viewset, "lookup_field", "pk") or "pk"
    return field, getattr(viewset, "lookup_url_kwarg", None) or field


def _api_rows(client, url) -> list[dict]:
    rows, page = [], url + ("&" if "?" in url else "?") + "page_size=500"
    while page:
        r = client.get(page)
        assert r.status_code == 200, (url, r.status_code)
        data = r.json()
        if isinstance(data, list):
            return rows + data
        rows += data["results"]
        page = data.get("next")
    return rows


def _row_object(model, field, row):
    key = "id" if field == "pk" else field
    return model.objects.get(**{field: row[key]})


def _api_list_problems(client, user, world) -> tuple[list[str], dict]:
    problems, seen = [], {}
    for prefix, viewset, basename in router.registry:
        if not hasattr(viewset, "list"):
            continue
        model = _api_model(viewset, world.users.admin)
        field, _kw = _lookup(viewset)
        rows = _api_rows(client, _url(f"{basename}-list", {}))
        seen[prefix] = (len(rows), model)
        for row in rows:
            obj = _row_object(model, field, row)
            if not may_see(user, obj):
                problems.append(f"{prefix}: {model._meta.label} {row.get(field if field != 'pk' else 'id')}")
        text = json.dumps(rows, ensure_ascii=False)
        problems += [f"{prefix}: marker {m}" for m in foreign_markers_in(text, user, world)]
    return problems, seen


@pytest.mark.parametrize("role", ROLES)
def test_api_lists_return_only_rows_in_scope(client, world, role):
    """Every API list route, for every role: each returned row's object is in the role's scope (checked
    through the model's SCOPE_* path, not through scoped()). An unscoped new route fails here."""
    user = getattr(world.users, role)
    client.force_login(user)
    problems, seen = _api_list_problems(client, user, world)
    assert not problems, "\n".join(problems)
    if role == "admin":  # not vacuous: the world has rows behind every scoped route
        empty = [p for p, (n, model) in seen.items() if n == 0 and model._meta.label not in GLOBAL_MODELS]
        assert empty == []


def test_the_api_list_matrix_catches_an_unscoped_route(client, world, monkeypatch):
    """The matrix above has teeth: a viewset whose queryset skips scoped() is reported."""
    from nongan.registry.api import ContactViewSet
    from nongan.registry.models import Contact

    monkeypatch.setattr(ContactViewSet, "get_queryset", lambda self: Contact.objects.order_by("id"))
    client.force_login(world.users.zw)
    problems, _seen = _api_list_problems(client, world.users.zw, world)
    assert any(p.startswith("contacts: registry.Contact") for p in problems)
    assert any("青口联系人" in p for p in problems)


def _world_objects_of(model, w):
    if model._meta.label in GLOBAL_MODELS:
        return []
    return list(model.objects.all())


@pytest.mark.parametrize("role", ROLES)
def test_api_details_and_actions_refuse_objects_out_of_scope(client, world, role):
    """Every API detail route and every detail action (GET or POST), for every object of its model that the
    role may not see: 403 or 404, never 200, and a POST changes nothing."""
    user = getattr(world.users, role)
    client.force_login(user)
    problems, checked = [], 0
    for _prefix, viewset, basename in router.registry:
        model = _api_model(viewset, world.users.admin)
        field, kwarg = _lookup(viewset)
        actions = [(None, "get")] if hasattr(viewset, "retrieve") else []
        for a in viewset.get_extra_actions():
            if a.detail:
                actions += [(a.url_name, m) for m in a.mapping]
        if hasattr(viewset, "update"):
            actions += [(None, "patch"), (None, "put")]
        if hasattr(viewset, "destroy"):
            actions.append((None, "delete"))
        for obj in _world_objects_of(model, world):
            if may_see(user, obj):
                continue
            value = getattr(obj, field) if field != "pk" else obj.pk
            for url_name, method in actions:
                name = f"{basename}-{url_name}" if url_name else f"{basename}-detail"
                url = _url(name, {kwarg: value})
                before = db_state() if method != "get" else None
                r = (
                    getattr(client, method)(url, {"reason": "越权测试"}, content_type="application/json")
                    if method != "get"
                    else client.get(url)
                )
                checked += 1
                if r.status_code not in (403, 404):
                    problems.append(f"{method.upper()} {url} → {r.status_code}")
                if before is not None and db_state() != before:
                    problems.append(f"{method.upper()} {url} changed the database")
    assert not problems, "\n".join(problems)
    if role in ("zw", "producer"):
        assert checked > 20


# ---------------------------------------------------------------- pages
@pytest.mark.parametrize("role", ROLES)
def test_pages_without_object_show_nothing_out_of_scope(client, world, role):
    """Every list, form, export and admin page without URL arguments, for every role: it opens (200), refuses
    (403) or redirects, and what it shows carries no name, phone or number of an out-of-scope object."""
    user = getattr(world.users, role)
    client.force_login(user)
    problems = []
    for name, kind, _objs in _page_routes({"list", "admin"}):
        url = _url(name, {})
        r = client.get(url)
        if kind == "admin" and role not in ("admin", "ly") and r.status_code not in (403, 405):
            problems.append(f"{url}: admin page answers {r.status_code} to {role}")
        if name in KNOWN_LEAKS.get(role, ()):
            continue
        if r.status_code == 200 and name not in STATIC_EXAMPLES:
            problems += [f"{url}: {m}" for m in foreign_markers_in(body_text(r), user, world)]
        elif r.status_code == 200:
            pass
        elif r.status_code not in (302, 403, 404, 405):  # 404: needs a query (labels), 405: POST only
            problems.append(f"{url} → {r.status_code}")
    assert not problems, "\n".join(problems)


def _detail_cases():
    for name, _kind, objs in _page_routes({"detail"}):
        yield name, objs


@pytest.mark.parametrize("role", ROLES)
def test_detail_pages_refuse_objects_out_of_scope(client, world, role):
    """Every page about one object (detail, edit form, export, print, QR), for every world object: out of the
    role's scope → 403/404, never 200; in scope and 200 → no out-of-scope marker on it."""
    user = getattr(world.users, role)
    client.force_login(user)
    problems, checked = [], 0
    for name, objs in _detail_cases():
        for kwargs, obj in _objects(world, objs):
            url = _url(name, kwargs)
            r = client.get(url)
            checked += 1
            visible = obj is None or may_see(user, obj)
            if not visible and r.status_code not in (403, 404):
                problems.append(f"{url} ({type(obj).__name__}) → {r.status_code}")
            if r.status_code == 200:
                problems += [f"{url}: {m}" for m in foreign_markers_in(body_text(r), user, world)]
            if r.status_code >= 500:
                problems.append(f"{url} → {r.status_code}")
    assert not problems, "\n".join(problems)
    assert checked > 40


def test_admin_opens_every_detail_page(client, world):
    """The matrix above is not vacuous: the district administrator opens every object page."""
    client.force_login(world.users.admin)
    bad = []
    for name, objs in _detail_cases():
        for kwargs, obj in _objects(world, objs):
            if obj is not None and not may_see(world.users.admin, obj):
                continue
            url = _url(name, kwargs)
            r = client.get(url)
            if r.status_code != 200 and not (
                name == "certificates:trace_export"
                and r.status_code == 404
                or name.startswith("standards:import")
                and r.status_code == 302
            ):  # a trace export needs a query; standards' old job addresses lead to the job's one page
                bad.append(f"{url} → {r.status_code}")
    assert not bad, "\n".join(bad)


def _query_probes(w):
    """Pages and API lists driven by a query parameter naming one object: (url, governing object)."""
    out = []
    for c in w.certs:
        out += [
            (f"/certificates/trace/?number={c.number}", c),
            (f"/certificates/trace.csv?number={c.number}", c),
        ]
        out += [
            (f"/certificates/trace.xlsx?number={c.number}", c),
            (f"/certificates/labels/?n={c.number}", c),
        ]
        out += [(f"/api/v1/certificates/?number={c.number}", c)]
    for b in w.batches:
        out += [(f"/certificates/trace/?batch={b.code}", b), (f"/certificates/labels/?batch={b.code}", b)]
    for p in w.producers:
        out += [(f"/certificates/trace/?producer={p.code}", p), (f"/api/v1/bases/?producer={p.pk}", p)]
        out += [(f"/api/v1/contacts/?producer={p.pk}", p), (f"/api/v1/certifications/?producer={p.pk}", p)]
        out += [(f"/registry/producers/?q={p.name}", p), (f"/monitoring/samples/?q={p.name}", p)]
    for s in w.samples:
        out += [(f"/certificates/trace/?sample={s.code}", s), (f"/monitoring/samples/?q={s.code}", s)]
    for t in w.tasks:
        out += [(f"/monitoring/samples/new/?task={t.pk}", t)]
    for r in w.rapid:
        out += [(f"/monitoring/rapid/new/?retest_of={r.pk}", r)]
    return out


@pytest.mark.parametrize("role", ROLES)
def test_pages_driven_by_a_query_show_nothing_out_of_scope(client, world, role):
    """Trace, labels, pre-filled forms and filtered lists, asked about an object out of scope: nothing of it
    (403/404 or a page without its markers)."""
    user = getattr(world.users, role)
    client.force_login(user)
    problems = []
    for url, obj in _query_probes(world):
        before = db_state()
        r = client.get(url)
        if r.status_code >= 500:
            problems.append(f"{url} → {r.status_code}")
        if r.status_code == 200:
            # the asked value itself is echoed in the search box: look for everything else
            asked = url.split("=", 1)[1]
            text = body_text(r).replace(asked, "")
            problems += [f"{url}: {m}" for m in foreign_markers_in(text, user, world)]
        if not may_see(user, obj) and db_state() != before:
            problems.append(f"{url} changed the database")
    assert not problems, "\n".join(problems)


OTHER_TOWN = {"qk": "柘汪镇", "village": "柘汪镇", "producer": "柘汪镇", "zw": "青口镇", "ly": "青口镇"}


@pytest.mark.parametrize("role", sorted(OTHER_TOWN))
def test_township_and_village_users_see_no_figures_of_another_township(client, world, role):
    """Dashboards, progress and lists of a township (or village, or producer) account never name another
    township: no per-township rows, counts or filter choices outside the jurisdiction."""
    user = getattr(world.users, role)
    client.force_login(user)
    other = OTHER_TOWN[role]
    problems = []
    for name, _kind, _objs in _page_routes({"list"}):
        if name in STATIC_EXAMPLES:
            continue
        url = _url(name, {})
        r = client.get(url)
        if r.status_code == 200 and other in body_text(r):
            problems.append(url)
    for url in (
        f"/monitoring/plans/{world.plan.year}/",
        f"/api/v1/monitoring/plans/{world.plan.pk}/progress/",
        *(
            _url(f"{b}-list", {})
            for _p, _v, b in router.registry
            if not b.startswith(("region", "standards"))
        ),
    ):
        r = client.get(url)
        if r.status_code == 200 and other in body_text(r):
            problems.append(url)
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- writes
def _form_data(admin_client, url, overrides) -> dict:
    """The form of ``url`` as the administrator sees it, filled with its current values, plus overrides."""
    r = admin_client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    form = r.context["form"]
    data = {}
    for name in form.fields:
        bf = form[name]
        v = bf.value()
        if v is None or v is False:
            continue
        if v is True:
            data[bf.html_name] = "on"
        elif isinstance(v, list | tuple):
            data[bf.html_name] = [str(x) for x in v]
        else:
            data[bf.html_name] = str(v)
    data.update(overrides)
    return data


REGISTRY_EDITORS = {"admin", "qk", "zw", "village"}
# route → (ROUTES objs key or a callable, who may do it on an object in scope, payload or form overrides)
WRITES = {
    "registry:producer_edit": (
        "producers",
        REGISTRY_EDITORS,
        ("form", {"address": "越权修改的地址", "credit_code": "93320707MA1QKT3H5B"}),
    ),
    "registry:child_edit": (
        "children",
        REGISTRY_EDITORS,
        ("form", {"name": "越权改名", "scope": "越权", "title": "越权"}),
    ),
    "registry:child_delete": ("children", REGISTRY_EDITORS, {"reason": "越权删除"}),
    "registry:staff_edit": ("staff", REGISTRY_EDITORS, ("form", {"position": "越权职务"})),
    "draws:action": ("round_actions", {"admin"}, {"reason": "越权取消"}),
    "draws:conflict_withdraw": ("conflicts", {"admin"}, {"reason": "越权撤回"}),
    "monitoring:task_cancel": ("tasks", {"admin", "sampler"}, {"reason": "越权取消"}),
    "monitoring:task_assign": ("tasks", {"admin"}, lambda w: {"sampler": w.users.qk_sampler.pk}),
    "monitoring:task_unassign": ("tasks", {"admin"}, lambda w: _sampler_on_tasks(w, "越权移出")),
    "monitoring:sample_transition": ("registered", {"admin"}, {"action": "receive"}),
    "monitoring:sample_confirm": ("registered", {"admin", "sampler"}, {"party_name": "王五"}),
    "monitoring:hold_release": ("holds", {"admin", "qk", "zw"}, {"reason": "越权放行"}),
    "monitoring:follow_up_detail": ("follow_ups", {"admin", "qk", "zw"}, ("form", {"measures": "越权处置"})),
    "monitoring:result_correct": (
        "results",
        {"admin"},
        ("form", {"value": "0.015", "unit": "mg/kg", "reason": "越权复检"}),
    ),
    "monitoring:results_enter": (
        "received",
        {"admin"},
        {
            "r-TOTAL_FORMS": "1",
            "r-INITIAL_FORMS": "0",
            "r-0-analyte": "腐霉利",
            "r-0-value": "0.01",
            "r-0-unit": "mg/kg",
        },
    ),
    "certificates:suspicion_review": (
        "certs",
        {"admin", "qk", "zw", "enforcement", "market"},
        {"decision": "confirm", "reason": "越权确认"},
    ),
    "certificates:input_edit": (
        "inputs",
        {"admin", "qk", "zw", "village", "producer"},
        ("form", {"product_name": "越权肥料", "reason": "越权"}),
    ),
}


def _write_targets(w, key):
    if key == "registered":
        return [({"code": s.code}, s) for s in w.registered]
    if key == "received":
        return [({"code": s.code}, s) for s in w.received]
    return _objects(w, key)


def _sampler_on_tasks(w, reason: str) -> dict:
    """The payload that takes the sampler off a task; the sampler is put on the world's tasks first."""
    for task in w.tasks:
        task.samplers.add(w.users.sampler)
    return {"sampler": w.users.sampler.pk, "reason": reason}


def _payload(admin_client, url, spec, world=None):
    if callable(spec):  # a payload naming the world's records
        return spec(world)
    if isinstance(spec, tuple) and spec[0] == "form":
        return _form_data(admin_client, url, spec[1])
    return dict(spec)


@pytest.fixture
def super_web(world):
    """A superuser's browser: fills in the forms of every object, in any county."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    c = Client()
    c.force_login(get_user_model().objects.create_superuser("root", password="Nongan-test-2026"))
    return c


@pytest.fixture
def admin_web(world):
    from django.test import Client

    c = Client()
    c.force_login(world.users.admin)
    return c


def test_every_page_write_route_is_in_the_write_matrix():
    writes = {name for name, _kind, _objs in _page_routes({"write"})}
    assert writes - set(WRITES) == set()


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_page_writes_out_of_scope_or_without_the_right_change_nothing(client, world, super_web, role):
    """Every write page, posted with a valid payload by a role that may not do it, or on an object outside
    the role's scope: refused (403/404, or the form again), and the database does not change."""
    user = getattr(world.users, role)
    client.force_login(user)
    problems, checked = [], 0
    same_rights_as = {"qk_sampler": "sampler", "ly": "admin"}.get(role, role)
    for name, (key, allowed, spec) in WRITES.items():
        for kwargs, obj in _write_targets(world, key):
            if same_rights_as in allowed and may_see(user, obj):
                continue
            url = _url(name, kwargs)
            data = _payload(super_web, url, spec, world)
            before = db_state()
            r = client.post(url, data)
            checked += 1
            if r.status_code >= 500 or (not may_see(user, obj) and r.status_code not in (403, 404)):
                problems.append(f"POST {url} → {r.status_code}")
            if db_state() != before:
                problems.append(f"POST {url} changed the database")
    assert not problems, "\n".join(problems)
    assert checked >= 10


@pytest.mark.parametrize("name", sorted(WRITES))
def test_the_write_payloads_work_for_the_administrator(world, admin_web, name):
    """The refusals above are not vacuous: the same payload, posted by the administrator on an object in
    scope, does change the database."""
    key, _allowed, spec = WRITES[name]
    kwargs, _obj = _write_targets(world, key)[0]
    url = _url(name, kwargs)
    data = _payload(admin_web, url, spec, world)
    before = db_state()
    r = admin_web.post(url, data)
    assert r.status_code in (200, 302)
    assert db_state() != before, (url, r.status_code)


# ---------------------------------------------------------------- anonymous access
def test_anonymous_pages_redirect_to_login(client, world):
    """Every non-public page, for every world object it takes: a redirect to the login page (or 403/404/405),
    never the page itself."""
    problems, checked = [], 0
    for name, _kind, objs in _page_routes({"list", "admin", "detail", "write"}):
        targets = _write_targets(world, objs) if objs else [({}, None)]
        for kwargs, _obj in targets[:2]:
            url = _url(name, kwargs)
            for method in ("get", "post"):
                before = db_state()
                r = getattr(client, method)(url)
                checked += 1
                ok = (r.status_code == 302 and r["Location"].startswith("/login/")) or r.status_code in (
                    403,
                    404,
                    405,
                )
                if not ok:
                    problems.append(f"{method.upper()} {url} → {r.status_code}")
                if db_state() != before:
                    problems.append(f"{method.upper()} {url} changed the database")
    assert not problems, "\n".join(problems)
    assert checked > 150


def test_anonymous_api_is_refused(client, world):
    """Every API route of the router (lists, details, actions, writes) and every extra API path that is not
    public: 401 or 403 without credentials; nothing changes."""
    from rest_framework.test import APIClient

    api = APIClient()
    problems = []
    for _prefix, viewset, basename in router.registry:
        model = _api_model(viewset, world.users.admin)
        field, kwarg = _lookup(viewset)
        obj = model.objects.first()
        value = "1" if obj is None else (getattr(obj, field) if field != "pk" else obj.pk)
        calls = [("get", _url(f"{basename}-list", {})), ("post", _url(f"{basename}-list", {}))]
        calls += [
            ("get", _url(f"{basename}-detail", {kwarg: value})),
            ("patch", _url(f"{basename}-detail", {kwarg: value})),
        ]
        for a in viewset.get_extra_actions():
            url = _url(f"{basename}-{a.url_name}", {kwarg: value} if a.detail else {})
            calls += [(m, url) for m in a.mapping]
        for method, url in calls:
            before = db_state()
            r = getattr(api, method)(url, {}, format="json")
            if r.status_code not in (401, 403):
                problems.append(f"{method.upper()} {url} → {r.status_code}")
            if db_state() != before:
                problems.append(f"{method.upper()} {url} changed the database")
    r = api.post(
        "/api/v1/standards/judge/",
        {"food": "黄瓜", "analyte": "毒死蜱", "value": "1", "unit": "mg/kg"},
        format="json",
    )
    if r.status_code not in (401, 403):
        problems.append(f"POST /api/v1/standards/judge/ → {r.status_code}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- public pages: no personal data
HOUSEHOLD_SECRETS = {
    "张三丰": "name",
    "李四海": "name",
    "13911112222": "phone",
    "13933334444": "phone",
    QK_HH_ID: "ID number",
    ZW_HH_ID: "ID number",
}


def _public_urls(w) -> list[str]:
    urls = []
    for name, _kind, objs in _page_routes({"public"}):
        if objs is None:
            urls.append(_url(name, {}))
        else:
            urls += [_url(name, kwargs) for kwargs, _obj in _objects(w, objs)]
    urls += [f"/monitoring/public/?year={timezone.localdate().year}", "/v/?number=" + w.certs[2].number]
    return urls


def test_public_pages_open_without_login_and_show_households_masked(client, world):
    """/monitoring/public/, /draws/public/<code>/ and its JSON, the certificate verification page and every
    other page open to the public: they open without login, show the households (masked: 张** / 李**), and
    carry no household's full name, phone or ID number anywhere (HTML or JSON)."""
    texts = {}
    for url in _public_urls(world):
        r = client.get(url, follow=url.startswith("/v/?"))
        assert r.status_code == 200, url
        texts[url] = body_text(r)
    leaks = [
        f"{url}: {kind} {s}" for url, t in texts.items() for s, kind in HOUSEHOLD_SECRETS.items() if s in t
    ]
    assert not leaks, "\n".join(leaks)
    everything = "\n".join(texts.values())
    # not vacuous: the households are on the public pages, masked
    for name in ("张三丰", "李四海"):
        assert mask_name(name) in everything
    assert mask_phone("13911112222") in everything  # the household's certificate: contact masked
    rounds = [t for u, t in texts.items() if u.startswith("/draws/public/") and u.endswith(".json")]
    assert rounds and all(mask_name("张三丰") in t or mask_name("李四海") in t for t in rounds)
    assert mask_id_number(QK_HH_ID) not in everything  # ID numbers are not published at all


def test_public_json_export_masks_every_household_field(client, world):
    """The published round as JSON: every candidate and selection name of a household is masked."""
    for rnd in world.rounds:
        data = json.loads(body_text(client.get(_url("draws:public_export", {"code": rnd.code}))))
        households = {p.code: p.name for p in world.producers if p.type == "household"}
        entries = data["candidates"] + data["selections"]
        assert any(e["code"] in households for e in entries)
        for e in entries:
            if e["code"] in households:
                assert e["name"] == mask_name(households[e["code"]])


# ---------------------------------------------------------------- writes that name their target in the body
@pytest.fixture
def township_staff(world):
    """Field staff whose jurisdiction is one township (a sampler and an analyst of 青口镇)."""
    return SimpleNamespace(sampler=world.users.qk_sampler, analyst=world.users.qk_analyst)


def _body_cases(w, t):
    """(who, method, url, body) — each names an object outside the caller's scope, or the caller may not write."""
    from nongan.monitoring.models import RapidTest

    zw_town, qk_town = w.zw_p.region.parent, w.qk_p.region.parent
    now = timezone.localtime(timezone.now() - dt.timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M")
    sample_body = {
        "producer": w.zw_p.code,
        "product": "黄瓜",
        "quantity": "1",
        "quantity_unit": "kg",
        "place": "田头",
        "sampled_at": timezone.now().isoformat(),
    }
    rapid = {"product": "黄瓜", "method": "enzyme", "inhibition": "10", "tested_at": now}
    zw_retest = RapidTest.objects.filter(region=zw_town, retest_of__isnull=True).first()
    return [
        (t.sampler, "post", "/api/v1/monitoring/samples/", sample_body),
        (
            t.sampler,
            "post",
            "/api/v1/monitoring/samples/",
            {**sample_body, "producer": w.qk_p.code, "task": w.tasks[1].pk},
        ),
        (
            t.sampler,
            "post",
            "/api/v1/monitoring/samples/",
            {**sample_body, "producer": w.qk_p.code, "base": w.bases[1].pk},
        ),
        (w.users.producer, "post", "/api/v1/monitoring/samples/", {**sample_body, "producer": w.qk_p.code}),
        (
            t.analyst,
            "post",
            "/api/v1/monitoring/results/",
            {"sample": w.received[1].code, "analyte": "腐霉利", "value": "0.01", "unit": "mg/kg"},
        ),
        (
            w.users.qk,
            "post",
            "/api/v1/monitoring/results/",
            {"sample": w.received[0].code, "analyte": "腐霉利", "value": "0.01", "unit": "mg/kg"},
        ),
        (w.users.qk, "post", "/api/v1/monitoring/rapid-tests/", {**rapid, "station": zw_town.code}),
        (
            w.users.qk,
            "post",
            "/api/v1/monitoring/rapid-tests/",
            {**rapid, "station": qk_town.code, "producer": w.zw_p.code},
        ),
        (
            w.users.qk,
            "post",
            "/api/v1/monitoring/rapid-tests/",
            {**rapid, "station": qk_town.code, "retest_of": zw_retest.pk},
        ),
        (w.users.village, "post", "/api/v1/monitoring/rapid-tests/", {**rapid, "station": qk_town.code}),
        (w.users.producer, "post", "/api/v1/monitoring/rapid-tests/", {**rapid, "station": qk_town.code}),
        (
            w.users.qk,
            "post",
            "/api/v1/producers/",
            {
                "name": "越权合作社",
                "type": "household",
                "legal_rep": "赵六",
                "phone": "13700001111",
                "region": w.zw_p.region.code,
                "id_number": "320707199001011235",
            },
        ),
        (
            w.users.producer,
            "post",
            "/api/v1/producers/",
            {
                "name": "越权合作社",
                "type": "household",
                "legal_rep": "赵六",
                "phone": "13700001111",
                "region": w.qk_p.region.code,
            },
        ),
        (w.users.qk, "patch", f"/api/v1/producers/{w.qk2.pk}/", {"region": w.zw_p.region.code}),
        (
            w.users.qk,
            "post",
            "/api/v1/draws/",
            {
                "title": "越权",
                "year": 2026,
                "region": qk_town.code,
                "ratio": "1",
                "inspectors": [w.users.sampler.pk, w.users.enforcement.pk],
            },
        ),
        (
            w.users.zw,
            "post",
            f"/api/v1/monitoring/samples/{w.registered[1].code}/transition/",
            {"action": "receive"},
        ),
        (
            w.users.producer,
            "post",
            f"/api/v1/monitoring/samples/{w.registered[0].code}/transition/",
            {"action": "cancel", "reason": "越权"},
        ),
        (w.users.producer, "post", f"/api/v1/certificates/{w.certs[3].number}/revoke/", {"reason": "越权"}),
        (t.sampler, "post", "/monitoring/tasks/from-draw/", {"draw-round": w.rounds[1].code}),
        (
            t.sampler,
            "post",
            "/monitoring/tasks/new/",
            {"task-producer": w.zw_p.pk, "task-product": w.batches[0].product_id},
        ),
        (
            w.users.qk,
            "post",
            "/monitoring/tasks/new/",
            {"task-producer": w.qk_p.pk, "task-product": w.batches[0].product_id},
        ),
        (
            w.users.qk,
            "post",
            "/draws/conflicts/",
            {"producer_code": w.zw_p.code, "kind": "relative", "reason": "越权"},
        ),
        (w.users.zw, "post", "/monitoring/rapid/new/", {**rapid, "station": qk_town.code, "threshold": "50"}),
        (
            w.users.qk,
            "post",
            "/registry/producers/new/",
            {
                "name": "越权合作社",
                "type": "household",
                "legal_rep": "赵六",
                "phone": "13700001111",
                "region": w.zw_p.region.pk,
                "id_number": "320707199001011235",
            },
        ),
        (
            w.users.qk,
            "post",
            "/registry/staff/new/",
            {"name": "越权站员", "kind": "township", "region": zw_town.pk, "phone": "13700002222"},
        ),
        (
            w.users.producer,
            "post",
            "/certificates/batches/new/",
            {
                "producer": w.zw_p.pk,
                "product": w.batches[0].product_id,
                "started": "2026-01-01",
                "unit": "kg",
            },
        ),
        (w.users.qk, "post", "/certificates/keys/rotate/", {}),
        (w.users.zw, "post", "/certificates/labels/printed/", {"n": w.certs[0].number}),
        (w.users.zw, "post", "/certificates/labels.pdf", {"batch": w.batches[0].code}),
        (w.users.qk, "post", "/standards/import/", {}),
        (w.users.qk, "post", "/monitoring/plans/new/", {"year": 2027, "title": "越权计划"}),
        # batch actions: every ticked record outside the caller's scope, or the caller may not do it
        (t.analyst, "post", "/monitoring/samples/batch/", {"action": "receive", "ids": [w.registered[1].pk]}),
        (
            w.users.qk,
            "post",
            "/monitoring/samples/batch/",
            {"action": "receive", "ids": [w.registered[0].pk]},
        ),
        (
            w.users.ly,
            "post",
            "/monitoring/tasks/batch/assign/",
            {"batch-sampler": w.users.qk_sampler.pk, "ids": [t.pk for t in w.tasks]},
        ),
        (
            w.users.qk,
            "post",
            "/monitoring/tasks/batch/assign/",
            {"batch-sampler": w.users.qk_sampler.pk, "ids": [w.tasks[0].pk]},
        ),
    ]


def test_writes_naming_an_object_out_of_scope_change_nothing(world, township_staff):
    """Creates and actions whose target is in the body (a producer, sample, station, round, region): refused
    with 400/403/404 (or the form again), and the database does not change."""
    from rest_framework.test import APIClient

    problems = []
    for i, (user, method, url, body) in enumerate(_body_cases(world, township_staff)):
        c = APIClient()
        c.force_login(user)
        before = db_state()
        if url.startswith("/api/"):
            r = getattr(c, method)(url, body, format="json")
            if r.status_code not in (400, 403, 404):
                problems.append(f"#{i} {user} {method.upper()} {url} → {r.status_code}")
        else:
            r = c.post(url, body)
            if r.status_code >= 500:
                problems.append(f"#{i} {user} POST {url} → {r.status_code}")
        if db_state() != before:
            problems.append(f"#{i} {user} {method.upper()} {url} changed the database")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- leaks found and fixed (one test each)
def test_tasks_from_draw_only_for_a_round_in_the_jurisdiction(world, township_staff):
    """Fixed leak: nongan.monitoring.services.tasks_from_draw took any round id, so a township sampler could
    create sampling tasks for another township's producers. Now the round must be in the actor's scope."""
    from django.core.exceptions import ValidationError

    from nongan.monitoring import services as mon
    from nongan.monitoring.models import SamplingTask

    sampler = township_staff.sampler  # 青口镇
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        mon.tasks_from_draw(actor=sampler, round_id=world.rounds[1].pk)  # 柘汪镇's round
    assert exc.value.message_dict == {"round_id": ["您的辖区内没有该编号的抽取轮次。"]}
    with pytest.raises(ValidationError):
        mon.tasks_from_draw(actor=sampler, round_id=999999)  # a round that does not exist: the same answer
    assert db_state() == before
    made = mon.tasks_from_draw(actor=sampler, round_id=world.rounds[0].pk)  # 青口镇's own round
    assert {t.producer_id for t in made} == {world.qk_p.pk, world.qk2.pk, world.qk_hh.pk}
    assert SamplingTask.objects.filter(draw_round_id=world.rounds[1].pk).count() == 0


# ---------------------------------------------------------------- known leaks, not fixed here (reported)
def test_ledger_page_of_another_county_shows_none_of_ganyu(client, world):
    """In a province installation the administrator of 连云区 opens /ledger/: it lists none of Ganyu's sample
    numbers, certificate numbers and draw rounds. (Leak found here — core.views.ledger_view listed every
    entry — and fixed by the lead in 1c045fd: ledger entries carry their region.)"""
    client.force_login(world.users.ly)
    r = client.get("/ledger/")
    assert r.status_code == 200
    assert foreign_markers_in(body_text(r), world.users.ly, world) == []


@pytest.fixture
def buyer_chain(world, make_producer):
    """A buyer of 青口镇 (with its own producer account) collects the certificate of the 柘汪镇 household
    李四海 and re-issues one certificate for the mixed lot."""
    from nongan.certificates import services as cert_services
    from nongan.core.choices import Role
    from nongan.core.services import user_create

    buyer = make_producer(
        name="青口镇鲜达收购点",
        town="青口镇",
        type="buyer",
        is_scale=False,
        phone="13800000009",
        id_number="320707198203034561",
    )
    account = user_create(
        actor=None,
        username="buyer",
        password="Nongan-test-2026",
        role=Role.PRODUCER,
        full_name="收购点",
        producer=buyer,
    )
    household_cert = world.certs[4]
    assert household_cert.producer == world.zw_hh
    [col] = cert_services.purchase_record(
        actor=account, collector=buyer, lot="G1", items=[(household_cert.token, "50", "kg")]
    )
    child = cert_services.certificate_reissue(
        actor=account, collector=buyer, draws=[(col, "50")], quantity="50", unit="kg"
    )
    return SimpleNamespace(buyer=buyer, account=account, child=child, parent=household_cert)


def test_buyer_account_trace_shows_no_upstream_household_personal_data(client, world, buyer_chain):
    """A buyer's own account traces its re-issued certificate: it may see the certificate numbers it
    collected, but not another producer's (a household's) unmasked name or input-use records."""
    client.force_login(buyer_chain.account)
    r = client.get(f"/certificates/trace/?number={buyer_chain.child.number}")
    assert r.status_code == 200
    text = body_text(r)
    assert buyer_chain.child.number in text
    assert "李四海" not in text
    api = client.get(f"/api/v1/certificates/{buyer_chain.child.number}/trace/")
    assert "李四海" not in body_text(api)


# ---------------------------------------------------------------- ID numbers: masked wherever they are shown
ID_EDIT_FORMS = {"registry:producer_edit", "registry:child_edit", "registry:staff_edit"}


@pytest.mark.parametrize("role", ["admin", "qk", "market", "sampler"])
def test_full_id_numbers_appear_only_in_the_edit_form(client, world, role):
    """Fixed leak: the History tab of a producer (nongan/registry/views.py ``_history``) showed the head's
    full ID number to everyone who may read the producer (market checkers, samplers), while the overview
    masks it and the API never returns it. Now every page but the edit forms shows it masked."""
    user = getattr(world.users, role)
    client.force_login(user)
    problems = []
    urls = [_url(name, {}) for name, _k, _o in _page_routes({"list"}) if name not in STATIC_EXAMPLES]
    for name, objs in _detail_cases():
        if name not in ID_EDIT_FORMS:
            urls += [_url(name, kwargs) for kwargs, _obj in _objects(world, objs)]
    urls += [
        f"/registry/producers/{p.pk}/?tab={tab}" for p in world.producers for tab in ("history", "overview")
    ]
    urls += [_url(f"{b}-list", {}) for _p, _vs, b in router.registry]
    for url in urls:
        r = client.get(url)
        if r.status_code == 200:
            text = body_text(r)
            problems += [f"{url}: {n}" for n in (QK_HH_ID, ZW_HH_ID) if n in text]
    assert not problems, "\n".join(problems)
    r = client.get(f"/registry/producers/{world.qk_hh.pk}/?tab=history")
    assert mask_id_number(QK_HH_ID) in body_text(r)  # the creation is in the history, masked


def test_follow_up_of_a_producers_own_sample_is_for_staff_only(client, world):
    """Fixed leak: the follow-up list is for supervision staff, but its detail page (nongan/monitoring/views.py
    ``follow_up_detail``) opened for the producer's own account, showing the notice to the township, the
    trace notes and the enforcement case number. Now 403, as the list."""
    from nongan.monitoring.models import UnqualifiedFollowUp

    fu = UnqualifiedFollowUp.objects.get(sample__producer=world.qk_p)
    from nongan.monitoring import services as mon

    mon.follow_up_update(
        actor=world.users.qk,
        follow_up=fu,
        trace_note="来源柘汪镇批发商",
        measures="下架",
        case_number="赣农罚2026-7",
    )
    client.force_login(world.users.producer)
    assert client.get("/monitoring/follow-ups/").status_code == 403
    r = client.get(f"/monitoring/follow-ups/{fu.pk}/")
    assert r.status_code == 403
    assert "赣农罚2026-7" not in body_text(r)
    before = db_state()
    assert (
        client.post(f"/monitoring/follow-ups/{fu.pk}/", {"measures": "改", "close": "on"}).status_code == 403
    )
    assert db_state() == before
    client.force_login(world.users.qk)
    assert "赣农罚2026-7" in body_text(client.get(f"/monitoring/follow-ups/{fu.pk}/"))


# ---------------------------------------------------------------- the browsable API (HTML)
@pytest.mark.parametrize("role", ROLES)
def test_browsable_api_forms_list_no_object_out_of_scope(client, world, role):
    """Fixed leak: the browsable API renders filter forms and POST forms whose <select>s list every object of
    a related field's queryset. The producer filter of /api/v1/bases/, /certifications/ and /contacts/
    (nongan/registry/api.py, ``filterset_fields``) listed every producer's name to any account. Now every API
    route, as HTML, shows nothing out of scope."""
    user = getattr(world.users, role)
    client.force_login(user)
    problems = []
    for _prefix, _viewset, basename in router.registry:
        url = _url(f"{basename}-list", {})
        r = client.get(url, HTTP_ACCEPT="text/html")
        assert r.status_code == 200, url
        problems += [f"{url}: {m}" for m in foreign_markers_in(body_text(r), user, world)]
        # and the page of one object the role may see (with its PUT/PATCH form where there is one)
        model = _api_model(_viewset, world.users.admin)
        field, kwarg = _lookup(_viewset)
        mine = next((o for o in _world_objects_of(model, world) if may_see(user, o)), None)
        if mine is not None and hasattr(_viewset, "retrieve"):
            url = _url(f"{basename}-detail", {kwarg: getattr(mine, field) if field != "pk" else mine.pk})
            r = client.get(url, HTTP_ACCEPT="text/html")
            problems += [f"{url}: {m}" for m in foreign_markers_in(body_text(r), user, world)]
    assert not problems, "\n".join(problems)


def test_producer_filter_of_the_api_answers_400_for_a_producer_out_of_scope(client, world):
    """An out-of-scope producer in ?producer= is refused as an unknown one: the answer does not tell whether
    it exists."""
    client.force_login(world.users.zw)
    for path in ("bases", "certifications", "contacts"):
        mine = client.get(f"/api/v1/{path}/?producer={world.zw_p.pk}").json()
        assert mine["count"] == 1
        other = client.get(f"/api/v1/{path}/?producer={world.qk_p.pk}")
        missing = client.get(f"/api/v1/{path}/?producer=999999")
        assert other.status_code == missing.status_code == 400
        assert other.json().keys() == missing.json().keys() == {"producer"}


def test_browsable_api_draw_form_lists_only_the_callers_staff_and_regions(client, world):
    """Fixed leak: the browsable API's POST form of /api/v1/draws/ (nongan/draws/api.py,
    DrawRoundCreateSerializer) listed every account of the installation (producer accounts and other counties'
    staff included) and every region to any signed-in user. Now: nothing for non-administrators; an
    administrator's own staff and regions only."""
    for role, other_town in (("zw", "青口镇"), ("producer", "柘汪镇"), ("market", "高公岛街道")):
        client.force_login(getattr(world.users, role))
        text = body_text(client.get("/api/v1/draws/", HTTP_ACCEPT="text/html"))
        assert "qk_analyst" not in text and "高公岛街道" not in text and other_town not in text, role
    client.force_login(world.users.ly)
    text = body_text(client.get("/api/v1/draws/", HTTP_ACCEPT="text/html"))
    assert "高公岛街道" in text  # its own township
    assert "qk_analyst" not in text and "柘汪镇" not in text
    client.force_login(world.users.admin)
    text = body_text(client.get("/api/v1/draws/", HTTP_ACCEPT="text/html"))
    assert "qk_analyst" in text and "柘汪镇" in text and "高公岛街道" not in text


def test_plan_api_gives_a_township_only_its_own_township_quotas(client, world):
    """Fixed leak: /api/v1/monitoring/plans/ (nongan/monitoring/api.py, PlanViewSet) returned every township's
    quotas to township and village staff, while the progress page shows them their own township only. Now the
    quotas are those of monitoring.selectors.quotas_for(user)."""

    def towns(user):
        client.force_login(user)
        [plan] = client.get("/api/v1/monitoring/plans/").json()["results"]
        return {q["township"] for q in plan["quotas"]}, {
            q["sector"] for q in plan["quotas"] if not q["township"]
        }

    all_towns, sectors = towns(world.users.admin)
    assert {"青口镇", "柘汪镇"} <= all_towns and sectors >= {"crop", "livestock", "aquatic"}
    assert towns(world.users.qk) == ({None, "青口镇"}, sectors)
    # a village coordinator reads their village's share only (none here), never the township's
    assert towns(world.users.village) == ({None}, sectors)
    assert towns(world.users.zw) == ({None, "柘汪镇"}, sectors)
    assert towns(world.users.sampler)[0] == all_towns  # district staff: the whole plan


def test_django_admin_is_closed_to_staff_flagged_district_administrators(client, world):
    """Django's admin is not scoped. The demo flags district administrators as staff; without model
    permissions every registered model's list and detail answer 403, so nothing leaks through it."""
    from django.contrib import admin

    user = world.users.ly
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    problems = []
    for model in admin.site._registry:
        meta = model._meta
        obj = model.objects.first()
        urls = [f"/django-admin/{meta.app_label}/{meta.model_name}/"]
        if obj is not None:
            urls.append(f"/django-admin/{meta.app_label}/{meta.model_name}/{obj.pk}/change/")
        for url in urls:
            r = client.get(url)
            if r.status_code != 403:
                problems.append(f"{url} → {r.status_code}")
    assert not problems, "\n".join(problems)
    assert len(admin.site._registry) > 10


def test_reference_data_is_read_only_to_everyone_but_administrators(client, world):
    """Standards, regions and the product tree are global reference data: every staff account reads them,
    nobody changes them through the API (read-only routes: 405), and the standards import and the monitoring
    plan form refuse anyone but a district administrator — nothing changes."""
    from rest_framework.test import APIClient

    problems = []
    for role in ROLES:
        api = APIClient()
        api.force_login(getattr(world.users, role))
        for prefix, viewset, basename in router.registry:
            model = _api_model(viewset, world.users.admin)
            if model._meta.label not in GLOBAL_MODELS:
                continue
            field, kwarg = _lookup(viewset)
            obj = model.objects.first()
            urls = [("post", _url(f"{basename}-list", {}))]
            if obj is not None:
                detail = _url(f"{basename}-detail", {kwarg: getattr(obj, field) if field != "pk" else obj.pk})
                urls += [("put", detail), ("patch", detail), ("delete", detail)]
            for method, url in urls:
                before = db_state()
                r = getattr(api, method)(url, {"name": "改"}, format="json")
                if r.status_code not in (403, 405):
                    problems.append(f"{role} {method.upper()} {url} → {r.status_code}")
                if db_state() != before:
                    problems.append(f"{role} {method.upper()} {url} changed the database")
            if api.get(_url(f"{basename}-list", {})).status_code != 200:
                problems.append(f"{role} cannot read {prefix}")
        if role not in ("admin", "ly"):
            for url in ("/standards/import/", "/monitoring/plans/new/", "/draws/new/"):
                before = db_state()
                r = api.post(url, {"kind": "limits", "year": 2027, "title": "越权"})
                if r.status_code != 403 or db_state() != before:
                    problems.append(f"{role} POST {url} → {r.status_code}")
    assert not problems, "\n".join(problems)


# Who may write through each API route on an object in scope (roles of ROLES; "ly" has no Ganyu object).
API_WRITE_RIGHTS = {
    "producer": REGISTRY_EDITORS,
    "draw-round": {"admin"},
    "draw-conflict": {"admin"},  # withdraw: administrators and the inspector named (here enforcement)
    "monitoring-sample": {
        "admin"
    },  # receive (one, or a batch by codes): the lab (administrators are lab roles too)
    "monitoring-plan": {"admin"},  # publish: the district administration
    # assign / take off: administrators; cancel: also the samplers (as on the task list)
    "monitoring-task": {"admin", "sampler", "qk_sampler"},
    "certificate": {"admin", "qk", "zw", "village", "producer"},
    "api-token-own": set(ROLES),  # everyone revokes their own tokens (and sees no one else's)
}


@pytest.mark.parametrize("role", [r for r in ROLES if r not in ("admin", "ly")])
def test_api_writes_on_objects_in_scope_by_roles_without_the_right_change_nothing(world, role):
    """Every API update and detail POST action, on every object the role can see, by a role that may not
    write there: 4xx and the database unchanged. Routes with writes must be listed in API_WRITE_RIGHTS."""
    from rest_framework.test import APIClient

    user = getattr(world.users, role)
    api = APIClient()
    api.force_login(user)
    problems, checked = [], 0
    for _prefix, viewset, basename in router.registry:
        actions = [
            (a.url_name, m) for a in viewset.get_extra_actions() if a.detail for m in a.mapping if m != "get"
        ]
        if hasattr(viewset, "update"):
            actions.append((None, "patch"))
        # List-level writes on many records by their codes (samples/batch/): each record is refused alone,
        # so the answer may be 200 with nothing done.
        many = [
            (a.url_name, m)
            for a in viewset.get_extra_actions()
            if not a.detail
            for m in a.mapping
            if m != "get"
        ]
        if not actions and not many:
            continue
        assert basename in API_WRITE_RIGHTS, f"{basename}: say who may write"
        if role in API_WRITE_RIGHTS[basename]:
            continue
        model = _api_model(viewset, world.users.admin)
        field, kwarg = _lookup(viewset)
        seen = [o for o in _world_objects_of(model, world) if may_see(user, o)]
        for url_name, method in many:
            url = _url(f"{basename}-{url_name}", {})
            codes = [str(getattr(o, field) if field != "pk" else o.pk) for o in seen][:200]
            before = db_state()
            r = getattr(api, method)(
                url, {"action": "receive", "reason": "越权", "codes": codes}, format="json"
            )
            checked += 1
            if not (400 <= r.status_code < 500 or (r.status_code == 200 and r.json().get("done") == 0)):
                problems.append(f"{method.upper()} {url} → {r.status_code} {r.content[:200]!r}")
            if db_state() != before:
                problems.append(f"{method.upper()} {url} changed the database")
        for obj in _world_objects_of(model, world):
            if not may_see(user, obj):
                continue
            value = getattr(obj, field) if field != "pk" else obj.pk
            for url_name, method in actions:
                url = _url(f"{basename}-{url_name}" if url_name else f"{basename}-detail", {kwarg: value})
                body = {"action": "receive", "reason": "越权", "address": "越权地址", "seed": "x" * 20}
                before = db_state()
                r = getattr(api, method)(url, body, format="json")
                checked += 1
                if not 400 <= r.status_code < 500:
                    problems.append(f"{method.upper()} {url} → {r.status_code}")
                if db_state() != before:
                    problems.append(f"{method.upper()} {url} changed the database")
    assert not problems, "\n".join(problems)
    if role in ("producer", "market", "sampler"):
        assert checked > 0
