"""Hotspots over the tickets: run the clustering (jiesu.hotspots.cluster) on a time window and store the result.

A run reads the tickets recorded in the window (merged duplicates included: each
is a citizen asking; 分类处置 closures other than repeats left out: they are not
problems of the city), turns them into items, finds the problems and keeps the
hottest `params.top` with their tickets. Reading is scoped: a user sees the
problems that hold a ticket they may see, and of those only such tickets.

A problem's label and exemplar texts are shown to everyone who sees it (and
copied into a 每月一题 topic): they are never taken from a report (举报) or a
confidential request (保密), whose words only the hotline, the units it is
dispatched to and its citizen read (scoping.withheld_from_territory); such
tickets still count in the numbers, without their address among the places.
The label and the exemplars are stored with the citizen's phone, ID and card
numbers and name masked (text_masking.text_for, as the ticket lists show them
to who may not reveal the contact).
"""
from __future__ import annotations

import os
import re
import signal
import socket
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, connections, router, transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from jiesu.accounts.models import Role
from jiesu.core import scoping
from jiesu.core.errors import Conflict, DomainError
from jiesu.core.text_masking import text_for
from jiesu.hotspots.cluster import Item, Params, find_problems, words_of
from jiesu.hotspots.models import AskedRun, AskedState, Hotspot, HotspotRun, HotspotTicket
from jiesu.tickets.models import OPEN_STATES, Resolved, SpecialClass, State, Ticket

KEEP_RUNS = 30
READER_ROLES = (Role.CALL_TAKER, Role.DISPATCHER, Role.CALLBACK_AGENT, Role.SUPERVISOR, Role.UNIT_STAFF,
                Role.GRID_WORKER, Role.ADMIN)
_DIGITS = re.compile(r"\D+")
MAX_DAYS = 366


def unresolved_of(state, resolved, self_resolved):
    """1 open or unresolved, 0.5 partly resolved, 0 resolved; a reply awaiting callback counts as the unit said."""
    if state in OPEN_STATES:
        return 1.0
    if resolved:
        return {Resolved.UNRESOLVED: 1.0, Resolved.PARTLY: 0.5}.get(resolved, 0.0)
    if state == State.REPLIED and self_resolved is not None:
        return 0.0 if self_resolved else 1.0
    return 0.0


def citizen_key(user_id, phone):
    if user_id:
        return f"u{user_id}"
    digits = _DIGITS.sub("", phone or "")
    return f"p{digits}" if len(digits) >= 7 else ""


def window_tickets(start, end):
    """The tickets a run looks at."""
    return (Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
            .exclude(special_class__in=[c for c in SpecialClass.values if c != SpecialClass.REPEAT]))


def items_of(queryset):
    """Items (for the clustering) of the tickets, with their place names."""
    withheld = ExpressionWrapper(scoping.withheld_from_territory(), output_field=BooleanField())
    rows = queryset.annotate(withheld=withheld).values_list(
        "id", "title", "text", "created_at", "citizen_user_id", "citizen_phone", "state", "resolved", "self_resolved",
        "district_id", "street_id", "community_id", "grid_id", "lon", "lat", "street__name", "community__name",
        "address", "withheld")
    out = []
    for (pk, title, text, created, user_id, phone, state, resolved, self_resolved, district, street, community,
         grid, lon, lat, street_name, community_name, address, withheld) in rows.iterator(chunk_size=5000):
        places = tuple(p for p in (community_name, street_name, "" if withheld else (address or "")[:30]) if p)
        out.append(Item(pk, title, text[:600], created.timestamp(), citizen_key(user_id, phone), None,
                        unresolved_of(state, resolved, self_resolved), district, street, community, grid, lon, lat,
                        places, withheld=bool(withheld)))
    return out


