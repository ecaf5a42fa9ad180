"""Property test of the whole API against its own OpenAPI schema (/api/schema/, drf-spectacular).

Schemathesis generates valid and invalid requests (all generation modes; examples, coverage and fuzzing
phases) for every operation and sends them in-process to Django's WSGI handler, authenticated with the DRF
token of the district administrator, so the write endpoints run too. Each operation is one pytest test in
pytest-django's test database, with a small world (standards, producers, a plan, a sample with a result, a
rapid test, a draw round) created once for the module and rolled back to after each operation. Path parameters and references in bodies are now and then swapped
for real ones, so requests get past the 404s and the "unknown reference" errors into the services.

Checks: no 5xx ever; a documented status must carry the documented content type and match its schema.
Undocumented statuses (400, 403, 404, 405) are fine: drf-spectacular documents only the success answers, so
schemathesis' status_code_conformance is not run.

One pytest test per operation (schema.parametrize), all on one module-scoped world (conftest's ``module_db``);
schemathesis.pytest.from_fixture fails under pytest 9 (it sets Node._nodeid). Examples per operation: 25, or NONGAN_FUZZ_EXAMPLES to
hunt further locally; derandomized, so CI runs are reproducible. Runs on SQLite and PostgreSQL.
"""

import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from nongan.core.accounts import token_create

SCHEMA_PATH = "/api/schema/"

# Operations left out, each with its reason (keep this list short).

CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]

# Real values for the current test, filled by the `world` fixture and read by the hooks below while
# Hypothesis generates cases (it generates inside the test, after the fixtures have run).
WORLD: dict = {}


def _load_schema():
    config = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
    loaded = schemathesis.openapi.from_wsgi(SCHEMA_PATH, WSGIHandler(), config=config)
    return loaded  # every operation is fuzzed, certificates included


schema = _load_schema()


def _path_key(path: str) -> str:
    """'/api/v1/monitoring/samples/{code}/transition/' → 'monitoring/samples'."""
    return path.removeprefix("/api/v1/").split("/{", 1)[0]


