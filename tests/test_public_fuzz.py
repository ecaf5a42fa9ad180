"""Every public page (no login) answers any parameter without a server error: impossible years and dates, page
numbers, codes, NUL, very long values, markup. And a public GET changes nothing (the certificate page's scan log
is the certificate app's own rule, checked there)."""

import datetime as dt

import pytest
from django.apps import apps
from django.utils import timezone

HOSTILE = [
    "",
    "0",
    "-1",
    "2026",
    "99999",
    "10000",
    "99999999999999999999999",
    "1e309",
    "²",
    "１２",
    "2026-13-45",
    "abc",
    "\x00",
    "%00",
    "%ZZ",
    "x" * 5000,
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "' OR 1=1 --",
    "🙂",
]


@pytest.fixture
def public_world(users, ganyu, make_producer, shipped_standards):
    from nongan.certificates import services as certs

    batch = certs.batch_create(
        actor=None,
        producer=users.own_producer,
        product=ganyu.category("黄瓜"),
        started=timezone.localdate() - dt.timedelta(days=30),
        unit="kg",
    )
    [cert] = certs.certificate_issue(actor=None, batch=batch, quantity="10", unit="kg", count=1)
    return {"cert": cert}


def _state():
    return {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.app_label != "sessions"}


def _paths(w):
    number = w["cert"].number
    return [
        ("/monitoring/public/", ["year", "page"]),
        ("/draws/public/", ["page"]),
        ("/draws/public/SJ2026-0001/", ["page"]),
        ("/v/", ["number"]),
        ("/v/keys.json", ["kid"]),
        ("/login/", ["next"]),
        (f"/v/{number}", ["s", "place", "lat", "lon", "town", "placed"]),
    ]


def test_public_pages_answer_any_parameter(client, public_world):
    problems = []
    for path, params in _paths(public_world):
        for name in params:
            for value in HOSTILE:
                before = _state() if not path.startswith("/v/3") else None
                try:
                    r = client.get(path, {name: value})
                except Exception as exc:  # noqa: BLE001 - every failure is reported
                    problems.append(f"{path}?{name}={value[:20]!r} raised {type(exc).__name__}: {exc}")
                    continue
                if r.status_code >= 500:
                    problems.append(f"{path}?{name}={value[:20]!r} → {r.status_code}")
                if before is not None and _state() != before:
                    problems.append(f"{path}?{name}={value[:20]!r} changed the database")
    print("\n".join(problems))
    assert problems == []


@pytest.mark.parametrize("value", HOSTILE + ["SJ2026-0001", "3207072600000001L"])
def test_public_codes_in_the_path(client, public_world, value):
    from urllib.parse import quote

    for template in ("/draws/public/{}/", "/draws/public/{}.json", "/v/{}", "/account/reset/{}/"):
        if not value or "/" in value:
            continue
        r = client.get(template.format(quote(value, safe="")))
        assert r.status_code < 500, template.format(value[:20])
