"""A child process of a split import neither uses nor closes a database connection it inherited open by fork
(parallel.forget_inherited_connections): it opens its own, and the parent's session goes on."""
import multiprocessing

import pytest
from django.db import connection

from jiesu.importer import parallel


def session_id(conn):
    """The server's process for the connection (PostgreSQL), or the connection object itself (SQLite)."""
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]
    conn.ensure_connection()
    return id(conn.connection)


def child(send):
    parallel.forget_inherited_connections()
    try:
        send.send(("ok", session_id(connection)))
    except Exception as exc:  # noqa: BLE001 - told to the test
        send.send(("failed", repr(exc)))
    finally:
        send.close()


def run_child():
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=child, args=(send,))
    process.start()
    send.close()
    answer = receive.recv()
    process.join()
    return answer


@pytest.mark.django_db(transaction=True)
def test_a_child_opens_its_own_connection_and_the_parents_goes_on():
    """Without forget_inherited_connections the child of a process without an event loop would find the parent's
    connection and answer with the parent's session."""
    parents = session_id(connection)
    kind, childs = run_child()
    assert kind == "ok" and childs != parents
    assert session_id(connection) == parents  # the parent's session was neither closed nor disturbed
