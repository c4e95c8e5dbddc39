"""Demo grid work (网格化治理) for every street of the demo city, over the last six months.

For the grids the org tree already has: duty lists (the city default, and a few
streets' own lines), people (a worker on every grid, the first grid's worker as
网格长 of the community, second grids' workers part-time; the demo user `grid` on
two grids), grid information (population, buildings, key places, people needing
care), patrols with tracks on working days, and patrol reports that go where the
duty list says: handled on the spot (自处置), or up the ladder grid → community →
street → district, handled (sometimes late) or passed up with a reason, then
verified and closed. Like the demo tickets (jiesu.demo.generate) everything is
*simulated* up to `now` — recent reports are still open — and written in bulk,
with the events, payloads and deadlines the services write (jiesu.grids.services).
Demo reports carry no photo files.

The demo city's own patrol tickets (channel patrol, made by jiesu.demo.generate)
get their PatrolReport rows too. Everything random comes from one random.Random(seed).
"""
import math
import random
import time as clock_time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from datetime import timezone as dt_timezone

import numpy as np
import shapely
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from jiesu.accounts.models import Role, User
from jiesu.categories.models import Category, TimeLimitClass
from jiesu.categories.services import category_index, effective_time_limit
from jiesu.demo import texts as T
from jiesu.demo.deadlines import FastClock
from jiesu.demo.generate import insert_rows
from jiesu.demo.users import StaffPool, person_name
from jiesu.grids import geometry as ggeo
from jiesu.grids import ladder, services
from jiesu.grids.models import (
    BoundaryVersion, CareSubject, GridDemo, GridDuty, GridInfo, GridMember, KeyPlace, LadderStep, Patrol,
    PatrolEnd, PatrolReport, TrackPoint,
)
from jiesu.tickets.models import Assignment, Callback, Ticket, TicketEvent, next_warning_at
from jiesu.units.geometry import as_shape
from jiesu.units.models import Unit, UnitKind
from jiesu.workcal.services import current_calendar

DAYS = 183
DEMO_STREET, DEMO_DISTRICT, DEMO_USER = "110101001", "110101", "grid"
PATROL_RATE = {"street": 0.9, "district": 0.4, "other": 0.05}  # patrols per grid and working day
POINTS = {"street": (8, 14), "district": (6, 10), "other": (4, 6)}  # track points per patrol
REPORT_RATE = 0.3                  # reports per patrol
LEVEL_MIX = (("grid", 0.62), ("community", 0.23), ("street", 0.15))
SELF_HANDLE_SHARE = 0.6            # of the matters the duty list lets the grid handle on the spot
HANDLED = {"grid": 0.8, "community": 0.75, "street": 0.85, "district": 1.0}  # else passed up
LATE_SHARE = 0.12
STREET_LINES = [("06028", "grid", True, "噪声扰民：网格员先行劝导"), ("cat:05.05.01", "grid", True, "共享单车：网格员码放")]
REASONS = {"grid": ("垃圾量大，需社区协调清运车辆", "涉及多户居民，需社区出面协调", "网格无处置力量，请社区支援"),
           "community": ("涉及执法事项，需街道综合执法队处置", "当事人拒不整改，请街道处理", "需多部门配合"),
           "street": ("涉及区级部门职责，请区里协调", "问题复杂，需区级统筹")}
PLACES = {"school": ("{c}小学", "{c}幼儿园"), "market": ("{c}菜市场", "{c}便民超市"),
          "construction": ("{c}改造工地",), "hospital": ("{c}社区卫生服务站",), "care_home": ("{c}养老驿站",)}
CARE = (("elderly_alone", 0.55), ("disabled", 0.25), ("low_income", 0.12), ("left_behind", 0.08))
ROADS = ("大街", "胡同", "北巷", "南里", "西街")


@dataclass
class Result:
    seconds: float = 0.0
    rows: Counter = field(default_factory=Counter)
    states: Counter = field(default_factory=Counter)


