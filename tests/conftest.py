"""Shared test set-up: Django async guard, i18n catalogues, the headless browser.

Fixtures
  browser   one headless Chromium for the whole session (Debian's /usr/bin/chromium)
  page      a fresh browser context + page per test: locale zh-CN, 1366x900, Asia/Shanghai;
            on failure a screenshot goes to test-results/
Markers
  pages     page tests (everything under tests/pages/ gets it automatically);
            `pytest -m "not pages"` skips them, `pytest -m pages` runs only them.
Helpers for page tests are in jiesu.core.tests_support (screenshot, force_login).
"""
import os
import shutil
import signal
import warnings
import weakref
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio event loop running in the main thread, so
# Django would refuse ORM calls from test code ("You cannot call this from an async
# context"). Tests are not async code: allow it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from jiesu.core.tests_support import CHROMIUM_ARGS, failure_screenshot  # noqa: E402

PAGES_DIR = Path(__file__).resolve().parent / "pages"


def pytest_configure(config):
    config.addinivalue_line("markers", "pages: page test in a real headless Chromium (tests/pages/)")
    from django.db.backends.signals import connection_created

    connection_created.connect(remember_connection, dispatch_uid="tests.conftest.remember_connection")
    # A shell that starts the suite in the background (`make test &`) ignores SIGINT, and Python and the test
    # processes (pytest-xdist) inherit that: the tests of Ctrl-C need the interrupt as Python sets it up.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    # WhiteNoise warns that STATIC_ROOT (var/static) has no collected files; tests serve
    # static files through django.contrib.staticfiles instead.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")
    # .mo files are build products; make sure they match the .po files even when pytest
    # is run directly instead of through `make test`. Cheap: only stale ones are rebuilt.
    from jiesu.core.i18n_compile import compile_all

    try:
        compile_all(verbose=False)
    except SystemExit as exc:  # a .po mid-edit must not stop unrelated tests; `make test` is strict
        warnings.warn(str(exc), stacklevel=1)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if PAGES_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.pages)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)  # lets fixtures see whether the test failed
    return report


def chromium_path() -> str:
    return shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if not os.path.exists(executable):
        pytest.fail(f"Chromium not found at {executable}: run scripts/ensure-system-deps.sh", pytrace=False)
    pw = sync_playwright().start()
    try:
        # Back and Forward as in a user's Chrome: Playwright turns the back-forward cache off unless told not to
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS,
                                     ignore_default_args=["--disable-back-forward-cache"])
    except Exception:
        pw.stop()
        raise
    yield browser
    browser.close()
    pw.stop()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        path = failure_screenshot(page, request.node.nodeid)
        if path:
            print(f"\nscreenshot of the failed page: {path}")
    context.close()


#: Every database connection Django opened in this test process (its DatabaseWrapper), whatever thread or context
#: holds it: closed before the test databases are dropped (close_every_connection).
OPENED_CONNECTIONS = weakref.WeakSet()


def remember_connection(sender, connection, **kwargs):
    OPENED_CONNECTIONS.add(connection)


def close_every_connection():
    """Close every connection Django opened in this process, not only those `connections` reaches from here.

    django.db.connections keeps a thread's connections in asgiref's Local: plain thread-local storage while no
    event loop runs in the thread, per context (a context variable) while one does. Playwright's sync API marks
    its loop as running in the main thread from the first page test on (the session's `browser`), so a connection
    opened then (e.g. put_back_migration_rows after a page test's flush) is stored in the context's storage; once
    the browser is closed, Django's teardown looks in the thread's storage, closes what it finds there, and
    PostgreSQL refuses to drop the test database: "is being accessed by other users" (docs/ci.md). The other way
    round too: what the thread's storage held stays open if the browser outlives the databases."""
    for conn in list(OPENED_CONNECTIONS):
        if conn.connection is None:
            continue
        conn.inc_thread_sharing()  # one a live server's thread opened is closed from here as well
        try:
            conn.close()
        finally:
            conn.dec_thread_sharing()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's, with no autovacuum on PostgreSQL, and before it drops the test databases: every connection
    closed (close_every_connection)."""
    with django_db_blocker.unblock():
        no_autovacuum_on_postgresql()
    yield
    close_every_connection()


def no_autovacuum_on_postgresql():
    """Autovacuum off for the test database's tables. It analysed a table while a flushing test's committed rows
    stood in it; the statistics outlived the flush and misled the plans of the worker's later tests, whose rows
    are written in a transaction autovacuum never sees: one UPDATE of 3,500 units took 155 s, the every-page
    audit 454 s instead of 100 s (docs/ci.md). Tests that need statistics run ANALYZE on their own rows. Asked
    again after each test that flushes the database: a migration test makes tables anew."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as sql:
        sql.execute("SELECT format('ALTER TABLE %I SET (autovacuum_enabled = off)', relname) FROM pg_class"
                    " WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
                    " AND NOT coalesce(reloptions @> '{autovacuum_enabled=off}', false)")
        for (statement,) in sql.fetchall():
            sql.execute(statement)


