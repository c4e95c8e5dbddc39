"""The accuracy page's figures (建议准确率): how often the dispatchers took the engine's suggestion, what wrong
dispatches cost, what each auto-dispatch rule did, and, at a city's scale, the reports kept between counts.

    from jiesu.dispatch import accuracy

    report = accuracy.accuracy_report(weeks=12, user=user, filters=accuracy.AccuracyFilters(source="auto"))
    report, computed_at = accuracy.accuracy_for(user, 12)   # the page: kept when it counts KEEP_ROWS or more

Counted from the DispatchSuggestion log (one row per dispatch made through the desk, the API or auto-dispatch),
aggregated in the database; jiesu.dispatch.services re-exports these names for its older callers.
"""
from __future__ import annotations

import pickle
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, Max, Min, OuterRef, Q
from django.db.models.fields.json import KT
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from jiesu.accounts.models import Role, User
from jiesu.core import scoping
from jiesu.dispatch.models import AccuracySnapshot, AutoDispatchRule, DispatchSuggestion, SuggestionSource
from jiesu.tickets.models import Assignment, RequestState, ReturnRequest
from jiesu.units.models import UnitKind


def _share(part, whole):
    return round(part / whole, 4) if whole else None


def iso_week(day):
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Accuracy:
    since: datetime
    until: datetime
    total: dict
    weeks: list          # [{week, monday, n, top1, top3, override, auto, top1_share, top3_share}] newest first
    categories: list     # [{category, path, n, top1, top3, …}] most dispatched first
    groups: list         # [{group, n, top1, top3, …}] by first-level category
    returns: list        # [{followed, label, n, returned, share}]
    models: list = field(default_factory=list)  # [{model_version, first, last, n, top1, …}] newest first
    thresholds: dict = field(default_factory=dict)  # threshold_guide
    rules: list = field(default_factory=list)  # auto_rules_report: each rule's auto-dispatches and their returns
    dispatchers: list = field(default_factory=list)  # by_dispatcher (city-wide reports only: staff figures)


def _counts():
    """The figures of a group of logged dispatches. Top-1, top-3 and the ranks count the dispatchers' decisions
    only: an auto-dispatch follows suggestion #1 by rule, and counting it would have the engine agree with
    itself (a model used by auto-dispatch alone would show 100 % top-1)."""
    person = ~Q(source=SuggestionSource.AUTO)
    return dict(n=Count("id"), top1=Count("id", filter=person & Q(accepted_rank=1)),
                top3=Count("id", filter=person & Q(accepted_rank__isnull=False)),
                category_top1=Count("id", filter=person & Q(category_rank=1)),
                unit_top1=Count("id", filter=person & Q(unit_rank=1)),
                auto=Count("id", filter=Q(source=SuggestionSource.AUTO)))


def _with_shares(row):
    decided = row["n"] - row["auto"]
    row["decided"], row["override"] = decided, decided - row["top3"]
    row["top1_share"], row["top3_share"] = _share(row["top1"], decided), _share(row["top3"], decided)
    row["category_top1_share"] = _share(row["category_top1"], decided)
    row["unit_top1_share"] = _share(row["unit_top1"], decided)
    return row


def _seen_by(user):
    """Which logged dispatches `user` (not city-wide) may count: of the tickets in the district or street they
    supervise (the place the row was logged with), but for reports and confidential tickets, or assigned to their
    unit, as scoping.visible_tickets; for any other unit, that very set of tickets."""
    unit = user.unit
    if user.role == Role.CITIZEN or unit is None or unit.kind not in (UnitKind.DISTRICT, UnitKind.STREET):
        return Q(ticket__in=scoping.visible_tickets(user).values("pk"))
    assigned = Assignment.objects.filter(unit_id__in=scoping.acting_unit_ids(user)).values("ticket_id")
    territory = scoping.territory_filter(unit) & ~scoping.withheld_from_territory("ticket__")
    return territory | Q(ticket_id__in=assigned)


@dataclass(frozen=True)
class AccuracyFilters:
    """What the accuracy page is narrowed to (none: the whole audience's figures, which may be kept)."""
    district: int | None = None    # the district / street stored on the logged dispatch (city-wide users only)
    street: int | None = None
    group: str = ""                # a category's code: it and the categories below it
    source: str = ""               # SuggestionSource: desk, api or auto
    dispatcher: int | None = None  # who logged the dispatch (the dispatch lead and city-wide supervisors only)

    def __bool__(self):
        return bool(self.params())

    def params(self):
        """The filters given, as the page's query parameters (the recount form's, its way back)."""
        given = (("district", self.district), ("street", self.street), ("group", self.group),
                 ("source", self.source), ("dispatcher", self.dispatcher))
        return {name: value for name, value in given if value}

    def key(self):
        """The filters as a kept report's audience suffix: "|district=3|source=auto" ("" when none)."""
        return "".join(f"|{name}={value}" for name, value in self.params().items())

    def narrow(self, qs):
        """`qs` (logged dispatches) narrowed: the place by the district and street stored on each row (indexed)."""
        wanted = {"district_id": self.district, "street_id": self.street, "source": self.source,
                  "by_id": self.dispatcher}
        qs = qs.filter(**{lookup: value for lookup, value in wanted.items() if value})
        if self.group:
            qs = qs.filter(Q(category__code=self.group) | Q(category__code__startswith=self.group + "."))
        return qs


