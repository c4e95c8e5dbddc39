"""每月一题: create a topic from a hotspot or a category, record tasks, policies and progress, measure the effect.

Who: supervisors and administrators create topics and add tasks and policies; staff of
the lead unit and the co units (and supervisors) record progress and mark their tasks
done; every government user reads them. Every change writes a TopicChange (who, when,
what). The effect is the topic's ticket volume in the topic's month against the
same number of days just before it (`effect`).
"""
from __future__ import annotations

import calendar as _calendar
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiesu.accounts.models import Role
from jiesu.categories.models import Category
from jiesu.core import scoping
from jiesu.core.errors import DomainError, Forbidden
from jiesu.core.text_masking import masked_text, text_for
from jiesu.hotspots import services as hotspot_services
from jiesu.hotspots.cluster import Item, similarity_to
from jiesu.hotspots.models import Hotspot
from jiesu.tickets.models import Ticket
from jiesu.topics.models import Policy, Progress, Source, Topic, TopicChange, TopicEffect, TopicState, TopicTask
from jiesu.units.models import Unit, UnitKind

CREATOR_ROLES = (Role.SUPERVISOR, Role.ADMIN)
READER_ROLES = (Role.CALL_TAKER, Role.DISPATCHER, Role.CALLBACK_AGENT, Role.SUPERVISOR, Role.UNIT_STAFF,
                Role.GRID_WORKER, Role.ADMIN)
HANDLING_KINDS = (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.DEPARTMENT,
                  UnitKind.ENTERPRISE)
TITLE_REACH = 121     # a ticket's title (120 characters at most) and the space after it open a hotspot's text
MATCH_TEXT = 0.2      # a ticket belongs to a hotspot topic when this alike to one of its exemplars (cluster.Params)


# ── permissions ─────────────────────────────────────────────────────────────

def may_read(user):
    return scoping.has_role(user, *READER_ROLES)


def may_create(user):
    return scoping.has_role(user, *CREATOR_ROLES)


def may_update(user, topic):
    """Supervisors, administrators, and staff of the lead or a co unit."""
    if may_create(user):
        return True
    if not scoping.has_role(user, Role.UNIT_STAFF, Role.GRID_WORKER) or user.unit_id is None:
        return False
    return user.unit_id == topic.lead_unit_id or topic.co_units.filter(pk=user.unit_id).exists()


def _require(allowed):
    if not allowed:
        raise Forbidden(_("Your role may not do this."))


def record(topic, user, kind, **detail):
    return TopicChange.objects.create(topic=topic, at=timezone.now(), by=user,
                                      unit_id=getattr(user, "unit_id", None), kind=kind, detail=detail)


# ── input ───────────────────────────────────────────────────────────────────

@dataclass
class TopicData:
    title: str = ""
    description: str = ""
    year: int | str | None = None
    month: int | str | None = None
    lead_unit: int | str | None = None
    co_units: tuple = ()
    hotspot: int | str | None = None
    category: str = ""           # category code
    territory: int | str | None = None


def _int(value, field, message):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DomainError(message, field=field) from None


def _unit(value, field):
    pk = _int(value, field, _("Choose a unit."))
    unit = Unit.objects.filter(pk=pk, kind__in=HANDLING_KINDS).first()
    if unit is None:
        raise DomainError(_("There is no handling unit with this id."), field=field)
    return unit


