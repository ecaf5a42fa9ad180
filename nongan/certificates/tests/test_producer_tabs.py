"""一户一档: the certificates a producer issued, on its page (a tab the certificates app contributes)."""

from django.urls import reverse


def test_the_certificates_tab_shows_the_producers_own_certificates(client, users, batch, issue):
    [cert] = issue(batch)
    url = reverse("registry:producer_detail", kwargs={"pk": users.own_producer.pk})
    for who in (users.producer, users.qk):
        client.force_login(who)
        page = client.get(url, {"tab": "certificates"}).content.decode()
        assert cert.number in page and 'data-testid="tab-certificates"' in page
    client.force_login(users.zw)
    assert client.get(url, {"tab": "certificates"}).status_code == 404
