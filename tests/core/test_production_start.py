"""A production start (gunicorn's `jiesu.wsgi:application`) refuses the demo's secret key and DEBUG, naming the
environment variable in Chinese; a demo or development start says it is one (JIESU_DEMO=1, which `jiesu run` sets)
and goes on as before. `jiesu check --deploy` reports the same, and is clean under README's production settings."""
import os
import secrets
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from jiesu.accounts.models import Role, User
from jiesu.demo.users import DEMO_PASSWORD
from tickets.helpers import point_children_at_the_test_database

GUNICORN = Path(sys.executable).parent / "gunicorn"
#: README's production settings (PostgreSQL aside: the checks do not look at the database)
PRODUCTION = {"JIESU_SECRET_KEY": secrets.token_urlsafe(50), "JIESU_DEBUG": "0", "JIESU_HTTPS": "1",
              "JIESU_BEHIND_PROXY": "1", "JIESU_ALLOWED_HOSTS": "12345.example.gov.cn"}
OURS = ("JIESU_SECRET_KEY", "JIESU_DEBUG", "JIESU_DEMO", "JIESU_HTTPS", "JIESU_BEHIND_PROXY", "JIESU_ALLOWED_HOSTS",
        "JIESU_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "DJANGO_ALLOW_ASYNC_UNSAFE",  # the tests set it
        "JIESU_SQLITE_PATH", "JIESU_DATABASE_URL")
#: a database with nothing in it (not var/'s, which `make run` filled with the demo users), unless a test says
EMPTY_DATABASE = Path(tempfile.mkdtemp(prefix="jiesu-production-start-")) / "empty.sqlite3"


def environment(**env):
    clean = {k: v for k, v in os.environ.items() if k not in OURS}
    return {**clean, "DJANGO_SETTINGS_MODULE": "jiesu.settings", "LANG": "C.UTF-8",
            "JIESU_SQLITE_PATH": str(EMPTY_DATABASE), **env}


def load_wsgi(**env):
    """Import the WSGI application as gunicorn does."""
    return subprocess.run([sys.executable, "-c", "import jiesu.wsgi; print('loaded', jiesu.wsgi.application)"],
                          env=environment(**env), capture_output=True, text=True)


def check_deploy(**env):
    return subprocess.run([sys.executable, "-m", "jiesu", "check", "--deploy"], env=environment(**env),
                          capture_output=True, text=True)


def test_a_production_start_without_a_secret_key_is_refused_naming_the_variable():
    refused = load_wsgi(JIESU_DEBUG="0")
    assert refused.returncode != 0 and "loaded" not in refused.stdout
    assert "未设置 JIESU_SECRET_KEY" in refused.stderr
    assert "JIESU_DEMO=1" in refused.stderr  # how a demo says it is one
    assert "未设置 JIESU_SECRET_KEY" in load_wsgi(JIESU_DEBUG="0", JIESU_SECRET_KEY="").stderr  # empty: unset


def test_a_short_secret_key_is_refused():
    refused = load_wsgi(JIESU_DEBUG="0", JIESU_SECRET_KEY="hunter2hunter2")
    assert refused.returncode != 0 and "JIESU_SECRET_KEY 太短" in refused.stderr


def test_a_production_start_with_debug_on_is_refused_naming_the_variable():
    for debug in ({}, {"JIESU_DEBUG": "1"}):  # DEBUG is on unless JIESU_DEBUG says otherwise
        refused = load_wsgi(JIESU_SECRET_KEY=PRODUCTION["JIESU_SECRET_KEY"], **debug)
        assert refused.returncode != 0 and "loaded" not in refused.stdout
        assert "JIESU_DEBUG=0" in refused.stderr and "JIESU_SECRET_KEY" not in refused.stderr


def test_the_refusal_speaks_english_in_an_english_environment():
    refused = load_wsgi(LANG="en_US.UTF-8")
    assert "JIESU_SECRET_KEY is not set" in refused.stderr and "JIESU_DEBUG=0" in refused.stderr


def test_a_production_start_with_its_settings_and_a_demo_start_go_on():
    assert load_wsgi(**PRODUCTION).stdout.startswith("loaded")
    assert load_wsgi(JIESU_DEMO="1").stdout.startswith("loaded")  # the demo's key and DEBUG, as before


