"""Role × endpoint: who sees a 青口镇 producer's certificate, batch and trace, and who may act on it."""

import pytest

from nongan.certificates import services
from nongan.certificates.models import Certificate

SEES = {
    "admin": True,
    "qk": True,
    "zw": False,
    "village": True,
    "producer": True,
    "sampler": True,
    "analyst": True,
    "enforcement": True,
    "market": True,
}
ACTS = {
    "admin": True,
    "qk": True,
    "zw": False,
    "village": True,
    "producer": True,
    "sampler": False,
    "analyst": False,
    "enforcement": False,
    "market": False,
}


@pytest.mark.parametrize("role", sorted(SEES))
def test_matrix(client, users, batch, issue, role):
    [c] = issue(batch)
    user = getattr(users, role)
    client.force_login(user)
    expected = 200 if SEES[role] else 404
    assert client.get(f"/certificates/c/{c.number}/").status_code == expected
    assert client.get(f"/certificates/batches/{batch.code}/").status_code == expected
    assert client.get(f"/api/v1/certificates/{c.number}/").status_code == expected
    listed = c.number in client.get("/certificates/").content.decode()
    assert listed is SEES[role]
    assert client.get("/api/v1/certificates/").json()["count"] == (1 if SEES[role] else 0)
    assert services.may_act_for(user, users.own_producer) is ACTS[role]
    r = client.post(
        f"/api/v1/certificates/{c.number}/revoke/", {"reason": "测试"}, content_type="application/json"
    )
    assert r.status_code == (200 if ACTS[role] else 400 if SEES[role] else 404)
    assert Certificate.objects.get(pk=c.pk).status == ("revoked" if ACTS[role] else "valid")


def test_anonymous_is_sent_to_login_but_public_page_opens(client, users, batch, issue):
    [c] = issue(batch)
    assert client.get("/certificates/").status_code == 302
    assert client.get(f"/api/v1/certificates/{c.number}/").status_code in (401, 403)
    assert client.get(f"/v/{c.number}").status_code == 200
