"""Calls run side by side in threads, each on its own database connection (closed at its end)."""
import threading

from django.db import connection


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
