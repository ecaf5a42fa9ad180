"""Accounts: password rules, change, administrator reset by one-time link, lockout per user name, and API
tokens that are hashed, expiring, revocable and shown once."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from nongan.core import accounts
from nongan.core.choices import Role
from nongan.core.demo import DEMO_PASSWORD, DEMO_USERS
from nongan.core.models import ApiToken, AuditLog, PasswordResetLink, User
from nongan.core.services import user_create

NEW = "Qingkou-Veg-2026!"


def _api(key: str | None = None) -> Client:
    c = Client()
    if key:
        c.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    return c


def _refused(response):
    """A refused token: DRF answers 403 (session authentication comes first) with the token's reason."""
    assert response.status_code == 403
    assert response.json() == {"detail": "令牌无效、已过期或已撤销。"}


# ---------------------------------------------------------------- password rules
@pytest.mark.parametrize(
    "password",
    ["1", "short-pw9", "1234567890123", "password123", "qingkou2026", "Qingkou2026"],
)
def test_weak_passwords_are_refused(ganyu, password):
    with pytest.raises(ValidationError) as exc:
        user_create(
            actor=None,
            username="qingkou",
            password=password,
            role=Role.TOWNSHIP_SUPERVISOR,
            jurisdiction=ganyu.town["青口镇"],
        )
    assert "password" in exc.value.message_dict
    assert not User.objects.filter(username="qingkou").exists()