def logged(since=None, until=None, user=None, filters=None):
    """The logged dispatches that had suggestions, in [since, until); of the tickets `user` may see, if given;
    narrowed by `filters` (AccuracyFilters)."""
    qs = DispatchSuggestion.objects.filter(confidence__isnull=False)
    if user is not None and not scoping.is_city_wide(user):
        qs = qs.filter(_seen_by(user))
    if filters:
        qs = filters.narrow(qs)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    return qs


DEFAULT_WEEKS = 12
ACCURACY_ROLES = (Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)  # who may open the accuracy page


def is_dispatch_lead(user):
    """A dispatcher who keeps the auto-dispatch rules (派单组长: the back office's 派单目录维护 group)."""
    return user.role == Role.DISPATCHER and user.has_perm("dispatch.change_autodispatchrule")


def sees_staff_figures(user):
    """Whether the accuracy page shows `user` the figures of each dispatcher (and the dispatcher filter): staff
    performance data, for the dispatch lead and the city's supervisors (a district's supervise no dispatcher)."""
    return is_dispatch_lead(user) or (user.role == Role.SUPERVISOR and scoping.is_city_wide(user))


def may_recount(user):
    """Whether `user` may have a kept accuracy report counted again now: the dispatch lead, supervisors and
    administrators (a dispatcher reads the hourly count)."""
    return user.is_superuser or user.role in (Role.SUPERVISOR, Role.ADMIN) or is_dispatch_lead(user)


def told_of_pauses(user):
    """Whether `user` is shown (and may acknowledge) the rules the worker paused: the dispatch lead, the city's
    supervisors and administrators, who answer for auto-dispatch (a district's supervisors do not)."""
    return (user.is_superuser or user.role == Role.ADMIN or is_dispatch_lead(user)
            or (user.role == Role.SUPERVISOR and scoping.is_city_wide(user)))


def may_resume(user):
    """Whether `user` may switch a paused rule back on: who keeps the rules (the dispatch lead, administrators)."""
    return user.is_superuser or user.role == Role.ADMIN or is_dispatch_lead(user)


def report_window(weeks, now):
    """[since, until) of a report over `weeks` ISO weeks: from the Monday `weeks - 1` weeks before this week's,
    to just after `now`."""
    today = timezone.localtime(now).date()
    monday = today - timedelta(days=today.weekday())
    since = timezone.make_aware(datetime.combine(monday - timedelta(weeks=max(1, weeks) - 1), datetime.min.time()))
    return since, now + timedelta(seconds=1)


def accuracy_report(weeks=DEFAULT_WEEKS, now=None, since=None, until=None, user=None, filters=None):
    """Suggestion accuracy (top-1 / top-3 accepted) by ISO week and by category, and the returns
    (退单 upheld on arbitration) of dispatches that followed a suggestion vs overrode them.

    Aggregated in the database (TruncWeek in the local time zone; works on SQLite and PostgreSQL).
    `user`: only the tickets that user may see (a district supervisor: the district's); `filters`: AccuracyFilters.
    The per-dispatcher figures are counted for city-wide reports only (the page shows them to the dispatch lead and
    city-wide supervisors: staff_figures_for).
    """
    from jiesu.categories.models import Category

    now = now or timezone.now()
    window = report_window(weeks, now)
    since, until = since or window[0], until or window[1]
    qs = logged(since, until, user, filters)
    total = _with_shares(qs.aggregate(**_counts()))

    week_rows = []
    tz = timezone.get_current_timezone()
    for row in qs.annotate(week=TruncWeek("at", tzinfo=tz)).values("week").annotate(**_counts()).order_by("-week"):
        monday = row.pop("week")
        monday = monday.date() if isinstance(monday, datetime) else monday
        week_rows.append(_with_shares({"week": iso_week(monday), "monday": monday, **row}))

    by_cat = {r["category"]: r for r in qs.values("category").annotate(**_counts())}
    cats = {c.id: c for c in Category.objects.filter(pk__in=[k for k in by_cat if k]).select_related(
        "parent", "parent__parent")}
    category_rows, groups = [], {}
    for cid, row in by_cat.items():
        cat = cats.get(cid)
        top = cat
        while top is not None and top.parent_id:
            top = top.parent
        row = _with_shares({**row, "category": cat, "path": cat.full_name() if cat else "—"})
        category_rows.append(row)
        key = top.pk if top else None
        group = groups.setdefault(key, {"group": top, "n": 0, "top1": 0, "top3": 0, "category_top1": 0,
                                        "unit_top1": 0, "auto": 0})
        for k in ("n", "top1", "top3", "category_top1", "unit_top1", "auto"):
            group[k] += row[k]
    category_rows.sort(key=lambda r: (-r["n"], r["path"]))
    group_rows = sorted((_with_shares(g) for g in groups.values()),  # by volume, as the categories below
                        key=lambda r: (-r["n"], r["group"].code if r["group"] else "~"))
    city_wide = user is None or scoping.is_city_wide(user)
    return Accuracy(since=since, until=until, total=total, weeks=week_rows, categories=category_rows,
                    groups=group_rows, returns=returns_report(qs), models=by_model(qs),
                    thresholds=threshold_guide(qs), rules=auto_rules_report(qs),
                    dispatchers=by_dispatcher(qs) if city_wide else [])