def stored_words(problems, ticket_model=Ticket):
    """[(label, exemplars, places)] of the problems (cluster.Problem or cluster.Words) as stored: the label and the
    exemplars masked as for a reader who may not reveal the contact (text_masking.text_for for no one; one query for
    the exemplars' tickets), the 8 most named places. `ticket_model`: the Ticket model (a migration's historical one:
    repair_stored)."""
    tickets = ticket_model._default_manager.only("id", "text", "citizen_name", "citizen_user_id").in_bulk(
        [i for p in problems for i in p.exemplar_ids])
    out = []
    for p in problems:
        shown = [tickets[pk] for pk in p.exemplar_ids]
        label = text_for(None, shown[0], p.label)[:200] if shown else ""
        out.append((label, [text_for(None, t, text) for t, text in zip(shown, p.exemplars)],
                    [list(x) for x in p.places[:8]]))
    return out


def repair_stored(batch=500, hotspot_model=Hotspot, member_model=HotspotTicket, ticket_model=Ticket):
    """Restate the label, exemplars and places of every stored hotspot as a run states them now (runs stored before
    2026-12-07 may show a report's or a confidential request's title as the label, its words among the exemplars,
    its address among the places, and a citizen's phone number unmasked). A hotspot's tickets, most central first
    (HotspotTicket's order: the run stored them in that order), become items as a run makes them (items_of: withheld
    or not, their places) and cluster.words_of picks the words; stored_words masks them. Only the hotspots whose
    words change are written. `batch` hotspots at a time, three queries each (the hotspots, their tickets, the
    exemplars' tickets) and the update of the changed ones (_update_words). The models are arguments so that the
    migration (hotspots 0002) passes its historical ones. Returns (hotspots looked at, hotspots changed)."""
    hotspots, members = hotspot_model._default_manager, member_model._default_manager
    last, seen, changed = 0, 0, 0
    while True:
        rows = list(hotspots.filter(pk__gt=last).order_by("pk").only("id", "label", "exemplars", "places")[:batch])
        if not rows:
            return seen, changed
        span = members.filter(hotspot_id__gte=rows[0].pk, hotspot_id__lte=rows[-1].pk)
        last, seen = rows[-1].pk, seen + len(rows)
        ranked = {}
        for hotspot_id, ticket_id in span.order_by("hotspot_id", "-centrality", "id").values_list("hotspot_id",
                                                                                                  "ticket_id"):
            ranked.setdefault(hotspot_id, []).append(ticket_id)
        items = {it.id: it for it in items_of(ticket_model._default_manager.filter(
            pk__in=span.values("ticket_id")))}
        rows = [h for h in rows if ranked.get(h.pk)]
        words = stored_words([words_of([items[pk] for pk in ranked[h.pk]]) for h in rows], ticket_model)
        stale = [(h.pk, *new) for h, new in zip(rows, words) if new != (h.label, h.exemplars, h.places)]
        _update_words(hotspot_model, stale)
        changed += len(stale)


def _update_words(hotspot_model, rows):
    """Write [(pk, label, exemplars, places)]: one UPDATE statement run for each row (executemany: one call to the
    driver; bulk_update's CASE of every row took 5 of the 7 seconds of 10,000 hotspots)."""
    if not rows:
        return
    meta, connection = hotspot_model._meta, connections[router.db_for_write(hotspot_model)]
    ops = connection.ops
    fields = [meta.get_field(name) for name in ("label", "exemplars", "places")]
    sets = ", ".join(f"{ops.quote_name(f.column)} = %s" for f in fields)
    sql = f"UPDATE {ops.quote_name(meta.db_table)} SET {sets} WHERE {ops.quote_name(meta.pk.column)} = %s"
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[f.get_db_prep_save(value, connection) for f, value in zip(fields, values)] + [pk]
                                 for pk, *values in rows])


def _most_common(values):
    values = [v for v in values if v is not None]
    return Counter(values).most_common(1)[0][0] if values else None


def check_days(days):
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise DomainError(_("Enter a whole number of days."), field="days") from None
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(_("The window must be 1 to %(max)s days.") % {"max": MAX_DAYS}, field="days")
    return days


