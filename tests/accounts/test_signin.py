"""Sign-in as a city government system needs it: locks after repeated failures (per user name and per address),
an administrator's unlock, a record of every sign-in, safe `next`, logout by POST only, a deactivated or moved user
honoured at the next request, and every refusal in the user's language."""
import os
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from jiesu.accounts.models import Role, SignInEvent, User

Kind = SignInEvent.Kind
PASSWORD = "jiesu123"


@pytest.fixture
def taker(db):
    return User.objects.create_user("taker", password=PASSWORD, role=Role.CALL_TAKER)


@pytest.fixture
def administrator(db):
    return User.objects.create_superuser("boss", password=PASSWORD)


def sign_in(client, username, password, url="/login/"):
    return client.post(url, {"username": username, "password": password})


def signed_in(client):
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(taker, client):
    for _ in range(4):
        assert "锁定" not in sign_in(client, "taker", "wrong").content.decode()
    fifth = sign_in(client, "taker", "wrong").content.decode()
    assert "密码错误次数过多，该账号已锁定" in fifth and "15 分钟" in fifth
    right = sign_in(client, "taker", PASSWORD)
    assert right.status_code == 200 and "该账号已锁定" in right.content.decode() and not signed_in(client)
    assert "该账号已锁定" in sign_in(Client(), "TAKER ", PASSWORD).content.decode()  # case and spaces: the same
    kinds = list(SignInEvent.objects.filter(username="taker").order_by("pk").values_list("kind", flat=True))
    assert kinds == [Kind.FAILED] * 5 + [Kind.LOCKED, Kind.REFUSED, Kind.REFUSED]
    assert set(SignInEvent.objects.values_list("address", flat=True)) == {"127.0.0.1"}


def test_another_account_on_the_same_desk_still_signs_in_and_a_success_resets_the_count(taker, client):
    User.objects.create_user("other", password=PASSWORD, role=Role.CALL_TAKER)
    for _ in range(4):
        sign_in(client, "taker", "wrong")
    assert sign_in(client, "other", PASSWORD).status_code == 302
    Client().post("/logout/")
    assert sign_in(Client(), "taker", PASSWORD).status_code == 302  # 4 failures, then the right one: in
    assert sign_in(Client(), "taker", "wrong").status_code == 200
    assert sign_in(Client(), "taker", PASSWORD).status_code == 302  # the count started again at the sign-in


def test_the_lock_ends_after_its_minutes(taker, client):
    for _ in range(5):
        sign_in(client, "taker", "wrong")
    assert not signed_in(client)
    SignInEvent.objects.update(at=SignInEvent.objects.first().at - timedelta(minutes=16))
    assert sign_in(client, "taker", PASSWORD).status_code == 302 and signed_in(client)


def test_the_lock_message_is_in_english_for_an_english_user(taker, client):
    client.cookies["django_language"] = "en"
    for _ in range(5):
        page = sign_in(client, "taker", "wrong").content.decode()
    assert "Too many wrong passwords: this account is locked for 15 more minutes" in page


def test_the_admin_login_is_locked_too(taker, client):
    taker.is_staff = True
    taker.save()
    for _ in range(5):
        page = sign_in(client, "taker", "wrong", url="/admin/login/").content.decode()
    assert "该账号已锁定" in page
    assert "该账号已锁定" in sign_in(client, "taker", PASSWORD, url="/admin/login/").content.decode()
    assert not signed_in(client)


def test_many_user_names_from_one_address_lock_the_address(taker, settings):
    settings.JIESU = {**settings.JIESU, "SIGNIN_MAX_FAILURES_PER_ADDRESS": 4}
    guesser = Client(REMOTE_ADDR="10.1.2.3")
    for name in ("a", "b", "c", "d"):
        sign_in(guesser, name, "wrong")
    page = sign_in(guesser, "taker", PASSWORD).content.decode()
    assert "登录失败次数过多，这台电脑已暂时不能登录" in page and not signed_in(guesser)
    assert sign_in(Client(REMOTE_ADDR="10.1.2.4"), "taker", PASSWORD).status_code == 302


