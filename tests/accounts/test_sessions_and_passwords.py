"""A staff login ends when idle and after a working day; a user changes their own password (checked against the old
one and the password rules), which ends their other sessions; HTTPS settings make every cookie Secure."""
import time

import pytest
from django.test import Client

from jiesu.accounts.models import Role, SignInEvent, User
from jiesu.accounts.signin import SEEN_AT, SIGNED_IN_AT
from tests.fresh_settings import fresh_settings

PASSWORD = "jiesu123"


@pytest.fixture
def taker(db):
    return User.objects.create_user("taker", password=PASSWORD, role=Role.CALL_TAKER)


def age(client, **seconds_ago):
    session = client.session
    for key, ago in seconds_ago.items():
        session[{"started": SIGNED_IN_AT, "seen": SEEN_AT}[key]] = time.time() - ago
    session.save()


def test_a_staff_login_ends_after_thirty_idle_minutes(taker, client):
    client.force_login(taker)
    age(client, seen=29 * 60, started=29 * 60)
    assert client.get("/intake/").status_code == 200
    age(client, seen=31 * 60)
    response = client.get("/intake/")
    assert response.url == "/login/?next=/intake/"
    assert "因 30 分钟未操作，已自动退出登录" in client.get(response.url).content.decode()
    assert SignInEvent.objects.filter(kind=SignInEvent.Kind.EXPIRED, user=taker).count() == 1
    assert not SignInEvent.objects.filter(kind=SignInEvent.Kind.SIGNED_OUT).exists()


def test_a_staff_login_ends_twelve_hours_after_signing_in_however_busy(taker, client):
    client.force_login(taker)
    age(client, started=12 * 3600 + 60, seen=10)
    response = client.get("/intake/")
    assert response.url == "/login/?next=/intake/"
    assert "登录已满 12 小时，已自动退出" in client.get(response.url).content.decode()


def test_a_posted_form_after_an_idle_expiry_is_not_lost(taker, client):
    client.force_login(taker)
    age(client, seen=31 * 60)
    response = client.post("/intake/", {"text": "路灯不亮"}, HTTP_REFERER="http://testserver/intake/")
    assert response.url == "/login/?next=/intake/&unsent=1"  # core.middleware.LapsedLoginMiddleware


def test_a_citizen_login_is_not_ended_by_the_staff_idle_limit(db, client):
    citizen = User.objects.create_user("citizen", password=PASSWORD, role=Role.CITIZEN)
    client.force_login(citizen)
    age(client, seen=3 * 3600, started=3 * 3600)
    assert client.get("/").url == "/my/"


def test_signing_in_again_restarts_the_clocks(taker, client):
    client.force_login(taker)
    age(client, started=13 * 3600, seen=13 * 3600)
    client.post("/login/", {"username": "taker", "password": PASSWORD})  # the same user's session: key cycled
    assert time.time() - client.session[SIGNED_IN_AT] < 600


def test_the_password_change_checks_the_old_password_and_the_rules(taker, client):
    client.force_login(taker)
    assert "修改密码" in client.get("/intake/").content.decode()  # in the header of every page
    page = client.get("/password/").content.decode()
    assert "旧密码" in page
    wrong_old = client.post("/password/", {"old_password": "nope", "new_password1": "Hj7#kq2!mz",
                                           "new_password2": "Hj7#kq2!mz"}).content.decode()
    assert "你的旧密码不正确" in wrong_old
    for weak in ("1234", "12345678", "password1", "taker123"):
        response = client.post("/password/", {"old_password": PASSWORD, "new_password1": weak,
                                              "new_password2": weak})
        assert response.status_code == 200, weak
    taker.refresh_from_db()
    assert taker.check_password(PASSWORD)


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(taker, client):
    other_desk = Client()
    other_desk.force_login(taker)
    client.force_login(taker)
    response = client.post("/password/", {"old_password": PASSWORD, "new_password1": "Hj7#kq2!mz",
                                           "new_password2": "Hj7#kq2!mz"}, follow=True)
    assert "密码已修改" in response.content.decode()
    assert client.get("/intake/").status_code == 200
    assert other_desk.get("/intake/").url.startswith("/login/")
    assert SignInEvent.objects.filter(kind=SignInEvent.Kind.PASSWORD_CHANGED, user=taker).exists()


