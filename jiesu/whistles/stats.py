"""Whistle statistics and the rating roll-up (read-only; formulas in jiesu.whistles.rules).

Every function takes the whistles a user may see (jiesu.whistles.scoping.visible_whistles),
optionally narrowed to a period, so a street sees its own figures and the city sees all.
"""
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from django.utils import timezone

from jiesu.tickets.models import State as TicketState
from jiesu.whistles import rules, scoping
from jiesu.whistles.models import Rating, Summons, SummonsState, Trigger, WhistleState


def in_period(whistles, date_from=None, date_to=None):
    if date_from:
        whistles = whistles.filter(created_at__date__gte=date_from)
    if date_to:
        whistles = whistles.filter(created_at__date__lte=date_to)
    return whistles


def _month(moment):
    return rules.month_of(timezone.localtime(moment))


def counts(whistles):
    """Whistles by street (whistling unit), trigger, level, month and state."""
    rows = list(whistles.values_list("unit__name", "trigger", "level__name", "created_at", "state"))
    triggers = dict(Trigger.choices)
    states = dict(WhistleState.choices)
    return {
        "total": len(rows),
        "by_unit": Counter(r[0] for r in rows).most_common(),
        "by_trigger": [(str(triggers.get(k, k)), n) for k, n in Counter(r[1] for r in rows).most_common()],
        "by_level": Counter(r[2] for r in rows).most_common(),
        "by_month": sorted(Counter(_month(r[3]) for r in rows).items()),
        "by_state": [(str(states.get(k, k)), n) for k, n in Counter(r[4] for r in rows).most_common()],
    }


def _hours(duration):
    return round(duration.total_seconds() / 3600, 1) if duration is not None else None


def _summons(whistles, user):
    """The summons of these whistles whose figures `user` reads (None: every one)."""
    return scoping.own_figures(user, Summons.objects.filter(whistle__in=whistles, summoned_at__isnull=False))


def report_on_time(whistles, now=None, user=None):
    """Per summoned unit: summoned, on time, late, missing, on-time rate, mean hours from summons to check-in
    (best first). With `user`, only the units whose figures that user reads (scoping.own_figures)."""
    now = now or timezone.now()
    per_unit = defaultdict(list)
    speed = defaultdict(list)
    names = {}
    summons = (_summons(whistles, user)
               .values_list("unit_id", "unit__name", "report_due", "checked_in_at", "state", "whistle__closed_at",
                            "summoned_at"))
    for unit_id, name, due, checked_in_at, state, ended_at, summoned_at in summons:
        names[unit_id] = name
        per_unit[unit_id].append(rules.checkin_status(due, checked_in_at, now, state == SummonsState.OBJECTED,
                                                      state == SummonsState.RELEASED, ended_at))
        speed[unit_id].append((summoned_at, checked_in_at))
    out = []
    for unit_id, statuses in per_unit.items():
        c = Counter(statuses)
        out.append({"unit_id": unit_id, "unit": names[unit_id], "summoned": len(statuses), "on_time": c["on_time"],
                    "late": c["late"], "missing": c["missing"], "rate": rules.on_time_rate(statuses),
                    "mean_hours_to_report": _hours(rules.mean_duration(speed[unit_id]))})
    out.sort(key=lambda r: (-(r["rate"] if r["rate"] is not None else -1), -r["summoned"], r["unit"]))
    return out