def test_behind_a_proxy_the_address_is_the_one_the_proxy_appended(taker, settings):
    settings.JIESU = {**settings.JIESU, "SIGNIN_MAX_FAILURES_PER_ADDRESS": 2, "BEHIND_PROXY": True}
    for forged in ("1.1.1.1", "2.2.2.2"):  # the client writes what it likes before the proxy's own entry
        sign_in(Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"{forged}, 10.9.9.9"), "x", "wrong")
    assert set(SignInEvent.objects.values_list("address", flat=True)) == {"10.9.9.9"}
    refused = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert not signed_in(refused) and sign_in(refused, "taker", PASSWORD).status_code == 200
    other = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.8")
    assert sign_in(other, "taker", PASSWORD).status_code == 302  # the proxy's own address is not what is locked


def test_an_administrator_reads_the_records_and_unlocks_a_user(taker, administrator, client):
    for _ in range(6):
        sign_in(Client(), "taker", "wrong")
    client.force_login(administrator)
    records = client.get("/admin/accounts/signinevent/").content.decode()
    assert "登录记录" in records and "锁定期间被拒" in records and "taker" in records
    assert client.get(f"/admin/accounts/signinevent/{SignInEvent.objects.first().pk}/change/").status_code == 200
    assert client.post("/admin/accounts/signinevent/add/").status_code == 403
    done = client.post("/admin/accounts/user/", {"action": "unlock_sign_in", "_selected_action": [taker.pk]},
                       follow=True)
    assert "已为 1 个用户解除登录锁定" in done.content.decode()
    unlock = SignInEvent.objects.get(kind=Kind.UNLOCKED)
    assert (unlock.username, unlock.user, unlock.by) == ("taker", taker, administrator)
    assert sign_in(Client(), "taker", PASSWORD).status_code == 302


def test_an_administrator_unlocks_an_address_from_its_records(taker, administrator, client, settings):
    settings.JIESU = {**settings.JIESU, "SIGNIN_MAX_FAILURES_PER_ADDRESS": 2}
    desk = Client(REMOTE_ADDR="10.0.0.7")
    sign_in(desk, "a", "wrong")
    sign_in(desk, "b", "wrong")
    assert sign_in(desk, "taker", PASSWORD).status_code == 200
    client.force_login(administrator)
    chosen = list(SignInEvent.objects.filter(address="10.0.0.7", kind=Kind.FAILED).values_list("pk", flat=True))
    client.post("/admin/accounts/signinevent/", {"action": "unlock_selected", "_selected_action": chosen})
    assert sign_in(desk, "taker", PASSWORD).status_code == 302


def test_a_dispatch_lead_in_the_admin_may_not_unlock(taker, client):
    from jiesu.accounts.groups import DISPATCH_CATALOGUE, ensure_staff_groups

    ensure_staff_groups()
    lead = User.objects.create_user("lead", password=PASSWORD, role=Role.DISPATCHER, is_staff=True)
    lead.groups.add(Group.objects.get(name=DISPATCH_CATALOGUE.name))
    client.force_login(lead)
    assert client.get("/admin/accounts/signinevent/").status_code == 403
    assert client.get("/admin/accounts/user/").status_code == 403


def test_sign_ins_and_sign_outs_are_recorded(taker, client):
    sign_in(client, "taker", PASSWORD)
    client.post("/logout/")
    kinds = list(SignInEvent.objects.order_by("pk").values_list("kind", "user__username"))
    assert kinds == [(Kind.SIGNED_IN, "taker"), (Kind.SIGNED_OUT, "taker")]


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "http://testserver.evil.example/"])
def test_next_never_leads_to_another_site(taker, client, target):
    response = client.post(f"/login/?next={target}", {"username": "taker", "password": PASSWORD, "next": target})
    assert response.status_code == 302 and response.url == "/"


def test_next_leads_back_to_a_page_of_the_site(taker, client):
    response = client.post("/login/", {"username": "taker", "password": PASSWORD, "next": "/dispatch/?page=2"})
    assert response.url == "/dispatch/?page=2"


def test_logout_is_by_post_only(taker, client):
    client.force_login(taker)
    assert client.get("/logout/").status_code == 405 and client.get("/admin/logout/").status_code == 405
    assert signed_in(client)


def test_the_login_form_needs_its_security_token(taker):
    forger = Client(enforce_csrf_checks=True)
    response = sign_in(forger, "taker", PASSWORD)
    assert response.status_code == 403 and not signed_in(forger)