@pytest.fixture
def connection_closer():
    """close_every_connection, for tests/core/test_connections_closed_before_drop.py."""
    return close_every_connection


def flushes_the_database(item):
    """Whether Django empties the database after the test (a TransactionTestCase: live_server, transactional_db)."""
    marker = item.get_closest_marker("django_db")
    return ("live_server" in item.fixturenames or "transactional_db" in item.fixturenames
            or (marker is not None and bool(marker.kwargs.get("transaction"))))


#: The rows the data migrations write (the KPI definitions' version 1, the whistle levels, the dispatch reference
#: version …), as JSON per model, read before the first test that empties the database.
MIGRATION_ROWS = []


def read_migration_rows():
    from django.apps import apps
    from django.core import serializers

    for model in apps.get_models():
        if model.__module__.startswith("jiesu.") and model._base_manager.exists():
            MIGRATION_ROWS.append((model, serializers.serialize("json", model._base_manager.order_by("pk"))))


def put_back_migration_rows():
    """Each model's migration rows, into its table if the flush left it empty. Django's own runner runs the tests
    that flush after all others; `make test` runs test files in parallel processes (pytest-xdist), in which a
    flushing test's file may come before a test that needs those rows."""
    from django.core import serializers
    from django.db import connection, transaction

    with transaction.atomic(), connection.constraint_checks_disabled():
        for model, rows in MIGRATION_ROWS:
            if not model._base_manager.exists():
                for obj in serializers.deserialize("json", rows):
                    obj.save()


@pytest.fixture(autouse=True)
def migration_rows_read_before_a_flush(request):
    if flushes_the_database(request.node) and not MIGRATION_ROWS:
        request.getfixturevalue("django_db_setup")
        with request.getfixturevalue("django_db_blocker").unblock():
            read_migration_rows()
    yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a test that emptied the database (its fixtures torn down, the flush done), the migrations' rows go
    back, so that the next test in this process finds the database as migrated (and, on PostgreSQL, with
    autovacuum off on every table)."""
    result = yield
    if MIGRATION_ROWS and flushes_the_database(item) and nextitem is not None:  # the last: the databases are gone
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            put_back_migration_rows()
            no_autovacuum_on_postgresql()
    return result


@pytest.fixture(autouse=True)
def fresh_reference_caches():
    """Per-process caches of reference data must not leak rows of one test's database into the next: nor the open
    tickets' duplicates index, whose rows of an earlier test (their ids reused) would hold a ticket as a near
    duplicate of a ticket that no longer exists (services.near_duplicate)."""
    from jiesu.core.api_support import TOKENS
    from jiesu.dispatch.duplicates import reset_index
    from jiesu.tickets.services import REFERENCE
    from jiesu.workcal.services import calendar_changed

    REFERENCE.clear()
    TOKENS.clear()
    reset_index()
    calendar_changed()  # the working calendar of this test's rows, not of the test before
    yield
    REFERENCE.clear()
    TOKENS.clear()
    reset_index()


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language (Chinese), whatever a test before it activated (a request's
    middleware or translation.activate leaves its language active in the thread)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def own_var_directory(tmp_path_factory):
    """What the code writes under the var directory (import and gazetteer reports, model files, uploads) goes to
    this test process's own temporary directory: never the checkout's var/, and never the directory of another
    test process of the same run (`make test` runs the suite in parallel processes, pytest-xdist)."""
    from django.conf import settings

    var = tmp_path_factory.mktemp("var")
    settings.VAR_DIR = var
    settings.MEDIA_ROOT = var / "media"


@pytest.fixture(autouse=True, scope="session")
def no_model_file_of_the_checkout():
    """The dispatch model defaults to var/models/desk.npz: tests must neither use the checkout's model (the demo
    city's) nor train one there. A test that wants a model file names its own (settings.JIESU)."""
    from django.conf import settings

    settings.JIESU["DISPATCH_MODEL"] = ""