def summary(whistles, now=None, user=None):
    """The headline figures: closure time, units per whistle, over-summoning, tickets closed by whistles. With
    `user`, the check-in figures and over-summoning count only the units whose figures that user reads."""
    closed = whistles.filter(state=WhistleState.CLOSED)
    mean_close = rules.mean_duration(closed.values_list("created_at", "closed_at"))
    per_whistle = Counter(Summons.objects.filter(whistle__in=whistles, summoned_at__isnull=False)
                          .values_list("whistle_id", flat=True))
    summons = list(_summons(whistles, user).values_list("whistle_id", "unit_id", "state"))
    closed_ids = set(closed.values_list("id", flat=True))
    task_pairs = set(closed.values_list("tasks__whistle_id", "tasks__unit_id"))
    over = rules.over_summoning_share(((w, u), (w, u) in task_pairs and s != SummonsState.RELEASED)
                                      for w, u, s in summons if w in closed_ids)
    tickets = whistles.model.tickets.through.objects.filter(whistle__in=closed)
    closed_tickets = tickets.filter(ticket__state__in=(TicketState.REPLIED, TicketState.CLOSED)).values(
        "ticket_id").distinct().count()
    statuses = [rules.checkin_status(d, c, now or timezone.now(), s == SummonsState.OBJECTED,
                                     s == SummonsState.RELEASED, ended_at)
                for d, c, s, ended_at in _summons(whistles, user).values_list("report_due", "checked_in_at", "state", "whistle__closed_at")]
    return {
        "whistles": whistles.count(),
        "open": whistles.filter(state__in=(WhistleState.APPROVAL, WhistleState.ACTIVE)).count(),
        "closed": len(closed_ids),
        "mean_hours_to_close": _hours(mean_close),
        "mean_hours_to_report": _hours(rules.mean_duration(
            _summons(whistles, user).filter(checked_in_at__isnull=False)
            .values_list("summoned_at", "checked_in_at"))),
        "units_per_whistle": round(sum(per_whistle.values()) / len(per_whistle), 2) if per_whistle else None,
        "over_summoning_share": over,
        "report_on_time_rate": rules.on_time_rate(statuses),
        "tickets_linked": tickets.values("ticket_id").distinct().count(),
        "tickets_closed_by_whistles": closed_tickets,
    }


def rating_rollup(whistles=None, month=None, unit_ids=None, user=None):
    """Ratings per unit and month (the assessment pages read this): see rules.rollup for the formula. With
    `user`, only the ratings that user reads (scoping.own_figures)."""
    ratings = Rating.objects.all() if whistles is None else Rating.objects.filter(whistle__in=whistles)
    if user is not None:
        ratings = scoping.own_figures(user, ratings)
    if unit_ids is not None:
        ratings = ratings.filter(unit_id__in=list(unit_ids))
    if month:
        first = timezone.make_aware(datetime.strptime(month + "-01", "%Y-%m-%d"))
        ratings = ratings.filter(at__gte=first - timedelta(days=1), at__lt=first + timedelta(days=32))
    rows = []
    for unit_name, unit_id, by, t, e, r, at in ratings.values_list("unit__name", "unit_id", "by", "timeliness",
                                                                   "effort", "result", "at"):
        m = _month(at)
        if month and m != month:
            continue
        rows.append({"unit": (unit_id, unit_name), "month": m, "by": by, "timeliness": t, "effort": e, "result": r})
    return rules.rollup(rows)


def unit_month_ratings(month=None, unit_ids=None, whistles=None, user=None):
    """Whistle ratings per unit and month, as plain dicts: the entry point for the assessment pages.

    month: 'YYYY-MM' or None (every month); unit_ids: only these units; whistles: only ratings
    of these whistles (e.g. scoping.visible_whistles(user)); default every whistle; user: only the ratings
    that user reads (a summoned department: its own). Each row:
    unit_id, unit, month, count, street_count, district_count, timeliness, effort, result
    (means, 1–5), street_score, district_score and score (0.7 street + 0.3 district).
    """
    return [{"unit_id": r.unit[0], "unit": r.unit[1], "month": r.month, "count": r.count,
             "street_count": r.street_count, "district_count": r.district_count, "timeliness": r.timeliness,
             "effort": r.effort, "result": r.result, "street_score": r.street_score,
             "district_score": r.district_score, "score": r.score}
            for r in rating_rollup(whistles, month, unit_ids, user)]