def test_gunicorn_stops_with_the_reason_rather_than_serve_the_demo_key(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = subprocess.run([str(GUNICORN), "jiesu.wsgi:application", "--workers", "1", "--bind",
                              f"127.0.0.1:{port}"], env=environment(JIESU_DEBUG="0", JIESU_VAR_DIR=str(tmp_path)),
                             capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    assert started.returncode != 0
    assert "未设置 JIESU_SECRET_KEY" in started.stderr


def test_check_deploy_is_clean_under_the_documented_production_settings():
    checked = check_deploy(**PRODUCTION)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues" in checked.stdout + checked.stderr


def test_check_deploy_names_what_a_production_start_would_refuse():
    checked = check_deploy()
    assert checked.returncode != 0
    assert "未设置 JIESU_SECRET_KEY" in checked.stderr and "JIESU_DEBUG=0" in checked.stderr
    demo = check_deploy(JIESU_DEMO="1", **PRODUCTION)
    assert demo.returncode != 0 and "JIESU_DEMO" in demo.stderr  # a demo is no production


@pytest.mark.django_db(transaction=True)
def test_a_production_start_refuses_demo_users_that_still_have_the_demo_password(monkeypatch):
    """`jiesu setup` on the production database makes the demo users, the superuser `admin` among them, with the
    password printed in README: a production start names them instead of serving them."""
    point_children_at_the_test_database(monkeypatch)
    # as the demo's loader: one hash for all, made by the production hasher (the tests' own is a fast one)
    shared = PBKDF2PasswordHasher().encode(DEMO_PASSWORD, PBKDF2PasswordHasher().salt())
    admin = User.objects.create(username="admin", is_superuser=True, is_staff=True, password=shared)
    User.objects.create(username="calltaker", role=Role.CALL_TAKER, password=shared)
    User.objects.create(username="dispatcher", role=Role.DISPATCHER, password=shared, is_active=False)
    refused = load_wsgi(**PRODUCTION, **database_env())
    assert refused.returncode != 0 and "loaded" not in refused.stdout
    assert "演示用户仍在使用演示密码：admin、calltaker" in refused.stderr  # not the deactivated one
    checked = check_deploy_database(**PRODUCTION, **database_env())
    assert checked.returncode != 0 and "admin、calltaker" in checked.stderr
    admin.set_password("a long new password 7")
    admin.save()
    User.objects.filter(username="calltaker").update(is_active=False)
    assert load_wsgi(**PRODUCTION, **database_env()).stdout.startswith("loaded")
    assert check_deploy_database(**PRODUCTION, **database_env()).returncode == 0


def database_env():
    return {name: os.environ[name] for name in ("JIESU_SQLITE_PATH", "JIESU_DATABASE_URL") if name in os.environ}


def check_deploy_database(**env):
    return subprocess.run([sys.executable, "-m", "jiesu", "check", "--deploy", "--database", "default"],
                          env=environment(**env), capture_output=True, text=True)


def test_check_deploy_asks_for_the_sites_host_names():
    anyone = {name: value for name, value in PRODUCTION.items() if name != "JIESU_ALLOWED_HOSTS"}
    checked = check_deploy(**anyone)
    assert "jiesu.W001" in checked.stderr and "JIESU_ALLOWED_HOSTS" in checked.stderr


def test_check_deploy_warns_of_https_served_without_the_proxys_word_for_it(settings):
    """JIESU_HTTPS=1 without JIESU_BEHIND_PROXY: behind nginx ending HTTPS every request looks plain HTTP, is sent to
    HTTPS again and again, and the CSRF origin check (https://… against http://…) refuses every form, the sign-in
    first. A warning: gunicorn serving HTTPS itself is right that way."""
    from jiesu.accounts.deploy import production_settings

    settings.SECURE_SSL_REDIRECT, settings.SECURE_PROXY_SSL_HEADER = True, None
    found = {check.id: check.msg for check in production_settings()}
    assert "JIESU_BEHIND_PROXY" in found.get("jiesu.W002", "") and "X-Forwarded-Proto" in found["jiesu.W002"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert "jiesu.W002" not in {check.id for check in production_settings()}
