"""The unit's next step on an assignment is one rule (queries.NEXT_STEPS) read twice: in SQL by the work list's 下一步
filter and order (next_step_q, next_step_due_expression), in Python by the row's deadline (next_step_due). Both
must give the same step and deadline for every role, assignment state and ticket state."""
from datetime import timedelta
from itertools import product

import pytest

from jiesu.tickets import queries
from jiesu.tickets.models import Assignment, AssignmentRole, AssignmentState, State, Ticket
from tests.tickets.test_emergency_poll_audit import backlog

pytestmark = pytest.mark.django_db


def every_case(world):
    """An assignment for every (ticket state, the ticket's reply deadline set or not, role, assignment state), each
    deadline a different time, so that a wrong field shows."""
    cases = list(product(State.values, (True, False), AssignmentRole.values, AssignmentState.values))
    tickets = backlog(world, len(cases))
    base = tickets[0].created_at
    for ticket, (state, reply_set, _role, _a_state) in zip(tickets, cases):
        ticket.state, ticket.reply_due = state, base + timedelta(days=9) if reply_set else None
    Ticket.objects.bulk_update(tickets, ["state", "reply_due"])
    Assignment.objects.bulk_create([
        Assignment(ticket=ticket, unit=world.street, role=role, state=a_state, dispatched_at=base,
                   sign_due=base + timedelta(hours=2), contact_due=base + timedelta(days=1),
                   reply_due=base + timedelta(days=7))
        for ticket, (_state, _reply_set, role, a_state) in zip(tickets, cases)])
    return len(cases)


def test_the_sql_and_the_python_next_step_agree_on_every_case(world):
    n = every_case(world)
    rows = list(Assignment.objects.filter(unit=world.street).select_related("ticket")
                .annotate(due_sql=queries.next_step_due_expression()))
    assert len(rows) == n == 9 * 2 * 3 * 7
    in_sql = {step: set(Assignment.objects.filter(queries.next_step_q(step)).values_list("pk", flat=True))
              for step in queries.WORK_STEPS}
    seen = set()
    for row in rows:
        due, start, step = queries.next_step_due(row)
        assert row.due_sql == due, (row.role, row.state, row.ticket.state, row.ticket.reply_due)
        assert {s for s, ids in in_sql.items() if row.pk in ids} == ({step} if step else set()), \
            (row.role, row.state, row.ticket.state)
        assert start == (row.dispatched_at if step else None)
        seen.add((row.role, row.state, step))
    # the rule itself, as the work list's 下一步 promises it (a co unit signs and replies, a copy has no step)
    handled = {(role, state): step for role, state, step in seen if step}
    assert handled == {("lead", "pending"): "sign", ("co", "pending"): "sign", ("lead", "signed"): "contact",
                       ("lead", "contacted"): "reply", ("co", "signed"): "reply", ("co", "contacted"): "reply"}


def test_the_reply_deadline_is_the_tickets_else_the_assignments(world):
    every_case(world)
    rows = Assignment.objects.filter(unit=world.street, role="lead", state="contacted", ticket__state="signed")
    dues = {row.ticket.reply_due is None: queries.next_step_due(row)[0] for row in rows.select_related("ticket")}
    assert dues[True] == rows.first().reply_due  # the assignment's 7 days when the ticket has none
    assert dues[False] == rows.exclude(ticket__reply_due=None).first().ticket.reply_due  # else the ticket's 9
    assert dues[True] != dues[False]