# ── the accuracy page at a city's scale: kept reports ───────────────────────

SNAPSHOT_MAX_AGE = timedelta(hours=2)     # an older snapshot is computed again when asked
SNAPSHOT_REFRESH = timedelta(hours=1)     # the worker computes again the snapshots this old…
SNAPSHOT_WATCHED = timedelta(days=7)      # …that someone looked at this recently; the others are dropped
# Logged dispatches from which a report is kept (worth_keeping): a city's scale (docs/dispatch-desk.md, "kept
# reports"), decided by the rows counted, not by one timing on a busy machine…
KEEP_ROWS = 50_000
PREPARE_ROWS = KEEP_ROWS  # …and in the default window, from which the worker counts reports ahead
RECOUNT_AFTER = timedelta(minutes=5)      # a kept report may be counted again from the page this long after


def audience(user):
    """Who sees the same figures: "city" (every city-wide user), or "unit:ID:role" (a unit's supervisors)."""
    if user is None or scoping.is_city_wide(user):
        return "city"
    return f"unit:{user.unit_id}:{user.role}"


def audience_user(key):
    """A stand-in user of an audience (never saved; `key` may carry filters), for the worker to compute its
    figures with."""
    key = key.split("|")[0]
    if key == "city":
        return None
    _unit, unit_id, role = key.split(":")
    return User(role=role, unit_id=int(unit_id))


def filters_of_key(key):
    """The AccuracyFilters a kept report's key carries (AccuracyFilters.key's inverse): "city|source=auto" →
    AccuracyFilters(source="auto")."""
    given = dict(part.split("=", 1) for part in key.split("|")[1:])
    numbers = {name: int(given[name]) for name in ("district", "street", "dispatcher") if name in given}
    return AccuracyFilters(group=given.get("group", ""), source=given.get("source", ""), **numbers)


def recent_audiences(now):
    """{audience: its members' latest login} of the users who may open the accuracy page and logged in within
    SNAPSHOT_WATCHED: the audiences whose figures the worker counts ahead (jobs.prepare_accuracy_snapshots)."""
    users = (User.objects.filter(is_active=True, last_login__gte=now - SNAPSHOT_WATCHED)
             .filter(Q(role__in=ACCURACY_ROLES) | Q(is_superuser=True)).select_related("unit"))
    latest = {}
    for user in users:
        key = audience(user)
        latest[key] = max(latest.get(key, user.last_login), user.last_login)
    return latest


KEY_LENGTH = 60  # AccuracySnapshot.audience's: a longer key (a long category code) is counted at each visit


def snapshot_key(user, filters=None):
    """The kept report's key: the audience, and the filters if any (narrowed reports are kept apart); None when it
    would not fit (counted at each visit)."""
    key = audience(user) + (filters.key() if filters else "")
    return key if len(key) <= KEY_LENGTH else None


def snapshots_to_refresh(now):
    """The kept reports the worker counts again: older than SNAPSHOT_REFRESH and not narrowed (a narrowed one is
    counted again at its next visit after SNAPSHOT_MAX_AGE: the worker does not count every filter once tried)."""
    return AccuracySnapshot.objects.filter(computed_at__lt=now - SNAPSHOT_REFRESH).exclude(audience__contains="|")


def worth_keeping(report):
    """Whether a report counted so many dispatches (KEEP_ROWS or more) that the page keeps it rather than count
    it at every visit."""
    return report.total["n"] >= KEEP_ROWS


def accuracy_for(user, weeks=DEFAULT_WEEKS, now=None, filters=None):
    """(Accuracy, computed_at) for the accuracy page: the report counted now (computed_at None) or, when it counts
    KEEP_ROWS dispatches or more (worth_keeping), its snapshot (AccuracySnapshot) while younger than
    SNAPSHOT_MAX_AGE. A narrowed report is kept apart (snapshot_key) by the same rule: at a city's scale one
    dispatcher's or a category group's figures take seconds too."""
    now = now or timezone.now()
    key = snapshot_key(user, filters)
    snapshot = AccuracySnapshot.objects.filter(audience=key, weeks=weeks).first() if key else None
    if snapshot is not None and snapshot.computed_at >= now - SNAPSHOT_MAX_AGE:
        if snapshot.viewed_at < now - timedelta(minutes=10):  # not a write for every view
            AccuracySnapshot.objects.filter(pk=snapshot.pk).update(viewed_at=now)
        return pickle.loads(snapshot.report), snapshot.computed_at  # noqa: S301 — written by keep_snapshot only
    report, kept = count_and_keep(user, weeks, now, snapshot, filters)
    return report, (now if kept else None)


