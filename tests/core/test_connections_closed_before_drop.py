"""The test databases can be dropped at the end of a run (tests/conftest.py's close_every_connection, docs/ci.md).

django.db.connections keeps a thread's connections in asgiref's Local: in the thread's own storage while no event
loop runs in the thread, in the context's storage while one does. Playwright's sync API marks its loop as running in
the main thread from the first page test on, so a connection opened then (the migration rows put back after a page
test's flush) was out of reach of Django's teardown once the browser had closed, and PostgreSQL refused to drop the
test database: "database test_jiesu_gw0 is being accessed by other users"."""
import asyncio
import time
from contextlib import contextmanager

import pytest
from django.db import connections


@contextmanager
def running_loop(loop):
    """The thread's running loop set to `loop` (None: none), as Playwright's sync API marks its own between calls."""
    previous = asyncio._get_running_loop()
    asyncio._set_running_loop(loop)
    try:
        yield
    finally:
        asyncio._set_running_loop(previous)


def backends(conn):
    """The server processes connected to the test database (PostgreSQL)."""
    with conn.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return {pid for (pid,) in cursor.fetchall()}


def only_own_backend(conn, timeout=5.0):
    """The backends once those of closed connections have exited (a backend ends just after its client closes)."""
    deadline = time.monotonic() + timeout
    while True:
        found = backends(conn)
        if found == {conn.connection.info.backend_pid} or time.monotonic() > deadline:
            return found


@pytest.mark.django_db(transaction=True)  # the test closes connections, which a test inside a transaction must not
def test_a_connection_opened_under_an_event_loop_is_closed_before_the_databases_are_dropped(connection_closer):
    loop = asyncio.new_event_loop()
    try:
        with running_loop(None):  # also when a page test's browser runs in this process
            seen = connections["default"]
            seen.ensure_connection()
            with running_loop(loop):
                hidden = connections["default"]
                hidden.ensure_connection()
            assert hidden is not seen and connections["default"] is seen
            postgres = hidden.vendor == "postgresql"
            pid = hidden.connection.info.backend_pid if postgres else None

            connections.close_all()  # what Django's teardown closes: the thread's storage, not the context's
            assert seen.connection is None and hidden.connection is not None
            if postgres:
                assert pid in backends(seen)  # the session that kept the test database from being dropped

            connection_closer()  # what tests/conftest.py does before pytest-django drops the databases
            assert hidden.connection is None and seen.connection is None
            if postgres:
                assert only_own_backend(seen) == {seen.connection.info.backend_pid}
    finally:
        loop.close()