def run_hotspots(days=30, now=None, params: Params | None = None, user=None):
    """Cluster the tickets of the last `days` days and store the run (older runs beyond KEEP_RUNS are dropped). The
    reading and the clustering (seconds to minutes on a city's tickets) are outside a transaction: in one, SQLite's
    write lock (BEGIN IMMEDIATE) was held all that time and every other write waited, failing after 20 s. Only
    the storing is one transaction."""
    days = check_days(days)
    params = params or Params()
    now = now or timezone.now()
    started = time.perf_counter()
    start = now - timedelta(days=days)
    items = items_of(window_tickets(start, now))
    problems = find_problems(items, now=now.timestamp(), params=params)
    meta = {pk: (d, s, c) for pk, d, s, c in Ticket.objects.filter(
        pk__in=[it.id for p in problems for it in p.items]).values_list("id", "district_id", "street_id",
                                                                         "category_id")}
    words = stored_words(problems)
    with transaction.atomic():
        # two runs at once store one after the other: each then drops what the other left beyond KEEP_RUNS
        list(HotspotRun.objects.select_for_update().values_list("pk", flat=True))
        run = HotspotRun.objects.create(started_at=now, window_start=start, window_end=now, tickets=len(items),
                                        params=params.as_dict(), started_by=user)
        _store(run, problems, meta, words)
        run.seconds = round(time.perf_counter() - started, 3)
        run.save(update_fields=["seconds"])
        drop_old_runs()
    return run


def _store(run, problems, meta, words):
    """The run's hotspots and their tickets."""
    members = []
    tz = timezone.get_current_timezone()
    for rank, p in enumerate(problems, start=1):
        ids = [it.id for it in p.items]
        label, exemplars, places = words[rank - 1]
        h = Hotspot.objects.create(
            run=run, rank=rank, label=label, heat=p.heat.value, size=p.size, citizens=p.heat.citizens,
            repeats=p.heat.repeats, support=p.heat.support, recency=p.heat.recency,
            unresolved_share=p.heat.unresolved, first_at=datetime.fromtimestamp(p.first_at, tz),
            last_at=datetime.fromtimestamp(p.last_at, tz), places=places,
            exemplars=exemplars, district_id=_most_common(meta[i][0] for i in ids),
            street_id=_most_common(meta[i][1] for i in ids), category_id=_most_common(meta[i][2] for i in ids))
        members += [HotspotTicket(hotspot=h, ticket_id=i, centrality=p.centrality.get(i, 0.0)) for i in ids]
    HotspotTicket.objects.bulk_create(members, batch_size=2000)


@transaction.atomic
def drop_old_runs():
    """Drop the runs beyond the KEEP_RUNS latest, but for the hotspots a 每月一题 topic was made from (with their
    run and tickets: the topic names and links its hotspot; before 2026-12-07 dropping the run set the topic's
    hotspot to nothing, unrecorded). The old runs' hotspots are locked first: a topic being made from one
    (topics.services.validate locks its hotspot) is committed before they are looked at, and so is seen."""
    old = list(HotspotRun.objects.order_by("-started_at", "-id").values_list("id", flat=True)[KEEP_RUNS:])
    if not old:
        return
    list(Hotspot.objects.select_for_update().filter(run__in=old).values_list("pk", flat=True))
    Hotspot.objects.filter(run__in=old, topics__isnull=True).delete()
    HotspotRun.objects.filter(pk__in=old, hotspots__isnull=True).delete()


def latest_run():
    return HotspotRun.objects.order_by("-started_at", "-id").first()


# ── reading (scoped) ────────────────────────────────────────────────────────

def may_read(user):
    return scoping.has_role(user, *READER_ROLES)


def require_reader(user):
    scoping.require_role(user, *READER_ROLES)


