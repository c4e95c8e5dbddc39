"""Demo whistles: a few hundred over the last six months, in every state, with ratings.

Like the demo tickets (jiesu.demo.generate), each whistle is *simulated* up to `now`:
raised by a street (sometimes a department) from demo tickets or on a matter of its
own, approved step by step when its level needs it (a few are refused), summoned
units check in (most on time, some late, a few never), some object, the joint
meeting lists tasks that are reported done and accepted, the whistle closes and the
street and the district rate. What has not happened by `now` has not happened, so
recent whistles are still in approval or in progress. Rows are written in bulk, with
the same events and payloads the services write; deadlines come from the same
functions (services.report_due, services.default_task_due).

Everything random comes from one random.Random(seed).
"""
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from jiesu.accounts.models import Role, User
from jiesu.categories.models import Category
from jiesu.demo.users import StaffPool, person_name
from jiesu.tickets.models import Ticket, TicketEvent
from jiesu.units.models import Unit, UnitKind
from jiesu.whistles import services
from jiesu.whistles.models import (
    Approval, Rating, Summons, Task, Whistle, WhistleEvent, WhistleLevel, WhistleNotice,
)

DAYS = 183
DEMO_STREET = "110101001"          # the demo street user's 东华门街道 whistles most
DEMO_DEPARTMENT = "CD-RSJ"         # the demo department user's 市人社局 is summoned now and then
TRIGGERS = (("public", 0.55), ("key_work", 0.2), ("enforcement", 0.17), ("emergency", 0.08))
LEVELS = (("normal", 0.5), ("key", 0.28), ("hard", 0.14), ("emergency", 0.08))
MATTERS = {
    "public": [("{street}早市占道经营反复回潮", "早市摊贩占道经营，多次整治后回潮，群众反映强烈，需城管、市场监管联合处置。"),
               ("{street}老旧小区雨污管线反复堵塞", "小区雨污管线老化，雨后返水，涉及水务、住建和产权单位。"),
               ("{street}违建占用消防通道", "居民楼下违建占用消防通道，多次投诉，需规划、消防联合认定拆除。"),
               ("{street}施工夜间噪音扰民", "工地夜间施工噪音超标，群众连续投诉，需住建、生态环境部门到场。"),
               ("{street}共享单车淤积堵塞路口", "地铁口共享单车大量淤积，影响通行，需交通部门和运营企业清理。")],
    "key_work": [("{street}背街小巷环境整治", "按全区背街小巷整治计划，协调各部门完成立面、管线和停车整治。"),
                 ("{street}老旧小区综合整治推进", "综合整治涉及加装电梯、管线改造，需多部门协同推进。")],
    "enforcement": [("{street}无证餐饮联合执法", "辖区多家无证餐饮油烟扰民，需市场监管、城管、生态环境联合执法。"),
                    ("{street}群租房安全隐患整治", "群租房存在消防安全隐患，需公安、消防、住建联合检查。")],
    "emergency": [("{street}暴雨积水应急处置", "暴雨导致下凹桥积水，需水务、交通、排水企业现场处置。"),
                  ("{street}燃气泄漏应急处置", "居民楼燃气泄漏，需燃气企业、消防到场处置并排查。")],
}
TASKS = [("清理占道摊点并设置疏导点", "路面无摊点，连续一周复查无回潮"),
         ("疏通雨污管线", "管线通畅，雨后不返水"), ("拆除违建、恢复消防通道", "消防通道畅通，验收合格"),
         ("夜间施工监测与处罚", "夜间噪音达标，无新增投诉"), ("清理淤积车辆并施划停放区", "路口无淤积，停放有序"),
         ("制定整治方案并组织实施", "方案通过，按节点完成"), ("开展联合执法检查", "检查记录完整，问题整改"),
         ("现场排险并恢复供应", "险情排除，恢复正常")]
RECENT_SHARE, RECENT_DAYS = 0.12, 12
CANCEL_SHARE = 0.04
CANCEL_REASONS = ("街道已自行协调解决，无需部门到场", "与另一吹哨事项重复，已合并办理")
COMMENTS = {5: ["到场及时，措施有力", "主动担当，效果明显"], 4: ["配合较好", "按时完成任务"],
            3: ["基本完成，进度偏慢", "需加强沟通"], 2: ["报到迟缓，推进不力"], 1: ["拒不到场，推诿扯皮"]}


