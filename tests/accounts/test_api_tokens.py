"""API tokens are kept as a SHA-256 digest, never as the key itself: a copy of the database, a backup or the admin's
list no longer hands out working keys. The key is shown once, when the token is made (in the admin, a message to copy
it), and a token is known afterwards by its first characters."""
import hashlib

from django.test import Client

from jiesu.accounts.models import ApiToken, Role, User


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def test_the_database_keeps_no_key_and_the_key_still_works(db):
    user = User.objects.create_user("system", password="x", role=Role.DISPATCHER)
    token = ApiToken.objects.create(user=user, name="gateway")
    key = token.key
    assert len(key) == 48
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert key not in [str(value) for value in stored.values()], stored
    assert stored["digest"] == hashlib.sha256(key.encode()).hexdigest() and stored["hint"] == key[:6]
    assert ApiToken.objects.get(pk=token.pk).key is None, "read back, the key is not known"
    client = Client()
    assert client.get("/api/v1/units", {"q": "x"}, headers=bearer(key)).status_code == 200
    assert client.get("/api/v1/units", {"q": "x"}, headers=bearer(stored["digest"])).status_code == 401, \
        "the digest is no key"
    assert client.get("/api/v1/units", {"q": "x"}, headers=bearer(key[:-1] + "0")).status_code in (401,)


def test_saving_a_token_again_keeps_its_key(db):
    user = User.objects.create_user("system", password="x", role=Role.DISPATCHER)
    key = ApiToken.objects.create(user=user, name="gateway").key
    token = ApiToken.objects.get()
    token.name = "gateway 2"
    token.save()
    assert Client().get("/api/v1/units", {"q": "x"}, headers=bearer(key)).status_code == 200


def test_the_admin_shows_the_key_once(db):
    boss = User.objects.create_superuser("boss", password="x")
    user = User.objects.create_user("system", password="x", role=Role.DISPATCHER)
    client = Client()
    client.force_login(boss)
    added = client.post("/admin/accounts/apitoken/add/", {"name": "gateway", "user": user.pk, "active": "on"},
                        follow=True)
    token = ApiToken.objects.get()
    page = added.content.decode()
    assert "只显示这一次" in page
    key = page.split("令牌密钥：")[1].split("。")[0].strip()
    assert hashlib.sha256(key.encode()).hexdigest() == token.digest
    change = client.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    assert key not in change and token.hint in change
    listing = client.get("/admin/accounts/apitoken/").content.decode()
    assert key not in listing


def test_a_token_added_on_the_users_page_is_shown_once_too(db):
    boss = User.objects.create_superuser("boss", password="x")
    client = Client()
    client.force_login(boss)
    user = User.objects.create_user("system", password="x", role=Role.DISPATCHER)
    page = client.get(f"/admin/accounts/user/{user.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and not isinstance(value, list)}
    data.update({"username": "system", "role": Role.DISPATCHER, "date_joined_0": "2026-12-01",
                 "date_joined_1": "09:00:00", "api_tokens-TOTAL_FORMS": "1", "api_tokens-INITIAL_FORMS": "0",
                 "api_tokens-MIN_NUM_FORMS": "0", "api_tokens-MAX_NUM_FORMS": "1000",
                 "api_tokens-0-name": "gateway", "api_tokens-0-active": "on", "api_tokens-0-user": str(user.pk)})
    data.pop("password", None)
    data.pop("last_login", None)
    data.pop("date_joined", None)
    saved = client.post(f"/admin/accounts/user/{user.pk}/change/", data, follow=True)
    assert ApiToken.objects.filter(user=user).count() == 1, saved.content.decode()[:3000]
    assert "只显示这一次" in saved.content.decode()