def test_a_deactivated_user_is_out_at_the_next_request(taker, client):
    client.force_login(taker)
    assert client.get("/").url == "/intake/"
    User.objects.filter(pk=taker.pk).update(is_active=False)
    assert client.get("/intake/").url.startswith("/login/?next=/intake/")


def test_a_user_moved_to_another_role_gets_it_at_the_next_request(taker, client):
    client.force_login(taker)
    assert client.get("/").url == "/intake/"
    User.objects.filter(pk=taker.pk).update(role=Role.DISPATCHER)
    assert client.get("/").url == "/dispatch/"


def test_the_session_cookie_is_http_only_and_same_site(taker, client):
    cookie = sign_in(client, "taker", PASSWORD).cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]  # no HTTPS in tests


def test_a_locked_address_still_lets_in_who_signed_in_from_it_before(taker, settings):
    """A call centre's desks reach the platform through one address: failures of a few (or a guesser there) must not
    lock out the whole centre. Who signed in from the address before still may; a new name may not."""
    settings.JIESU = {**settings.JIESU, "SIGNIN_MAX_FAILURES_PER_ADDRESS": 3}
    User.objects.create_user("newcomer", password=PASSWORD, role=Role.CALL_TAKER)
    centre = Client(REMOTE_ADDR="10.20.0.1")
    assert sign_in(centre, "taker", PASSWORD).status_code == 302
    centre.post("/logout/")
    for name in ("a", "b", "c"):
        sign_in(Client(REMOTE_ADDR="10.20.0.1"), name, "wrong")
    assert sign_in(Client(REMOTE_ADDR="10.20.0.1"), "taker", PASSWORD).status_code == 302
    assert "这台电脑已暂时不能登录" in sign_in(Client(REMOTE_ADDR="10.20.0.1"), "newcomer", PASSWORD).content.decode()
    for _ in range(5):  # the user name's own lock still holds for a known address
        sign_in(Client(REMOTE_ADDR="10.20.0.1"), "taker", "wrong")
    assert "该账号已锁定" in sign_in(Client(REMOTE_ADDR="10.20.0.1"), "taker", PASSWORD).content.decode()


def test_every_page_is_sent_with_the_security_headers(taker, client):
    for response in (client.get("/login/"), client.get("/admin/login/")):
        assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin" and response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in response  # only with JIESU_HTTPS (on plain HTTP it would lock out)


def test_a_stranger_cannot_lock_a_call_taker_out_of_the_desk_they_sign_in_from(taker):
    """Anyone who knows a user name could lock it for 15 minutes (a call-taker at shift start). Failures from addresses
    the name never signed in from lock those addresses only, all of them together (a guesser moving from address to
    address gains nothing); a desk the name signed in from within 30 days still gets through, with its own count."""
    desk = Client(REMOTE_ADDR="10.20.0.7")
    assert sign_in(desk, "taker", PASSWORD).status_code == 302  # yesterday's shift
    desk.post("/logout/")
    for _ in range(5):
        sign_in(Client(REMOTE_ADDR="203.0.113.9"), "taker", "wrong")
    for stranger in ("203.0.113.9", "198.51.100.4"):  # the guesser, and the next address the guesser tries
        page = sign_in(Client(REMOTE_ADDR=stranger), "taker", PASSWORD).content.decode()
        assert "该账号已锁定" in page
    assert sign_in(Client(REMOTE_ADDR="10.20.0.7"), "taker", PASSWORD).status_code == 302  # the shift starts
    assert SignInEvent.objects.filter(kind=Kind.REFUSED, username="taker").count() == 2


def test_a_known_desk_still_has_its_own_lock_against_guessing(taker):
    desk = Client(REMOTE_ADDR="10.20.0.7")
    assert sign_in(desk, "taker", PASSWORD).status_code == 302
    desk.post("/logout/")
    for _ in range(4):
        sign_in(Client(REMOTE_ADDR="198.51.100.4"), "taker", "wrong")  # strangers' failures are not the desk's
    for _ in range(4):
        assert "锁定" not in sign_in(Client(REMOTE_ADDR="10.20.0.7"), "taker", "wrong").content.decode()
    assert "该账号已锁定" in sign_in(Client(REMOTE_ADDR="10.20.0.7"), "taker", "wrong").content.decode()
    assert "该账号已锁定" in sign_in(Client(REMOTE_ADDR="10.20.0.7"), "taker", PASSWORD).content.decode()
    assert "该账号已锁定" in sign_in(Client(REMOTE_ADDR="198.51.100.4"), "taker", "wrong").content.decode()