def validate(data: TopicData, user=None):
    """(clean fields, co units) or DomainError naming the field. A hotspot must be one `user` may see
    (hotspots.services.get_visible: a district's supervisor makes no topic of another district's hotspot by its id);
    its row is locked for the transaction (create_topic's), so a run dropping old runs waits and then sees the topic
    (hotspots.services.drop_old_runs keeps a hotspot a topic was made from)."""
    title = (data.title or "").strip()
    if not title:
        raise DomainError(_("Enter a title."), field="title")
    if len(title) > 200:
        raise DomainError(_("The title is too long (200 characters at most)."), field="title")
    year = _int(data.year, "year", _("Enter the year."))
    month = _int(data.month, "month", _("Enter the month (1–12)."))
    if not 2000 <= year <= 2100:
        raise DomainError(_("Enter a year between 2000 and 2100."), field="year")
    if not 1 <= month <= 12:
        raise DomainError(_("Enter the month (1–12)."), field="month")
    lead = _unit(data.lead_unit, "lead_unit")
    co = [_unit(v, "co_units") for v in data.co_units if str(v).strip()]
    co = [u for u in dict.fromkeys(co) if u != lead]
    hotspot = category = territory = None
    if data.hotspot not in (None, ""):
        pk = _int(data.hotspot, "hotspot", _("Unknown hotspot."))
        hotspot = Hotspot.objects.select_for_update(of=("self",)).filter(pk=pk).select_related("category").first()
        if hotspot is None and Hotspot.objects.filter(pk__gt=pk).exists():    # ids grow: this one was dropped
            raise DomainError(_("This hotspot is no longer stored: a newer run replaced it (the latest runs are "
                                "kept). Make the topic from the latest hotspots."), field="hotspot")
        if hotspot is None or (user is not None and hotspot_services.get_visible(user, pk) is None):
            raise DomainError(_("Unknown hotspot."), field="hotspot")
    if (data.category or "").strip():
        category = Category.objects.filter(code=data.category.strip()).first()
        if category is None:
            raise DomainError(_("There is no category with this code."), field="category")
    if hotspot is None and category is None:
        raise DomainError(_("Choose a hotspot or a category."), field="category")
    if data.territory not in (None, ""):
        territory = Unit.objects.filter(pk=_int(data.territory, "territory", _("Choose a unit.")),
                                        kind__in=(UnitKind.DISTRICT, UnitKind.STREET)).first()
        if territory is None:
            raise DomainError(_("The territory must be a district or a street."), field="territory")
    return dict(title=title, description=(data.description or "").strip(), year=year, month=month, lead_unit=lead,
                hotspot=hotspot, category=category, territory=territory), co


@transaction.atomic
def create_topic(user, data: TopicData, demo=False):
    _require(may_create(user))
    fields, co = validate(data, user)
    hotspot = fields["hotspot"]
    if hotspot is not None and not hotspot.exemplars and fields["category"] is None:
        fields["category"] = hotspot.category    # no texts to match (reports only): its category's tickets count
    topic = Topic(**fields, source=Source.HOTSPOT if hotspot else Source.CATEGORY, created_at=timezone.now(),
                  created_by=user, demo=demo)
    if hotspot is not None:
        topic.exemplars = hotspot.exemplars
        topic.streets = sorted({s for s in hotspot.tickets.values_list("street_id", flat=True) if s})
    topic.save()
    topic.co_units.set(co)
    record(topic, user, "created", title=topic.title, lead_unit=topic.lead_unit.name, co_units=[u.name for u in co],
           source=topic.source, hotspot=hotspot.pk if hotspot else None,
           category=topic.category.code if topic.category else None)
    return topic


def _text(value, field, label, max_length):
    value = (value or "").strip()
    if not value:
        raise DomainError(_("Enter %(what)s.") % {"what": label}, field=field)
    if len(value) > max_length:
        raise DomainError(_("Too long (%(n)s characters at most).") % {"n": max_length}, field=field)
    return value


def _date(value, field):
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise DomainError(_("Enter a date as YYYY-MM-DD."), field=field) from None


@transaction.atomic
def add_task(user, topic, title, unit_id, due=None):
    _require(may_create(user))
    title = _text(title, "task_title", _("the task"), 200)
    unit = _unit(unit_id, "task_unit")
    task = TopicTask.objects.create(topic=topic, title=title, unit=unit,
                                    due=_date(due, "task_due") if due else None)
    record(topic, user, "task_added", task=task.pk, title=title, unit=unit.name,
           due=task.due.isoformat() if task.due else None)
    return task


