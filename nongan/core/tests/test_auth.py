import pytest
from django.conf import settings
from django.urls import reverse

from conftest import PASSWORD


def test_production_hashes_passwords_with_argon2():
    from nongan import settings as base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_sessions_time_out_when_idle():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_login_page_is_chinese_by_default(client, db):
    body = client.get(reverse("login")).content.decode()
    assert "<title>登录 · 农安</title>" in body
    assert 'lang="zh-CN"' in body


def test_english_can_be_chosen(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    assert "<title>Log in · Nongan</title>" in client.get(reverse("login")).content.decode()


def test_lockout_after_five_failures(client, users):
    for _ in range(5):
        r = client.post(reverse("login"), {"username": "qk", "password": "wrong"})
    r = client.post(reverse("login"), {"username": "qk", "password": PASSWORD})
    assert r.status_code == 429
    assert "账户已锁定" in r.content.decode()
    assert "_auth_user_id" not in client.session


def test_good_login_lands_on_the_dashboard(client, users):
    r = client.post(reverse("login"), {"username": "qk", "password": PASSWORD}, follow=True)
    assert r.redirect_chain[-1][0] == "/"
    assert r.context["user"].username == "qk"


@pytest.mark.parametrize("url", ["/", "/registry/", "/registry/producers/export.xlsx", "/ledger/"])
def test_pages_need_a_login(client, db, url):
    r = client.get(url)
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_api_needs_credentials(client, db):
    assert client.get("/api/v1/producers/").status_code in (401, 403)


def test_pages_stay_chinese_for_an_english_browser_until_english_is_chosen(client, db):
    assert (
        "<title>登录 · 农安</title>"
        in client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    )


def test_the_api_answers_in_english_when_asked(client, users):
    client.force_login(users.qk)
    r = client.post(
        "/api/v1/producers/", {"phone": "1"}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert r.status_code == 400
    assert r.json()["name"] == ["This field is required."]
    r = client.post("/api/v1/producers/", {"phone": "1"}, content_type="application/json")
    assert r.json()["name"] == ["该字段是必填项。"]
