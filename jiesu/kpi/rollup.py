"""Keeping the rollups: what each ticket adds, applied as deltas, and the full rebuild.

A ticket's contribution ("parts") is a function of its current rows only:

    received, found_first   day of intake            unit = current lead unit (0 if none)
    resp_due, resp_on_time  day of the contact deadline of the lead unit's first assignment (not for imported
                            tickets: the earlier system's sign and contact times are not imported)
    replied, speed bucket   day of that assignment's reply (working hours from its dispatch)
    cb_*                    day of the latest reached callback (the ticket's current result)
    closed                  day of closing
    returns_upheld          day of the decision, on the unit that returned it

Every change to a ticket writes a TicketEvent; `signals` then calls
`refresh_tickets`, which recomputes the parts, applies (new − old) to the daily
and monthly rollups and stores the new parts in TicketFact. `rebuild` recomputes
every ticket from scratch, so rebuild = incremental by construction (and a test
checks it). Bulk writers (demo generator, importer) bypass the events: run
`jiesu kpi rebuild` after them.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from jiesu.kpi import formulas
from jiesu.kpi.models import COUNTERS, ROLLUP_SHARDS, DailyRollup, DailyVolume, Exclusion, ExclusionReview, \
    MonthDim, MonthlyRollup, ReviewState, TicketFact, month_start
from jiesu.tickets.queries import IMPORT_KEY_PREFIX

FOUND_FIRST_CHANNELS = ("patrol", "sensor")
BATCH = 2000


def _day(moment):
    return timezone.localtime(moment).date().isoformat()


def exclusion_of(ticket, unreasonable_confirmed=False):
    """The ticket's exclusion class: the first of special, merged, consultation, unreasonable that applies."""
    if ticket["special_class"]:
        return Exclusion.SPECIAL.value
    if ticket["parent_id"]:
        return Exclusion.MERGED.value
    if ticket["request_type"] == "consult":
        return Exclusion.CONSULT.value
    if unreasonable_confirmed:
        return Exclusion.UNREASONABLE.value
    return Exclusion.NONE.value


def ticket_parts(ticket, lead, callback_at, upheld, unreasonable, calendar):
    """The parts of one ticket (see module doc). `ticket` and `lead` are dicts of column values.

    lead: the first assignment of the current lead unit (or None); callback_at: the
    latest reached callback's time (or None); upheld: [(unit_id, decided_at)] of upheld returns.
    """
    unit = ticket["lead_unit_id"] or 0
    head = (ticket["category_id"] or 0, ticket["channel"], exclusion_of(ticket, unreasonable))
    parts = defaultdict(Counter)

    def add(moment, unit_id, **counts):
        parts[(_day(moment), unit_id) + head].update(counts)

    add(ticket["created_at"], unit, received=1,
        found_first=1 if ticket["channel"] in FOUND_FIRST_CHANNELS else 0)
    if lead is not None and lead["contact_due"] is not None and not imported(ticket):
        on_time = bool(lead["signed_at"] and lead["contacted_at"]
                       and (lead["sign_due"] is None or lead["signed_at"] <= lead["sign_due"])
                       and lead["contacted_at"] <= lead["contact_due"])
        add(lead["contact_due"], unit, resp_due=1, resp_on_time=int(on_time))
    if lead is not None and lead["replied_at"] is not None:
        hours = max(0.0, calendar.working_hours_between(lead["dispatched_at"], lead["replied_at"]))
        add(lead["replied_at"], unit, replied=1, **{formulas.SPEED_FIELDS[formulas.speed_bucket(hours)]: 1})
    if callback_at is not None and ticket["resolved"] and ticket["satisfied"]:
        add(callback_at, unit, **{f"cb_{_RESOLVED[ticket['resolved']]}": 1,
                                  f"cb_{_SATISFIED[ticket['satisfied']]}": 1})
    if ticket["closed_at"] is not None and ticket["state"] == "closed":
        add(ticket["closed_at"], unit, closed=1)
    for unit_id, decided_at in upheld:
        add(decided_at, unit_id, returns_upheld=1)
    return sorted([*key, {k: v for k, v in c.items() if v}] for key, c in parts.items())


def imported(ticket):
    """A ticket `jiesu import` wrote: its sign and contact times stayed in the earlier system, so it has no response
    to assess (its volume, reply speed and closing are the source's own and count)."""
    return (ticket["idempotency_key"] or "").startswith(IMPORT_KEY_PREFIX)


_RESOLVED = {"resolved": "resolved", "partly": "partly", "unresolved": "unresolved"}
_SATISFIED = {"satisfied": "satisfied", "basically": "basic", "dissatisfied": "dissatisfied"}

TICKET_FIELDS = ("id", "lead_unit_id", "category_id", "channel", "request_type", "special_class", "parent_id",
                 "state", "created_at", "closed_at", "resolved", "satisfied", "idempotency_key")