def pick(rng, weighted):
    r, acc = rng.random(), 0.0
    for value, weight in weighted:
        acc += weight
        if r < acc:
            return value
    return weighted[-1][0]


def demo_exists():
    return GridDemo.objects.order_by("-id").first()


def setup_step(log, seed, reset=False):
    """The `jiesu setup` step: generate the grid demo unless it is there (reset: delete and generate again)."""
    existing = demo_exists()
    if existing and not reset:
        log(f"  demo grid work: present ({existing.stats.get('rows', {}).get('Patrol', 0)} patrols, seed "
            f"{existing.seed}); regenerate with jiesu setup --reset-demo or jiesu grids demo --reset")
        return None
    if existing:
        delete_grid_demo()
    result = generate_grid_demo(seed=seed, log=log)
    rows = ", ".join(f"{n} {k}" for k, n in sorted(result.rows.items()))
    log(f"  demo grid work: {rows} ({result.seconds:.1f} s)")
    return result


# ─────────────────────────────────────────────────────────────── the world


class World:
    def __init__(self, now, seed):
        self.now, self.seed = now, seed
        self.rng = rng = random.Random(seed)
        self.np_rng = np.random.default_rng(rng.getrandbits(32))
        self.tz = timezone.get_default_timezone()
        grids = list(Unit.objects.filter(kind=UnitKind.GRID, active=True, geometry__isnull=False)
                     .order_by("code").only("id", "code", "name", "parent_id", "street_id", "district_id", "geometry"))
        self.grids = grids
        self.units = {u.id: u for u in Unit.objects.filter(kind__in=(UnitKind.COMMUNITY, UnitKind.STREET,
                                                                     UnitKind.DISTRICT)).only(
            "id", "code", "name", "kind", "parent_id", "street_id", "district_id")}
        self.shapes = {g.id: as_shape(g.geometry) for g in grids}
        self.calendar = current_calendar()
        first = (now - timedelta(days=DAYS + 2)).date()
        self.clock = FastClock(self.calendar, first, (now + timedelta(days=60)).date())
        self.days = [(now - timedelta(days=d)).date() for d in range(DAYS, -1, -1)]
        self.working = [d for d in self.days if self.calendar.is_working_day(d)]

    def area(self, grid):
        """"street" (the demo users' street), "district" (its district) or "other": how busy the demo is there."""
        street = self.units.get(grid.street_id)
        if street is not None and street.code == DEMO_STREET:
            return "street"
        district = self.units.get(grid.district_id)
        return "district" if district is not None and district.code == DEMO_DISTRICT else "other"

    def points_in(self, grid_id, n):
        """n random points inside the grid (rejection sampling in its bounding box)."""
        shape = self.shapes[grid_id]
        west, south, east, north = shape.bounds
        out = np.empty((0, 2))
        while len(out) < n:
            xy = self.np_rng.random((4 * n, 2)) * (east - west, north - south) + (west, south)
            out = np.vstack((out, xy[shapely.contains_xy(shape, xy[:, 0], xy[:, 1])]))
        return out[:n]


def route(points):
    """Visit the points nearest-first from the first one (a walking order)."""
    left = list(range(1, len(points)))
    order = [0]
    while left:
        last = points[order[-1]]
        j = min(left, key=lambda k: (points[k][0] - last[0]) ** 2 + (points[k][1] - last[1]) ** 2)
        order.append(j)
        left.remove(j)
    return points[order]


def track_length(xy):
    lon, lat = np.radians(xy[:, 0]), np.radians(xy[:, 1])
    a = np.sin(np.diff(lat) / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(np.diff(lon) / 2) ** 2
    return float(np.sum(2 * ggeo.EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(1.0, a)))))