def visible_hotspots(user, run):
    """The problems of `run` that hold at least one ticket `user` may see (all of them for city-wide users)."""
    qs = Hotspot.objects.filter(run=run).select_related("district", "street", "category")
    if not may_read(user):
        return qs.none()
    if scoping.is_city_wide(user):
        return qs
    mine = scoping.visible_tickets(user, Ticket.objects.filter(pk=OuterRef("ticket_id")))
    return qs.filter(Exists(HotspotTicket.objects.filter(hotspot=OuterRef("pk")).filter(Exists(mine))))


def hotspot_tickets(user, hotspot):
    """The problem's tickets `user` may see, most central first (a queryset: the page shows them 100 at a time)."""
    centrality = HotspotTicket.objects.filter(hotspot=hotspot, ticket=OuterRef("pk")).values("centrality")[:1]
    qs = (Ticket.objects.filter(pk__in=hotspot.members.values("ticket_id"))
          .annotate(centrality=Subquery(centrality)).order_by("-centrality", "pk")
          .select_related("street", "community", "category", "lead_unit"))
    return scoping.visible_tickets(user, qs)


def get_visible(user, pk):
    """The hotspot `pk` if `user` may see it, else None."""
    h = Hotspot.objects.filter(pk=pk).select_related("run").first()
    if h is None or not visible_hotspots(user, h.run).filter(pk=pk).exists():
        return None
    return h


# Runs asked from the board (「立即发现热点」): recorded, carried out by the worker (jobs.run_asked), never in the request.

def _going_words(going):
    return _("Hotspot run #%(id)s, asked by %(who)s at %(at)s, is not finished (%(state)s); wait for it to end.") % {
        "id": going.pk, "who": going.asker_words or "?", "at": timezone.localtime(going.asked_at).strftime("%H:%M"),
        "state": going.get_state_display()}


def ask_run(user, days=30, now=None):
    """Record a run asked by `user` for the worker to carry out; the AskedRun. Conflict (naming it) while another
    waits or runs: a second click starts no second run."""
    days = check_days(days)
    now = now or timezone.now()
    abandon_lost_asked_runs(now)
    try:
        with transaction.atomic():
            return AskedRun.objects.create(asked_at=now, asked_by=user, asked_by_name=user.get_username(), days=days)
    except IntegrityError:
        going = AskedRun.objects.filter(going=True).first()
        if going is None:
            raise
        raise Conflict(_going_words(going)) from None


def claim_asked_run(now=None):
    """The oldest waiting run, now marked running on this host (its process's pid is written when it is started:
    jobs.run_asked); None when none waits."""
    now = now or timezone.now()
    for asked in AskedRun.objects.filter(state=AskedState.WAITING).order_by("asked_at", "pk"):
        if AskedRun.objects.filter(pk=asked.pk, state=AskedState.WAITING).update(
                state=AskedState.RUNNING, started_at=now, host=socket.gethostname(), pid=None):
            asked.refresh_from_db()
            return asked
    return None


def take_asked_run(asked_id):
    """The running asked run `jiesu hotspots --asked ID` carries out, its pid written if the worker has not yet;
    Conflict when it is no longer running (marked failed meanwhile, or carried out already)."""
    asked = AskedRun.objects.filter(pk=asked_id).first()
    if asked is None:
        raise DomainError(_("There is no asked hotspot run #%(id)s.") % {"id": asked_id}, field="asked")
    if asked.state != AskedState.RUNNING:
        raise Conflict(_("Hotspot run #%(id)s is not waiting to run (%(state)s).")
                       % {"id": asked_id, "state": asked.get_state_display()}, field="asked")
    AskedRun.objects.filter(pk=asked.pk, pid__isnull=True).update(pid=os.getpid())
    asked.refresh_from_db()
    return asked


def finish_asked_run(asked, state, reason="", run=None, now=None, only_running=False):
    """Store how an asked run ended; with only_running, only if nothing else has (a late start failure leaves the
    process's own outcome). Whether it was stored."""
    qs = AskedRun.objects.filter(pk=asked.pk)
    if only_running:
        qs = qs.filter(state=AskedState.RUNNING)
    return bool(qs.update(state=state, going=False, finished_at=now or timezone.now(), reason=reason, run=run))