def count_and_keep(user, weeks, now, snapshot=None, filters=None):
    """(the report counted now, whether it was kept): kept when worth_keeping, else its old snapshot (if any)
    dropped."""
    report, seconds = counted_report(weeks, user, now, filters)
    key = snapshot_key(user, filters)
    if key and worth_keeping(report):
        keep_snapshot(key, weeks, report, seconds, now)
        return report, True
    if snapshot is not None:
        snapshot.delete()  # fewer dispatches in the window now: counted at each visit again
    return report, False


def logged_since(user, computed_at, now=None, filters=None):
    """How many dispatches `user` may count (narrowed by `filters`) were logged since a kept report was counted
    (one count on the indexed `at`): what the kept figures do not hold yet."""
    return logged(computed_at, (now or timezone.now()) + timedelta(seconds=1), user, filters).count()


LIVE, ASKED, TOO_SOON = "live", "asked", "too_soon"  # recount's outcomes


def recount(user, weeks, now=None, filters=None):
    """Ask the worker to count the kept report `user` sees (narrowed by `filters`) again, at most once per
    RECOUNT_AFTER (any member's recount counts): (outcome, when), where outcome is ASKED (when: the time asked,
    or that of the recount already asked), TOO_SOON (when: the time it may be asked) or LIVE (none is kept: the
    page counts at each visit). At a city's scale a count takes seconds: never in the web request
    (jobs.recount_asked_snapshots counts it)."""
    now = now or timezone.now()
    key = snapshot_key(user, filters)
    snapshot = AccuracySnapshot.objects.filter(audience=key, weeks=weeks).first() if key else None
    if snapshot is None:
        return LIVE, now
    if snapshot.recount_asked_at is not None:
        return ASKED, snapshot.recount_asked_at
    again_at = snapshot.computed_at + RECOUNT_AFTER
    if now < again_at:
        return TOO_SOON, again_at
    AccuracySnapshot.objects.filter(pk=snapshot.pk, recount_asked_at__isnull=True).update(
        recount_asked_at=now, recount_asked_by=user)
    return ASKED, now


WORKER_PASS = timedelta(seconds=60)  # `jiesu worker`'s default interval between passes


@dataclass(frozen=True)
class PendingRecount:
    """A recount asked and not counted yet, as the page tells it."""
    asked_at: datetime
    seconds_left: int        # about when the worker will have counted it (its next pass and the last count's time)
    waits_for_worker: bool   # asked longer ago than two passes and two counts: no worker seems to be running


def pending_recount(user, weeks, now=None, filters=None):
    """The PendingRecount of the kept report `user` sees, or None when no recount is asked."""
    now = now or timezone.now()
    key = snapshot_key(user, filters)
    snapshot = (AccuracySnapshot.objects.filter(audience=key, weeks=weeks, recount_asked_at__isnull=False)
                .only("recount_asked_at", "seconds").first() if key else None)
    if snapshot is None:
        return None
    expected = WORKER_PASS + timedelta(seconds=snapshot.seconds)
    left = snapshot.recount_asked_at + expected - now
    return PendingRecount(asked_at=snapshot.recount_asked_at, seconds_left=max(5, round(left.total_seconds())),
                          waits_for_worker=now - snapshot.recount_asked_at > 2 * expected)


def counted_report(weeks, user, now, filters=None):
    """(accuracy_report, the seconds it took)."""
    started = time.perf_counter()
    report = accuracy_report(weeks=weeks, now=now, user=user, filters=filters)
    return report, time.perf_counter() - started


def keep_snapshot(key, weeks, report, seconds, now, viewed_at=None):
    """Keep the report counted at `now` (a recount asked before is answered by it)."""
    AccuracySnapshot.objects.update_or_create(audience=key, weeks=weeks, defaults={
        "computed_at": now, "viewed_at": viewed_at or now, "seconds": round(seconds, 3),
        "report": pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL),
        "recount_asked_at": None, "recount_asked_by": None})


def count_snapshot_again(snapshot, now):
    """Count a kept report again (the worker: hourly, or asked from the page); whether it is still kept (not when
    it now counts fewer than KEEP_ROWS: the page counts it at each visit again)."""
    report, seconds = counted_report(snapshot.weeks, audience_user(snapshot.audience), now,
                                     filters_of_key(snapshot.audience))
    if not worth_keeping(report):
        snapshot.delete()
        return False
    keep_snapshot(snapshot.audience, snapshot.weeks, report, seconds, now, viewed_at=snapshot.viewed_at)
    return True