def pick(rng, weighted):
    r, acc = rng.random(), 0.0
    for value, weight in weighted:
        acc += weight
        if r < acc:
            return value
    return weighted[-1][0]


@dataclass
class Sim:
    whistle: Whistle
    tickets: list = field(default_factory=list)
    approvals: list = field(default_factory=list)
    summons: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    ratings: list = field(default_factory=list)
    events: list = field(default_factory=list)   # (at, kind, user id, unit id, from, to, note, payload, summons idx, task idx)
    notices: list = field(default_factory=list)


@dataclass
class Result:
    whistles: int
    states: dict
    rows: dict
    seconds: float = 0.0


class Generator:
    def __init__(self, now, rng):
        self.now, self.rng = now, rng
        self.levels = {lv.code: lv for lv in WhistleLevel.objects.filter(active=True)}
        units = list(Unit.objects.filter(active=True, kind__in=(UnitKind.STREET, UnitKind.DEPARTMENT,
                                                                 UnitKind.ENTERPRISE, UnitKind.DISTRICT))
                     .order_by("code"))
        self.by_code = {u.code: u for u in units}
        self.streets = [u for u in units if u.kind == UnitKind.STREET]
        self.departments = [u for u in units if u.kind in (UnitKind.DEPARTMENT, UnitKind.ENTERPRISE)]
        self.district_depts = defaultdict(list)
        for u in self.departments:
            prefix = u.code.split("-")[0]
            if prefix.isdigit():
                self.district_depts[prefix].append(u)
        self.city_depts = [u for u in self.departments if not u.code.split("-")[0].isdigit()]
        self.whistling_depts = [u for u in self.city_depts if u.kind == UnitKind.DEPARTMENT]  # they may whistle too
        self.staff = StaffPool()
        self.leaders = {}
        self.duty_cache = {}
        self.tickets_by_street = defaultdict(list)
        rows = (Ticket.objects.filter(category__isnull=False, street__isnull=False, created_at__lt=now)
                .exclude(state__in=("merged", "answered")).exclude(special_class__gt="")
                .order_by("-created_at", "-id").values_list("id", "street_id", "created_at", "category_id", "channel",
                                                     "state", "title")[:30000])
        for row in rows:
            if len(self.tickets_by_street[row[1]]) < 60:
                self.tickets_by_street[row[1]].append(row)
        self.categories = Category.objects.in_bulk({r[3] for rows in self.tickets_by_street.values() for r in rows})

    def user_of(self, unit):
        user_id, _unit = self.staff.for_unit(unit.pk, self.rng)
        return user_id

    def leader_ids(self, unit):
        """Two leaders of a unit who sign approvals (分管副职, 主要负责人): the unit's people in those posts
        (the demo users `deputy` and `leader` in the demo street), else generated users."""
        if unit.pk not in self.leaders:
            ids = []
            for suffix, position in (("deputy", "deputy"), ("chief", "head")):
                name = f"{suffix}-{unit.code.lower()}"
                user = (User.objects.filter(unit=unit, position=position).order_by("pk").first()
                        or User.objects.filter(username=name).first())
                if user is None:
                    user = User.objects.create(username=name, role=Role.SUPERVISOR if suffix == "chief" else
                                               Role.UNIT_STAFF, unit=unit, display_name=person_name(name),
                                               position="head" if suffix == "chief" else "deputy",
                                               password=make_password(None))
                ids.append(user.pk)
            self.leaders[unit.pk] = ids
        return self.leaders[unit.pk]

    def duty(self, category_id, street):
        key = (category_id, street.pk)
        if key not in self.duty_cache:
            category = self.categories.get(category_id)
            self.duty_cache[key] = set(services.duty_units([category], street)) if category else set()
        return self.duty_cache[key]

    def created_at(self):
        if self.rng.random() < RECENT_SHARE:  # the last days: whistles still running fill the board
            days = RECENT_DAYS * self.rng.random()
        else:
            days = DAYS * (self.rng.random() ** 0.85)  # a little more in recent months
        moment = self.now - timedelta(days=days)
        local = timezone.localtime(moment)
        hour = 8 + int(self.rng.random() * 10)
        return local.replace(hour=hour, minute=int(self.rng.random() * 60), second=0, microsecond=0)

    # ── one whistle ─────────────────────────────────────────────────────────

    def simulate(self, demo_street, demo_dept):
        rng = self.rng
        if rng.random() < 0.06 and self.whistling_depts:
            raiser_unit = rng.choice(self.whistling_depts)
            street = rng.choice(self.streets)
        else:
            street = demo_street if demo_street and rng.random() < 0.3 else rng.choice(self.streets)
            raiser_unit = street
        trigger = pick(rng, TRIGGERS)
        level_code = "emergency" if trigger == "emergency" else pick(rng, LEVELS[:3])
        level = self.levels.get(level_code) or next(iter(self.levels.values()))
        mode = "quick" if trigger == "emergency" or (rng.random() < 0.1) else "regular"
        created = self.created_at()
        title, text = rng.choice(MATTERS[trigger])
        district = self.by_code.get(street.code[:6]) or street.district
        linked = []
        pool = [t for t in self.tickets_by_street.get(street.pk, []) if t[2] < created]
        if trigger == "public" and pool:
            linked = rng.sample(pool, min(len(pool), 1 if rng.random() < 0.6 else rng.randint(2, 4)))
        source = "own" if not linked else ("tickets" if len(linked) > 1 else
                                           ("grid_report" if linked[0][4] == "patrol" else "ticket"))
        if linked:
            title = f"{street.name}：{linked[0][6][:40]}"
        w = Whistle(title=title.format(street=street.name)[:120], description=text, trigger=trigger, level=level,
                    mode=mode, source=source, state="approval", unit=raiser_unit, district=district, place=street,
                    raised_by_id=self.user_of(raiser_unit), created_at=created, demo=True,
                    needs_review=mode == "quick" and level.needs_approval)
        sim = Sim(w, tickets=[t[0] for t in linked])
        ev = self.event_adder(sim)
        # whom to summon: duty units of the linked tickets, district departments, city departments
        duty = set()
        for t in linked:
            duty |= self.duty(t[3], street)
        candidates = list(Unit.objects.filter(pk__in=duty).order_by("code")) if duty else []
        candidates = [u for u in candidates if u.kind in (UnitKind.DEPARTMENT, UnitKind.ENTERPRISE)
                      and u.pk != raiser_unit.pk]
        local_depts = self.district_depts.get(street.code[:6], [])
        while len(candidates) < 2:
            source_list = local_depts if local_depts and rng.random() < 0.6 else self.city_depts or self.departments
            unit = rng.choice(source_list)
            if unit not in candidates and unit.pk != raiser_unit.pk:
                candidates.append(unit)
        n = min(len(candidates), rng.choice((2, 2, 3, 3, 4)))
        summoned = rng.sample(candidates, n)
        if demo_dept and demo_dept not in summoned and rng.random() < 0.12:
            summoned.append(demo_dept)
        extra_no_duty = rng.random() < 0.18  # over-summoning: a unit with nothing to do
        if extra_no_duty:
            unit = rng.choice(self.city_depts or self.departments)
            if unit not in summoned and unit.pk != raiser_unit.pk:
                summoned.append(unit)
        forms = ("on_site", "meeting", "joint", "written")
        for unit in summoned:
            has_duty = (unit.pk in duty) if linked else None
            form = "on_site" if mode == "quick" else rng.choice(forms)
            sim.summons.append(Summons(unit=unit, form=form, has_duty=has_duty))
        ev(created, "raise", w.raised_by_id, raiser_unit.pk, "", "approval" if self.needs_approval(w) else "active",
           text, trigger=trigger, level=level.code, mode=mode, source=source,
           tickets=[f"{timezone.localtime(t[2]):%Y%m%d}-{t[0]:07d}" for t in linked],
           summoned=[u.name for u in summoned], no_duty=[s.unit.name for s in sim.summons if s.has_duty is False])
        at = created
        if self.needs_approval(w):
            chain = list(level.approval_chain)
            signers = [w.raised_by_id] + self.leader_ids(raiser_unit)
            for i, step in enumerate(chain):
                at = at + timedelta(hours=1 + rng.random() * 36)  # a signature takes up to a day and a half
                if at > self.now:
                    return sim  # still in approval
                refused = i == len(chain) - 1 and rng.random() < 0.07
                sim.approvals.append(Approval(step=i, step_name=step, approved=not refused,
                                              by_id=signers[min(i, len(signers) - 1)], at=at,
                                              note="先由街道自行处置" if refused else ""))
                ev(at, "approval", signers[min(i, len(signers) - 1)], raiser_unit.pk, "approval",
                   "refused" if refused else ("active" if i == len(chain) - 1 else "approval"),
                   "", step=i, step_name=step, approved=not refused)
                if refused:
                    w.state = "refused"
                    return sim
            w.approved_at = at
        w.state, w.summoned_at = "active", at
        for i, s in enumerate(sim.summons):
            s.summoned_at, s.report_due = at, services.report_due(w, at)
            ev(at, "summon", w.raised_by_id, raiser_unit.pk, "active", "active", "", summons=i, unit=s.unit.name,
               form=s.form, due=s.report_due.isoformat(), no_duty=s.has_duty is False)
        if w.needs_review:
            review_at = at + timedelta(hours=2 + rng.random() * 30)
            if review_at <= self.now:
                w.needs_review, w.reviewed_at, w.reviewed_by_id = False, review_at, self.leader_ids(raiser_unit)[1]
                ev(review_at, "review", w.reviewed_by_id, raiser_unit.pk, "active", "active", "同意现场处置")
        if rng.random() < CANCEL_SHARE:
            cancelled = at + timedelta(hours=2 + rng.random() * 48)
            if cancelled <= self.now:  # the matter went away (solved by the street alone, or merged into another)
                w.state, w.closed_at = "cancelled", cancelled
                ev(cancelled, "cancel", w.raised_by_id, raiser_unit.pk, "active", "cancelled", rng.choice(CANCEL_REASONS))
                return sim
        # check-ins and objections
        for i, s in enumerate(sim.summons):
            window = s.report_due - at
            r = rng.random()
            if r < 0.04 and s.has_duty is not True:
                obj_at = at + window * rng.random() * 0.5
                if obj_at <= self.now:
                    s.state, s.objection = "objected", "本单位无此职责，建议由属地或主管部门处置"
                    ev(obj_at, "objection", self.user_of(s.unit), s.unit.pk, "active", "active", s.objection,
                       summons=i, unit=s.unit.name)
                    dec_at = obj_at + timedelta(hours=1 + rng.random() * 6)
                    if dec_at <= self.now:
                        s.state, s.objection_upheld, s.objection_decided_at = "released", True, dec_at
                        ev(dec_at, "objection_decided", w.raised_by_id, raiser_unit.pk, "active", "active", "",
                           summons=i, unit=s.unit.name, upheld=True)
                continue
            if r < 0.80:
                check = at + window * (0.1 + rng.random() * 0.85)
            elif r < 0.94:
                check = s.report_due + window * (0.05 + rng.random() * 1.5)
            else:
                check = None  # never reports
            if check is None or check > self.now:
                if s.report_due < self.now:
                    text = f"超时未报到：{s.unit.name}应于{timezone.localtime(s.report_due):%Y-%m-%d %H:%M}前报到。"
                    sim.notices.append(("supervise", s.unit.pk, None, text, s.report_due + timedelta(minutes=5)))
                    s.supervised_at = s.report_due + timedelta(minutes=5)
                    ev(s.supervised_at, "report_overdue", None, None, "active", "active", text, summons=i,
                       unit=s.unit.name, due=s.report_due.isoformat())
                    if check is None and rng.random() < 0.5:
                        esc = s.report_due + timedelta(days=1 + rng.random() * 3)
                        if esc <= self.now and district is not None:
                            s.escalated_at, w.escalated = esc, True
                            reason = f"{s.unit.name}经督办仍未报到，按条例第四十四条报区政府。"
                            sim.notices.append(("escalation", district.pk, s.unit.pk, reason, esc))
                            ev(esc, "escalate", w.raised_by_id, raiser_unit.pk, "active", "active", reason, summons=i,
                               unit=s.unit.name, district=district.name)
                            lift = esc + timedelta(hours=2)   # 提级 on about half of them (no new draw)
                            if esc.minute % 2 == 0 and lift <= self.now and not w.raised_to_district_at:
                                w.raised_to_district_at, w.raised_to_district_by_id = lift, w.raised_by_id
                                w.raised_to_district_reason = f"{s.unit.name}逾期未报到，经督办和报区仍未到场，提级至区级吹哨。"
                                sim.notices.append(("raised", district.pk, None, w.raised_to_district_reason, lift))
                                ev(lift, "raise_to_district", w.raised_by_id, raiser_unit.pk, "active", "active",
                                   w.raised_to_district_reason, district=district.name)
                continue
            s.state, s.checked_in_at = "checked_in", check
            s.checked_in_by_id = self.user_of(s.unit)
            s.person = person_name(f"{s.unit.code}:{w.created_at:%j}")
            s.late = check > s.report_due
            if s.form == "on_site" and street.center_lon:
                s.checkin_lon = round(street.center_lon + (rng.random() - 0.5) * 0.01, 6)
                s.checkin_lat = round(street.center_lat + (rng.random() - 0.5) * 0.01, 6)
            ev(check, "check_in", s.checked_in_by_id, s.unit.pk, "active", "active", "", summons=i, unit=s.unit.name,
               person=s.person, late=s.late, form=s.form, lon=s.checkin_lon, lat=s.checkin_lat)
        # the joint meeting: tasks for units with a duty (or that checked in), sometimes the street itself
        meeting = max([s.checked_in_at for s in sim.summons if s.checked_in_at] or [at]) + timedelta(
            hours=1 + rng.random() * 24)
        if meeting > self.now:
            return sim
        holders = [s.unit for s in sim.summons if s.state == "checked_in" and s.has_duty is not False]
        holders = holders or [s.unit for s in sim.summons if s.state == "checked_in"][:1] or [raiser_unit]
        if rng.random() < 0.3:
            holders.append(raiser_unit)
        ends = []

        def runner(moment):
            """Who runs the whistle at `moment` (lists, accepts, closes): the whistling unit; after 提级 its district."""
            if w.raised_to_district_at and district is not None and moment >= w.raised_to_district_at:
                return self.user_of(district), district.pk
            return w.raised_by_id, raiser_unit.pk

        lister = runner(meeting)
        for j, unit in enumerate(holders[:4]):
            title_, criterion = rng.choice(TASKS)
            due = services.default_task_due(w, meeting)
            task = Task(unit=unit, title=title_, criterion=criterion, due=due, created_at=meeting,
                        created_by_id=lister[0])
            sim.tasks.append(task)
            ev(meeting, "task_added", *lister, "active", "active", criterion, task=j,
               title=title_, unit=unit.name, due=due.isoformat())
            span = due - meeting
            done = meeting + span * (0.2 + rng.random() * (1.4 if rng.random() < 0.2 else 0.75))
            if done > self.now:
                if due < self.now:
                    text = f"任务“{title_}”已超期（应于{timezone.localtime(due):%Y-%m-%d %H:%M}完成）。"
                    task.supervised_at = due + timedelta(minutes=5)
                    sim.notices.append(("supervise", unit.pk, None, text, task.supervised_at))
                    ev(task.supervised_at, "task_overdue", None, None, "active", "active", text, task=j,
                       unit=unit.name, due=due.isoformat())
                ends.append(None)
                continue
            actor = self.user_of(unit) if unit.pk != raiser_unit.pk else w.raised_by_id
            task.state, task.done_at, task.progress = "done", done, f"{title_}已完成，现场照片已上传。"
            ev(done, "task_done", actor, unit.pk, "active", "active", task.progress, task=j, title=title_,
               unit=unit.name, files=0, late=done > due)
            accept = done + timedelta(hours=2 + rng.random() * 40)
            if accept > self.now:
                ends.append(None)
                continue
            accepter = runner(accept)
            task.state, task.accepted_at, task.accepted_by_id = "accepted", accept, accepter[0]
            ev(accept, "task_accepted", *accepter, "active", "active", "", task=j,
               title=title_, unit=unit.name)
            ends.append(accept)
        if not ends or None in ends:
            return sim
        closed = max(ends) + timedelta(hours=1 + rng.random() * 24)
        if closed > self.now:
            return sim
        w.state, w.closed_at = "closed", closed
        w.result = "经吹哨联合处置，" + "；".join(t.title for t in sim.tasks) + "，已全部验收。"
        ev(closed, "close", *runner(closed), "active", "closed", w.result, replied=[],
           informed=[f"{timezone.localtime(t[2]):%Y%m%d}-{t[0]:07d}" for t in linked])
        # ratings: the street rates the summoned units, the district both sides; a released unit is not rated
        kept_on = [s for s in sim.summons if s.state != "released"]
        for s in kept_on:
            if rng.random() < 0.9:
                base = 5 if s.state == "checked_in" and not s.late else (3 if s.late else 1)
                if s.has_duty is False:
                    base = min(base, 4)
                self.rate(sim, ev, s.unit, "street", base, closed, w.raised_by_id, raiser_unit.pk)
        if district is not None and rng.random() < 0.6:
            for unit in [raiser_unit] + [s.unit for s in kept_on]:
                self.rate(sim, ev, unit, "district", 4, closed + timedelta(days=1 + rng.random() * 5),
                          self.user_of(district), district.pk)
        return sim

    def rate(self, sim, ev, unit, side, base, after, user_id, unit_id):
        rng = self.rng
        at = after + timedelta(hours=1 + rng.random() * 48)
        if at > self.now:
            return

        def score():
            return max(1, min(5, base + rng.choice((-1, 0, 0, 0, 1)) - (1 if rng.random() < 0.1 else 0)))

        t, e, r = score(), score(), score()
        comment = rng.choice(COMMENTS[max(1, min(5, round((t + e + r) / 3)))])
        sim.ratings.append(Rating(unit=unit, by=side, rater_id=user_id, timeliness=t, effort=e, result=r,
                                  comment=comment, at=at))
        ev(at, "rate", user_id, unit_id, "closed", "closed", comment, unit=unit.name, by=side,
           score=round((t + e + r) / 3, 2), timeliness=t, effort=e, result=r)

    def needs_approval(self, w):
        return w.level.needs_approval and w.mode != "quick"

    @staticmethod
    def event_adder(sim):
        def ev(at, kind, user_id, unit_id, from_state, to_state, note="", summons=None, task=None, **payload):
            sim.events.append((at, kind, user_id, unit_id, from_state, to_state, note, payload, summons, task))
        return ev