def test_the_password_page_needs_a_login(db, client):
    assert client.get("/password/").url == "/login/?next=/password/"


def settings_under(**env):
    """The settings a start under `env` gets (tests.fresh_settings: jiesu/settings.py read afresh in this process)."""
    s = fresh_settings(env)
    return str([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.LANGUAGE_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,
                s.SECURE_HSTS_SECONDS > 0, s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_HTTPONLY])


def test_under_https_every_cookie_is_secure_and_hsts_is_sent():
    assert settings_under(JIESU_HTTPS="1", JIESU_BEHIND_PROXY="1") == \
        "[True, True, True, True, True, ('HTTP_X_FORWARDED_PROTO', 'https'), True]"
    assert settings_under(JIESU_HTTPS="", JIESU_BEHIND_PROXY="") == "[False, False, False, False, False, None, True]"


def test_an_administrators_reset_of_a_password_is_recorded_and_ends_the_users_sessions(taker, client):
    boss = User.objects.create_superuser("boss", password=PASSWORD)
    desk = Client()
    desk.force_login(taker)
    client.force_login(boss)
    response = client.post(f"/admin/accounts/user/{taker.pk}/password/",
                           {"password1": "Hj7#kq2!mz", "password2": "Hj7#kq2!mz", "usable_password": "true"})
    assert response.status_code == 302
    reset = SignInEvent.objects.get(kind=SignInEvent.Kind.PASSWORD_CHANGED)
    assert (reset.user, reset.by, reset.address) == (taker, boss, "127.0.0.1")
    assert desk.get("/intake/").url.startswith("/login/")


def test_the_admins_own_password_change_is_the_sites_page(db, client):
    boss = User.objects.create_superuser("boss", password=PASSWORD)
    client.force_login(boss)
    assert "至少 8 个字符" in client.get("/admin/password_change/").content.decode()
    response = client.post("/admin/password_change/", {"old_password": PASSWORD, "new_password1": "Hj7#kq2!mz",
                                                        "new_password2": "Hj7#kq2!mz"})
    assert response.status_code == 302
    assert SignInEvent.objects.get(kind=SignInEvent.Kind.PASSWORD_CHANGED).user == boss


def test_the_admins_password_change_stays_the_admins_for_who_is_not_staff(taker, client):
    client.force_login(taker)
    assert client.get("/admin/password_change/").url.startswith("/admin/login/")


def test_wrong_old_passwords_on_the_change_page_count_as_failed_sign_ins(taker, client):
    """A desk left signed in must not let whoever sits there guess the password without end on /password/."""
    client.force_login(taker)
    new = {"new_password1": "Hj7#kq2!mz", "new_password2": "Hj7#kq2!mz"}
    for _ in range(5):
        client.post("/password/", {"old_password": "guess", **new})
    page = client.post("/password/", {"old_password": PASSWORD, **new}).content.decode()
    assert "该账号已锁定" in page
    taker.refresh_from_db()
    assert taker.check_password(PASSWORD)
    assert SignInEvent.objects.filter(kind=SignInEvent.Kind.FAILED, username="taker").count() == 5


def test_the_queues_emergency_poll_does_not_keep_an_idle_login_alive(db, client):
    """The dispatch queue asks for emergencies every 15 s by itself: that is no one at the desk, so it must not keep a
    dispatcher who walked away signed in. A real request still does."""
    dispatcher = User.objects.create_user("desk", password=PASSWORD, role=Role.DISPATCHER)
    client.force_login(dispatcher)
    age(client, seen=29 * 60, started=29 * 60)
    before = client.session[SEEN_AT]
    assert client.get("/dispatch/emergencies/").status_code == 200
    assert client.session[SEEN_AT] == before  # the idle clock runs on
    age(client, seen=31 * 60)
    lapsed = client.get("/dispatch/emergencies/")
    assert lapsed.status_code == 401 and lapsed.json()["error"] == "login"
    assert SignInEvent.objects.filter(kind=SignInEvent.Kind.EXPIRED, user=dispatcher).count() == 1
    client.force_login(dispatcher)
    age(client, seen=29 * 60, started=29 * 60)
    assert client.get("/dispatch/").status_code == 200
    assert time.time() - client.session[SEEN_AT] < 60  # a page asked for by the dispatcher is activity