GUIDE_THRESHOLDS = (0.6, 0.7, 0.8, 0.9)


def threshold_guide(qs, thresholds=GUIDE_THRESHOLDS, limit=15):
    """What auto-dispatch would have done with the dispatchers' own decisions: the evidence for a rule's
    threshold (AutoDispatchRule).

    For each category the engine put first (the category a rule acts on), of its logged dispatches: how many
    had a top confidence of at least t (a rule at t would have dispatched them by itself: `covered`) and how
    many of those the dispatcher sent as suggestion #1 (`right`: auto-dispatch would have done the same).
    Auto-dispatched rows are left out: they would only confirm themselves. {"thresholds", "total": row,
    "categories": [row]} for the `limit` categories most often first; a row is {code, name, n,
    cells: [{threshold, covered, coverage, right, precision}], path} (path: the category's full path, as the
    by-category table names it)."""
    from jiesu.categories.models import Category

    human = qs.exclude(source=SuggestionSource.AUTO).annotate(
        top_code=KT("suggested__0__category__code"), top_name=KT("suggested__0__category__name"))
    counts = {"n": Count("id")}
    for i, t in enumerate(thresholds):
        counts[f"covered{i}"] = Count("id", filter=Q(confidence__gte=t))
        counts[f"right{i}"] = Count("id", filter=Q(confidence__gte=t, accepted_rank=1))

    def row(code, name, figures):
        n = figures["n"]
        cells = [{"threshold": t, "covered": figures[f"covered{i}"], "right": figures[f"right{i}"],
                  "coverage": _share(figures[f"covered{i}"], n),
                  "precision": _share(figures[f"right{i}"], figures[f"covered{i}"])}
                 for i, t in enumerate(thresholds)]
        return {"code": code, "name": name, "n": n, "cells": cells}

    by_category = list(human.values("top_code", "top_name").annotate(**counts).order_by("-n", "top_code")[:limit])
    paths = {c.code: c.full_name() for c in Category.objects.filter(
        code__in=[r["top_code"] for r in by_category if r["top_code"]]).select_related("parent", "parent__parent")}
    return {"thresholds": list(thresholds), "total": row("", "", human.aggregate(**counts)),
            "categories": [{**row(r["top_code"], r["top_name"], r), "path": paths.get(r["top_code"], r["top_name"])}
                           for r in by_category]}


def by_model(qs, limit=6):
    """The figures of each model version the dispatches were suggested by, the newest first: how a retrained
    model does at the desk, against the one it replaced."""
    rows = (qs.values("model_version").annotate(first=Min("at"), last=Max("at"), **_counts())
            .order_by("-first")[:limit])
    return [_with_shares(dict(row)) for row in rows]


def _upheld_return():
    """Whether the unit a logged dispatch went to had a return (退单) of that ticket upheld on arbitration after it."""
    return Exists(ReturnRequest.objects.filter(ticket=OuterRef("ticket"), unit=OuterRef("lead_unit"),
                                               state=RequestState.APPROVED, created_at__gte=OuterRef("at")))


def returns_report(qs):
    """Upheld returns (退单 upheld on arbitration) of the unit each logged dispatch went to, after it,
    by whether that unit was the suggested one.

    Groups of the dispatchers' decisions: the top suggestion's lead unit was dispatched (unit_rank 1); the lead of
    suggestion #2 or #3; a unit none of the suggestions named (the dispatcher differed). Auto-dispatches (which
    always follow suggestion #1) are a line of their own, last.
    """
    person = ~Q(source=SuggestionSource.AUTO)
    groups = (("top", person & Q(unit_rank=1), gettext_lazy("Dispatched to the top suggestion's unit")),
              ("other", person & Q(unit_rank__gt=1), gettext_lazy("Dispatched to the unit of suggestion #2 or #3")),
              ("differed", person & Q(unit_rank__isnull=True), gettext_lazy("Dispatched to a unit not suggested")),
              ("auto", Q(source=SuggestionSource.AUTO), gettext_lazy("Auto-dispatched")))
    figures = qs.annotate(returned=_upheld_return()).aggregate(**{
        f"{key}_{what}": Count("id", filter=cond & (Q(returned=True) if what == "r" else Q()))
        for key, cond, _label in groups for what in ("n", "r")})
    rows = []
    for key, _cond, label in groups:
        n, r = figures[f"{key}_n"], figures[f"{key}_r"]
        rows.append({"group": key, "label": label, "n": n, "returned": r, "share": _share(r, n)})
    followed_n, followed_r = rows[0]["n"] + rows[1]["n"], rows[0]["returned"] + rows[1]["returned"]
    rows.insert(2, {"group": "followed", "label": gettext_lazy("Dispatched to a suggested unit (#1–#3)"), "n": followed_n,
                    "returned": followed_r, "share": _share(followed_r, followed_n)})
    return rows