@transaction.atomic
def finish_task(user, task):
    topic = task.topic
    allowed = may_create(user) or (may_update(user, topic) and user.unit_id == task.unit_id)
    _require(allowed)
    now = timezone.now()
    # done only if not yet: two "mark done" at once (a double click) both read it open and both were saved
    if task.done_at or not TopicTask.objects.filter(pk=task.pk, done_at__isnull=True).update(done_at=now):
        raise DomainError(_("The task is already done."), field="task")
    task.done_at = now
    record(topic, user, "task_done", task=task.pk, title=task.title)
    return task


@transaction.atomic
def add_policy(user, topic, title, issued_on, number="", issuer=""):
    _require(may_create(user) or may_update(user, topic))
    title = _text(title, "policy_title", _("the policy"), 200)
    policy = Policy.objects.create(topic=topic, title=title, issued_on=_date(issued_on, "policy_issued_on"),
                                   number=(number or "").strip()[:80], issuer=(issuer or "").strip()[:120])
    record(topic, user, "policy_added", policy=policy.pk, title=title, number=policy.number,
           issued_on=policy.issued_on.isoformat())
    return policy


@transaction.atomic
def add_progress(user, topic, text):
    _require(may_update(user, topic))
    text = _text(text, "progress_text", _("the progress"), 2000)
    entry = Progress.objects.create(topic=topic, at=timezone.now(), by=user, unit_id=user.unit_id, text=text)
    record(topic, user, "progress", text=text[:200])
    return entry


@transaction.atomic
def set_state(user, topic, state):
    _require(may_update(user, topic))
    if state not in TopicState.values:
        raise DomainError(_("Unknown state."), field="state")
    # the state as stored now, the row locked: a change made meanwhile is the one this line says it changed
    before = Topic.objects.select_for_update().values_list("state", flat=True).get(pk=topic.pk)
    if state == before:
        return topic                               # nothing changes: no line in the topic's changes
    topic.state = state
    topic.save(update_fields=["state"])
    record(topic, user, "state", before=before, after=state)
    return topic


# ── the effect ──────────────────────────────────────────────────────────────

def month_window(year, month):
    """[first day 00:00, first day of the next month 00:00) in the current time zone."""
    tz = timezone.get_current_timezone()
    start = datetime(year, month, 1, tzinfo=tz)
    days = _calendar.monthrange(year, month)[1]
    return start, start + timedelta(days=days)


def matching(topic, start, end):
    """The tickets of [start, end) that belong to the topic (merged duplicates count: each is a citizen asking)."""
    qs = Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
    if topic.category_id:
        codes = Category.objects.filter(code__startswith=topic.category.code).values("pk")
        qs = qs.filter(category__in=codes)
    if topic.territory_id:
        qs = qs.filter(scoping.territory_filter(topic.territory))
    if topic.source == Source.HOTSPOT and topic.streets:
        qs = qs.filter(street_id__in=topic.streets)
    if topic.source == Source.HOTSPOT and topic.exemplars:  # none for a hotspot of reports/confidential requests only
        rows = list(qs.values_list("pk", "title", "text"))
        sims = similarity_to(topic.exemplars, [f"{t} {x}"[:600] for _pk, t, x in rows])
        return [pk for (pk, _t, _x), s in zip(rows, sims) if s >= MATCH_TEXT]
    return list(qs.values_list("pk", flat=True))


# ── texts copied before 2026-12-07 ─────────────────────────────────────────

