"""API: issue, revoke, verify, trace through /api/v1/."""

from nongan.certificates.models import Certificate


def test_api_issue_revoke_verify_trace(client, users, batch):
    client.force_login(users.producer)
    r = client.post(
        "/api/v1/certificates/",
        {"batch": batch.code, "quantity": "20", "unit": "kg", "count": 2},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    numbers = [c["number"] for c in r.json()]
    assert len(numbers) == 2
    qr = r.json()[0]["qr_text"]
    r = client.post(
        "/api/v1/certificates/",
        {"batch": batch.code, "quantity": "-1", "unit": "kg"},
        content_type="application/json",
    )
    assert r.status_code == 400
    r = client.post(
        f"/api/v1/certificates/{numbers[0]}/revoke/", {"reason": "重复"}, content_type="application/json"
    )
    assert r.status_code == 200
    assert r.json()["status"] == "revoked"
    r = client.post(
        f"/api/v1/certificates/{numbers[0]}/revoke/", {"reason": "再次"}, content_type="application/json"
    )
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": ["该合格证已撤销。"]}
    client.logout()
    r = client.post("/api/v1/certificates-verify/", {"text": qr}, content_type="application/json")
    assert r.status_code == 200
    assert (r.json()["genuine"], r.json()["status"]) == (True, "revoked")
    r = client.post(
        "/api/v1/certificates-verify/", {"text": qr[:-4] + "AAAA"}, content_type="application/json"
    )
    assert r.status_code == 400
    assert r.json()["code"] == "bad_signature"
    r = client.post("/api/v1/certificates-verify/", {"text": numbers[1]}, content_type="application/json")
    assert (r.status_code, r.json()["genuine"]) == (200, False)
    client.force_login(users.admin)
    r = client.get(f"/api/v1/certificates/{numbers[1]}/trace/")
    assert r.status_code == 200
    assert r.json()["certificates"] == 1
    client.force_login(users.zw)
    assert client.get(f"/api/v1/certificates/{numbers[1]}/").status_code == 404
    assert client.get("/api/v1/certificates/").json()["count"] == 0
    assert Certificate.objects.count() == 2
