"""The hint reads the unit's latest replies through the checked marks' (unit, reply time) index (audit 2026-12-07):
the lead assignments have no index on the reply time, so "the unit's 200 latest replies" read every reply the unit
ever sent and sorted them, at each pause in typing — a utility's clerk (≈ 600,000 replies a year) waited on it. Once
the worker has checked the unit's replies the hint asks the marks; before it has, the assignments, as before."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiesu.quality import jobs, services
from tickets.helpers import new_ticket
from jiesu.tickets import services as ticket_services
from .test_services import FORWARDED, replied

pytestmark = pytest.mark.django_db


def open_ticket(w):
    t = new_ticket(w, text="路灯不亮，晚上出行不安全")
    ticket_services.dispatch(w.dispatcher, t, w.street.pk)
    ticket_services.sign(w.street_staff, t)
    return t


def sorts_assignments(queries):
    return [q["sql"] for q in queries if 'FROM "tickets_assignment"' in q["sql"] and "ORDER BY" in q["sql"]
            and '"replied_at" DESC' in q["sql"]]


def test_the_hint_asks_the_marks_once_the_worker_checked_the_units_replies(world):
    w = world
    replied(w, "小区垃圾清运不及时，臭味很大", FORWARDED)
    t = open_ticket(w)
    with CaptureQueriesContext(connection) as before:        # nothing checked yet: the assignments, as before
        verdict = services.check_draft(w.street_staff, t, FORWARDED)
    assert "boilerplate" in verdict.reasons and sorts_assignments(before.captured_queries)
    jobs.check_new_replies()
    with CaptureQueriesContext(connection) as after:
        verdict = services.check_draft(w.street_staff, t, FORWARDED)
    assert "boilerplate" in verdict.reasons                  # the same verdict
    assert not sorts_assignments(after.captured_queries)