def repair_copied_texts(topic_model=Topic, hotspot_model=Hotspot, ticket_model=Ticket, change_model=TopicChange):
    """A hotspot topic made before 2026-12-07 copied its hotspot's central texts as they were then: maybe a report's
    (举报) or a confidential request's (保密) words, a citizen's phone number unmasked. After
    hotspots.services.repair_stored, a topic whose hotspot is stored takes the hotspot's exemplars (what
    create_topic copies now). A topic whose hotspot is gone (runs beyond the 30 latest are dropped) keeps each text
    that is the central text of a ticket not withheld (cluster.Item.body, as a run takes it), masked for that
    ticket's citizen; drops a text that is only withheld tickets'; masks a text no ticket has any more (its citizen's
    name unknown). One query for the topics and their hotspots, one per topic whose hotspot is gone (its streets'
    tickets recorded before it that begin with its texts). Each topic changed gets a TopicChange `texts_repaired`
    (by nobody: the platform; how many texts before and after), as every change to a topic does. The models are
    arguments for the migration (topics 0002). Returns (topics looked at, topics changed)."""
    topics = list(topic_model._default_manager.filter(source=Source.HOTSPOT)
                  .only("id", "exemplars", "streets", "hotspot_id", "created_at").order_by("pk"))
    stored = dict(hotspot_model._default_manager.filter(pk__in={t.hotspot_id for t in topics if t.hotspot_id})
                  .values_list("pk", "exemplars"))
    stale, changes, now = [], [], timezone.now()
    for topic in topics:
        if topic.hotspot_id in stored:
            texts = stored[topic.hotspot_id]
        elif topic.exemplars:
            texts = _orphan_texts(topic, ticket_model)
        else:
            continue
        if texts != topic.exemplars:
            changes.append(change_model(topic_id=topic.pk, at=now, kind="texts_repaired",
                                        detail={"texts_before": len(topic.exemplars), "texts_after": len(texts)}))
            topic.exemplars = texts
            stale.append(topic)
    if stale:
        topic_model._default_manager.bulk_update(stale, ["exemplars"], batch_size=500)
        change_model._default_manager.bulk_create(changes, batch_size=500)
    return len(topics), len(stale)


def _orphan_texts(topic, ticket_model):
    """The texts of a topic whose hotspot is gone, repaired (repair_copied_texts)."""
    found = Q()
    for text in topic.exemplars:
        found |= Q(text__startswith=text)                     # the body is the text (it opens with the title)…
        for i in [i for i, c in enumerate(text[:TITLE_REACH]) if c == " "]:
            found |= Q(title=text[:i], text__startswith=text[i + 1:])    # …or the title, a space and the text
    qs = ticket_model._default_manager.filter(found, created_at__lte=topic.created_at)
    if topic.streets:
        qs = qs.filter(street_id__in=topic.streets)
    whose = {}
    for ticket in qs.only("id", "title", "text", "request_type", "confidential", "citizen_name", "citizen_user_id"):
        whose.setdefault(Item(ticket.pk, ticket.title, ticket.text[:600], 0.0).body[:300], []).append(ticket)
    out = []
    for text in topic.exemplars:
        tickets = whose.get(text)
        if not tickets:
            out.append(masked_text(text))
            continue
        shown = [t for t in tickets if not scoping.is_withheld_from_territory(t)]
        if shown:
            out.append(text_for(None, shown[0], text))
    return out


@dataclass
class Effect:
    before_start: datetime
    start: datetime
    end: datetime
    before: int
    during: int
    measured_until: datetime
    counted_at: datetime | None = None  # when it was counted (the page says it: a stored effect may be an hour old)

    @property
    def change(self):
        """Relative change of the daily volume (None when there was nothing before)."""
        if not self.before:
            return None
        return (self.during - self.before) / self.before

    @property
    def final(self):
        """Counted up to the end of the topic's month: later tickets no longer change it."""
        return self.measured_until >= self.end


def effect(topic, now=None):
    """Volume in the topic's month (up to now) against the same number of days just before it."""
    now = now or timezone.now()
    start, end = month_window(topic.year, topic.month)
    until = min(end, max(start, now))
    length = until - start
    before_start = start - length
    before = len(matching(topic, before_start, start)) if length else 0
    during = len(matching(topic, start, until)) if length else 0
    return Effect(before_start, start, end, before, during, until, counted_at=now)


# The effect counted is stored (TopicEffect): a hotspot topic counts its streets' tickets by their texts — 3.5 s of
# CPU for a topic of a very large problem, 172 ms for a street's, on the demo city of 100,000 tickets — which the
# page did at every view. The page shows the stored figures and when they were counted while they are fresh; the
# worker counts the running months' topics again before that (refresh_effects).
EFFECT_MAX_AGE = timedelta(hours=1)         # while the month runs, the page counts again figures older than this
EFFECT_FINAL_MAX_AGE = timedelta(days=7)    # counted after the month ended (a late import may still add tickets)
EFFECT_REFRESH = timedelta(minutes=30)      # the worker counts a running month's topic again at this age