def demo_exists():
    return Whistle.objects.filter(demo=True).exists()


def delete_demo():
    """Delete the demo whistles (and their history). Returns the number deleted."""
    with transaction.atomic():
        ids = list(Whistle.objects.filter(demo=True).values_list("id", flat=True))
        TicketEvent.objects.filter(kind__in=("whistle_raised", "whistle_closed"), payload__whistle__in=ids).delete()
        WhistleEvent.objects.filter(whistle_id__in=ids).delete()
        Whistle.objects.filter(id__in=ids).delete()
    return len(ids)


DEFAULT_WHISTLES = 300


def setup_step(log=print, seed=12345, reset=False, n=DEFAULT_WHISTLES, now=None):
    """The `jiesu setup` step: generate the demo whistles unless they exist (reset: delete and regenerate)."""
    if demo_exists() and not reset:
        log(f"  demo whistles: present ({Whistle.objects.filter(demo=True).count()}); "
            f"use --reset-demo to regenerate")
        return None
    if reset:
        deleted = delete_demo()
        if deleted:
            log(f"  demo whistles: {deleted} deleted")
    result = generate(n=n, seed=seed, now=now, log=log)
    if result.whistles:
        states = ", ".join(f"{k} {v}" for k, v in sorted(result.states.items()))
        log(f"  demo whistles: {result.whistles} in {result.seconds:.1f} s ({states}; "
            f"{result.rows.get('ratings', 0)} ratings)")
    return result