# PostgreSQL cannot store or even compare text with a NUL character (psycopg raises DataError, a 500), while
# SQLite takes it; so one variant of each real value carries a NUL, which must be refused on both databases.
NUL = "\x00"


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Besides the generated path: one that names an object that exists, or such a name with a NUL in it."""
    known = WORLD.get("paths", {}).get(_path_key(context.operation.path))
    if not known or not path_parameters:
        return st.just(path_parameters)
    name = next(iter(path_parameters))
    return st.one_of(
        st.just(path_parameters),
        st.sampled_from(known).map(lambda v: {name: v}),
        st.sampled_from([v for v in known if isinstance(v, str)] or [NUL]).map(lambda v: {name: v + NUL}),
    )


@schema.hook
def flatmap_body(context, body):
    """Besides the generated body: the same body with its references made real (a region code, a producer
    number, a product …), a valid body with one generated field in it, or a valid body with a NUL in one
    text field. So requests get past the lookups into the serializers' and services' own checks, one odd
    value at a time."""
    op = context.operation
    refs, template = WORLD.get("body", {}).get(f"{op.method.upper()} {op.path}", ({}, {}))
    if not isinstance(body, dict) or not (refs or template):
        return st.just(body)
    options = [st.just(body)]
    if refs:
        real = st.fixed_dictionaries({k: st.sampled_from(v) for k, v in refs.items()})
        options.append(real.map(lambda r: {**body, **r}))
    if template:
        options.append(
            st.sampled_from(sorted(body) or [None]).map(lambda k: {**template, k: body[k]} if k else template)
        )
        text = sorted(k for k, v in template.items() if isinstance(v, str))
        if text:
            options.append(st.sampled_from(text).map(lambda k: {**template, k: template[k] + NUL}))
    return st.one_of(options)


@pytest.fixture(autouse=True)
def keep_test_connection(db):
    """Like Django's test client, keep the test transaction's connection open across in-process requests
    (the request signals would otherwise close it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def world(module_users, module_ganyu, module_make_producer):
    """A little of everything the API lists, created through the services once for the module (conftest's
    ``module_db``); each operation's requests are rolled back after its test."""
    users, ganyu, make_producer = module_users, module_ganyu, module_make_producer
    from nongan.core.validators import uscc_check_char
    from nongan.draws.services import round_create
    from nongan.monitoring import services as mon
    from nongan.registry.models import Base, Certification, Contact, StaffMember
    from nongan.registry.services import base_save, certification_save, contact_save, staff_save
    from nongan.standards import engine
    from nongan.standards.models import Edition, MaxResidueLimit
    from nongan.standards.services import standards_load

    engine.invalidate()
    standards_load()
    admin, own = users.admin, users.own_producer
    other = make_producer(name="柘汪镇海丰水产养殖场", town="柘汪镇", products=("黄瓜", "番茄"))
    base = base_save(actor=admin, base=Base(producer=own, name="1号大棚", region=ganyu.village("青口镇")))
    cert = certification_save(
        actor=admin,
        certification=Certification(
            producer=own,
            kind="green",
            number="LB-15-2301234567",
            product_name="黄瓜",
            issued_on=timezone.localdate().replace(month=1, day=1),
            valid_until=timezone.localdate().replace(year=timezone.localdate().year + 2),
        ),
    )
    contact = contact_save(actor=admin, contact=Contact(producer=own, name="王建国", phone="13812345678"))
    staff = staff_save(
        actor=admin,
        staff=StaffMember(name="李明", kind="township", region=ganyu.town["青口镇"], phone="13912345678"),
    )
    from nongan.core.services import townships

    towns = list(townships(ganyu.district))
    plan = mon.plan_save(
        actor=admin,
        year=timezone.localdate().year,
        region=ganyu.district,
        sector_quotas={"crop": 500, "livestock": 150, "aquatic": 150},
        township_quantitative=mon.split_evenly(800, towns),
        township_rapid=mon.split_evenly(7200, towns),
    )
    sample = mon.sample_register(
        actor=users.sampler,
        producer=own,
        product=ganyu.category("黄瓜"),
        quantity="2.5",
        quantity_unit="kg",
        place="大棚3号",
        lot="L1",
        sampled_at=timezone.now() - timezone.timedelta(hours=2),
        seal_number="F0001",
    )
    sample = mon.sample_transition(actor=users.analyst, sample=sample, action="receive")
    [result] = mon.results_enter(
        actor=users.analyst,
        sample=sample,
        rows=[{"analyte": "吡虫啉", "value": "0.01", "unit": "mg/kg", "method": "GB 23200.113-2018"}],
    )
    [rapid] = mon.rapid_tests_record(
        actor=users.qk,
        items=[
            {
                "station": ganyu.town["青口镇"].code,
                "product": "黄瓜",
                "method": "enzyme",
                "inhibition": "12.5",
                "tested_at": (timezone.now() - timezone.timedelta(hours=1)).isoformat(),
            }
        ],
    )
    rnd = round_create(
        actor=admin,
        title="2026年第一批双随机检查",
        purpose="inspection",
        region=ganyu.district,
        year=2026,
        inspectors=[users.sampler, users.enforcement, users.analyst],
        filter_spec={"is_scale": True},
        ratio="0.5",
        strata="township",
        inspectors_per_object=2,
    )
    edition = Edition.objects.order_by("pk").first()
    limit = MaxResidueLimit.objects.order_by("pk").first()
    village = ganyu.village("青口镇").code
    WORLD.clear()
    WORLD["paths"] = {
        "producers": [own.pk, other.pk],
        "bases": [base.pk],
        "certifications": [cert.pk],
        "contacts": [contact.pk],
        "staff": [staff.pk],
        "regions": [ganyu.district.code, ganyu.town["青口镇"].code, village],
        "product-categories": [ganyu.category("黄瓜").code, ganyu.category("黄瓜").parent.code],
        "standards/editions": [edition.code],
        "standards/limits": [limit.pk],
        "monitoring/plans": [plan.pk],
        "monitoring/samples": [sample.code],
        "monitoring/results": [result.pk],
        "monitoring/rapid-tests": [rapid.pk],
        "draws": [rnd.pk],
    }
    products = [ganyu.category(n).code for n in ("黄瓜", "番茄")]
    uscc = "93320707MA1ABC123"
    producer = {
        "name": "接口合作社",
        "type": "cooperative",
        "credit_code": uscc + uscc_check_char(uscc),
        "legal_rep": "孙七",
        "phone": "13700001111",
        "region": village,
        "products": products[:1],
        "is_scale": True,
    }
    an_hour_ago = (timezone.now() - timezone.timedelta(hours=1)).isoformat()
    towns = [ganyu.town["青口镇"].code, ganyu.district.code]
    inspectors = [users.sampler.pk, users.enforcement.pk]
    WORLD["body"] = {  # "METHOD path": (real values of references, a valid body)
        "POST /api/v1/producers/": (
            {"region": [village, ganyu.town["柘汪镇"].code], "products": [products, []]},
            producer,
        ),
        "PUT /api/v1/producers/{id}/": ({"region": [village]}, producer),
        "PATCH /api/v1/producers/{id}/": ({"region": [village]}, {"phone": "13700002222", "notes": "改"}),
        "POST /api/v1/draws/": (
            {"region": [ganyu.district.code, ganyu.town["青口镇"].code], "inspectors": [inspectors]},
            {
                "title": "接口轮次",
                "purpose": "sampling",
                "year": 2026,
                "region": ganyu.district.code,
                "filter_spec": {"is_scale": True},
                "ratio": "0.5",
                "strata": "township",
                "inspectors_per_object": 2,
                "inspectors": inspectors,
            },
        ),
        "POST /api/v1/draws/{id}/commit/": ({}, {"seed": "ganyu-2026-seed-0001"}),
        "POST /api/v1/draws/{id}/draw/": ({}, {"seed": "ganyu-2026-seed-0001"}),
        "POST /api/v1/draws/{id}/cancel/": ({}, {"reason": "计划调整"}),
        "POST /api/v1/monitoring/samples/": (
            {"producer": [own.code, other.code], "product": ["黄瓜", "番茄", "蔬菜"]},
            {
                "producer": own.code,
                "product": "黄瓜",
                "quantity": "2",
                "quantity_unit": "kg",
                "place": "大棚",
                "sampled_at": an_hour_ago,
            },
        ),
        "POST /api/v1/monitoring/results/": (
            {"sample": [sample.code], "analyte": ["吡虫啉", "噻虫嗪"], "unit": ["mg/kg"]},
            {"sample": sample.code, "analyte": "噻虫嗪", "value": "0.5", "unit": "mg/kg", "lod": "0.01"},
        ),
        "POST /api/v1/monitoring/rapid-tests/": (
            {"station": towns, "product": ["黄瓜", "蔬菜"], "producer": [own.code]},
            {
                "station": towns[0],
                "product": "黄瓜",
                "method": "enzyme",
                "inhibition": "62",
                "tested_at": an_hour_ago,
            },
        ),
        "POST /api/v1/standards/judge/": (
            {"food": ["黄瓜", "韭菜"], "analyte": ["吡虫啉", "腐霉利"], "unit": ["mg/kg", "μg/kg"]},
            {
                "food": "韭菜",
                "analyte": "腐霉利",
                "value": "0.8",
                "unit": "mg/kg",
                "lod": "0.01",
                "date": "2023-06-01",
            },
        ),
    }
    yield WORLD
    WORLD.clear()
    engine.invalidate()


@pytest.fixture
def admin_token(module_users, db):
    return token_create(actor=module_users.admin, user=module_users.admin)[1]


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("NONGAN_FUZZ_EXAMPLES", "25")),  # raise it locally to hunt further
    deadline=None,
    derandomize=True,
    database=None,
    # Schemas make big, filtered inputs and requests take time; the token fixture is function-scoped on
    # purpose (the world is the module's). The usage checks (differing_executors, nested_given) stay on.
    suppress_health_check=[
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.too_slow,
        HealthCheck.large_base_example,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_api_answers_bad_input_without_server_errors(case, world, admin_token):
    response = case.call(headers={"Authorization": f"Token {admin_token}"})
    case.validate_response(response, checks=CHECKS)


def _component(name: str) -> dict:
    return schema.raw_schema["components"]["schemas"][name]


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("Region", "parent"),  # the province has none
        ("ProductCategory", "parent"),  # the top groups have none
        ("Edition", "amends"),  # a full edition amends nothing
        ("Quota", "township"),  # sector quotas have no township
        ("Quota", "village"),  # a township's own share names no village
        ("ProgressRow", "planned"),  # a part the plan gives no share (无分配)
        ("ProgressRow", "on_pace"),  # no pace without a share
        ("LabResult", "verified_by"),  # not yet verified
        ("RapidTest", "producer"),  # a reading at a market stall names no producer
    ],
)
def test_schema_says_which_answers_may_be_null(component, field):
    assert _component(component)["properties"][field].get("nullable") is True


@pytest.mark.parametrize(("component", "field"), [("Sample", "verdict"), ("RapidTest", "t_line")])
def test_schema_allows_blank_choices_the_api_returns(component, field):
    assert {"$ref": "#/components/schemas/BlankEnum"} in _component(component)["properties"][field]["oneOf"]


def test_schema_documents_plan_progress_and_rapid_test_posts():
    paths = schema.raw_schema["paths"]
    progress = paths["/api/v1/monitoring/plans/{id}/progress/"]["get"]["responses"]["200"]
    assert progress["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/PlanProgress"}
    assert _component("PlanProgress")["properties"]["elapsed_fraction"] == {
        "type": "string",
        "format": "decimal",
    }
    post = paths["/api/v1/monitoring/rapid-tests/"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/RapidTestInputRequest"}
    assert set(_component("RapidTestInputRequest")["required"]) == {"product", "method", "tested_at"}