def visited_shares(shape, tracks):
    """ggeo.visited_share for each track of one grid, vectorised."""
    lat0 = (shape.bounds[1] + shape.bounds[3]) / 2
    grid_m = ggeo.to_metres(shape, lat0)
    kx = ggeo.m_per_deg_lon(lat0)
    coords = np.vstack([np.column_stack((t[:, 0] * kx, (t[:, 1] - lat0) * ggeo.M_PER_DEG_LAT)) for t in tracks])
    lines = shapely.linestrings(coords, indices=np.repeat(np.arange(len(tracks)), [len(t) for t in tracks]))
    bands = shapely.buffer(lines, ggeo.VISIT_RADIUS_M, quad_segs=2)
    return np.minimum(1.0, shapely.area(shapely.intersection(bands, grid_m)) / grid_m.area)


# ─────────────────────────────────────────────────────────────── static parts


def duty_lists(world):
    services.seed_city_default()
    street = next((u for u in world.units.values() if u.code == DEMO_STREET), None)
    streets = [u for u in world.units.values() if u.kind == UnitKind.STREET]
    chosen = ([street] if street else []) + [s for s in streets if s is not street and s.id % 11 == 0]
    categories = {c.code: c for c in Category.objects.filter(code__in=[m[4:] for m, *_r in STREET_LINES])}
    rows = []
    for s in chosen:
        for matter, level, self_handle, note in STREET_LINES:
            category = categories.get(matter[4:]) if matter.startswith("cat:") else None
            if matter.startswith("cat:") and category is None:
                continue
            rows.append(GridDuty(street_id=s.id, gbt_code="" if category else matter, category=category,
                                 level=level, self_handle=self_handle, note=note))
    GridDuty.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def people(world):
    """{grid id: [(user id, weight)]}: who patrols each grid; GridMember rows for all."""
    pool = StaffPool()
    pool.ensure_units([type("U", (), {"pk": g.id, "code": g.code, "kind": UnitKind.GRID})() for g in world.grids])
    demo = User.objects.filter(username=DEMO_USER, role=Role.GRID_WORKER).first()
    by_community = defaultdict(list)
    for g in world.grids:
        by_community[g.parent_id].append(g)
    members, walkers = [], {}
    since = world.days[0]
    for grids in by_community.values():
        leader = pool.by_unit[grids[0].id][0]
        for i, g in enumerate(grids):
            worker = pool.by_unit[g.id][0]
            members.append(GridMember(user_id=worker, grid_id=g.id, post="worker",
                                      employment="part_time" if i % 2 else "full_time", since=since))
            members.append(GridMember(user_id=leader, grid_id=g.id, post="leader", employment="full_time",
                                      since=since))
            walkers[g.id] = [(worker, 1.0)]
        if demo is not None and demo.unit_id in {g.id for g in grids}:
            for g in grids[:2]:
                members.append(GridMember(user_id=demo.pk, grid_id=g.id, post="worker", employment="full_time",
                                          since=since))
                walkers[g.id] = [(demo.pk, 0.7), (walkers[g.id][0][0], 0.3)]
    GridMember.objects.bulk_create(members, ignore_conflicts=True)
    return walkers, len(members)


def grid_information(world):
    rng = random.Random(f"{world.seed}:information")  # its own stream: skipping grids must not shift the others
    have = set(GridInfo.objects.values_list("grid_id", flat=True))
    infos, places, care = [], [], []
    for g in world.grids:
        if g.id in have:
            continue
        community = world.units[g.parent_id].name
        base = community[:-2] if community.endswith("社区") else community
        households = int(300 + rng.random() * 900)
        infos.append(GridInfo(grid_id=g.id, population=int(households * (2.1 + rng.random() * 0.8)),
                              households=households, buildings=int(4 + rng.random() * 20)))
        for kind in rng.sample(sorted(PLACES), 2):
            name = rng.choice(PLACES[kind]).format(c=base)
            places.append(KeyPlace(grid_id=g.id, kind=kind, name=name,
                                   address=f"{base}{rng.choice(ROADS)}{int(1 + rng.random() * 80)}号"))
        for i in range(int(2 + rng.random() * 4)):
            key = f"{g.code}-{i}"
            care.append(CareSubject(
                grid_id=g.id, kind=pick(rng, CARE), name=person_name(key),
                phone=rng.choice(T.PHONE_PREFIXES) + f"{int(rng.random() * 1e8):08d}",
                address=f"{base}{rng.choice(ROADS)}{int(1 + rng.random() * 80)}号{int(1 + rng.random() * 6)}单元"))
    GridInfo.objects.bulk_create(infos)
    KeyPlace.objects.bulk_create(places)
    CareSubject.objects.bulk_create(care)
    return len(infos), len(places), len(care)


