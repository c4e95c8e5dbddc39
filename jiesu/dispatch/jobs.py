"""Periodic work of the dispatcher's desk: auto-dispatch (off until a rule is enabled).

`auto_dispatch_once()` is one pass; the deadline worker (`jiesu worker`) calls it
after each deadline scan, and `jiesu autodispatch` runs it on its own. Several
processes may run it at once: services.dispatch locks the ticket's row and
refuses a ticket that is no longer new, which the report counts as refused.
"""
import logging
import time

from jiesu.dispatch import services as desk

log = logging.getLogger(__name__)


def auto_dispatch_once(now=None):
    """One auto-dispatch pass (services.auto_dispatch_new_tickets); returns its AutoReport."""
    report = desk.auto_dispatch_new_tickets(now)
    if report.dispatched or report.refused:
        log.info("auto-dispatch: %s", report.as_dict())
    return report


def run_forever(interval=60, stop=None):
    while stop is None or not stop():
        auto_dispatch_once()
        time.sleep(interval)
