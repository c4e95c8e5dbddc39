"""Calls run side by side in threads, each on its own database connection (closed at its end)."""
import threading

from django.db import connection, transaction

RELEASE_WITHIN = 60  # seconds: a test waiting on the open transaction's locks fails then, not at CI's timeout


def at_once(call, times):
    """`call()` in `times` threads started together: (their results, the exceptions they raised)."""
    results, errors = [], []

    def one():
        try:
            results.append(call())
        except Exception as exc:  # noqa: BLE001 — the caller asserts on them
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def in_open_transaction(make):
    """(what `make()` returned, a call that commits it): `make()` runs in a thread on its own connection, in a
    transaction that stays open until the call (or RELEASE_WITHIN seconds), as a slow request holds its locks.
    What `make()` raises is raised here; what the commit raises, by the call."""
    made, written, release, errors = [], threading.Event(), threading.Event(), []

    def run():
        try:
            with transaction.atomic():
                made.append(make())
                written.set()
                release.wait(timeout=RELEASE_WITHIN)
        except Exception as exc:  # noqa: BLE001 — surfaced by commit()
            errors.append(exc)
            written.set()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    written.wait()
    if errors:
        thread.join()
        raise errors[0]

    def commit():
        release.set()
        thread.join()
        assert errors == []
    return made[0], commit