# ─────────────────────────────────────────────────────────────── patrols


def patrols(world, walkers, result):
    """Patrols with tracks, in bulk. Returns [(patrol row, track array, grid)] for the reports."""
    rng = world.rng
    base = (Patrol.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    made = []
    for g in world.grids:
        area = world.area(g)
        rate, (fewest, most) = PATROL_RATE[area], POINTS[area]
        who = walkers.get(g.id)
        if not who:
            continue
        tracks, rows = [], []
        for day in world.working:
            if rng.random() >= rate:
                continue
            start = datetime.combine(day, time(8, 30), tzinfo=world.tz) + timedelta(minutes=int(rng.random() * 420))
            end = start + timedelta(minutes=int(40 + rng.random() * 110))
            if end > world.now:
                continue
            xy = route(world.points_in(g.id, int(fewest + rng.random() * (most - fewest + 1))))
            worker = pick(rng, who)
            rows.append({"id": base + len(made) + len(rows), "worker_id": worker, "grid_id": g.id,
                         "started_at": start, "ended_at": end, "end_reason": PatrolEnd.STOPPED, "distance_m": round(track_length(xy), 1),
                         "points": len(xy)})
            tracks.append(xy)
        if not rows:
            continue
        for row, share in zip(rows, visited_shares(world.shapes[g.id], tracks)):
            row["visited_share"] = round(float(share), 4)
        made.extend((row, xy, g) for row, xy in zip(rows, tracks))
    insert_rows(Patrol, [row for row, _xy, _g in made])
    result.rows["Patrol"] += len(made)
    result.rows["TrackPoint"] += insert_track_points(made)
    return made


def insert_track_points(made):
    """TrackPoint rows in one executemany, times adapted once per patrol (the bulk of the demo's rows)."""
    sqlite = connection.vendor == "sqlite"
    params = []
    for row, xy, _g in made:
        start = row["started_at"].astimezone(dt_timezone.utc)
        step = (row["ended_at"] - row["started_at"]) / max(1, len(xy) - 1)
        for i, (x, y) in enumerate(xy.tolist()):
            at = start + step * i
            params.append((row["id"], str(at.replace(tzinfo=None)) if sqlite else at, round(x, 7), round(y, 7), 10.0))
    qn = connection.ops.quote_name
    columns = ", ".join(qn(TrackPoint._meta.get_field(f).column) for f in ("patrol", "at", "lon", "lat", "accuracy_m"))
    with connection.cursor() as cursor:
        for start in range(0, len(params), 20000):
            cursor.executemany(f"INSERT INTO {qn(TrackPoint._meta.db_table)} ({columns}) VALUES (%s, %s, %s, %s, %s)",
                               params[start:start + 20000])
    return len(params)


# ─────────────────────────────────────────────────────────────── reports and the ladder


class ReportSim:
    """One patrol report's life up to `now`: rows and events as jiesu.grids.services writes them."""

    def __init__(self, world, matter, grid, worker, at, lonlat, limits):
        self.w, self.rng = world, world.rng
        self.category, self.level, self.self_ok = matter
        self.grid, self.worker, self.at, self.lonlat, self.limits = grid, worker, at, lonlat, limits
        self.events, self.assignments, self.steps, self.callbacks = [], [], [], []
        self.state, self.lead = "new", None
        self.dispatched_at = self.replied_at = self.closed_at = self.reply_due = None
        self.reply_text, self.close_reason, self.self_resolved, self.self_handled = "", "", False, False

    def event(self, at, kind, frm, to, note="", **payload):
        self.events.append((at, kind, self.worker, None, frm, to, note, payload))

    def unit(self, level):
        g = self.grid
        return {"grid": g.id, "community": g.parent_id, "street": g.street_id, "district": g.district_id}[level]

    def run(self):
        w, rng, at = self.w, self.rng, self.at
        self.event(at, "intake", "", "new", channel="patrol", category=self.category.code)
        if self.level == "grid" and self.self_ok and rng.random() < SELF_HANDLE_SHARE:
            return self.on_the_spot(at)
        level, reason = self.level, "网格职责清单：%s处置" % ladder.LEVEL_ZH[self.level]
        self.dispatch(at, level, reason, first=True)
        while True:
            amount, unit = ladder.limit(level)
            due = self.steps[-1]["due_at"]
            handles = level == "district" or rng.random() < HANDLED[level]
            late = rng.random() < LATE_SHARE
            fraction = (1.0 + rng.random() * 0.8) if late else (0.1 + rng.random() * 0.8)
            end = w.clock.after(self.steps[-1]["entered_at"], fraction, amount, unit)
            if handles:
                self.handle(level, end)
                return
            if end > w.now:
                return
            nxt = ladder.next_level(level)
            self.escalate(end, level, nxt, rng.choice(REASONS[level]), late=end > due)
            level = nxt

    def on_the_spot(self, at):
        note = "已现场处置：" + self.category.name
        self.assign(self.grid.id, at, done=at, text=note)
        self.steps.append(self.step("grid", self.grid.id, at, note, left=at, outcome="handled"))
        self.state, self.reply_text, self.replied_at, self.closed_at = "closed", note, at, at
        self.self_resolved, self.close_reason, self.self_handled = True, services.SELF_HANDLED, True
        self.event(at, "self_handle", "new", "closed", note, grid=self.grid.code, after_photos=0)

    def step(self, level, unit_id, at, reason, left=None, outcome=""):
        amount, unit = ladder.limit(level)
        return {"number": len(self.steps) + 1, "level": level, "unit_id": unit_id, "reason": reason,
                "entered_at": at, "due_at": self.w.clock.add(at, amount, unit), "left_at": left,
                "outcome": outcome, "by_id": self.worker, "overdue_noticed": False}

    def assign(self, unit_id, at, done=None, text=""):
        for a in self.assignments:
            if a["active"]:
                a["active"], a["state"] = False, "withdrawn"
        clock, limits = self.w.clock, self.limits
        rows = [(unit_id, "lead")]
        unit = self.w.units.get(unit_id)
        if unit is not None and unit.kind == UnitKind.STREET and unit.district_id:
            rows.append((unit.district_id, "copy"))
        for uid, role in rows:
            self.assignments.append({
                "unit_id": uid, "role": role, "state": "done" if done else "pending", "active": True, "round": 0,
                "dispatched_at": at, "dispatched_by_id": self.worker,
                "sign_due": clock.add(at, *limits.limit("sign")), "contact_due": clock.add(at, *limits.limit("contact")),
                "reply_due": clock.add(at, *limits.limit("reply")), "signed_at": done, "contacted_at": done,
                "replied_at": done, "reply_text": text if role == "lead" else ""})
        self.lead, self.dispatched_at = unit_id, at
        self.reply_due = self.reply_due or clock.add(at, *limits.limit("reply"))

    def lead_row(self):
        return next(a for a in self.assignments if a["active"] and a["role"] == "lead")

    def dispatch(self, at, level, reason, first=False):
        unit_id = self.unit(level)
        self.assign(unit_id, at)
        self.steps.append(self.step(level, unit_id, at, reason))
        self.lead_row()["reply_due"] = self.steps[-1]["due_at"]
        unit = self.w.units.get(unit_id) or self.grid
        self.event(at, "dispatch", self.state, "dispatched", reason, lead=unit.name, lead_id=unit_id, co=[],
                   category=self.category.code, via="grid_duty", level=level,
                   step_due=self.steps[-1]["due_at"].isoformat())
        self.state = "dispatched"

    def escalate(self, at, level, nxt, reason, late):
        step = self.steps[-1]
        step["left_at"], step["outcome"] = at, "escalated"
        before, from_unit = self.state, (self.w.units.get(step["unit_id"]) or self.grid)
        due = self.reply_due
        target = self.unit(nxt)
        self.assign(target, at)
        self.reply_due = due
        self.steps.append(self.step(nxt, target, at, reason))
        self.lead_row()["reply_due"] = self.steps[-1]["due_at"]
        self.state = "dispatched"
        self.event(at, "escalate", before, "dispatched", reason, from_level=level, to_level=nxt,
                   from_unit=from_unit.name, to_unit=self.w.units[target].name, to_unit_id=target,
                   step=len(self.steps), step_due=self.steps[-1]["due_at"].isoformat(), late=late,
                   may_whistle=ladder.may_whistle(nxt))

    def handle(self, level, end):
        w, rng = self.w, self.rng
        start = self.steps[-1]["entered_at"]
        lead = self.lead_row()
        sign = start + (end - start) * 0.1
        contact = start + (end - start) * 0.2
        unit = w.units.get(lead["unit_id"]) or self.grid
        for at, kind, state, note in ((sign, "sign", "signed", ""), (contact, "contact", "contacted", T.PATROL_CONTACT)):
            if at > w.now:
                return
            lead[f"{kind}ed_at" if kind == "sign" else "contacted_at"] = at
            lead["state"] = state
            late = bool(lead[f"{kind}_due"] and at > lead[f"{kind}_due"])
            self.event(at, kind, self.state, state, note, late=late)
            self.state = state
        if end > w.now:
            return
        text = rng.choice(T.REPLIES["patrol"]).format(unit=unit.name, title=self.category.name)
        lead.update(state="replied", replied_at=end, reply_text=text)
        self.event(end, "reply", self.state, "replied", text, self_resolved=True,
                   late=bool(self.reply_due and end > self.reply_due))
        self.state, self.reply_text, self.replied_at, self.self_resolved = "replied", text, end, True
        step = self.steps[-1]
        step["left_at"], step["outcome"] = end, "handled"
        check = end + timedelta(hours=1 + rng.random() * 20)
        if check > w.now:
            return
        note = rng.choice(T.CALLBACK_NOTES["verify"])
        self.callbacks.append((check, note))
        for a in self.assignments:
            if a["active"]:
                a["state"] = "done"
        self.event(check, "callback", "replied", "closed", note, reached=True, resolved="resolved",
                   satisfied="satisfied", outcome="close")
        self.state, self.closed_at, self.close_reason = "closed", check, "callback"


def matters(world):
    """{street id: {"grid"/"community"/"street": [(category, level, self_ok)]}}.

    Streets with no lines of their own share the city default's list, and the
    streets given STREET_LINES share one list too (their lines are the same).
    """
    own = set(GridDuty.objects.filter(street__isnull=False).values_list("street_id", flat=True))
    lists = {}
    out = {}
    for street_id in {g.street_id for g in world.grids}:
        key = street_id in own
        if key not in lists:
            by_level = defaultdict(list)
            for category, level, self_ok in services.matters_for(street_id if key else None):
                by_level[level].append((category, level, self_ok))
            lists[key] = by_level
        out[street_id] = lists[key]
    return out


def reports(world, made, result):
    rng = world.rng
    table = matters(world)
    index = category_index()
    classes = {c.code: c for c in TimeLimitClass.objects.all()}
    sims = []
    for row, xy, g in made:
        if rng.random() >= REPORT_RATE:
            continue
        options = table.get(g.street_id, {})
        level = pick(rng, LEVEL_MIX)
        if not options.get(level):
            level = next((lv for lv, _w in LEVEL_MIX if options.get(lv)), None)
            if level is None:
                continue
        matter = rng.choice(options[level])
        limits = classes.get(effective_time_limit(index, matter[0].pk)) or classes.get("general")
        i = int(rng.random() * len(xy))
        at = row["started_at"] + (row["ended_at"] - row["started_at"]) * (i / max(1, len(xy) - 1))
        sim = ReportSim(world, matter, g, row["worker_id"], at, (float(xy[i][0]), float(xy[i][1])), limits)
        sim.patrol_id = row["id"]
        sim.run()
        sims.append(sim)
    sims.sort(key=lambda s: s.at)
    write_reports(world, sims, result)
    return sims


def write_reports(world, sims, result):
    if not sims:
        return
    base = (Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    versions = {g: v for g, v in BoundaryVersion.objects.filter(valid_to__isnull=True).values_list("grid_id", "id")}
    code_rng = random.Random(f"{world.rng.random()}:codes")
    taken = set()
    tickets, assignments, events, steps, reps, callbacks = [], [], [], [], [], []
    for n, sim in enumerate(sims):
        tid = base + n
        while True:
            code = f"{code_rng.getrandbits(32):08X}"
            if code not in taken:
                taken.add(code)
                break
        g = sim.grid
        intro = world.rng.choice(T.INTRO["patrol"])
        street = world.units.get(g.street_id)
        place = f"{street.name if street else ''}{world.units[g.parent_id].name}"
        t = Ticket(id=tid, query_code=code, channel="patrol", request_type=sim.category.request_type or "report",
                   title=f"{sim.category.name}（{world.units[g.parent_id].name}）"[:120],
                   text=f"{intro}{place}{g.name}内发现{sim.category.name}问题。{world.rng.choice(T.PATROL_ASKS)}",
                   address=place[:200], lon=round(sim.lonlat[0], 7), lat=round(sim.lonlat[1], 7), anonymous=True,
                   category_id=sim.category.pk, district_id=g.district_id, street_id=g.street_id,
                   community_id=g.parent_id, grid_id=g.id, lead_unit_id=sim.lead, state=sim.state,
                   close_reason=sim.close_reason, created_by_id=sim.worker, created_at=sim.at, updated_at=world.now,
                   dispatch_due=world.clock.add(sim.at, *sim.limits.limit("dispatch")), reply_due=sim.reply_due,
                   dispatched_at=sim.dispatched_at, replied_at=sim.replied_at, closed_at=sim.closed_at,
                   reply_text=sim.reply_text, self_resolved=sim.self_resolved,
                   resolved="resolved" if sim.callbacks else "", satisfied="satisfied" if sim.callbacks else "",
                   callback_attempts=len(sim.callbacks), warning_level=0)
        t.next_check_at = (next_warning_at(t, unit=sim.limits.limit("reply")[1], calendar=world.clock)
                           if sim.state in ("dispatched", "signed", "contacted") else None)
        tickets.append({f.attname: getattr(t, f.attname) for f in Ticket._meta.concrete_fields})
        assignments.extend({**a, "ticket_id": tid} for a in sim.assignments)
        for at, kind, user, unit, frm, to, note, payload in sorted(sim.events, key=lambda e: e[0]):
            events.append({"ticket_id": tid, "at": at, "actor_id": user, "actor_unit_id": None, "kind": kind,
                           "from_state": frm, "to_state": to, "note": note, "payload": payload})
        steps.extend({**s, "ticket_id": tid} for s in sim.steps)
        reps.append({"ticket_id": tid, "grid_id": g.id, "boundary_id": versions.get(g.id), "worker_id": sim.worker,
                     "patrol_id": sim.patrol_id, "filed_at": sim.at, "duty_level": sim.level,
                     "self_handled": sim.self_handled, "handled_at": sim.at if sim.self_handled else None})
        callbacks.extend({"ticket_id": tid, "agent_id": sim.worker, "at": at, "method": "verify", "reached": True,
                          "resolved": "resolved", "satisfied": "satisfied", "note": note, "round": 0}
                         for at, note in sim.callbacks)
        result.states[sim.state] += 1
    for model, rows in ((Ticket, tickets), (Assignment, assignments), (TicketEvent, events), (LadderStep, steps),
                        (PatrolReport, reps), (Callback, callbacks)):
        insert_rows(model, rows)
        result.rows[model.__name__] += len(rows)


def link_hotline_patrol_tickets(world, result):
    """PatrolReport rows for the demo city's own patrol tickets (jiesu.demo.generate) that have none."""
    rows = []
    known = set(PatrolReport.objects.values_list("ticket_id", flat=True))
    duty_cache = {}
    for t in Ticket.objects.filter(channel="patrol", grid__isnull=False).exclude(pk__in=known).select_related(
            "category", "grid").only("id", "grid_id", "grid__street_id", "created_by_id", "created_at", "category"):
        key = (t.grid.street_id, t.category_id)
        if key not in duty_cache:
            duty_cache[key] = services.duty_for(t.grid.street_id, t.category)[0]
        rows.append({"ticket_id": t.id, "grid_id": t.grid_id, "boundary_id": None,
                     "worker_id": t.created_by_id, "patrol_id": None, "filed_at": t.created_at,
                     "duty_level": duty_cache[key], "self_handled": False, "handled_at": None})
    rows = [r for r in rows if r["worker_id"] is not None]
    insert_rows(PatrolReport, rows)
    result.rows["PatrolReport (hotline demo)"] += len(rows)


def boundary_versions(world):
    """Version 1 of every grid's boundary (what services.ensure_version would make), where there is none."""
    have = set(BoundaryVersion.objects.values_list("grid_id", flat=True))
    start = world.now - timedelta(days=DAYS + 1)
    rows = [BoundaryVersion(grid_id=g.id, version=1, geometry=g.geometry, valid_from=start, source="schematic")
            for g in world.grids if g.id not in have]
    BoundaryVersion.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


# ─────────────────────────────────────────────────────────────── the whole set


def generate_grid_demo(seed=1, now=None, log=print):
    started = clock_time.perf_counter()
    now = (now or timezone.now()).astimezone(timezone.get_default_timezone()).replace(microsecond=0)
    world = World(now, seed)
    result = Result()
    with transaction.atomic():
        result.rows["GridDuty (street lines)"] = duty_lists(world)
        result.rows["BoundaryVersion"] = boundary_versions(world)
        walkers, result.rows["GridMember"] = people(world)
        info, places, care = grid_information(world)
        result.rows.update({"GridInfo": info, "KeyPlace": places, "CareSubject": care})
        first_patrol = (Patrol.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        made = patrols(world, walkers, result)
        first_ticket = (Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        sims = reports(world, made, result)
        link_hotline_patrol_tickets(world, result)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Ticket, Assignment, Patrol]):
                    cursor.execute(sql)
        result.seconds = clock_time.perf_counter() - started
        GridDemo.objects.create(
            anchor=now, seed=seed, first_ticket_id=first_ticket if sims else None,
            last_ticket_id=first_ticket + len(sims) - 1 if sims else None,
            first_patrol_id=first_patrol if made else None,
            last_patrol_id=first_patrol + len(made) - 1 if made else None,
            stats={"rows": dict(result.rows), "states": dict(result.states), "seconds": round(result.seconds, 2)})
    return result


def delete_grid_demo():
    """Delete the demo grid work: its tickets (and their history), patrols, reports. People and duty lists stay."""
    with transaction.atomic():
        for demo in GridDemo.objects.order_by("id"):
            if demo.first_ticket_id is not None:
                ids = Ticket.objects.filter(id__gte=demo.first_ticket_id, id__lte=demo.last_ticket_id,
                                            channel="patrol")
                for model in (Callback, TicketEvent, LadderStep, PatrolReport, Assignment):
                    model.objects.filter(ticket__in=ids).delete()
                ids.delete()
            if demo.first_patrol_id is not None:
                patrol_ids = Patrol.objects.filter(id__gte=demo.first_patrol_id, id__lte=demo.last_patrol_id)
                PatrolReport.objects.filter(patrol__in=patrol_ids).update(patrol=None)
                TrackPoint.objects.filter(patrol__in=patrol_ids).delete()
                patrol_ids.delete()
            demo.delete()