def generate(n=DEFAULT_WHISTLES, seed=12345, now=None, log=print):
    """Simulate `n` demo whistles up to `now`; returns a Result."""
    import time

    started = time.perf_counter()
    now = (now or timezone.now()).replace(microsecond=0)
    rng = random.Random(f"whistles:{seed}")
    gen = Generator(now, rng)
    if not gen.streets or not gen.departments or not gen.levels:
        log("  demo whistles: no streets, departments or levels yet — skipped")
        return Result(0, {}, {})
    demo_street = gen.by_code.get(DEMO_STREET)
    demo_dept = gen.by_code.get(DEMO_DEPARTMENT)
    gen.staff.ensure_units(sorted({u for u in gen.streets + gen.departments}, key=lambda u: u.code))
    sims = [gen.simulate(demo_street, demo_dept) for _ in range(n)]
    sims.sort(key=lambda s: s.whistle.created_at)
    rows = write(sims)
    return Result(len(sims), dict(Counter(s.whistle.state for s in sims)), rows, time.perf_counter() - started)


def write(sims):
    rows = Counter()
    with transaction.atomic():
        whistles = Whistle.objects.bulk_create([s.whistle for s in sims])
        rows["whistles"] = len(whistles)
        links, approvals, summons, tasks, ratings, notices, ticket_events = [], [], [], [], [], [], []
        Link = Whistle.tickets.through
        numbers = {}
        for s in sims:
            w = s.whistle
            numbers[w.pk] = w.number
            links += [Link(whistle_id=w.pk, ticket_id=t) for t in s.tickets]
            for a in s.approvals:
                a.whistle = w
            approvals += s.approvals
            for x in s.summons:
                x.whistle = w
            summons += s.summons
            for t in s.tasks:
                t.whistle = w
            tasks += s.tasks
            for r in s.ratings:
                r.whistle = w
            ratings += s.ratings
            for kind, unit_id, about, text, at in s.notices:
                notices.append(WhistleNotice(whistle=w, unit_id=unit_id, about_id=about, kind=kind, text=text,
                                             created_at=at, read_at=at + timedelta(hours=3) if at < w.created_at
                                             + timedelta(days=30) else None))
        Link.objects.bulk_create(links)
        Approval.objects.bulk_create(approvals)
        Summons.objects.bulk_create(summons)
        Task.objects.bulk_create(tasks)
        Rating.objects.bulk_create(ratings)
        WhistleNotice.objects.bulk_create(notices)
        events = []
        ticket_states = dict(Ticket.objects.filter(pk__in=[t for s in sims for t in s.tickets])
                             .values_list("id", "state"))
        for s in sims:
            w = s.whistle
            for at, kind, user_id, unit_id, fr, to, note, payload, si, ti in sorted(s.events, key=lambda e: e[0]):
                events.append(WhistleEvent(whistle=w, at=at, actor_id=user_id, actor_unit_id=unit_id, kind=kind,
                                           from_state=fr, to_state=to, note=note, payload=payload,
                                           summons=s.summons[si] if si is not None else None,
                                           task=s.tasks[ti] if ti is not None else None))
            for t in s.tickets:
                state = ticket_states.get(t, "")
                ticket_events.append(TicketEvent(ticket_id=t, at=w.created_at, actor_id=w.raised_by_id,
                                                 actor_unit_id=w.unit_id, kind="whistle_raised", from_state=state,
                                                 to_state=state, note=w.title,
                                                 payload={"whistle": w.pk, "whistle_number": numbers[w.pk]}))
                if w.state == "closed":
                    ticket_events.append(TicketEvent(
                        ticket_id=t, at=w.closed_at, actor_id=w.raised_by_id, actor_unit_id=w.unit_id,
                        kind="whistle_closed", from_state=state, to_state=state, note=w.result,
                        payload={"whistle": w.pk, "whistle_number": numbers[w.pk], "replied": False}))
        WhistleEvent.objects.bulk_create(events, batch_size=2000)
        TicketEvent.objects.bulk_create(ticket_events, batch_size=2000)
        for name, objs in (("links", links), ("approvals", approvals), ("summons", summons), ("tasks", tasks),
                           ("ratings", ratings), ("notices", notices), ("events", events),
                           ("ticket events", ticket_events)):
            rows[name] = len(objs)
    return dict(rows)
