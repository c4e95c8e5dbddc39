"""Demo tickets: ~20,000 requests over the last six months of a simulated Beijing 12345.

Each ticket is *simulated* from intake to `now`: the hotline triages it (special-class
close, direct answer, duplicate merged into an open ticket, or dispatch by the dispatch
catalogue), the unit signs, contacts, replies (sometimes late, sometimes after a return
and arbitration or an extension), the callback agent calls back (sometimes a
re-handling round follows), and the deadline worker marks approaching and overdue
tickets on the way. Whatever has not happened by `now` has not happened: recent
tickets are open, old ones closed, and the state proportions come out of the timings.
A merged duplicate tells its parent's problem at its place; a few groups of the last day
(texts.DUPLICATE_GROUPS: one problem at one place, two or three callers, each in their
own words) are still open, for the intake and the dispatcher to offer for merging.
Each first dispatch is also logged as the dispatcher's desk logs it (`DeskLog`: the
suggestions a dispatch engine had shown and which one was taken, at invented rates).

Rows are written in bulk (`insert_rows`: one prepared INSERT per batch), not through
jiesu.tickets.services (far too slow for 20,000 tickets), but every invariant the
services keep is kept here: the same
events with the same payloads, assignments (lead, co, the district's copy of a street
dispatch) with deadlines from the category's time-limit class on the working
calendar, Ticket.next_check_at from jiesu.tickets.models.next_warning_at, and a
warning level that matches the deadlines at `now`.

Everything random comes from one random.Random(seed), so a seed and a `now` give the
same tickets every time.
"""
import math
import random
import time as clock_time
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from jiesu.categories.models import Category, Duty
from jiesu.categories.services import effective_time_limit
from jiesu.demo import profiles as P
from jiesu.demo import texts as T
from jiesu.demo.deadlines import FastClock
from jiesu.demo.models import DemoDataset
from jiesu.demo.users import StaffPool
from jiesu.dispatch.models import DispatchSuggestion
from jiesu.dispatch.services import match
from jiesu.tickets.models import (
    Assignment, Callback, ExtensionRequest, Notice, ReturnRequest, Ticket, TicketEvent, current_deadline,
    next_warning_at,
)
from jiesu.units.models import Unit, UnitKind
from jiesu.workcal.services import current_calendar
from jiesu.workcal.worktime import warning_point

NEW, ANSWERED, DISPATCHED, SIGNED, CONTACTED = "new", "answered", "dispatched", "signed", "contacted"
RETURNED, REPLIED, CLOSED, MERGED = "returned", "replied", "closed", "merged"
OPEN = (NEW, DISPATCHED, SIGNED, CONTACTED, RETURNED)
HANDLING = (DISPATCHED, SIGNED, CONTACTED)
ALL_STATES = (NEW, ANSWERED, DISPATCHED, SIGNED, CONTACTED, RETURNED, REPLIED, CLOSED, MERGED)

DAYS = 183
BATCH = 2000
TERRITORIAL = ("street", "district", "community", "grid")
DDEPT = "district_department:"
ALT_REQUEST_TYPES = {"complaint": ("report", "help"), "report": ("complaint",), "help": ("complaint", "consult"),
                     "consult": ("help", "suggestion"), "suggestion": ("consult", "complaint")}
DEMO_BOOST = {"110101001": 6.0, "110101002": 3.0}  # the demo users' streets get more tickets
DEMO_GRID = "110101001001001"
DUPLICATE_STREETS = ("110101001", "110101002")  # the open duplicate groups: the demo users' streets


class Ref:
    """A ticket's id or number, known only once ids are given out (payloads of merge events)."""

    def __init__(self, sim, what):
        self.sim, self.what = sim, what

    def value(self):
        return self.sim.id if self.what == "id" else self.sim.number


@dataclass
class U:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    district_id: int | None
    street_id: int | None


@dataclass
class Leaf:
    id: int
    code: str
    name: str
    request_type: str
    limit: str
    lead: list
    co: list

    @property
    def group(self):
        return self.code[:2]

    @property
    def needs_place(self):
        return any(t[0] != "unit" for t in self.lead + self.co)


@dataclass
class Spec:
    created_at: datetime
    leaf: Leaf
    channel: str
    district: U | None = None
    street: U | None = None
    community: U | None = None
    grid: U | None = None
    lon: float | None = None
    lat: float | None = None
    duplicate: bool = False
    patrol_grid: U | None = None
    text_district: U | None = None  # where the text is about, when the ticket itself has no place
    text_street: U | None = None
    wording: tuple | None = None    # (title, problem) templates: a duplicate tells its parent's problem
    place_words: dict | None = None  # the compound, road, building… the text names: a duplicate names its parent's


# ─────────────────────────────────────────────────────────────── the world


class World:
    """Reference data loaded once: units, leaves with their duties, limits, the calendar."""

    def __init__(self, now, seed):
        self.now = now
        self.seed = seed
        rows = Unit.objects.filter(active=True).values_list(
            "id", "code", "name", "kind", "parent_id", "district_id", "street_id")
        self.units = {r[0]: U(*r) for r in rows}
        self.by_code = {u.code: u for u in self.units.values()}
        self.streets = defaultdict(list)
        self.grids = defaultdict(list)
        for u in sorted(self.units.values(), key=lambda u: u.code):
            if u.kind == UnitKind.STREET and u.district_id:
                self.streets[u.district_id].append(u)
            elif u.kind == UnitKind.GRID and u.street_id:
                self.grids[u.street_id].append(u)
        self.districts = sorted((self.units[d] for d in self.streets), key=lambda u: u.code)
        if not self.districts:
            raise RuntimeError("the org tree has no streets: build it first (jiesu setup does)")
        self._geoms = {}
        self._grid_geometry = None
        self._places = {}
        self.limits = {}
        from jiesu.categories.models import TimeLimitClass

        for t in TimeLimitClass.objects.all():
            self.limits[t.code] = {s: t.limit(s) for s in ("dispatch", "sign", "contact", "reply")}
        if "general" not in self.limits:
            raise RuntimeError("no time-limit classes: run seed_reference first (jiesu setup does)")
        self.leaves = self._load_leaves()
        if not self.leaves:
            raise RuntimeError("no categories with duties: run seed_reference after building the org tree")
        calendar = current_calendar()
        first = (now - timedelta(days=DAYS + 3)).date()
        self.clock = FastClock(calendar, first, (now + timedelta(days=420)).date())
        self.calendar = calendar
        self.fraction = settings.JIESU["WARNING_FRACTION"]
        self.max_rounds = settings.JIESU["MAX_REHANDLE_ROUNDS"]
        self.max_attempts = settings.JIESU["CALLBACK_MAX_ATTEMPTS"]

    def _load_leaves(self):
        index = {pk: (code, name, parent, level, tlc) for pk, code, name, parent, level, tlc in
                 Category.objects.values_list("id", "code", "name", "parent_id", "level", "time_limit_class__code")}
        parents = set(Category.objects.filter(active=True, parent__isnull=False).values_list("parent_id", flat=True))
        duties = defaultdict(lambda: {"lead": [], "co": []})
        for cat_id, role, kind, unit_id, territory in Duty.objects.filter(negative=False).values_list(
                "category_id", "role", "unit_kind", "unit_id", "territory_id"):
            if territory is not None:
                continue  # local overrides: the citywide catalogue is enough for the demo
            if unit_id:
                if unit_id not in self.units:
                    continue
                target = ("unit", unit_id)
            elif kind in TERRITORIAL:
                target = ("kind", kind)
            elif kind.startswith(DDEPT):
                target = ("ddept", kind[len(DDEPT):])
            else:
                continue
            duties[cat_id]["lead" if role == "lead" else "co"].append(target)
        leaves = []
        for cat in Category.objects.filter(active=True).order_by("code").values("id", "code", "name",
                                                                                  "request_type"):
            if cat["id"] in parents or not duties[cat["id"]]["lead"]:
                continue
            d = duties[cat["id"]]
            leaves.append(Leaf(cat["id"], cat["code"], cat["name"], cat["request_type"],
                               effective_time_limit(index, cat["id"]), sorted(d["lead"])[:1], sorted(d["co"])))
        return [leaf for leaf in leaves if leaf.limit in self.limits]

    # -- places

    def place_names(self, street):
        """A few roads and housing compounds in a street (stable for a seed)."""
        found = self._places.get(street.id)
        if found is None:
            rng = random.Random(f"{self.seed}:{street.code}")
            base = street_base(street.name)
            roads = list(dict.fromkeys(base + rng.choice(T.ROAD_SUFFIXES) for _ in range(4)))
            compounds = [base + rng.choice(T.COMPOUND_SUFFIXES)]
            compounds += [rng.choice(T.COMPOUND_WORDS) + rng.choice(T.COMPOUND_SUFFIXES) for _ in range(3)]
            found = self._places[street.id] = (roads, compounds)
        return found

    def random_point(self, grid, rng):
        """A point inside the grid's boundary (area-weighted triangles, cached per grid)."""
        tri = self._geoms.get(grid.id)
        if tri is None:
            import numpy as np
            import shapely

            from jiesu.units.geometry import as_shape

            if self._grid_geometry is None:
                self._grid_geometry = dict(Unit.objects.filter(kind=UnitKind.GRID, geometry__isnull=False)
                                           .values_list("id", "geometry"))
            geometry = self._grid_geometry.get(grid.id)
            shape = as_shape(geometry) if geometry else None
            if shape is None or shape.is_empty:
                self._geoms[grid.id] = False
                return None
            parts = shapely.get_parts(shapely.constrained_delaunay_triangles(shape))
            corners = [np.asarray(t.exterior.coords)[:3].tolist() for t in parts]
            tri = self._geoms[grid.id] = (corners, list(accumulate(shapely.area(parts).tolist())))
        if tri is False:
            return None
        corners, cum = tri
        a, b, c = corners[min(bisect_right(cum, rng.random() * cum[-1]), len(cum) - 1)]
        r1, r2 = rng.random(), rng.random()
        if r1 + r2 > 1:
            r1, r2 = 1 - r1, 1 - r2
        return (round(a[0] + r1 * (b[0] - a[0]) + r2 * (c[0] - a[0]), 6),
                round(a[1] + r1 * (b[1] - a[1]) + r2 * (c[1] - a[1]), 6))

    def resolve(self, target, spec):
        """The unit id a duty target means for a ticket at spec's place (None if it cannot tell)."""
        how, what = target
        if how == "unit":
            return what
        street = spec.street
        if how == "kind":
            if what == "street":
                return street.id if street else None
            if what == "district":
                return spec.district.id if spec.district else None
            node = spec.grid if what == "grid" else spec.community
            return node.id if node else (street.id if street else None)
        if spec.district is None:
            return None
        unit = self.by_code.get(f"{spec.district.code}-{what}")
        return unit.id if unit else None