def rule_key(topic):
    """What the effect's figures depend on besides the tickets: the topic's month and matching rule, as one
    string (a stored effect counted by another rule is not shown)."""
    import hashlib
    import json

    rule = [topic.year, topic.month, topic.source, topic.category_id, topic.territory_id, topic.streets,
            topic.exemplars]
    return hashlib.sha256(json.dumps(rule, ensure_ascii=False, default=str).encode()).hexdigest()


def _stored_effect(topic):
    stored = TopicEffect.objects.filter(topic_id=topic.pk).first()
    if stored is None or stored.rule != rule_key(topic):
        return None
    start, end = month_window(topic.year, topic.month)
    return Effect(stored.before_start, start, end, stored.before, stored.during, stored.measured_until,
                  counted_at=stored.counted_at)


def _fresh(counted, now):
    return now - counted.counted_at < (EFFECT_FINAL_MAX_AGE if counted.final else EFFECT_MAX_AGE)


def count_effect(topic, now=None):
    """effect(topic), stored with when it was counted and how long it took (one row a topic: a second count at the
    same moment, another page or the worker, updates it); the Effect."""
    now = now or timezone.now()
    started = time.process_time()
    counted = effect(topic, now)
    values = {"counted_at": now, "rule": rule_key(topic), "before_start": counted.before_start,
              "measured_until": counted.measured_until, "before": counted.before, "during": counted.during,
              "seconds": round(time.process_time() - started, 3)}
    if not TopicEffect.objects.filter(topic_id=topic.pk).update(**values):
        try:
            with transaction.atomic():
                TopicEffect.objects.create(topic_id=topic.pk, **values)
        except IntegrityError:  # stored by another count meanwhile
            TopicEffect.objects.filter(topic_id=topic.pk).update(**values)
    return counted


def shown_effect(topic, now=None):
    """The effect the topic's page shows: the stored one while fresh (EFFECT_MAX_AGE while the month runs,
    EFFECT_FINAL_MAX_AGE once counted to its end) and counted by the topic's rule, else counted now and stored.
    Its counted_at says when."""
    now = now or timezone.now()
    stored = _stored_effect(topic)
    if stored is not None and _fresh(stored, now):
        return stored
    return count_effect(topic, now)


EFFECT_PASS_CPU = 5.0  # seconds of CPU a worker pass spends counting effects at most (one topic at least)


def refresh_effects(now=None, budget=EFFECT_PASS_CPU):
    """A worker job: count again the effect of the topics whose month runs or ended within EFFECT_FINAL_MAX_AGE,
    when never counted, counted by another rule, at EFFECT_REFRESH of age (before the page finds it stale) or
    before the month's end for a month now ended (its final figures). The stalest first, until `budget` seconds of
    CPU are spent: a topic of a city's volume takes seconds, and the worker's other jobs wait meanwhile; the rest
    are counted at the next passes (a minute apart). How many were counted."""
    now = now or timezone.now()
    today = timezone.localtime(now)
    recent = today - EFFECT_FINAL_MAX_AGE - timedelta(days=31)
    due = []
    for topic in Topic.objects.filter(year__gte=recent.year, year__lte=today.year).select_related("category"):
        start, end = month_window(topic.year, topic.month)
        if start > now or end < now - EFFECT_FINAL_MAX_AGE:
            continue
        stored = _stored_effect(topic)
        if stored is not None and (stored.final or (now - stored.counted_at < EFFECT_REFRESH and end > now)):
            continue
        due.append((stored.counted_at if stored else datetime.min.replace(tzinfo=now.tzinfo), topic.pk, topic))
    started, counted = time.process_time(), 0
    for _at, _pk, topic in sorted(due, key=lambda row: row[:2]):
        if counted and time.process_time() - started >= budget:
            break
        count_effect(topic, now)
        counted += 1
    return counted


def year_topics(year):
    return (Topic.objects.filter(year=year).select_related("lead_unit", "category", "hotspot")
            .prefetch_related("co_units").order_by("month", "id"))
