"""Fixtures shared by every app's tests: the Ganyu region tree, the product tree, and one account per role."""

import contextlib
from types import SimpleNamespace

import pytest
from django.db import connection

from nongan.core.choices import Role
from nongan.core.models import Region
from nongan.core.services import regions_load, user_create
from nongan.registry.models import ProductCategory
from nongan.registry.services import categories_load

PASSWORD = "Nongan-test-2026"


def _ensure_reference_data() -> None:
    if not Region.objects.filter(code="320707000000").exists():
        regions_load()
    if not ProductCategory.objects.exists():
        categories_load()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The region and product trees are loaded once into each worker's test database, so every test starts
    with them (a test's own rows are rolled back to this). A transactional test empties the tables after
    itself; ``ganyu`` then loads them again for the tests that follow."""
    with django_db_blocker.unblock():
        _ensure_reference_data()


@pytest.fixture(autouse=True)
def _fresh_judgement_index():
    """The judgement engine caches the standards; each test's rows are rolled back, so start afresh."""
    from nongan.standards import engine

    engine.invalidate()
    yield
    engine.invalidate()


def _ganyu() -> SimpleNamespace:
    _ensure_reference_data()
    towns = {r.name: r for r in Region.objects.filter(level="township")}

    def village(town_name: str, index: int = 0) -> Region:
        return Region.objects.filter(parent=towns[town_name], level="village").order_by("code")[index]

    def category(name: str) -> ProductCategory:
        return ProductCategory.objects.get(name=name)

    return SimpleNamespace(
        district=Region.objects.get(code="320707000000"), town=towns, village=village, category=category
    )


def _producer_maker(ganyu):
    from nongan.registry.services import producer_create

    counter = {"n": 0}

    def make(
        name: str | None = None, town: str = "青口镇", village_index: int = 0, products=("黄瓜",), **fields
    ):
        counter["n"] += 1
        data = {
            "name": name or f"测试合作社{counter['n']}",
            "type": "cooperative",
            "legal_rep": "王建国",
            "phone": "13812345678",
            "region": ganyu.village(town, village_index),
            "is_scale": True,
        }
        data.update(fields)
        return producer_create(actor=None, products=[ganyu.category(p) for p in products], **data)

    return make


def _users(ganyu, make_producer) -> SimpleNamespace:
    own = make_producer(name="青口镇绿源蔬菜专业合作社")

    def mk(username, role, jurisdiction=None, producer=None):
        return user_create(
            actor=None,
            username=username,
            password=PASSWORD,
            role=role,
            full_name=username,
            jurisdiction=jurisdiction,
            producer=producer,
        )

    return SimpleNamespace(
        admin=mk("admin", Role.DISTRICT_ADMIN, ganyu.district),
        qk=mk("qk", Role.TOWNSHIP_SUPERVISOR, ganyu.town["青口镇"]),
        zw=mk("zw", Role.TOWNSHIP_SUPERVISOR, ganyu.town["柘汪镇"]),
        village=mk("village", Role.VILLAGE_COORDINATOR, ganyu.village("青口镇")),
        producer=mk("producer", Role.PRODUCER, producer=own),
        sampler=mk("sampler", Role.SAMPLER, ganyu.district),
        analyst=mk("analyst", Role.ANALYST, ganyu.district),
        analyst2=mk("analyst2", Role.ANALYST, ganyu.district),
        enforcement=mk("enforcement", Role.ENFORCEMENT, ganyu.district),
        market=mk("market", Role.MARKET_CHECKER, ganyu.district),
        own_producer=own,
    )


@pytest.fixture
def ganyu(db):
    """The demo region tree and product tree: ganyu.district, ganyu.town["青口镇"], ganyu.village(town_name)."""
    return _ganyu()


@pytest.fixture
def shipped_standards(ganyu):
    """The shipped residue limits and banned / restricted substance lists (nongan/standards/data)."""
    from nongan.standards.services import standards_load

    return standards_load()


@pytest.fixture
def make_producer(ganyu):
    """make_producer(name=…, town=…, village_index=…, **fields) → a registered Producer (through the service)."""
    return _producer_maker(ganyu)


@pytest.fixture
def users(ganyu, make_producer):
    """One account per role: admin (district), qk / zw (township supervisors of 青口镇 / 柘汪镇),
    village (coordinator of the first village of 青口镇), producer (owns a 青口镇 cooperative),
    sampler, analyst, analyst2, enforcement, market (market checker of the district)."""
    return _users(ganyu, make_producer)


# ---------------------------------------------------------------- a world shared by a module's tests
@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """One transaction around a whole test module, rolled back after its last test: rows made by module-scoped
    fixtures (``module_users`` and a module's own world) are built once per module and worker instead of once
    per test. Each test still runs in its own savepoint (pytest-django's ``db``), rolled back after it, so every
    test starts from the same world. Only for modules whose tests use ``db`` (never ``transaction=True``) and
    treat the shared Python objects as read-only (read fresh rows from the database after changing one)."""
    from django.db import transaction

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def module_ganyu(module_db):
    return _ganyu()


@pytest.fixture(scope="module")
def module_make_producer(module_ganyu):
    return _producer_maker(module_ganyu)


@pytest.fixture(scope="module")
def module_users(module_ganyu, module_make_producer):
    return _users(module_ganyu, module_make_producer)


def module_world():
    """``ganyu``, ``make_producer`` and ``users`` at module scope (the ``module_*`` world above), for a module whose
    tests all share one world: ``ganyu, make_producer, users = module_world()`` at the module's top level."""

    @pytest.fixture(scope="module", name="ganyu")
    def shared_ganyu(module_ganyu):
        return module_ganyu

    @pytest.fixture(scope="module", name="make_producer")
    def shared_make_producer(module_make_producer):
        return module_make_producer

    @pytest.fixture(scope="module", name="users")
    def shared_users(module_users):
        return module_users

    return shared_ganyu, shared_make_producer, shared_users


def _run_parallel(fn, n: int = 50, timeout: float = 60.0):
    """Run ``fn(i)`` for i in 0…n-1 on n threads, each with its own database connection, released together
    (connected first, then one barrier). Returns (results in order of i, exceptions raised)."""
    import threading

    from django.db import connections

    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list = []

    def work(i: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout)
            results[i] = fn(i)
        except BaseException as e:  # noqa: BLE001 - every failure is counted by the test
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    with _one_burst_at_a_time():
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout)
    return results, errors


