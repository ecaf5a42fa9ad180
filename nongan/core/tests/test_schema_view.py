"""/api/schema/ is generated once per process and language, under a lock: concurrent first requests in a threaded
server all get the same complete schema (drf-spectacular's generator is not safe to run twice at once)."""

import threading

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from nongan.core.api_views import SchemaView


@pytest.fixture
def fresh_cache(monkeypatch):
    monkeypatch.setattr(SchemaView, "_schemas", {})
    runs = []
    original = SchemaGenerator.get_schema

    def counted(self, *args, **kwargs):
        runs.append(threading.get_ident())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counted)
    return runs


def test_concurrent_first_requests_share_one_generation(fresh_cache):
    start = threading.Barrier(4)
    answers: list = [None] * 4

    def fetch(i):
        start.wait()
        answers[i] = Client().get("/api/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    threads = [threading.Thread(target=fetch, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [a.status_code for a in answers] == [200] * 4
    assert (
        len({a.content for a in answers}) == 1
        and b'"/api/v1/monitoring/plans/{id}/publish/"' in answers[0].content
    )
    assert len(fresh_cache) == 1  # generated once; the other three waited for it
    # another language is its own schema (the descriptions are translated), generated once too
    english = Client().get("/api/schema/", {"format": "json", "lang": "en"})
    assert english.status_code == 200 and len(fresh_cache) == 2
    assert Client().get("/api/schema/", {"format": "json", "lang": "en"}).content == english.content
    assert len(fresh_cache) == 2