ASKED_TIMEOUT_MIN = timedelta(hours=1)
ASKED_TIMEOUT_RUNS = 6  # times the longest kept run


def asked_timeout():
    """How long an asked run may run before it counts as lost when its process cannot be looked at (another host:
    the worker's machine gone or restarted): an hour, or six times the longest run kept when that is longer (a
    city's run takes tens of minutes)."""
    from django.db.models import Max

    longest = HotspotRun.objects.aggregate(longest=Max("seconds"))["longest"] or 0
    return max(ASKED_TIMEOUT_MIN, ASKED_TIMEOUT_RUNS * timedelta(seconds=longest))


_LOST_REASONS = {"ended": AskedRun.PROCESS_ENDED, "never_started": AskedRun.NEVER_STARTED,
                 "timeout": AskedRun.TIMED_OUT}


def abandon_lost_asked_runs(now=None):
    """Mark failed the running asked runs whose process is gone (dispatch.services.lost_reason, as a retraining's:
    on this host a process that ended; one never started ten minutes after the claim; anywhere, no result after
    asked_timeout()): they would block every later ask. The worker, the board and an ask look. How many."""
    from jiesu.dispatch.services import lost_reason

    now = now or timezone.now()
    lost, timeout = 0, None
    for asked in AskedRun.objects.filter(state=AskedState.RUNNING):
        timeout = timeout or asked_timeout()
        asked.started_at = asked.started_at or asked.asked_at
        found = lost_reason(asked, now, timeout)
        if found:
            reason = _LOST_REASONS[found[1]["lost"]]
            if reason == AskedRun.TIMED_OUT and kill_run_process(asked):
                reason = AskedRun.TIMED_OUT_KILLED
            lost += AskedRun.objects.filter(pk=asked.pk, state=AskedState.RUNNING).update(
                state=AskedState.FAILED, going=False, finished_at=now, reason=reason)
    return lost


def kill_run_process(asked):
    """Kill the process group of a run past its timeout when it runs on this host and is still the run's own
    (`jiesu hotspots --asked ID` leading its group: a pid is given again once its process has ended); whether it
    was killed. Left running, it went on taking CPU and memory for nothing, and could still store a stale run."""
    if not asked.pid or asked.host != socket.gethostname():
        return False
    try:
        with open(f"/proc/{asked.pid}/cmdline", "rb") as cmdline:
            words = cmdline.read().split(b"\0")
        if os.getpgid(asked.pid) != asked.pid or not _runs_asked(words, asked.pk):
            return False
        os.killpg(asked.pid, signal.SIGKILL)
    except (OSError, ValueError):  # gone meanwhile, another user's, or no /proc to tell whose it is
        return False
    return True


def _runs_asked(words, asked_id):
    return any(w == b"--asked" and i + 1 < len(words) and words[i + 1] == str(asked_id).encode()
               for i, w in enumerate(words)) and b"hotspots" in words


@dataclass(frozen=True)
class AskedView:
    """The latest asked run as the board tells it."""
    asked: AskedRun
    waits_for_worker: bool   # waiting longer than two worker passes and two runs: no worker seems to be running
    refresh_seconds: int     # while it waits or runs, the board reloads itself this often


def latest_asked(now=None):
    """AskedView of the latest asked run, or None."""
    from jiesu.dispatch.accuracy import WORKER_PASS

    now = now or timezone.now()
    abandon_lost_asked_runs(now)
    asked = AskedRun.objects.select_related("run").first()
    if asked is None:
        return None
    last = latest_run()
    expected = WORKER_PASS + timedelta(seconds=last.seconds if last else 0)
    waits = asked.state == AskedState.WAITING and now - asked.asked_at > 2 * expected
    return AskedView(asked=asked, waits_for_worker=waits, refresh_seconds=10)