def compute_parts(ticket_ids, calendar=None):
    """{ticket id: parts} for the tickets, reading their rows in a handful of queries."""
    from jiesu.tickets.models import Assignment, Callback, RequestState, ReturnRequest, Ticket
    from jiesu.workcal.services import current_calendar

    calendar = calendar or current_calendar()
    tickets = {t["id"]: t for t in Ticket.objects.filter(pk__in=ticket_ids).values(*TICKET_FIELDS)}
    if not tickets:
        return {}
    leads = {}
    lead_rows = (Assignment.objects.filter(ticket_id__in=tickets, role="lead")
                 .order_by("ticket_id", "round", "id")
                 .values("ticket_id", "unit_id", "dispatched_at", "sign_due", "contact_due", "signed_at",
                         "contacted_at", "replied_at"))
    for row in lead_rows:
        if row["unit_id"] == tickets[row["ticket_id"]]["lead_unit_id"] and row["ticket_id"] not in leads:
            leads[row["ticket_id"]] = row
    callbacks = dict(Callback.objects.filter(ticket_id__in=tickets, reached=True).exclude(resolved="")
                     .values_list("ticket_id").annotate(at=Max("at")))
    upheld = defaultdict(list)
    for ticket_id, unit_id, decided_at in ReturnRequest.objects.filter(
            ticket_id__in=tickets, state=RequestState.APPROVED, decided_at__isnull=False) \
            .values_list("ticket_id", "unit_id", "decided_at"):
        upheld[ticket_id].append((unit_id, decided_at))
    unreasonable = set(ExclusionReview.objects.filter(ticket_id__in=tickets, state=ReviewState.CONFIRMED)
                       .values_list("ticket_id", flat=True))
    return {pk: ticket_parts(t, leads.get(pk), callbacks.get(pk), upheld.get(pk, ()), pk in unreasonable, calendar)
            for pk, t in tickets.items()}


def delta(old_parts, new_parts):
    """{(day, unit, category, channel, exclusion): Counter} of new − old, zero entries dropped."""
    out = defaultdict(Counter)
    for parts, sign in ((old_parts, -1), (new_parts, 1)):
        for *key, counts in parts:
            for name, n in counts.items():
                out[tuple(key)][name] += sign * n
    return {k: Counter({n: v for n, v in c.items() if v}) for k, c in out.items() if any(c.values())}


def monthly_of(daily):
    """Fold daily deltas into {(month, dim, key, exclusion): Counter}."""
    out = defaultdict(Counter)
    for (day, unit, category, _channel, exclusion), counts in daily.items():
        month = month_start(date.fromisoformat(day)).isoformat()
        out[(month, MonthDim.UNIT.value, unit, exclusion)].update(counts)
        out[(month, MonthDim.CATEGORY.value, category, exclusion)].update(counts)
    return out


def volume_of(daily):
    """Fold daily deltas into {(day, unit): Counter(received=n)} (DailyVolume), zero entries dropped."""
    out = defaultdict(Counter)
    for (day, unit, _category, _channel, _exclusion), counts in daily.items():
        out[(day, unit)]["received"] += counts.get("received", 0)
    return {key: c for key, c in out.items() if c["received"]}


def _upsert(model, key_fields, rows, shard=0, counters=COUNTERS):
    """Add counters to rows (INSERT … ON CONFLICT DO UPDATE SET c = c + excluded.c; SQLite and PostgreSQL)."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    key_fields = (*key_fields, "shard")
    columns = [*key_fields, *counters]
    quoted = [connection.ops.quote_name(c) for c in columns]
    updates = ", ".join(f"{q} = {table}.{q} + excluded.{q}" for q in quoted[len(key_fields):])
    sql = (f"INSERT INTO {table} ({', '.join(quoted)}) VALUES ({', '.join(['%s'] * len(columns))}) "
           f"ON CONFLICT ({', '.join(quoted[:len(key_fields)])}) DO UPDATE SET {updates}")
    adapt = connection.ops.adapt_datefield_value
    params = []
    for key, counts in sorted(rows.items()):
        key = [adapt(date.fromisoformat(key[0])), *key[1:], shard]
        params.append([*key, *(counts.get(c, 0) for c in counters)])
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def shard_of(ticket_id):
    """The shard of the rollup rows a ticket's changes add to (models.ROLLUP_SHARDS)."""
    return ticket_id % ROLLUP_SHARDS


def apply_delta(daily, shard=0):
    """Add daily deltas to DailyRollup, their monthly folds to MonthlyRollup and their (day, unit) volume to
    DailyVolume (rows of `shard`)."""
    _upsert(DailyRollup, ("day", "unit_id", "category_id", "channel", "exclusion"), daily, shard)
    _upsert(MonthlyRollup, ("month", "dim", "key", "exclusion"), monthly_of(daily), shard)
    _upsert(DailyVolume, ("day", "unit_id"), volume_of(daily), shard, counters=("received",))


