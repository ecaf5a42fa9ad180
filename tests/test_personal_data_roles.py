"""Personal data of producers by role: one rule (``nongan.registry.privacy``) for the API, the producer page and
the export. A role × field matrix over a 青口镇 cooperative with a contact person."""

import pytest
from openpyxl import load_workbook

from nongan.registry.models import Contact
from nongan.registry.privacy import PERSONAL_FIELDS

PHONE, HEAD, ADDRESS = "13955501234", "赵有田", "青口镇海滨路88号"
CONTACT_NAME, CONTACT_PHONE = "钱多多", "13766602222"
FULL = "full"  # every field, contact persons listed
BASIC = "basic"  # no personal field, no contact person
# role → what it sees of the cooperative (None: the producer is out of its scope).
MATRIX = {
    "admin": FULL,
    "qk": FULL,
    "village": FULL,
    "enforcement": FULL,
    "producer": FULL,  # its own row
    "sampler": BASIC,
    "market": BASIC,
    "analyst": BASIC,
    "zw": None,
}
EXPORT = {"admin": 200, "qk": 200, "village": 200, "enforcement": 200, "producer": 200, "sampler": 200}
EXPORT |= {"market": 200, "analyst": 403, "zw": 200}


@pytest.fixture
def coop(users):
    from nongan.registry.services import contact_save, producer_update

    p = users.own_producer
    p = producer_update(
        actor=None, producer=p, phone=PHONE, legal_rep=HEAD, address=ADDRESS, notes="重点关注"
    )
    contact_save(
        actor=None, contact=Contact(producer=p, name=CONTACT_NAME, title="会计", phone=CONTACT_PHONE)
    )
    p.refresh_from_db()
    return p


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_api_producer_fields_by_role(client, users, coop, role):
    client.force_login(getattr(users, role))
    r = client.get(f"/api/v1/producers/{coop.pk}/")
    if MATRIX[role] is None:
        assert r.status_code == 404
        return
    assert r.status_code == 200
    data = r.json()
    shown = {k for k in PERSONAL_FIELDS if k in data}
    if MATRIX[role] == FULL:
        assert shown == set(PERSONAL_FIELDS) - {"id_number"}  # the ID number is write-only for everyone
        assert (data["phone"], data["legal_rep"], data["address"]) == (PHONE, HEAD, ADDRESS)
    else:
        assert shown == set()
        assert (data["code"], data["name"]) == (coop.code, coop.name)
    listed = client.get("/api/v1/producers/", {"q": coop.name}).json()["results"]
    row = next(x for x in listed if x["id"] == coop.pk)
    assert ("phone" in row) == (MATRIX[role] == FULL)
    contacts = client.get("/api/v1/contacts/").json()["results"]
    assert [c["phone"] for c in contacts if c["producer"] == coop.pk] == (
        [CONTACT_PHONE] if MATRIX[role] == FULL else []
    )


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_producer_page_by_role(client, users, coop, role):
    client.force_login(getattr(users, role))
    r = client.get(f"/registry/producers/{coop.pk}/")
    if MATRIX[role] is None:
        assert r.status_code == 404
        return
    page = r.content.decode()
    r = client.get(f"/registry/producers/{coop.pk}/", {"tab": "contacts"})
    contacts_page = r.content.decode()
    for value in (PHONE, HEAD, ADDRESS):
        assert (value in page) == (MATRIX[role] == FULL), (role, value)
    for value in (CONTACT_NAME, CONTACT_PHONE):
        assert (value in contacts_page) == (MATRIX[role] == FULL), (role, value)
    assert coop.name in page


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_export_follows_the_same_rule(client, users, coop, role):
    import io

    client.force_login(getattr(users, role))
    r = client.get("/registry/producers/export.xlsx")
    assert r.status_code == EXPORT[role]
    if r.status_code != 200:
        return
    rows = [
        [str(c or "") for c in row]
        for row in load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True)
    ]
    text = "\n".join("\t".join(row) for row in rows)
    sees = MATRIX[role] == FULL
    if MATRIX[role] is None:  # another township: its own producers only
        assert coop.name not in text
        return
    assert coop.name in text
    assert (PHONE in text, HEAD in text, ADDRESS in text) == (sees, sees, sees)