@contextlib.contextmanager
def _one_burst_at_a_time():
    """Hold a machine-wide file lock while a burst of connections runs. PostgreSQL allows 100 clients by
    default: two xdist workers each opening 50 at the same moment (plus their own and the live servers')
    exceed it and the server refuses them ('too many clients'), so bursts from different workers take turns."""
    import fcntl
    import tempfile
    from pathlib import Path

    with open(Path(tempfile.gettempdir()) / "nongan-test-connection-burst.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture
def parallel():
    """parallel(fn, n=50) → (results, errors): n concurrent calls with their own connections, released
    together. For PostgreSQL race tests: mark them ``django_db(transaction=True)`` and skip on SQLite
    (``on_postgresql``)."""
    return _run_parallel


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks and parallel connections need PostgreSQL",
)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser():
    """Debian's Chromium driven by Playwright. Skipped without Chromium, except in CI where it must be there."""
    import os
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing at /usr/bin/chromium (.ci/run installs it)")
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def browser_login(page, live_server, username: str) -> None:
    """Log in through the real login form and wait for the dashboard."""
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("[data-testid=login]")
    page.wait_for_url(f"{live_server.url}/")


def commit_and_draw(actor, rnd, *, witnesses=None, beacon_value: str = ""):
    """Commit a frozen round's seed (unless committed), let the minimum delay pass (the commitment is moved
    back by the delay, as if a day had gone by), and draw with witness values from the first two inspectors of
    the pool (or ``witnesses``)."""
    import datetime as dt

    from django.conf import settings as dj_settings

    from nongan.draws import services as draw_services
    from nongan.draws.models import DrawRound

    if rnd.committed_at is None:
        rnd = draw_services.round_commit_seed(actor=actor, rnd=rnd)
    delay = dt.timedelta(hours=float(dj_settings.NONGAN_DRAW_MIN_DELAY_HOURS), minutes=1)
    DrawRound.objects.filter(pk=rnd.pk).update(committed_at=rnd.committed_at - delay)
    rnd.refresh_from_db()
    if witnesses is None:
        witnesses = [
            (uid, f"witness-{uid}-{rnd.code}")
            for uid in rnd.pool.order_by("user_id").values_list("user_id", flat=True)[:2]
        ]
    return draw_services.round_draw(actor=actor, rnd=rnd, witnesses=witnesses, beacon_value=beacon_value)