def by_dispatcher(qs):
    """Each dispatcher's own decisions (auto-dispatches left out), the most dispatches first: how often they took
    suggestion #1, how often they overrode all three, and how many of their dispatches a unit's return undid
    (upheld). Staff performance figures: the page shows them to the dispatch lead and city-wide supervisors only."""
    rows = list(qs.exclude(source=SuggestionSource.AUTO).annotate(returned=_upheld_return()).values("by")
                .annotate(**_counts(), upheld=Count("id", filter=Q(returned=True))).order_by("-n", "by"))
    names = {u.pk: u for u in User.objects.filter(pk__in=[r["by"] for r in rows if r["by"]])}
    for row in rows:
        user = names.get(row["by"])
        _with_shares(row)
        row["name"] = (user.display_name or user.username) if user else "—"
        row["override_share"] = _share(row["override"], row["decided"])
        row["upheld_share"] = _share(row["upheld"], row["n"])
    return rows


RULE_FLAG_MIN = 20   # auto-dispatches of a rule in the period before its returns are judged
RULE_FLAG_Z = 1.96   # the returns' share must exceed 1 − threshold by more than its 95 % margin (Wilson)


def wilson_low(part, whole, z=RULE_FLAG_Z):
    """The lower end of the Wilson interval of part/whole: the least share the figures bear out."""
    if not whole:
        return 0.0
    p = part / whole
    centre = p + z * z / (2 * whole)
    margin = z * ((p * (1 - p) + z * z / (4 * whole)) / whole) ** 0.5
    return (centre - margin) / (1 + z * z / whole)


def rule_flagged(rule, n, returned):
    """Whether a rule's auto-dispatches were returned (upheld) more than its threshold allows: a threshold t
    promises at most 1 − t wrong; flagged when at least RULE_FLAG_MIN were dispatched and even the lower end of
    the returns' 95 % interval is above 1 − t (an upheld return is a wrong dispatch; not every wrong one is
    returned, so this is the least that went wrong)."""
    return n >= RULE_FLAG_MIN and wilson_low(returned, n) > 1 - rule.threshold


def auto_rules_report(qs):
    """Per auto-dispatch rule (each enabled one, and a disabled one that dispatched in the period): its
    auto-dispatches, how many the unit returned (upheld) and how many were dispatched again later (a later logged
    dispatch of the ticket: after a return, or an arbitration's), and whether it is flagged (rule_flagged).
    Each auto-dispatch counts for the rule that applies to its category (rule_for, as auto-dispatch chose it)."""
    from jiesu.categories.models import Category
    from jiesu.dispatch.services import rule_for  # the auto-dispatch's own choice (services imports this module)

    later = DispatchSuggestion.objects.filter(ticket=OuterRef("ticket"), at__gt=OuterRef("at"))
    by_category = (qs.filter(source=SuggestionSource.AUTO).annotate(returned=_upheld_return(), again=Exists(later))
                   .values("category").annotate(n=Count("id"), upheld=Count("id", filter=Q(returned=True)),
                                                redispatched=Count("id", filter=Q(again=True))))
    rules = {r.category_id: r for r in AutoDispatchRule.objects.select_related(
        "category", "category__parent", "category__parent__parent")}
    figures = {r.pk: {"rule": r, "n": 0, "upheld": 0, "redispatched": 0} for r in rules.values() if r.enabled}
    cats = Category.objects.select_related("parent", "parent__parent").in_bulk(
        [row["category"] for row in by_category if row["category"]])
    for row in by_category:
        rule = rule_for(cats[row["category"]], rules) if row["category"] in cats else None
        if rule is None:
            continue
        sums = figures.setdefault(rule.pk, {"rule": rule, "n": 0, "upheld": 0, "redispatched": 0})
        for key in ("n", "upheld", "redispatched"):
            sums[key] += row[key]
    rows = []
    for sums in figures.values():
        rule = sums["rule"]
        rows.append({**sums, "code": rule.category.code, "path": rule.category.full_name(), "enabled": rule.enabled,
                     "threshold": rule.threshold, "upheld_share": _share(sums["upheld"], sums["n"]),
                     "allowed": round(1 - rule.threshold, 4), "flagged": rule_flagged(rule, sums["n"], sums["upheld"])})
    rows.sort(key=lambda r: (not r["flagged"], -r["n"], r["code"]))
    for row in rows:
        del row["rule"]  # the report is kept pickled: plain values only
    return rows


# ── flagged rules paused by the worker ───────────────────────────────────────

RULE_CHECK_EVERY = timedelta(minutes=5)  # how often the worker judges the enabled rules (jobs.check_rules_if_due)


def pausing_flagged_rules():
    """settings.JIESU["DISPATCH_PAUSE_FLAGGED_RULES"] (default True): whether the worker pauses a flagged rule."""
    return settings.JIESU.get("DISPATCH_PAUSE_FLAGGED_RULES", True)