def test_validators_are_djangos_with_length_ten():
    names = [v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
    assert settings.AUTH_PASSWORD_VALIDATORS[1]["OPTIONS"] == {"min_length": 10}


def test_demo_password_passes_for_every_demo_account(ganyu):
    from django.contrib.auth.password_validation import validate_password

    assert len(DEMO_PASSWORD) == 11
    for username, *_rest in DEMO_USERS:
        validate_password(DEMO_PASSWORD, User(username=username))


# ---------------------------------------------------------------- change
def test_password_change_from_the_user_menu(client, users):
    client.force_login(users.village)
    other = Client()
    other.force_login(users.village)
    home = client.get("/registry/").content.decode()
    assert 'href="/account/password/"' in home
    url = reverse("core:password_change")
    assert url == "/account/password/"
    # wrong current password: nothing changes
    r = client.post(url, {"old_password": "nope", "new_password": NEW, "new_password2": NEW})
    assert r.status_code == 200
    assert r.context["form"].errors["old_password"] == ["当前密码不正确。"]
    # a weak new password: refused by the validators
    r = client.post(url, {"old_password": PASSWORD, "new_password": "1", "new_password2": "1"})
    assert "new_password" in r.context["form"].errors
    users.village.refresh_from_db()
    assert users.village.check_password(PASSWORD)
    r = client.post(url, {"old_password": PASSWORD, "new_password": NEW, "new_password2": NEW})
    assert r.status_code == 302
    users.village.refresh_from_db()
    assert users.village.check_password(NEW)
    assert client.get("/registry/").status_code == 200  # this session stays
    assert other.get("/registry/").status_code == 302  # the other one ended
    entry = AuditLog.objects.filter(object_id=str(users.village.pk), reason="用户本人修改了密码").get()
    assert entry.changes == {"password": ["******", "已更改"]}
    assert users.village.password not in str(entry.changes)


def test_password_change_through_the_api(users):
    c = _api()
    c.force_login(users.sampler)
    url = "/api/v1/auth/password/"
    r = c.post(url, {"old_password": "nope", "new_password": NEW}, content_type="application/json")
    assert r.status_code == 400 and r.json() == {"old_password": ["当前密码不正确。"]}
    r = c.post(url, {"old_password": PASSWORD, "new_password": "sampler123"}, content_type="application/json")
    assert r.status_code == 400 and "new_password" in r.json()
    r = c.post(url, {"old_password": PASSWORD, "new_password": NEW}, content_type="application/json")
    assert r.status_code == 204
    users.sampler.refresh_from_db()
    assert users.sampler.check_password(NEW)
    assert _api().post(url, {}, content_type="application/json").status_code in (401, 403)


# ---------------------------------------------------------------- reset by an administrator
@pytest.fixture
def zw_admin(ganyu):
    return user_create(
        actor=None,
        username="zwadmin",
        password=PASSWORD,
        role=Role.DISTRICT_ADMIN,
        jurisdiction=ganyu.town["柘汪镇"],
    )


def _make_link(client, admin, user) -> str:
    client.force_login(admin)
    r = client.post(reverse("core:user_detail", args=[user.pk]), {"action": "reset_link"})
    assert r.status_code == 200
    return r.context["reset_url"]


def test_admin_resets_a_password_with_a_one_time_link(client, users):
    _t, key = accounts.token_create(actor=users.qk, user=users.qk)
    qk_session = Client()
    qk_session.force_login(users.qk)
    r = client.get(reverse("core:users"), {"q": "q"})
    client.force_login(users.admin)
    r = client.get(reverse("core:users"), {"q": "q"})
    assert [u.username for u in r.context["accounts"]] == ["qk"]
    url = _make_link(client, users.admin, users.qk)
    path = url.removeprefix("http://testserver")
    assert re.fullmatch(r"/account/reset/[A-Za-z0-9_-]{43}/", path)
    secret = path.split("/")[3]
    link = PasswordResetLink.objects.get(user=users.qk)
    assert link.token_hash == accounts.digest(secret) and secret not in str(link.__dict__)
    assert abs(link.expires - link.created - dt.timedelta(hours=24)) < dt.timedelta(seconds=5)
    # the shown secret is not shown again
    assert secret not in client.get(reverse("core:user_detail", args=[users.qk.pk])).content.decode()
    # the link's page (no login needed)
    anon = Client()
    assert anon.get(path).status_code == 200
    r = anon.post(path, {"new_password": "1", "new_password2": "1"})
    assert r.status_code == 200 and "new_password" in r.context["form"].errors
    r = anon.post(path, {"new_password": NEW, "new_password2": NEW})
    assert r.status_code == 302 and r["Location"] == "/login/"
    users.qk.refresh_from_db()
    assert users.qk.check_password(NEW)
    # single use; the old sessions and every API token of the account have ended
    assert anon.get(path).status_code == 404
    assert (
        anon.post(
            path, {"new_password": "Another-pass-2026", "new_password2": "Another-pass-2026"}
        ).status_code
        == 404
    )
    users.qk.refresh_from_db()
    assert users.qk.check_password(NEW)
    assert qk_session.get("/registry/").status_code == 302
    _refused(_api(key).get("/api/v1/producers/"))
    # audited: made by the admin, used by the owner, password changed, token revoked
    reasons = set(AuditLog.objects.values_list("reason", flat=True))
    assert {"为 qk 生成了密码重置链接", "重置链接已使用", "通过一次性链接重置了密码", "密码已重置"} <= reasons


def test_reset_links_expire_and_a_new_one_cancels_the_old(client, users):
    first = _make_link(client, users.admin, users.qk).removeprefix("http://testserver")
    second = _make_link(client, users.admin, users.qk).removeprefix("http://testserver")
    anon = Client()
    assert anon.get(first).status_code == 404
    assert anon.get(second).status_code == 200
    PasswordResetLink.objects.filter(cancelled_at__isnull=True).update(expires=timezone.now())
    r = anon.post(second, {"new_password": NEW, "new_password2": NEW})
    assert r.status_code == 404
    users.qk.refresh_from_db()
    assert users.qk.check_password(PASSWORD)
    assert anon.get("/account/reset/" + "x" * 500 + "/").status_code == 404


def test_reset_link_is_mailed_when_mail_is_set_up(client, users, settings):
    settings.NONGAN_SEND_MAIL = True
    users.qk.email = "qk@example.cn"
    users.qk.save()
    url = _make_link(client, users.admin, users.qk)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["qk@example.cn"]
    assert url in mail.outbox[0].body
    settings.NONGAN_SEND_MAIL = False
    _make_link(client, users.admin, users.qk)
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("who", ["qk", "village", "zw_admin"])
def test_only_an_administrator_of_the_jurisdiction_may_reset(client, users, zw_admin, who):
    actor = zw_admin if who == "zw_admin" else getattr(users, who)
    client.force_login(actor)
    r = client.post(
        reverse("core:user_detail", args=[users.qk.pk if who != "qk" else users.village.pk]),
        {"action": "reset_link"},
    )
    assert r.status_code == (404 if who == "zw_admin" else 403)
    assert client.get(reverse("core:users")).status_code == (200 if who == "zw_admin" else 403)
    assert not PasswordResetLink.objects.exists()
    with pytest.raises(ValidationError):
        accounts.reset_link_create(actor=actor, user=users.village if who == "qk" else users.qk)


def test_admin_reaches_producer_accounts_of_the_jurisdiction_not_superusers(users, zw_admin):
    root = User.objects.create_superuser("root", password=PASSWORD)
    assert accounts.may_administer(users.admin, users.producer)
    assert not accounts.may_administer(zw_admin, users.producer)  # the producer is in 青口镇
    assert not accounts.may_administer(users.admin, root)
    assert not accounts.may_administer(users.admin, users.admin)
    assert accounts.may_administer(root, users.admin)
    assert {u.username for u in accounts.administrable_users(users.admin)} == {
        "qk",
        "zw",
        "village",
        "producer",
        "sampler",
        "analyst",
        "analyst2",
        "enforcement",
        "market",
        "zwadmin",
    }
    assert {u.username for u in accounts.administrable_users(zw_admin)} == {"zw"}


# ---------------------------------------------------------------- lockout
def _fail(client, username="qk", **meta):
    return client.post(reverse("login"), {"username": username, "password": "wrong-password"}, **meta)


def test_lockout_is_per_username_whatever_the_client(users):
    for i in range(5):
        _fail(Client(), HTTP_USER_AGENT=f"Browser/{i}", REMOTE_ADDR=f"10.1.0.{i}")
    fresh = Client()
    r = fresh.post(
        reverse("login"),
        {"username": "qk", "password": PASSWORD},
        HTTP_USER_AGENT="Another browser",
        REMOTE_ADDR="10.9.9.9",
    )
    assert r.status_code == 429 and "_auth_user_id" not in fresh.session
    r = _api().post(
        "/api/v1/auth/token/",
        {"username": "qk", "password": PASSWORD},
        content_type="application/json",
        HTTP_USER_AGENT="curl/8",
        REMOTE_ADDR="10.9.9.8",
    )
    assert r.status_code == 429
    assert r.json() == {"detail": "登录失败次数过多，账户已锁定 30 分钟；如需提前解锁，请联系区级管理员。"}
    assert not ApiToken.objects.exists()
    # other accounts are not affected
    ok = Client()
    ok.post(reverse("login"), {"username": "zw", "password": PASSWORD}, REMOTE_ADDR="10.1.0.1")
    assert ok.session["_auth_user_id"] == str(users.zw.pk)


def test_lockout_settings():
    assert "username" in settings.AXES_LOCKOUT_PARAMETERS
    assert settings.AXES_FAILURE_LIMIT == 5


# ---------------------------------------------------------------- API tokens
def test_token_is_shown_once_and_stored_hashed(client, users):
    client.force_login(users.qk)
    r = client.post(reverse("core:token"), {"action": "create", "name": "数据同步", "days": "90"})
    key = r.context["new_key"]
    assert key.startswith("ngn_") and len(key) >= 40
    assert key in r.content.decode()
    token = ApiToken.objects.get(user=users.qk)
    assert token.key_hash == accounts.digest(key) and token.prefix == key[:10]
    assert key not in repr(list(ApiToken.objects.values()))
    assert key not in repr(list(AuditLog.objects.values()))
    assert key not in client.get(reverse("core:token")).content.decode()  # never again
    assert abs(token.expires - (timezone.now() + dt.timedelta(days=90))) < dt.timedelta(minutes=1)
    api = _api(key)
    assert api.get("/api/v1/producers/").status_code == 200
    assert api.get("/api/v1/auth/tokens/").json()[0]["prefix"] == key[:10]
    assert "key_hash" not in api.get("/api/v1/auth/tokens/").json()[0]


def test_token_lifetime_is_bounded_by_the_setting(client, users, settings):
    settings.NONGAN_TOKEN_DAYS = 30
    client.force_login(users.qk)
    r = client.post(reverse("core:token"), {"action": "create", "days": "31"})
    assert "days" in r.context["form"].errors and not ApiToken.objects.exists()
    with pytest.raises(ValidationError):
        accounts.token_create(actor=users.qk, user=users.qk, days=31)
    with pytest.raises(ValidationError):
        accounts.token_create(actor=users.admin, user=users.qk)  # only for oneself


def test_expired_and_revoked_tokens_stop_working(users):
    t1, k1 = accounts.token_create(actor=users.qk, user=users.qk)
    t2, k2 = accounts.token_create(actor=users.qk, user=users.qk, name="脚本")
    ApiToken.objects.filter(pk=t1.pk).update(expires=timezone.now() - dt.timedelta(seconds=1))
    _refused(_api(k1).get("/api/v1/producers/"))
    assert _api(k2).get("/api/v1/producers/").status_code == 200
    # revoked by the owner through the API
    r = _api(k2).post(f"/api/v1/auth/tokens/{t2.pk}/revoke/")
    assert r.status_code == 200 and r.json()["active"] is False
    _refused(_api(k2).get("/api/v1/producers/"))
    # an inactive account's tokens stop too
    t3, k3 = accounts.token_create(actor=users.zw, user=users.zw)
    User.objects.filter(pk=users.zw.pk).update(is_active=False)
    _refused(_api(k3).get("/api/v1/producers/"))


def test_administrator_of_the_jurisdiction_revokes_a_token(client, users, zw_admin):
    token, key = accounts.token_create(actor=users.qk, user=users.qk)
    client.force_login(zw_admin)  # another township's administrator: not found, nothing changes
    r = client.post(reverse("core:user_detail", args=[users.qk.pk]), {"action": "revoke", "token": token.pk})
    assert r.status_code == 404
    client.force_login(users.zw)
    with pytest.raises(ValidationError):
        accounts.token_revoke(actor=users.zw, token=token)
    assert _api(key).get("/api/v1/producers/").status_code == 200
    client.force_login(users.admin)
    r = client.post(reverse("core:user_detail", args=[users.qk.pk]), {"action": "revoke", "token": token.pk})
    assert r.status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == users.admin and token.revoke_reason == "管理员撤销"
    _refused(_api(key).get("/api/v1/producers/"))


def test_logout_ends_session_bound_tokens_only(client, users):
    client.post(reverse("login"), {"username": "qk", "password": PASSWORD})
    r = client.post(reverse("core:token"), {"action": "create", "days": "7", "bind_session": "on"})
    bound = r.context["new_key"]
    r = client.post(reverse("core:token"), {"action": "create", "days": "7", "name": "程序"})
    unbound = r.context["new_key"]
    assert _api(bound).get("/api/v1/producers/").status_code == 200
    client.post(reverse("logout"))
    _refused(_api(bound).get("/api/v1/producers/"))
    assert ApiToken.objects.get(key_hash=accounts.digest(bound)).revoke_reason == "已退出登录"
    assert _api(unbound).get("/api/v1/producers/").status_code == 200


def test_session_bound_token_ends_with_an_expired_session(client, users):
    client.post(reverse("login"), {"username": "qk", "password": PASSWORD})
    key = client.post(reverse("core:token"), {"action": "create", "days": "7", "bind_session": "on"}).context[
        "new_key"
    ]
    from django.contrib.sessions.models import Session

    Session.objects.all().delete()
    _refused(_api(key).get("/api/v1/producers/"))


def test_obtain_token_with_a_password_makes_a_new_token_each_time(users):
    body = {"username": "qk", "password": PASSWORD, "name": "采集程序", "days": 10}
    r1 = _api().post("/api/v1/auth/token/", body, content_type="application/json")
    r2 = _api().post("/api/v1/auth/token/", body, content_type="application/json")
    assert r1.status_code == r2.status_code == 201
    assert r1.json()["token"] != r2.json()["token"]
    assert _api(r1.json()["token"]).get("/api/v1/producers/").status_code == 200
    t = ApiToken.objects.get(pk=r1.json()["id"])
    assert t.name == "采集程序" and (t.expires - t.created).days == 9
    r = _api().post("/api/v1/auth/token/", {**body, "password": "nope"}, content_type="application/json")
    assert r.status_code == 400 and ApiToken.objects.count() == 2


def test_existing_plain_text_tokens_are_hashed_by_the_migration(users):
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp NOT NULL, user_id bigint)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
            ["0123456789abcdef0123456789abcdef01234567", timezone.now(), users.qk.pk],
        )
    migration = MigrationLoader(connection).get_migration("core", "0009_hash_existing_api_tokens")
    from django.apps import apps

    class Editor:  # the migration's use of its schema editor, inside this test's transaction
        def __init__(self):
            self.connection = connection

        def execute(self, sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)

    migration.operations[0].code(apps, Editor())
    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get(user=users.qk)
    assert token.key_hash == accounts.digest("0123456789abcdef0123456789abcdef01234567")
    assert token.prefix == "012345"
    assert _api("0123456789abcdef0123456789abcdef01234567").get("/api/v1/producers/").status_code == 200