@transaction.atomic
def refresh_tickets(ticket_ids):
    """Recompute the tickets' parts and apply the change to the rollups. Returns the number of tickets."""
    ticket_ids = list(dict.fromkeys(ticket_ids))
    if not ticket_ids:
        return 0
    new = compute_parts(ticket_ids)
    facts = {f.pk: f for f in TicketFact.objects.select_for_update().filter(pk__in=ticket_ids)}
    by_shard = defaultdict(lambda: defaultdict(Counter))
    for pk in ticket_ids:
        old_parts = facts[pk].parts if pk in facts else []
        for key, counts in delta(old_parts, new.get(pk, [])).items():
            by_shard[shard_of(pk)][key].update(counts)
    for shard, total in sorted(by_shard.items()):  # one order of rows for every writer: no deadlock between two
        apply_delta({k: c for k, c in total.items() if any(c.values())}, shard)
    changed = [TicketFact(ticket_id=pk, parts=new[pk]) for pk in ticket_ids if pk in new]
    TicketFact.objects.bulk_create(changed, update_conflicts=True, unique_fields=["ticket"], update_fields=["parts"])
    gone = [pk for pk in ticket_ids if pk not in new and pk in facts]
    TicketFact.objects.filter(pk__in=gone).delete()
    return len(ticket_ids)


def add_new_ticket(ticket, calendar=None):
    """A ticket just recorded and not yet dispatched: its only part is `received` (no assignment, callback,
    return or review can exist yet), so it is added from the object in hand, without reading anything back
    (the intake path: three statements instead of nine), on one of the rows' shards."""
    from jiesu.workcal.services import current_calendar

    row = {name: getattr(ticket, name) for name in TICKET_FIELDS}
    parts = ticket_parts(row, None, None, (), False, calendar or current_calendar())
    apply_delta(delta([], parts), shard_of(ticket.pk))
    TicketFact.objects.create(ticket_id=ticket.pk, parts=parts)


def forget_fact(fact):
    """A ticket is being deleted: take its parts out of the rollups."""
    apply_delta(delta(fact.parts, []), shard_of(fact.ticket_id))


def changed_since(since):
    """Ids of tickets created, saved or given an event at or after `since` (an aware datetime)."""
    from jiesu.tickets.models import Ticket, TicketEvent

    ids = set(Ticket.objects.filter(Q(updated_at__gte=since) | Q(created_at__gte=since)).values_list("pk", flat=True))
    ids |= set(TicketEvent.objects.filter(at__gte=since).values_list("ticket_id", flat=True).distinct())
    ids |= set(ExclusionReview.objects.filter(Q(created_at__gte=since) | Q(decided_at__gte=since))
               .values_list("ticket_id", flat=True))
    return sorted(ids)


def rebuild(since=None, progress=None):
    """Recompute the rollups from the tickets.

    Without `since`: every rollup and fact is dropped and written again from all
    tickets (one transaction). With `since` (aware datetime): only the tickets
    changed since then are recomputed and applied as deltas, the way events do.
    Returns the number of tickets recomputed.
    """
    from jiesu.tickets.models import Ticket

    if since is not None:
        ids = changed_since(since)
        for i in range(0, len(ids), BATCH):
            refresh_tickets(ids[i:i + BATCH])
            if progress:
                progress(min(i + BATCH, len(ids)), len(ids))
        return len(ids)
    with transaction.atomic():
        DailyRollup.objects.all().delete()
        MonthlyRollup.objects.all().delete()
        DailyVolume.objects.all().delete()
        TicketFact.objects.all().delete()
        ids = list(Ticket.objects.order_by("pk").values_list("pk", flat=True))
        total = defaultdict(Counter)
        for i in range(0, len(ids), BATCH):
            parts = compute_parts(ids[i:i + BATCH])
            TicketFact.objects.bulk_create([TicketFact(ticket_id=pk, parts=p) for pk, p in parts.items()],
                                           batch_size=1000)
            for key, counts in delta([], [p for ps in parts.values() for p in ps]).items():
                total[key].update(counts)
            if progress:
                progress(min(i + BATCH, len(ids)), len(ids))
        _insert_all(total)
    return len(ids)


def _insert_all(daily):
    """Bulk-insert fresh rollup rows (the tables are empty)."""
    DailyRollup.objects.bulk_create([
        DailyRollup(day=date.fromisoformat(day), unit_id=unit, category_id=category, channel=channel,
                    exclusion=exclusion, **counts)
        for (day, unit, category, channel, exclusion), counts in daily.items()], batch_size=2000)
    MonthlyRollup.objects.bulk_create([
        MonthlyRollup(month=date.fromisoformat(month), dim=dim, key=key, exclusion=exclusion, **counts)
        for (month, dim, key, exclusion), counts in monthly_of(daily).items()], batch_size=2000)
    DailyVolume.objects.bulk_create([
        DailyVolume(day=date.fromisoformat(day), unit_id=unit, received=counts["received"])
        for (day, unit), counts in volume_of(daily).items()], batch_size=2000)