@dataclass(frozen=True)
class RuleFigures:
    """An enabled rule's auto-dispatches since `since` and how many of them the unit returned (upheld)."""
    rule: AutoDispatchRule
    n: int
    upheld: int
    since: datetime

    def flagged(self):
        return rule_flagged(self.rule, self.n, self.upheld)

    def as_pause_figures(self):
        """What AutoDispatchRule.pause_figures keeps: the figures the rule was paused on (pause_reason words them)."""
        return {"n": self.n, "upheld": self.upheld, "low": round(wilson_low(self.upheld, self.n), 4),
                "allowed": round(1 - self.rule.threshold, 4), "threshold": self.rule.threshold,
                "since": self.since.isoformat()}


def judged_since(rule, now, weeks=DEFAULT_WEEKS):
    """From when a rule's auto-dispatches are judged: the accuracy page's default period, or from when someone
    switched the rule back on (the dispatches that had it paused are not held against it again), or from when its
    threshold was raised (fewer returns are allowed at a higher threshold: those made below it are not judged by
    it)."""
    return max([report_window(weeks, now)[0], *(at for at in (rule.resumed_at, rule.threshold_raised_at) if at)])


def enabled_rule_figures(now=None):
    """A RuleFigures for each enabled rule (judged_since). Cheap at a city's scale: the auto-dispatch rows of the
    period only (the (source, at) index), counted once by category (the categories each rule covers are found as
    auto-dispatch chose its rule, services.rule_for); a rule switched back on within the period is counted apart,
    from then."""
    from jiesu.categories.models import Category
    from jiesu.dispatch.services import rule_for

    now = now or timezone.now()
    rules = {r.category_id: r for r in AutoDispatchRule.objects.select_related("category")}
    enabled = [r for r in rules.values() if r.enabled]
    if not enabled:
        return []
    earliest = min(judged_since(r, now) for r in enabled)
    auto = logged(earliest, now + timedelta(seconds=1)).filter(source=SuggestionSource.AUTO)
    counts = {"n": Count("id"), "upheld": Count("id", filter=Q(returned=True))}
    by_category = {row.pop("category"): row for row in
                   auto.annotate(returned=_upheld_return()).order_by().values("category").annotate(**counts)}
    covered = {}
    for category in Category.objects.select_related("parent", "parent__parent").filter(pk__in=by_category.keys()):
        rule = rule_for(category, rules)
        if rule is not None and rule.enabled:
            covered.setdefault(rule.pk, []).append(category.pk)
    found = []
    for rule in enabled:
        since, mine = judged_since(rule, now), covered.get(rule.pk, [])
        if since > earliest and mine:
            figures = (auto.filter(at__gte=since, category_id__in=mine).annotate(returned=_upheld_return())
                       .aggregate(**counts))
        else:
            figures = {key: sum(by_category[pk][key] for pk in mine) for key in counts}
        found.append(RuleFigures(rule, figures["n"], figures["upheld"], since))
    return found


def pause_flagged_rules(now=None):
    """Pause (pause_rule, as the system user) each enabled rule whose recent auto-dispatches are flagged
    (rule_flagged): its category's new tickets go to the desk again. Nothing while DISPATCH_PAUSE_FLAGGED_RULES is
    off. Returns the RuleFigures of the rules paused."""
    from jiesu.dispatch.services import system_user

    if not pausing_flagged_rules():
        return []
    now = now or timezone.now()
    flagged = [figures for figures in enabled_rule_figures(now) if figures.flagged()]
    paused = [figures for figures in flagged if pause_rule(figures, system_user(), now)]
    return paused


def pause_rule(figures, by, now):
    """Disable a rule with the figures it is paused on, for the banner (unseen_pauses) to tell; whether it was
    paused (not when someone disabled it meanwhile). Logged in the rule's history in the back office."""
    rule = figures.rule
    paused = AutoDispatchRule.objects.filter(pk=rule.pk, enabled=True).update(
        enabled=False, paused_at=now, paused_by=by, pause_figures=figures.as_pause_figures(),
        pause_seen_at=None, pause_seen_by=None)
    if paused:
        rule.refresh_from_db()
        _log_rule_change(by, rule, lambda: pause_reason(rule))
    return bool(paused)


def pause_reason(rule):
    """Why the worker paused `rule`, from its pause_figures, in the reader's language: 已自动暂停：自动派单 20 次中
    退单核实 8 次，95% 区间下限 22% > 允许 20%."""
    facts = rule.pause_figures or {}
    if not facts:
        return ""
    low, allowed = _apart(facts["low"], facts["allowed"])
    return gettext("Paused automatically: %(upheld)s of its %(n)s auto-dispatches were returned (upheld); the "
                   "lower end of their 95%% interval, %(low)s, is above the %(allowed)s allowed") % {
        "upheld": facts["upheld"], "n": facts["n"], "low": low, "allowed": allowed}


