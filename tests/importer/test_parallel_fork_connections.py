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


def child(send, forget):
    if forget:
        parallel.forget_inherited_connections()
    try:
        send.send(("ok", session_id(connection), len(parallel.INHERITED)))
    except Exception as exc:  # noqa: BLE001 - told to the test
        send.send(("failed", repr(exc), len(parallel.INHERITED)))
    finally:
        send.close()


def run_child(forget):
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=child, args=(send, forget))
    process.start()
    send.close()
    answer = receive.recv()
    process.join()
    return answer


@pytest.mark.django_db(transaction=True)
def test_a_child_opens_its_own_connection_and_the_parents_goes_on():
    parents = session_id(connection)
    kind, childs, kept = run_child(forget=True)
    assert kind == "ok" and kept == 1  # the inherited one set aside, unclosed
    assert childs != parents
    assert session_id(connection) == parents  # the parent's session was neither closed nor disturbed


@pytest.mark.django_db(transaction=True)
def test_without_forgetting_the_child_would_talk_on_the_parents_session():
    """What the function prevents: the copied connection is the parent's own session."""
    parents = session_id(connection)
    kind, childs, _kept = run_child(forget=False)
    assert kind == "ok" and childs == parents