def street_base(name):
    for suffix in ("街道", "地区", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def pick(rng, weighted):
    """One value of ((value, weight), …)."""
    total = sum(w for _, w in weighted)
    x = rng.random() * total
    for value, w in weighted:
        x -= w
        if x < 0:
            return value
    return weighted[-1][0]


def choose_cum(rng, values, cum):
    return values[min(bisect_right(cum, rng.random() * cum[-1]), len(values) - 1)]


# ─────────────────────────────────────────────────────────────── what comes in, when, from where


class Sampler:
    def __init__(self, world, rng):
        self.w, self.rng = world, rng
        now = world.now
        tz = world.clock.tz
        local_now = now.astimezone(tz)
        self.days = [(local_now - timedelta(days=DAYS - 1 - i)).date() for i in range(DAYS)]
        storm_rng = random.Random(f"{world.seed}:storms")
        summer = [d for d in self.days if (7, 1) <= (d.month, d.day) <= (8, 25)]
        self.storms = set(storm_rng.sample(summer, min(4, len(summer))))
        leaves = world.leaves
        own = [leaf for leaf in leaves if leaf.group in P.GROUP_WEIGHTS]
        per_group = Counter(leaf.group for leaf in own)
        self.citizen_leaves = own
        self.base = [P.GROUP_WEIGHTS[leaf.group] / per_group[leaf.group] * P.LEAF_FACTORS.get(leaf.code, 1.0)
                     for leaf in own]
        base_total = sum(self.base)
        self.patrol_leaves = [leaf for leaf in leaves if P.patrol_weight(leaf.code, self.days[-1]) > 0
                              or leaf.code.endswith("10001")]
        self.day_cat_cum, self.day_patrol_cum, day_w, patrol_w = [], [], [], []
        for day in self.days:
            storm = day in self.storms
            weights = [b * P.season_factor(leaf.code, day, storm) for b, leaf in zip(self.base, own)]
            self.day_cat_cum.append(list(accumulate(weights)))
            pw = [P.patrol_weight(leaf.code, day) for leaf in self.patrol_leaves]
            self.day_patrol_cum.append(list(accumulate(pw)))
            holiday = day in world.calendar.holidays
            working = world.calendar.is_working_day(day)
            factor = P.HOLIDAY_FACTOR if holiday else (1.0 if working else P.WEEKEND_FACTOR)
            day_w.append(factor * sum(weights) / base_total * (1.6 if storm else 1.0))
            patrol_w.append((1.0 if working else P.PATROL_WEEKEND_FACTOR) * (sum(pw) > 0))
        elapsed = self._elapsed_share(local_now)
        day_w[-1] *= elapsed
        patrol_w[-1] *= elapsed
        self.day_cum, self.patrol_day_cum = list(accumulate(day_w)), list(accumulate(patrol_w))
        self.hour_cum = {name: list(accumulate(h)) for name, h in (
            ("day", P.DAY_HOURS), ("night", P.NIGHT_HOURS), ("urgent", P.URGENT_HOURS), ("patrol", P.PATROL_HOURS))}
        pops = [(d, P.DISTRICT_POPULATION.get(d.code, 50.0)) for d in world.districts]
        self.districts = [d for d, _ in pops]
        self.district_cum = list(accumulate(w for _, w in pops))
        self.street_cum = {}
        for d in self.districts:
            streets = world.streets[d.id]
            self.street_cum[d.id] = (streets, list(accumulate(DEMO_BOOST.get(s.code, 1.0) for s in streets)))
        self.rural = {d.id: [s for s in world.streets[d.id] if s.name.endswith(("镇", "乡", "地区"))]
                      for d in self.districts}

    @staticmethod
    def _elapsed_share(local_now):
        hours = P.DAY_HOURS
        done = sum(hours[:local_now.hour]) + hours[local_now.hour] * local_now.minute / 60
        return max(0.02, done / sum(hours))

    def moment(self, day_index, profile):
        """A time on day `day_index` following the hour profile, before now."""
        day = self.days[day_index]
        cum = self.hour_cum[profile]
        for _ in range(50):
            hour = choose_cum(self.rng, range(24), cum)
            at = datetime(day.year, day.month, day.day, hour, int(self.rng.random() * 60),
                          int(self.rng.random() * 60), tzinfo=self.w.clock.tz)
            if at < self.w.now - timedelta(minutes=2):
                return at
        return self.w.now - timedelta(minutes=5 + int(self.rng.random() * 120))

    def place(self, spec, rural=False):
        rng = self.rng
        district = choose_cum(rng, self.districts, self.district_cum)
        if rural and self.rural.get(district.id):
            street = rng.choice(self.rural[district.id])
        else:
            streets, cum = self.street_cum[district.id]
            street = choose_cum(rng, streets, cum)
        spec.district, spec.street = district, street

    def locate(self, spec, grid=None):
        """Coordinates inside a grid of the ticket's street, and the community and grid they fall in."""
        grids = self.w.grids.get(spec.street.id) if spec.street else None
        if grid is None:
            if not grids:
                return
            grid = grids[int(self.rng.random() * len(grids))]
        point = self.w.random_point(grid, self.rng)
        if point is None:
            return
        spec.lon, spec.lat = point
        spec.grid, spec.community = grid, self.w.units.get(grid.parent_id)

    def citizen_spec(self):
        rng = self.rng
        i = choose_cum(rng, range(DAYS), self.day_cum)
        leaf = choose_cum(rng, self.citizen_leaves, self.day_cat_cum[i])
        profile = ("night" if leaf.code in P.NIGHT_CATEGORIES else
                   "urgent" if leaf.limit in P.URGENT_LIMITS else "day")
        spec = Spec(self.moment(i, profile), leaf, pick(rng, P.CHANNELS))
        self.place(spec, rural=leaf.code.startswith(("13.", "02.05.05", "02.01.06")))
        if leaf.needs_place or rng.random() < 0.85:
            if rng.random() < P.COORDINATE_SHARE[spec.channel]:
                self.locate(spec)
        else:
            spec.text_district, spec.text_street, spec.district, spec.street = spec.district, spec.street, None, None
        spec.duplicate = rng.random() < P.DUPLICATE_SHARE
        return spec

    def duplicate_groups(self):
        """[[Spec, …], …]: the open duplicate groups (T.DUPLICATE_GROUPS), each at one place (a grid of a demo user's
        street, one compound, road and building) told by two or three callers within the last day. Recorded as new
        and not merged, they are what the intake and the ticket page offer a newcomer for merging."""
        w, rng = self.w, self.rng
        leaves = {leaf.code: leaf for leaf in w.leaves}
        streets = [w.by_code[code] for code in DUPLICATE_STREETS if code in w.by_code]
        groups = []
        for i, (code, title, wordings, _typed) in enumerate(T.DUPLICATE_GROUPS):
            if code not in leaves or not streets:
                continue
            street = streets[i % len(streets)]
            grids = w.grids.get(street.id) or [None]
            grid = grids[int(rng.random() * len(grids))]
            roads, compounds = w.place_names(street)
            words = {"road": rng.choice(roads), "compound": rng.choice(compounds), "bldg": 1 + int(rng.random() * 24),
                     "number": 3 + int(rng.random() * 180), "at_compound": True}
            at = w.now - timedelta(hours=6 + 8 * i + 4 * rng.random())
            group = []
            for wording in wordings:
                spec = Spec(at, leaves[code], "phone", w.units[street.district_id], street,
                            wording=(title, wording), place_words=dict(words))
                if grid is not None:
                    self.locate(spec, grid)
                group.append(spec)
                at += timedelta(minutes=40 + int(rng.random() * 90))
            groups.append(group)
        return groups

    def patrol_spec(self, demo_grid):
        rng = self.rng
        i = choose_cum(rng, range(DAYS), self.patrol_day_cum)
        leaf = choose_cum(rng, self.patrol_leaves, self.day_patrol_cum[i])
        spec = Spec(self.moment(i, "patrol"), leaf, "patrol")
        if demo_grid is not None and rng.random() < 0.02:
            grid = demo_grid
            street = self.w.units[grid.street_id]
            spec.district, spec.street = self.w.units[street.district_id], street
        else:
            self.place(spec)
            grids = self.w.grids.get(spec.street.id) or [None]
            grid = grids[int(rng.random() * len(grids))]
        if grid is not None:
            self.locate(spec, grid)
            spec.patrol_grid = grid
        return spec


# ─────────────────────────────────────────────────────────────── one ticket's life


@dataclass
class Asg:
    unit_id: int
    role: str
    round: int
    dispatched_at: datetime
    dispatched_by: int | None
    sign_due: datetime
    contact_due: datetime
    reply_due: datetime
    state: str = "pending"
    active: bool = True
    signed_at: datetime | None = None
    contacted_at: datetime | None = None
    replied_at: datetime | None = None
    reply_text: str = ""
    id: int | None = None


@dataclass
class TicketSim:
    spec: Spec
    world: World
    rng: random.Random
    staff: StaffPool
    force: str | None = None
    # the ticket's fields
    id: int | None = None
    state: str = NEW
    title: str = ""
    text: str = ""
    address: str = ""
    request_type: str = ""
    citizen_name: str = ""
    citizen_phone: str = ""
    anonymous: bool = False
    confidential: bool = False
    citizen_user_id: int | None = None
    created_by: int | None = None
    lead_unit_id: int | None = None
    special_class: str = ""
    close_reason: str = ""
    parent: "TicketSim | None" = None
    dispatch_due: datetime | None = None
    reply_due: datetime | None = None
    dispatched_at: datetime | None = None
    replied_at: datetime | None = None
    closed_at: datetime | None = None
    reply_text: str = ""
    self_resolved: bool | None = None
    resolved: str = ""
    satisfied: str = ""
    rehandle_round: int = 0
    return_count: int = 0
    callback_attempts: int = 0
    warning_level: int = 0
    supervised: bool = False
    query_code: str = ""
    # history
    events: list = field(default_factory=list)
    assignments: list = field(default_factory=list)
    callbacks: list = field(default_factory=list)
    returns: list = field(default_factory=list)
    extensions: list = field(default_factory=list)
    notices: list = field(default_factory=list)
    transitions: list = field(default_factory=list)
    first_reply: tuple | None = None
    since: datetime | None = None
    stopped: bool = False
    cursor: datetime | None = None
    is_child: bool = False
    has_children: bool = False
    merged: bool = False
    merge_at: datetime | None = None
    warning_kept: tuple | None = None  # (start, due, approaching point) last found: TicketSim.warning_point

    # -- bookkeeping

    @property
    def created_at(self):
        return self.spec.created_at

    @property
    def now(self):
        return self.world.now

    @property
    def number(self):
        return f"{timezone.localtime(self.created_at):%Y%m%d}-{self.id:07d}"

    def event(self, kind, at, actor, from_state, to_state="", note="", **payload):
        user_id, unit_id = actor if actor else (None, None)
        self.events.append((at, kind, user_id, unit_id, from_state, to_state or from_state, note, payload))

    def set_state(self, state, at):
        self.state = state
        self.transitions.append((at, state))
        self.since = at

    def state_at(self, at):
        """The ticket's state at a moment (from its transitions)."""
        state = None
        for t, s in self.transitions:
            if t > at:
                break
            state = s
        return state

    def reach(self, at):
        """Move the clock to `at`: the deadline worker acts on the way; False past `now` (the story stops)."""
        if self.stopped:
            return False
        if at > self.now:
            self.worker(self.now, inclusive=True)
            self.stopped = True
            return False
        self.worker(at)
        self.cursor = at
        return True

    def finish(self):
        if not self.stopped:
            self.worker(self.now, inclusive=True)
            self.stopped = True

    def worker(self, until, inclusive=False):
        """The deadline worker (jiesu.tickets.jobs) marking approaching/overdue before `until`."""
        while True:
            if self.state == NEW:
                start, due, step = self.created_at, self.dispatch_due, "dispatch"
            elif self.state in HANDLING:
                start, due, step = self.dispatched_at, self.reply_due, "reply"
            else:
                return
            if start is None or due is None or self.warning_level >= 2:
                return
            point = self.warning_point(start, due, step)
            check = point if self.warning_level == 0 else due
            seen = max(check, self.since)
            if seen > until or (seen == until and not inclusive):
                return
            level = 2 if seen >= due else (1 if seen >= point else 0)
            if level <= self.warning_level:
                return
            self.warning_level = level
            kind = "overdue" if level == 2 else "approaching"
            self.event(kind, seen, None, self.state, self.state, step=step, due=due.isoformat())
            if self.lead_unit_id and step == "reply":
                local = timezone.localtime(due).strftime("%Y-%m-%d %H:%M")
                text = f"超期：应于{local}前反馈。" if level == 2 else f"即将超期：应于{local}前反馈。"
                self.notice(self.lead_unit_id, kind, text, seen, None)

    def warning_point(self, start, due, step):
        """The "approaching" point of the limit running from `start` to `due` (workcal.worktime.warning_point, as
        the deadline worker has it), kept while they stay the same: the worker looks at every step of the story."""
        kept = self.warning_kept
        if kept is not None and kept[0] == start and kept[1] == due:
            return kept[2]
        point = warning_point(self.world.clock, start, due, self.world.fraction, self.limit_unit(step, due))
        self.warning_kept = (start, due, point)
        return point

    def limit_unit(self, step, due):
        """The unit of the limit running to `due`: its class's, but working days for a clock-limit reply deadline an
        approved extension set (延期 is granted in working days), as the services count it (tickets.models.limit_unit)."""
        unit = self.world.limits[self.spec.leaf.limit][step][1]
        if unit == "clock_hours" and step == "reply" and any(
                x["state"] == "approved" and x["new_due"] == due for x in self.extensions):
            return "working_days"
        return unit

    def notice(self, unit_id, kind, text, at, user):
        read = None
        if at < self.now - timedelta(hours=6) and self.rng.random() < 0.9:
            read = min(at + timedelta(minutes=10 + int(self.rng.random() * 600)), self.now)
        self.notices.append((unit_id, kind, text, at, user[0] if user else None, read))

    def due(self, start, step):
        amount, unit = self.world.limits[self.spec.leaf.limit][step]
        return self.world.clock.add(start, amount, unit)

    def after(self, start, fraction, step):
        amount, unit = self.world.limits[self.spec.leaf.limit][step]
        return self.world.clock.after(start, fraction, amount, unit)

    def when(self, step, natural):
        """When a step happens: naturally, or — for a forced demo state — soon, or never."""
        if self.force is None:
            return natural
        if step == BLOCKING.get(self.force):
            return self.now + timedelta(days=60)
        self.cursor = (self.cursor or self.created_at) + timedelta(minutes=7 + int(self.rng.random() * 8))
        return self.cursor

    def minutes(self, median, spread=0.8, cap=None):
        value = math.exp(math.log(median) + spread * self.rng.gauss(0, 1))
        return timedelta(seconds=round(60 * (min(value, cap) if cap else value)))

    # -- the story

    def run(self):
        self.compose()
        spec, rng = self.spec, self.rng
        self.set_state(NEW, self.created_at)
        self.since = self.created_at
        self.dispatch_due = self.due(self.created_at, "dispatch")
        intake_actor = self.intake_actor()
        self.created_by = intake_actor[0] if intake_actor else self.citizen_user_id
        self.event("intake", self.created_at, intake_actor, "", NEW, channel=spec.channel,
                   category=spec.leaf.code)
        self.cursor = self.created_at
        branch = self.triage()
        if branch == "special":
            self.close_special()
        elif branch == "answer":
            self.answer()
        elif branch == "merge":
            self.merge()
        else:
            self.handle()
        self.finish()

    def intake_actor(self):
        channel = self.spec.channel
        if channel == "phone":
            return self.staff.hotline_user("call_taker", self.rng)
        if channel == "patrol":
            return self.staff.for_unit(self.spec.patrol_grid.id, self.rng) if self.spec.patrol_grid else None
        if self.citizen_user_id:
            return (self.citizen_user_id, None)
        return None

    def triage(self):
        rng, force = self.rng, self.force
        if force:
            return {"answered": "answer", "special": "special", "closed": "special",
                    "merged": "merge"}.get(force, "dispatch")
        if self.is_child:
            return "merge"
        if self.spec.channel == "patrol":
            return "dispatch"
        if self.hotline_led():
            return "answer"  # the hotline centre is not a handling unit: it answers itself
        if rng.random() < P.SPECIAL_SHARE:
            return "special"
        share = P.ANSWER_SHARE_CONSULT if self.request_type == "consult" else P.ANSWER_SHARE_OTHER
        if rng.random() < share:
            return "answer"
        return "dispatch"

    def hotline_led(self):
        hc = self.world.by_code.get("HC")
        return hc is not None and self.spec.leaf.lead[0] == ("unit", hc.id)

    def hotline_delay(self, median_phone, median_web):
        if self.spec.channel == "phone":
            return self.minutes(median_phone, 0.5, cap=30)
        return self.minutes(median_web, 1.0, cap=60 * 20)

    def close_special(self):
        at = self.when("special", self.created_at + self.hotline_delay(3, 60))
        if not self.reach(at):
            return
        special = pick(self.rng, P.SPECIAL_CLASSES)
        actor = self.staff.hotline_user("call_taker" if self.spec.channel == "phone" else "dispatcher", self.rng)
        self.special_class, self.close_reason, self.closed_at = special, "special", at
        self.set_state(CLOSED, at)
        self.event("close_special", at, actor, NEW, CLOSED, T.SPECIAL_NOTES[special], special_class=special)

    def answer(self):
        at = self.when("answer", self.created_at + self.hotline_delay(4, 90))
        if not self.reach(at):
            return
        actor = self.staff.hotline_user("call_taker", self.rng)
        text = self.rng.choice(T.ANSWERS).format(title=self.title)
        self.reply_text, self.replied_at = text, at
        self.set_state(ANSWERED, at)
        self.event("answer", at, actor, NEW, ANSWERED, text)
        if not self.anonymous and (self.force == "answered" or (
                self.force is None and self.rng.random() >= P.ANSWER_CALLBACK_SHARE)):
            return
        self.callback_round(at, answered=True)

    # -- duplicates

    def choose_parent(self, parents):
        rng = self.rng
        merge_at = self.created_at + self.minutes(30, 0.7, cap=600)
        lo = bisect_left(parents.times, self.created_at - timedelta(days=3))
        hi = bisect_left(parents.times, self.created_at)
        candidates = [p for p in parents.sims[lo:hi] if p.mergeable_at(merge_at)]
        if not candidates:
            return False
        near = [p for p in candidates if p.spec.district is self.spec.district] or candidates
        self.parent = near[int(rng.random() * len(near))]
        self.merge_at = merge_at
        return True

    def mergeable_at(self, at):
        return (not self.is_child and self.rehandle_round == 0 and self.force is None
                and self.state_at(at) in (NEW, DISPATCHED, SIGNED, CONTACTED, RETURNED))

    def adopt_parent_place(self):
        parent = self.parent
        for name in ("leaf", "district", "street", "community", "grid", "lon", "lat"):
            setattr(self.spec, name, getattr(parent.spec, name))

    def merge(self):
        parent = self.parent
        at = self.merge_at if self.force is None else self.when("merge", None)
        if not self.reach(at):
            return
        actor = self.staff.hotline_user("dispatcher", self.rng)
        self.merged = True
        self.set_state(MERGED, at)
        self.event("merge", at, actor, NEW, MERGED, parent=Ref(parent, "id"), parent_number=Ref(parent, "number"))
        state = parent.state_at(at)
        parent.events.append((at, "merged_in", actor[0], actor[1], state, state, "",
                              {"child": Ref(self, "id"), "child_number": Ref(self, "number")}))
        parent.has_children = True
        if parent.first_reply is None:
            return
        reply_at, reply_actor, text, resolved = parent.first_reply
        if not self.reach(reply_at):
            return
        self.reply_text, self.replied_at, self.self_resolved = text, reply_at, resolved
        self.set_state(REPLIED, reply_at)
        self.event("reply", reply_at, reply_actor, MERGED, REPLIED, text, via_parent=Ref(parent, "id"))
        self.callback_round(reply_at, happy_only=True)

    # -- dispatch and handling

    def lead_and_co(self):
        w, spec, rng = self.world, self.spec, self.rng
        lead = w.resolve(spec.leaf.lead[0], spec)
        if lead is None:
            lead = spec.street.id if spec.street else None
        co = []
        if rng.random() < P.CO_UNIT_SHARE:
            for target in spec.leaf.co:
                unit = w.resolve(target, spec)
                if unit and unit != lead and unit not in co:
                    co.append(unit)
        return lead, co

    def assign(self, lead, co, at, actor):
        """_assign of the services: withdraw the active assignments, create lead/co/copy ones."""
        for a in self.assignments:
            if a.active:
                a.active, a.state = False, "withdrawn"
        rows = [(lead, "lead")] + [(u, "co") for u in co]
        lead_unit = self.world.units[lead]
        if lead_unit.kind == UnitKind.STREET and lead_unit.district_id and lead_unit.district_id not in co:
            rows.append((lead_unit.district_id, "copy"))
        sign_due, contact_due, reply_due = self.due(at, "sign"), self.due(at, "contact"), self.due(at, "reply")
        for unit, role in rows:
            self.assignments.append(Asg(unit, role, self.rehandle_round, at, actor[0] if actor else None,
                                        sign_due, contact_due, reply_due))
        self.lead_unit_id, self.dispatched_at, self.reply_due, self.warning_level = lead, at, reply_due, 0

    def lead_asg(self):
        return next(a for a in self.assignments if a.active and a.role == "lead")

    def handle(self):
        rng = self.rng
        urgent = self.spec.leaf.limit in P.URGENT_LIMITS
        delay = self.hotline_delay(8 if urgent else 25, 30 if urgent else 240)
        if self.spec.channel == "patrol":
            delay = self.minutes(25, 0.7, cap=600)
        if rng.random() < 0.01 and self.force is None:
            delay = timedelta(hours=6 + 30 * rng.random())  # lost in the queue for a while
        at = self.when("dispatch", self.created_at + delay)
        if not self.reach(at):
            return
        actor = self.staff.hotline_user("dispatcher", rng)
        lead, co = self.lead_and_co()
        if lead is None:
            return
        self.assign(lead, co, at, actor)
        self.set_state(DISPATCHED, at)
        units = self.world.units
        self.event("dispatch", at, actor, NEW, DISPATCHED, lead=units[lead].name, lead_id=lead,
                   co=[units[u].name for u in co], category=self.spec.leaf.code)
        self.rounds(at)

    def rounds(self, dispatched_at):
        """Sign, contact, reply, callback; again after a re-handling decision."""
        while True:
            outcome = self.one_round(dispatched_at)
            if outcome is None:
                return
            dispatched_at = outcome

    def unit_actor(self, unit_id):
        return self.staff.for_unit(unit_id, self.rng)

    def one_round(self, d):
        """One handling round from dispatch time d; returns the next round's dispatch time or None."""
        rng = self.rng
        lead = self.lead_asg()
        actor = self.unit_actor(lead.unit_id)
        returned = False
        may_return = (self.force == "returned") or (
            self.force is None and self.return_count == 0 and self.rehandle_round == 0
            and rng.random() < P.RETURN_SHARE)
        sign_at = self.when("sign", self.after(d, self.fraction_sign(), "sign"))
        if may_return:
            sign_first = rng.random() < 0.4
            if sign_first and not self.sign(lead, sign_at, actor):
                return None
            ret_at = self.when("return", max(self.cursor, d) + self.minutes(90, 0.8, cap=60 * 30))
            new_lead = self.give_back(lead, ret_at, actor)
            if new_lead is False:
                return None
            if new_lead is not None:
                return self.lead_asg().dispatched_at  # re-dispatched: a new round with the new lead
            returned = True
            if sign_first:
                sign_at = None
            else:
                sign_at = self.when("sign", max(self.cursor, self.after(d, self.fraction_sign(), "sign"))
                                    + timedelta(minutes=5))
        if sign_at is not None and not self.sign(lead, sign_at, actor):
            return None
        for co in [a for a in self.assignments if a.active and a.role == "co"]:
            co.pending_sign = self.when("co_sign", self.after(d, rng.uniform(0.1, 1.6), "sign"))
        contact_at = self.when("contact", max(self.cursor + timedelta(minutes=3 + 60 * rng.random()),
                                              self.after(d, self.fraction(0.05, 0.9), "contact")))
        self.co_signs(contact_at)
        if not self.reach(contact_at):
            return None
        note = (T.ANONYMOUS_CONTACT if self.anonymous else
                T.PATROL_CONTACT if self.spec.channel == "patrol" else rng.choice(T.CONTACT_NOTES))
        lead.state, lead.contacted_at = "contacted", contact_at
        self.set_state(CONTACTED, contact_at)
        self.event("contact", contact_at, actor, SIGNED, CONTACTED, note, late=contact_at > lead.contact_due)
        reply_at = self.when("reply", max(contact_at + timedelta(minutes=20 + 240 * rng.random()),
                                          self.after(d, self.fraction_reply(returned), "reply")))
        reply_at = self.middle(contact_at, reply_at, lead, actor)
        if reply_at is None:
            return None
        self.co_replies(reply_at)
        if not self.reach(reply_at):
            return None
        resolved = rng.random() < P.SELF_RESOLVED_SHARE
        text = self.reply_for(lead.unit_id, resolved)
        lead.state, lead.replied_at, lead.reply_text = "replied", reply_at, text
        self.reply_text, self.replied_at, self.self_resolved = text, reply_at, resolved
        self.warning_level = 0
        self.set_state(REPLIED, reply_at)
        self.event("reply", reply_at, actor, CONTACTED, REPLIED, text, self_resolved=resolved,
                   late=bool(self.reply_due and reply_at > self.reply_due))
        if self.first_reply is None and self.rehandle_round == 0:
            self.first_reply = (reply_at, actor, text, resolved)
        return self.callback_round(reply_at)

    def fraction(self, lo, hi):
        return lo + (hi - lo) * self.rng.random()

    def fraction_sign(self):
        x = self.rng.random()
        return self.fraction(0.02, 0.8) if x < 0.9 else self.fraction(0.8, 1.0) if x < 0.97 else self.fraction(1, 3)

    def fraction_reply(self, returned=False):
        x = self.rng.random()
        if returned:
            x = min(1.0, x + 0.04)
        if x < 0.55:
            return self.fraction(0.08, 0.6)
        if x < 0.85:
            return self.fraction(0.6, 0.9)
        if x < 0.965:
            return self.fraction(0.9, 0.995)
        return self.fraction(1.01, 1.8)

    def sign(self, lead, at, actor):
        if not self.reach(at):
            return False
        lead.state, lead.signed_at = "signed", at
        before = self.state
        self.set_state(SIGNED, at)
        self.event("sign", at, actor, before, SIGNED, late=at > lead.sign_due)
        return True

    def co_signs(self, until):
        for co in [a for a in self.assignments if a.active and a.role == "co"]:
            at = getattr(co, "pending_sign", None)
            if at is None or at >= until or co.signed_at:
                continue
            if at <= self.cursor:
                at = self.cursor + timedelta(minutes=1)
            if not self.reach(at):
                return
            co.state, co.signed_at = "signed", at
            self.event("co_sign", at, self.unit_actor(co.unit_id), self.state, self.state)

    def co_replies(self, reply_at):
        for co in [a for a in self.assignments if a.active and a.role == "co"]:
            if not co.signed_at or co.replied_at:
                continue
            at = reply_at - timedelta(minutes=30 + 600 * self.rng.random())
            if at <= self.cursor:
                at = self.cursor + (reply_at - self.cursor) / 2
            if not self.reach(at):
                return
            text = self.rng.choice(T.CO_REPLIES)
            co.state, co.replied_at, co.reply_text = "replied", at, text
            self.event("co_reply", at, self.unit_actor(co.unit_id), self.state, self.state, text)

    def give_back(self, lead, at, actor):
        """退单 and its arbitration: False (story stopped), a new lead unit id (upheld), or None (rejected)."""
        if not self.reach(at):
            return False
        rng, units = self.rng, self.world.units
        suggestion, reason_kind = self.suggest_other(lead.unit_id)
        other = units[suggestion].name if suggestion else "其他单位"
        reason = rng.choice(T.RETURN_REASONS[reason_kind]).format(other=other)
        before = self.state
        request = {"assignment": lead, "unit_id": lead.unit_id, "reason": reason, "suggested": suggestion,
                   "state": "pending", "created_at": at, "created_by": actor[0], "decided_at": None,
                   "decided_by": None, "note": ""}
        self.returns.append(request)
        self.return_count += 1
        self.set_state(RETURNED, at)
        self.event("return", at, actor, before, RETURNED, reason,
                   suggested_unit=units[suggestion].name if suggestion else None, previous_state=before)
        decide_at = self.when("arbitrate", self.world.clock.after(at, self.fraction(0.1, 1.3), 1, "working_days"))
        if not self.reach(decide_at):
            return False
        judge = self.staff.hotline_user("dispatcher", rng)
        upheld = suggestion is not None and rng.random() < P.RETURN_UPHELD_SHARE
        note = rng.choice(T.ARBITRATION_NOTES[upheld]).format(unit=units[suggestion].name if suggestion else "")
        request.update(state="approved" if upheld else "rejected", decided_at=decide_at, decided_by=judge[0],
                       note=note)
        if upheld:
            co = [a.unit_id for a in self.assignments if a.active and a.role == "co" and a.unit_id != suggestion]
            self.assign(suggestion, co, decide_at, judge)
            self.set_state(DISPATCHED, decide_at)
        else:
            self.set_state(SIGNED if lead.state == "signed" else DISPATCHED, decide_at)
        self.event("arbitrate", decide_at, judge, RETURNED, self.state, note, upheld=upheld,
                   unit=units[lead.unit_id].name, new_lead=units[suggestion].name if upheld else None)
        return suggestion if upheld else None

    def suggest_other(self, unit_id):
        """Whom a returning unit points to: a co unit of the duty, a neighbouring street, the district."""
        rng, w, spec = self.rng, self.world, self.spec
        unit = w.units[unit_id]
        if rng.random() < 0.15:
            return None, "civil"
        for target in spec.leaf.co:
            other = w.resolve(target, spec)
            if other and other != unit_id and w.units[other].kind != UnitKind.DISTRICT:
                return other, "duty"
        if unit.kind == UnitKind.STREET and unit.district_id:
            siblings = [s for s in w.streets.get(unit.district_id, []) if s.id != unit_id]
            if siblings:
                return siblings[int(rng.random() * len(siblings))].id, "territory"
        if spec.street and spec.street.id != unit_id:
            return spec.street.id, "duty"
        return None, "civil"

    def middle(self, contact_at, reply_at, lead, actor):
        """Between contact and reply: reminders, an extension, supervision of a late ticket."""
        rng = self.rng
        if self.force is not None:
            return reply_at
        limit = self.spec.leaf.limit
        if rng.random() < P.EXTENSION_SHARE.get(limit, 0):
            ask_at = contact_at + (min(reply_at, self.reply_due) - contact_at) * self.fraction(0.3, 0.8)
            if not self.reach(ask_at):
                return None
            days = rng.choice((3, 5, 5, 7, 10, 15))
            reason = rng.choice(T.EXTENSION_REASONS)
            request = {"assignment": lead, "days": days, "reason": reason, "state": "pending", "created_at": ask_at,
                       "created_by": actor[0], "decided_at": None, "decided_by": None, "new_due": None, "note": ""}
            self.extensions.append(request)
            self.event("extension_request", ask_at, actor, self.state, self.state, reason, working_days=days)
            decide_at = ask_at + self.minutes(240, 0.8, cap=60 * 48)
            if not self.reach(decide_at):
                return None
            judge = self.staff.hotline_user("dispatcher" if rng.random() < 0.7 else "supervisor", rng)
            approve = rng.random() < P.EXTENSION_APPROVED_SHARE
            old_due = self.reply_due
            note = rng.choice(T.EXTENSION_NOTES[approve])
            request.update(state="approved" if approve else "rejected", decided_at=decide_at, decided_by=judge[0],
                           note=note)
            if approve:
                base = max(self.reply_due or decide_at, decide_at)
                new_due = self.world.clock.add(base, days, "working_days")
                request["new_due"] = new_due
                self.reply_due, self.warning_level, lead.reply_due = new_due, 0, new_due
                self.since = decide_at
                x = rng.random()
                span = new_due - decide_at
                reply_at = decide_at + span * (self.fraction(0.2, 0.97) if x < 0.93 else self.fraction(1.01, 1.3))
                reply_at = reply_at.replace(microsecond=0)
            self.event("extension_decision", decide_at, judge, self.state, self.state, note, approved=approve,
                       new_due=request["new_due"].isoformat() if request["new_due"] else None,
                       old_due=old_due.isoformat() if old_due else None)
        if rng.random() < P.REMIND_SHARE:
            at = max(contact_at + (reply_at - contact_at) * self.fraction(0.2, 0.9),
                     self.cursor + timedelta(minutes=1)).replace(microsecond=0)
            if not self.reach(at):
                return None
            caller = self.staff.hotline_user("call_taker", rng)
            text = rng.choice(T.REMIND_TEXTS)
            self.notice(self.lead_unit_id, "remind", text, at, caller)
            self.event("remind", at, caller, self.state, self.state, text)
        if self.reply_due and reply_at > self.reply_due and rng.random() < P.SUPERVISE_LATE_SHARE:
            at = max(self.reply_due + self.minutes(240, 0.8, cap=60 * 30),
                     self.cursor + timedelta(minutes=1)).replace(microsecond=0)
            if at < reply_at:
                if not self.reach(at):
                    return None
                boss = self.staff.hotline_user("supervisor", rng)
                text = rng.choice(T.SUPERVISE_TEXTS)
                self.supervised = True
                self.notice(self.lead_unit_id, "supervise", text, at, boss)
                self.event("supervise", at, boss, self.state, self.state, text)
        return max(reply_at, self.cursor + timedelta(minutes=5))

    def reply_for(self, unit_id, resolved):
        unit = self.world.units[unit_id]
        if self.spec.channel == "patrol":
            kind = "patrol"
        elif not resolved:
            kind = "unresolved"
        elif self.request_type in ("consult", "suggestion") or self.spec.leaf.request_type == "consult":
            kind = "consult"
        else:
            kind = unit.kind if unit.kind in T.REPLIES else "department"
        return self.rng.choice(T.REPLIES[kind]).format(unit=unit.name, title=self.title)

    # -- callback

    def agent_hours(self, at):
        """Callback agents call between 08:30 and 21:00."""
        local = at.astimezone(self.world.clock.tz)
        if local.hour < 8 or (local.hour == 8 and local.minute < 30):
            return local.replace(hour=8, minute=30 + int(self.rng.random() * 90) % 30, second=0)
        if local.hour >= 21:
            nxt = local + timedelta(days=1)
            return nxt.replace(hour=8, minute=30 + int(self.rng.random() * 29), second=int(self.rng.random() * 60))
        return local

    def callback_round(self, replied_at, answered=False, happy_only=False):
        """Callback attempts after a reply; returns the next round's dispatch time if re-handled. An anonymous
        request has nobody to call back: the reply closes it (tickets.services._close_without_callback)."""
        if self.anonymous:
            before = self.state
            self.close(replied_at, "anonymous")
            self.event("close_anonymous", replied_at, None, before, CLOSED)
            return None
        rng = self.rng
        at = self.agent_hours(replied_at + self.minutes(1200, 0.8, cap=60 * 72))
        at = self.when("callback", at)
        patrol = self.spec.channel == "patrol"
        while True:
            if not self.reach(at):
                return None
            agent = self.staff.hotline_user("callback_agent", rng)
            method = "verify" if patrol else pick(rng, P.CALLBACK_METHODS)
            reached = patrol or (not self.anonymous and rng.random() < P.CALLBACK_REACHED)
            self.callback_attempts += 1
            before = self.state
            if not reached:
                note = rng.choice(T.CALLBACK_NOTES["unreached"])
                self.callbacks.append((agent[0], at, method, False, "", "", note, self.rehandle_round))
                if self.callback_attempts >= self.world.max_attempts:
                    self.close(at, "unreachable")
                self.event("callback", at, agent, before, self.state, note, reached=False,
                           attempt=self.callback_attempts)
                if self.state == CLOSED:
                    return None
                at = self.agent_hours(at + self.minutes(240, 0.5, cap=60 * 24))
                continue
            resolved, satisfied = self.outcome(happy_only or answered)
            note = rng.choice(T.CALLBACK_NOTES["verify" if patrol else satisfied])
            self.callbacks.append((agent[0], at, method, True, resolved, satisfied, note, self.rehandle_round))
            self.resolved, self.satisfied = resolved, satisfied
            unhappy = resolved == "unresolved" or satisfied == "dissatisfied"
            outcome = "close" if not unhappy else ("rehandle" if self.rehandle_round < self.world.max_rounds
                                                  else "close_limit")
            if before == ANSWERED or outcome == "close":
                self.close(at, "callback")
            elif outcome == "close_limit":
                self.close(at, "rehandle_limit")
            else:
                self.rehandle_round += 1
                self.callback_attempts = 0
                co = [a.unit_id for a in self.assignments if a.active and a.role == "co"]
                self.assign(self.lead_unit_id, co, at, agent)
                self.set_state(DISPATCHED, at)
            self.event("callback", at, agent, before, self.state, note, reached=True, resolved=resolved,
                       satisfied=satisfied, outcome=outcome)
            return at if self.state == DISPATCHED else None

    def outcome(self, happy):
        rng = self.rng
        table = P.RESOLVED_FIRST if self.rehandle_round == 0 else P.RESOLVED_AGAIN
        for _ in range(20):
            resolved = pick(rng, table)
            satisfied = pick(rng, P.SATISFIED_GIVEN[resolved])
            if not happy or (resolved != "unresolved" and satisfied != "dissatisfied"):
                return resolved, satisfied
        return "resolved", "satisfied"

    def close(self, at, reason):
        self.close_reason, self.closed_at = reason, at
        for a in self.assignments:
            if a.active:
                a.state = "done"
        self.set_state(CLOSED, at)

    # -- words

    def compose(self):
        spec, rng, w = self.spec, self.rng, self.world
        leaf = spec.leaf
        self.request_type = leaf.request_type
        # a duplicate group's callers (spec.wording already set) all report the one problem: a consultation among
        # them is never offered for merging, and the group would depend on the day the demo is generated
        if (rng.random() < 0.12 and leaf.request_type in ALT_REQUEST_TYPES and spec.channel != "patrol"
                and spec.wording is None):
            self.request_type = rng.choice(ALT_REQUEST_TYPES[leaf.request_type])
        if self.is_child and self.parent is not None:
            self.adopt_parent_place()
            spec.wording, spec.place_words = self.parent.spec.wording, self.parent.spec.place_words
        own = T.LEAVES.get(leaf.code)
        if spec.wording:
            title_t, problem_t = spec.wording
        elif own:
            titles, problems = own
            k = int(rng.random() * len(problems))
            title_t, problem_t = (titles[k] if len(titles) == len(problems) else rng.choice(titles)), problems[k]
        else:
            title_t = leaf.name
            problem_t = rng.choice(T.GROUP_PROBLEMS.get(leaf.group, T.GROUP_PROBLEMS["15"]))
        spec.wording = (title_t, problem_t)
        if spec.street is None and spec.text_street is not None and any(
                key in title_t + problem_t for key in PLACE_KEYS):
            spec.district, spec.street = spec.text_district, spec.text_street  # the text names a place
        street = spec.street or spec.text_street or rng.choice(w.streets[rng.choice(w.districts).id])
        district = spec.district or w.units[street.district_id]
        roads, compounds = w.place_names(street)
        values = {
            "district": district.name, "street": street.name, "base": street_base(street.name),
            "road": rng.choice(roads), "compound": rng.choice(compounds), "n": 2 + int(rng.random() * 7),
            "days": 2 + int(rng.random() * 12), "bldg": 1 + int(rng.random() * 24), "floor": 1 + int(rng.random() * 18),
            "shop": rng.choice(T.SHOPS), "eatery": rng.choice(T.EATERIES), "prepaid": rng.choice(T.PREPAID),
            "venue": rng.choice(T.VENUES), "company": rng.choice(T.COMPANIES), "name": leaf.name,
            "detail": rng.choice(T.PATROL_DETAILS), "number": 3 + int(rng.random() * 180),
        }
        used = title_t + problem_t
        values["at_compound"] = "{compound}" in used or ("{road}" not in used and rng.random() < 0.6)
        values.update(spec.place_words or {})
        spec.place_words = {k: values[k] for k in ("road", "compound", "bldg", "number", "at_compound")}
        if values["at_compound"]:
            values["addr"] = f"{district.name}{street.name}{values['compound']}"
            address = f"{values['addr']}{values['bldg']}号楼"
        else:
            values["addr"] = f"{district.name}{street.name}{values['road']}{values['number']}号"
            address = values["addr"]
        title, problem = title_t.format(**values), problem_t.format(**values)
        if spec.street is not None and "{" not in title_t and rng.random() < 0.5:
            title = f"{street_base(street.name)}{title}"
        if self.is_child and self.parent is not None:
            title = self.parent.title
        intro = rng.choice(T.INTRO[spec.channel])
        if problem.startswith("来电人"):
            if spec.channel == "phone":
                intro = ""
            else:
                problem = "本人" + problem[3:]
        if spec.channel == "patrol":
            ask = rng.choice(T.PATROL_ASKS)
        else:
            ask = rng.choice(T.ASKS_BY_TYPE.get(self.request_type, T.ASKS))
        self.title = title[:120]
        self.text = intro + problem + ask
        self.address = address[:200] if spec.street is not None else ""
        if spec.channel == "patrol":
            return
        self.anonymous = rng.random() < P.ANONYMOUS_SHARE
        self.confidential = rng.random() < P.CONFIDENTIAL_SHARE
        if not self.anonymous:
            surname = rng.choice(T.SURNAMES)
            self.citizen_name = (surname + rng.choice(("先生", "女士")) if rng.random() < 0.7
                                 else surname + rng.choice(T.GIVEN_NAMES))
            self.citizen_phone = rng.choice(T.PHONE_PREFIXES) + f"{int(rng.random() * 1e8):08d}"


PLACE_KEYS = ("{addr}", "{road}", "{compound}", "{bldg}", "{base}", "{street}", "{district}")
BLOCKING = {NEW: "dispatch", DISPATCHED: "sign", SIGNED: "contact", CONTACTED: "reply", RETURNED: "arbitrate",
            REPLIED: "callback", ANSWERED: "callback"}


class Parents:
    """Tickets simulated so far, by creation time (duplicates look for an open one to merge into)."""

    def __init__(self):
        self.times, self.sims = [], []

    def add(self, sim):
        self.times.append(sim.created_at)
        self.sims.append(sim)


# ─────────────────────────────────────────────────────────────── the whole set


@dataclass
class Result:
    tickets: int
    seconds: float
    states: dict
    rows: dict
    first_id: int = 0
    last_id: int = 0
    phases: dict = field(default_factory=dict)


def generate(n=20000, seed=1, now=None, progress=True, log=print):
    """Generate `n` demo tickets up to `now` (default: now); returns a Result. Records a DemoDataset."""
    from tqdm import tqdm

    started = clock_time.perf_counter()
    now = (now or timezone.now()).astimezone(timezone.get_default_timezone()).replace(microsecond=0)
    rng = random.Random(seed)
    world = World(now, seed)
    staff = StaffPool()
    sampler = Sampler(world, rng)

    n_patrol = round(n * P.PATROL_SHARE)
    demo_grid = world.by_code.get(DEMO_GRID)
    duplicate_groups = sampler.duplicate_groups() if n >= 100 else []
    specs = [sampler.citizen_spec() for _ in range(n - n_patrol - sum(map(len, duplicate_groups)))]
    specs += [sampler.patrol_spec(demo_grid) for _ in range(n_patrol)]
    specs.sort(key=lambda s: s.created_at)

    handling = {u.id for u in world.units.values()
                if u.kind in (UnitKind.STREET, UnitKind.DISTRICT, UnitKind.DEPARTMENT, UnitKind.ENTERPRISE)}
    handling |= {s.patrol_grid.id for s in specs if s.patrol_grid}
    staff.ensure_units([_unit_like(world.units[i]) for i in sorted(handling)])

    sims, parents = [], Parents()
    # the demo citizen's own requests: a few recent ones (still open) and some older ones
    web = [i for i, s in enumerate(specs) if s.channel in ("web", "app")]
    recent = [i for i in web if specs[i].created_at > now - timedelta(days=8)]
    k = min(len(web), max(3, n // 1300))
    mine = set(rng.sample(recent, min(len(recent), k // 3 + 1)))
    mine |= set(rng.sample([i for i in web if i not in mine], min(len(web) - len(mine), k - len(mine))))
    citizen = staff.demo.get("citizen")
    bar = tqdm(total=n, desc="simulating tickets", unit="t", disable=not progress, leave=False)
    for i, spec in enumerate(specs):
        sim = TicketSim(spec, world, rng, staff)
        if i in mine and citizen is not None:
            sim.citizen_user_id = citizen.pk
        if spec.duplicate and spec.channel != "patrol":
            sim.is_child = sim.choose_parent(parents)
        sim.run()
        sims.append(sim)
        if not sim.is_child:
            parents.add(sim)
        bar.update()
    bar.close()
    ensure_every_state(sims, world, rng, staff)
    for spec in (spec for group in duplicate_groups for spec in group):
        sim = TicketSim(spec, world, rng, staff, force=NEW)
        sim.run()
        sims.append(sim)
    sims.sort(key=lambda s: s.created_at)
    simulated = clock_time.perf_counter()
    result = write(sims, world, seed, rng, progress)
    result.seconds = clock_time.perf_counter() - started
    result.phases = {"simulate": round(simulated - started, 1), "write": round(result.seconds - simulated + started, 1)}
    DemoDataset.objects.create(anchor=now, seed=seed, tickets=len(sims), first_ticket_id=result.first_id,
                               last_ticket_id=result.last_id, seconds=round(result.seconds, 2),
                               stats={"states": result.states, "rows": result.rows})
    return result


def _unit_like(u):
    return type("UnitRef", (), {"pk": u.id, "code": u.code, "kind": u.kind})()


def ensure_every_state(sims, world, rng, staff):
    """Small sets may miss a state by chance: retell a few closed tickets as recent ones in that state."""
    counts = Counter(s.state for s in sims)
    wanted = [state for state in ALL_STATES if counts[state] == 0]
    if not any(s.special_class for s in sims):
        wanted.append("special")
    used = set()
    for target in wanted:
        dispatched = target in (NEW, DISPATCHED, SIGNED, CONTACTED, RETURNED, REPLIED)
        candidates = [i for i, s in enumerate(sims) if i not in used and not s.is_child and not s.has_children
                      and s.state == CLOSED and not s.special_class and s.spec.channel != "patrol"
                      and s.spec.street is not None and not (dispatched and s.hotline_led())]
        if not candidates:
            continue
        i = candidates[-1 - int(rng.random() * min(len(candidates), 20))]
        created_at = world.now - timedelta(hours=6, minutes=int(rng.random() * 120))
        parent = None
        if target == MERGED:
            open_now = [p for j, p in enumerate(sims) if p.state in (DISPATCHED, SIGNED, CONTACTED)
                        and j not in used and p.created_at < created_at and p.mergeable_at(created_at)]
            if not open_now:
                continue
            parent = open_now[-1]
        used.add(i)
        old = sims[i]
        old.spec.created_at, old.spec.duplicate = created_at, False
        sim = TicketSim(old.spec, world, rng, staff, force=target)
        sim.citizen_user_id = old.citizen_user_id
        if parent is not None:
            sim.parent, sim.is_child = parent, True
        sim.run()
        sims[i] = sim


# ─────────────────────────────────────────────────────────────── writing


def write(sims, world, seed, rng, progress):
    from tqdm import tqdm

    with transaction.atomic():
        base = (Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        asg_base = (Assignment.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        codes = set()
        code_rng = random.Random(f"{seed}:codes")
        for i, sim in enumerate(sims):
            sim.id = base + i
            while True:
                code = f"{code_rng.getrandbits(32):08X}"
                if code not in codes:
                    break
            codes.add(code)
            sim.query_code = code
        taken = set(Ticket.objects.filter(query_code__in=codes).values_list("query_code", flat=True))
        for sim in sims:
            while sim.query_code in taken:
                sim.query_code = f"{code_rng.getrandbits(32):08X}"
            taken.add(sim.query_code)
        next_asg = asg_base
        for sim in sims:
            for a in sim.assignments:
                a.id, next_asg = next_asg, next_asg + 1
        rows = Counter()
        bar = tqdm(total=len(sims), desc="writing tickets", unit="t", disable=not progress, leave=False)
        stamp = timezone.now()
        desk = DeskLog(world, seed)
        for start in range(0, len(sims), BATCH):
            chunk = sims[start:start + BATCH]
            _write_chunk(chunk, rows, stamp, desk)
            bar.update(len(chunk))
        bar.close()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Ticket, Assignment]):
                    cursor.execute(sql)
    states = Counter(s.state for s in sims)
    states["closed_special"] = sum(1 for s in sims if s.special_class)
    return Result(len(sims), 0.0, dict(sorted(states.items())), dict(rows), sims[0].id if sims else 0,
                  sims[-1].id if sims else 0)


def insert_rows(model, rows):
    """INSERT many rows ({attname: value}, all with the same keys) with one executemany.

    This is bulk_create without its per-value compilation, which cost most of the time
    (40 s of 44 s for 20,000 tickets on SQLite): values are adapted the way the fields
    would adapt them (datetimes by the backend, JSON by the field), then sent in one
    prepared statement per batch.
    """
    if not rows:
        return
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    names = list(rows[0])
    # Columns the rows do not name (added to the model later, say) get the model's default.
    stamp = timezone.now()
    extra = {}
    for f in meta.concrete_fields:
        if f.attname in rows[0] or f.primary_key:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            extra[f.attname] = lambda stamp=stamp: stamp
        elif f.has_default():
            extra[f.attname] = f.get_default
        elif f.null:
            extra[f.attname] = lambda: None
        else:
            raise ValueError(f"{meta.label}.{f.name} needs a value for the demo rows")
    if extra:
        for row in rows:
            for name, default in extra.items():
                row[name] = default()
        names += list(extra)
    fields = [by_attname[name] for name in names]
    ops = connection.ops
    adapters = []
    for f in fields:
        internal = f.get_internal_type()
        if internal == "DateTimeField":
            adapters.append(ops.adapt_datetimefield_value)
        elif internal == "JSONField":
            adapters.append(lambda value, f=f: f.get_db_prep_value(value, connection))
        else:
            adapters.append(None)
    qn = ops.quote_name
    sql = (f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    plain = [i for i, a in enumerate(adapters) if a is None]
    adapted = [(i, a) for i, a in enumerate(adapters) if a is not None]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH * 5):
            params = []
            for row in rows[start:start + BATCH * 5]:
                values = [row[name] for name in names]
                for i, adapt in adapted:
                    if values[i] is not None:
                        values[i] = adapt(values[i])
                params.append(values)
            cursor.executemany(sql, params)


def _payload(payload):
    if not payload:
        return {}
    return {k: (v.value() if isinstance(v, Ref) else v) for k, v in payload.items()}


class DeskLog:
    """The DispatchSuggestion row of each ticket's first dispatch: what a dispatch engine had suggested (top 3)
    and what the dispatcher took, with the shares of profiles.DESK_*, so that /dispatch/accuracy/ has six
    months of history. Random per ticket (seed and ticket id), so a seed gives the same rows."""

    def __init__(self, world, seed):
        self.world, self.seed = world, seed
        self.start, self.span = world.now - timedelta(days=DAYS), timedelta(days=DAYS).total_seconds()
        self.by_group = defaultdict(list)
        for leaf in world.leaves:
            self.by_group[leaf.code.split(".")[0]].append(leaf)
        self.departments = [u.id for u in sorted(world.units.values(), key=lambda u: u.code)
                            if u.kind == UnitKind.DEPARTMENT]

    def row(self, sim):
        first = next((a for a in sim.assignments if a.role == "lead"), None)
        if first is None or len(self.departments) < 2:
            return None
        rng = random.Random(f"{self.seed}:desk:{sim.id}")
        leaf, lead = sim.spec.leaf, first.unit_id
        co = [a.unit_id for a in sim.assignments if a.role == "co" and a.dispatched_at == first.dispatched_at]
        right = next((r["suggested"] for r in sim.returns if r["assignment"] is first and r["state"] == "approved"),
                     None)
        other_leaf = lambda: self._other_leaf(leaf, rng)  # noqa: E731
        other_unit = lambda: self._other_unit(sim.spec, lead, rng)  # noqa: E731
        r = rng.random()
        if right is not None and rng.random() < P.DESK_UPHELD_FORESEEN_SHARE:  # returned, upheld: the engine knew
            second = (leaf, lead, co) if r < P.DESK_UPHELD_RANK2_SHARE else (other_leaf(), other_unit(), [])
            picks = [(leaf, right, []), second, (other_leaf(), other_unit(), [])]
        else:
            low, high = P.DESK_TOP1_SHARE
            elapsed = min(1.0, max(0.0, (first.dispatched_at - self.start).total_seconds() / self.span))
            top1 = low + (high - low) * elapsed
            if r < top1:
                picks = [(leaf, lead, co), (other_leaf(), other_unit(), []), (other_leaf(), lead, [])]
            elif r < top1 + P.DESK_RANK23_SHARE:
                picks = [(other_leaf(), other_unit(), []), (other_leaf(), lead, []), (leaf, lead, co)]
                if rng.random() < 0.6:
                    picks[1], picks[2] = picks[2], picks[1]
            elif rng.random() < 0.5:  # overridden: the right category, but the unit chosen not suggested at all
                picks = [(leaf, other_unit(), []), (other_leaf(), other_unit(), []), (other_leaf(), other_unit(), [])]
            else:  # overridden: another category first
                picks = [(other_leaf(), lead, []), (other_leaf(), other_unit(), []), (other_leaf(), other_unit(), [])]
        top = 0.55 + 0.42 * rng.random() if picks[0][:2] == (leaf, lead) else 0.3 + 0.45 * rng.random()
        suggested = [self._suggestion(rank, cat, unit, co_ids, top * (1.0, 0.12, 0.05)[rank - 1])
                     for rank, (cat, unit, co_ids) in enumerate(picks, start=1)]
        found = match(suggested, leaf, lead, co)
        return dict(ticket_id=sim.id, suggested=suggested, category_id=leaf.id, lead_unit_id=lead, co_units=co,
                    accepted_rank=found.accepted_rank, category_rank=found.category_rank, unit_rank=found.unit_rank,
                    co_matched=found.co_matched, model_version="demo", confidence=suggested[0]["confidence"],
                    source="desk", at=first.dispatched_at, by_id=first.dispatched_by,
                    district_id=sim.spec.district.id if sim.spec.district else None,
                    street_id=sim.spec.street.id if sim.spec.street else None)

    def _other_leaf(self, leaf, rng):
        group = self.by_group[leaf.code.split(".")[0]]
        if len(group) < 2:
            group = self.world.leaves
        i = int(rng.random() * len(group))
        return group[i] if group[i].id != leaf.id else group[i - 1]

    def _other_unit(self, spec, lead, rng):
        near = [u.id for u in (spec.street, spec.district) if u is not None and u.id != lead]
        if near and rng.random() < 0.6:
            return near[int(rng.random() * len(near))]
        i = int(rng.random() * len(self.departments))
        return self.departments[i] if self.departments[i] != lead else self.departments[i - 1]

    def _suggestion(self, rank, leaf, unit_id, co_ids, confidence):
        units = self.world.units
        brief = lambda u: {"id": u.id, "code": u.code, "name": u.name}  # noqa: E731
        unit = units[unit_id]
        return {"rank": rank, "category": {"id": leaf.id, "code": leaf.code, "name": leaf.name},
                "lead": brief(unit), "co": [brief(units[c]) for c in co_ids], "probability": round(confidence, 4),
                "routing_confidence": 1.0, "confidence": round(confidence, 4), "mode": "direct", "duty_id": None,
                "explanation": f"分类「{leaf.name}」概率 {confidence:.0%}：{leaf.name} → {unit.name}（演示数据）"}


def _write_chunk(chunk, rows, stamp, desk):
    tickets, assignments, events, callbacks, returns, extensions, notices = [], [], [], [], [], [], []
    suggestions = []
    for sim in chunk:
        spec = sim.spec
        t = Ticket(
            id=sim.id, query_code=sim.query_code, channel=spec.channel, request_type=sim.request_type,
            title=sim.title, text=sim.text, address=sim.address, lon=spec.lon, lat=spec.lat,
            citizen_name=sim.citizen_name, citizen_phone=sim.citizen_phone, anonymous=sim.anonymous,
            confidential=sim.confidential, citizen_user_id=sim.citizen_user_id, category_id=spec.leaf.id,
            district_id=spec.district.id if spec.district else None, street_id=spec.street.id if spec.street else None,
            community_id=spec.community.id if spec.community else None, grid_id=spec.grid.id if spec.grid else None,
            lead_unit_id=sim.lead_unit_id, state=sim.state, special_class=sim.special_class,
            close_reason=sim.close_reason, parent_id=sim.parent.id if sim.merged else None,
            created_by_id=sim.created_by, created_at=sim.created_at, updated_at=stamp,
            dispatch_due=sim.dispatch_due, reply_due=sim.reply_due, dispatched_at=sim.dispatched_at,
            replied_at=sim.replied_at, closed_at=sim.closed_at, reply_text=sim.reply_text,
            self_resolved=sim.self_resolved, resolved=sim.resolved, satisfied=sim.satisfied,
            rehandle_round=sim.rehandle_round, return_count=sim.return_count,
            callback_attempts=sim.callback_attempts, warning_level=sim.warning_level, supervised=sim.supervised,
            idempotency_key=None,
        )
        running = current_deadline(t)
        t.next_check_at = next_warning_at(t, unit=sim.limit_unit(running[2], running[1]) if running else None,
                                          calendar=sim.world.clock)
        tickets.append({f: getattr(t, f) for f in TICKET_COLUMNS})
        for a in sim.assignments:
            assignments.append(dict(
                id=a.id, ticket_id=sim.id, unit_id=a.unit_id, role=a.role, state=a.state, active=a.active,
                round=a.round, dispatched_at=a.dispatched_at, dispatched_by_id=a.dispatched_by, sign_due=a.sign_due,
                contact_due=a.contact_due, reply_due=a.reply_due, signed_at=a.signed_at,
                contacted_at=a.contacted_at, replied_at=a.replied_at, reply_text=a.reply_text))
        for at, kind, user_id, unit_id, from_state, to_state, note, payload in sorted(sim.events, key=_event_key):
            events.append(dict(ticket_id=sim.id, at=at, actor_id=user_id, actor_unit_id=unit_id, kind=kind,
                               from_state=from_state, to_state=to_state, note=note, payload=_payload(payload)))
        for agent, at, method, reached, resolved, satisfied, note, round_ in sim.callbacks:
            callbacks.append(dict(ticket_id=sim.id, agent_id=agent, at=at, method=method, reached=reached,
                                  resolved=resolved, satisfied=satisfied, note=note, round=round_))
        for r in sim.returns:
            returns.append(dict(
                ticket_id=sim.id, assignment_id=r["assignment"].id, unit_id=r["unit_id"], reason=r["reason"],
                suggested_unit_id=r["suggested"], state=r["state"], created_at=r["created_at"],
                created_by_id=r["created_by"], decided_at=r["decided_at"], decided_by_id=r["decided_by"],
                decision_note=r["note"]))
        for x in sim.extensions:
            extensions.append(dict(
                ticket_id=sim.id, assignment_id=x["assignment"].id, working_days=x["days"], reason=x["reason"],
                state=x["state"], created_at=x["created_at"], created_by_id=x["created_by"],
                decided_at=x["decided_at"], decided_by_id=x["decided_by"], new_due=x["new_due"],
                decision_note=x["note"]))
        for unit_id, kind, text, at, user_id, read_at in sim.notices:
            notices.append(dict(ticket_id=sim.id, unit_id=unit_id, kind=kind, text=text, created_at=at,
                                created_by_id=user_id, read_at=read_at))
        suggestion = desk.row(sim)
        if suggestion is not None:
            suggestions.append(suggestion)
    for model, objs in ((Ticket, tickets), (Assignment, assignments), (TicketEvent, events), (Callback, callbacks),
                        (ReturnRequest, returns), (ExtensionRequest, extensions), (Notice, notices),
                        (DispatchSuggestion, suggestions)):
        insert_rows(model, objs)
        rows[model.__name__] += len(objs)


TICKET_COLUMNS = [f.attname for f in Ticket._meta.concrete_fields]


def _event_key(e):
    return e[0]


# ─────────────────────────────────────────────────────────────── reset


def delete_demo(log=print):
    """Delete every demo dataset's tickets (and their history). Returns the number of tickets deleted."""
    deleted = 0
    with transaction.atomic():
        for dataset in DemoDataset.objects.order_by("id"):
            ids = Ticket.objects.filter(id__gte=dataset.first_ticket_id, id__lte=dataset.last_ticket_id)
            Ticket.objects.filter(parent__in=ids).update(parent=None)
            for model in (Notice, Callback, ReturnRequest, ExtensionRequest, TicketEvent, DispatchSuggestion):
                model.objects.filter(ticket__in=ids).delete()
            Assignment.objects.filter(ticket__in=ids).delete()
            deleted += ids.count()
            ids.delete()
            dataset.delete()
    return deleted