def test_a_stranger_cannot_lock_out_a_name_that_never_signed_in(taker):
    """A new desk account (or a department user not used yet) has no desk: a stranger's five wrong passwords lock the
    name for the stranger's address only, and its owner's first sign-in from the desk gets through."""
    for _ in range(5):
        sign_in(Client(REMOTE_ADDR="203.0.113.9"), "taker", "wrong")
    assert "该账号已锁定" in sign_in(Client(REMOTE_ADDR="203.0.113.9"), "taker", PASSWORD).content.decode()
    assert sign_in(Client(REMOTE_ADDR="10.20.0.7"), "taker", PASSWORD).status_code == 302  # the first shift


def test_a_name_that_never_signed_in_is_locked_everywhere_past_a_ceiling(taker, settings):
    """A guesser moving from address to address is stopped after SIGNIN_MAX_FAILURES_UNUSED_NAME failures of the
    name in all (50 by default, here 8)."""
    settings.JIESU = {**settings.JIESU, "SIGNIN_MAX_FAILURES_UNUSED_NAME": 8}
    SignInEvent.objects.bulk_create([SignInEvent(kind=Kind.FAILED, username="taker", address=f"198.51.100.{n}")
                                     for n in range(6)])
    assert "锁定" not in sign_in(Client(REMOTE_ADDR="192.0.2.1"), "taker", "wrong").content.decode()  # the 7th
    assert "该账号已锁定" in sign_in(Client(REMOTE_ADDR="192.0.2.2"), "taker", "wrong").content.decode()  # the 8th
    assert "该账号已锁定" in sign_in(Client(REMOTE_ADDR="10.20.0.7"), "taker", PASSWORD).content.decode()


def test_behind_two_proxies_the_address_is_the_one_the_outer_proxy_saw(taker, settings):
    """A load balancer before nginx: nginx appends the balancer's address, the same for every client. With
    JIESU_BEHIND_PROXY=2 the client's address is the one the balancer appended (second from the right)."""
    settings.JIESU = {**settings.JIESU, "SIGNIN_MAX_FAILURES_PER_ADDRESS": 2, "BEHIND_PROXY": 2}
    for forged in ("1.1.1.1", "2.2.2.2"):
        through = f"{forged}, 203.0.113.5, 10.0.0.2"  # client's own, the balancer's (the client), nginx's (balancer)
        sign_in(Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=through), "x", "wrong")
    assert set(SignInEvent.objects.values_list("address", flat=True)) == {"203.0.113.5"}
    colleague = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.6, 10.0.0.2")
    assert sign_in(colleague, "taker", PASSWORD).status_code == 302  # the balancer itself is not what is locked


def jiesu_setting_under(name, **env):
    """settings.JIESU[name] as a start with `env` reads it, as text, or the error that stops the start (read in this
    process: tests.fresh_settings)."""
    from tests.fresh_settings import fresh_settings

    try:
        return str(fresh_settings(env).JIESU[name])
    except ValueError as exc:
        return f"ValueError: {exc}"


def test_the_number_of_proxies_is_read_from_the_environment():
    for value, proxies in (("2", "2"), ("1", "1"), ("yes", "1"), ("0", "0"), ("", "0")):
        assert jiesu_setting_under("BEHIND_PROXY", JIESU_BEHIND_PROXY=value) == proxies


def test_the_ceiling_for_a_name_with_no_desk_is_read_from_the_environment(settings):
    assert settings.JIESU["SIGNIN_MAX_FAILURES_UNUSED_NAME"] == 50  # unset: 10 × JIESU_SIGNIN_MAX_FAILURES
    assert jiesu_setting_under("SIGNIN_MAX_FAILURES_UNUSED_NAME", JIESU_SIGNIN_MAX_FAILURES_UNUSED_NAME="120") == "120"