def _apart(low, allowed):
    """Two shares as percentages, with as few decimals as tell them apart (20.25 % and 20 %: 「20.2%」 and
    「20.0%」, never 「20% > 20%」); whole percentages when they differ so."""
    for digits in (0, 1, 2):
        words = f"{low:.{digits}%}", f"{allowed:.{digits}%}"
        if words[0] != words[1]:
            return words
    return words


def paused_rules():
    """The rules the worker paused and nobody switched back on, with their categories."""
    return (AutoDispatchRule.objects.filter(paused_at__isnull=False, enabled=False)
            .select_related("category", "category__parent", "category__parent__parent", "pause_seen_by"))


def unseen_pauses():
    """The paused rules nobody acknowledged yet: what the banner tells (dispatch queue, accuracy page)."""
    return paused_rules().filter(pause_seen_at__isnull=True)


def rule_by_id(pk):
    """The rule with the id `pk` (its category and who switched it back on), or None: none has it (deleted), or
    `pk` is no id at all (as_id: a 25-digit number must not reach the database)."""
    from jiesu.core.params import as_id

    if as_id(pk) is None:
        return None
    return AutoDispatchRule.objects.select_related("category", "resumed_by").filter(pk=pk).first()


def percent(share):
    """0.8731 → "87.3%": the accuracy page's shares and the rules' thresholds (templatetags.desk.pct)."""
    return f"{share * 100:.1f}%"


def threshold_text(threshold):
    """A rule's threshold as the banner, the messages and the rule's history say it: 「≥ 80.0%」."""
    return f"≥ {percent(threshold)}"


def threshold_words(rule):
    """A paused rule's threshold as the banner and the page show it: the one it was paused at (its figures' share
    allowed is 1 − that), and the one it has now when someone changed it meanwhile: 「≥ 80.0%」,
    「暂停时 ≥ 80.0%，现为 ≥ 85.0%」."""
    then = (rule.pause_figures or {}).get("threshold")
    if then is None or abs(then - rule.threshold) < 1e-9:
        return threshold_text(rule.threshold)
    return gettext("≥ %(then)s when paused, ≥ %(now)s now") % {"then": percent(then), "now": percent(rule.threshold)}


def acknowledge_pauses(user, now=None, rule_ids=None, shown_before=None):
    """`user` saw the paused rules the banner told of (it stops showing them); how many `user` acknowledged.
    `rule_ids` (the banner's rules) and `shown_before` (when it was shown) keep a pause the banner did not show
    unseen (one paused after the page was shown: the next page tells it); without them, every unseen pause. A
    pause someone else acknowledged meanwhile keeps who did (each row is acknowledged once, by whoever came
    first), and each acknowledgement is logged once."""
    now = now or timezone.now()
    rules = unseen_pauses()
    if rule_ids is not None:
        rules = rules.filter(pk__in=rule_ids)
    if shown_before is not None:
        rules = rules.filter(paused_at__lte=shown_before)
    done = 0
    for rule in rules:
        if AutoDispatchRule.objects.filter(pk=rule.pk, paused_at=rule.paused_at, enabled=False,
                                           pause_seen_at__isnull=True).update(pause_seen_at=now, pause_seen_by=user):
            _log_rule_change(user, rule, lambda: gettext("The automatic pause was acknowledged"))
            done += 1
    return done


def resume_rule(rule, user, now=None):
    """Switch a paused rule back on: its auto-dispatches are judged from now on (judged_since). Logged with the
    user, the pause it ends and the threshold it runs at. Returns the rule, or None when it is not paused (any
    more): someone switched it back on meanwhile (two leads, two sessions: once, by the first), or it was
    deleted. An acknowledgement made meanwhile keeps who made it; else the user acknowledges the pause."""
    from django.db import transaction

    now = now or timezone.now()
    with transaction.atomic():
        resumed = AutoDispatchRule.objects.filter(pk=rule.pk, paused_at__isnull=False).update(
            enabled=True, paused_at=None, resumed_at=now, resumed_by=user)
        if not resumed:
            return None
        AutoDispatchRule.objects.filter(pk=rule.pk, pause_seen_at__isnull=True).update(
            pause_seen_at=now, pause_seen_by=user)
    paused_at = rule.paused_at
    rule.refresh_from_db()
    _log_rule_change(user, rule, lambda: gettext(
        "Switched back on after the automatic pause of %(paused_at)s, at %(threshold)s") % {
        "paused_at": timezone.localtime(paused_at).strftime("%Y-%m-%d %H:%M") if paused_at else "—",
        "threshold": threshold_text(rule.threshold)})
    return rule


def _log_rule_change(user, rule, words):
    """A line in the rule's history in the back office (django.contrib.admin's LogEntry), with who did it;
    `words()` in the platform's language, as the platform stores what it writes (wording.in_platform_language)."""
    from django.contrib.admin.models import CHANGE, LogEntry

    from jiesu.dispatch.wording import in_platform_language

    LogEntry.objects.log_actions(user.pk, [rule], CHANGE, change_message=in_platform_language(lambda _: words(), None),
                                 single_object=True)
