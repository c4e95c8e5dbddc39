"""Demo users (one per role, password `jiesu123`) and the generated staff who act in demo tickets.

Demo users are the accounts a newcomer logs in with (docs/demo.md). Generated staff
(`hotline-ct01`, `staff-110101001`, `grid-110101001001001`…) are the colleagues who
took the other calls and handled the other tickets; they have no usable password.
"""
import zlib
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from jiesu.accounts.groups import DISPATCH_CATALOGUE, ensure_staff_groups
from jiesu.accounts.models import Role, User
from jiesu.demo import texts
from jiesu.units.models import Unit, UnitKind

DEMO_PASSWORD = "jiesu123"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    unit_code: str | None
    display_name: str
    role_zh: str
    try_this: str
    superuser: bool = False
    phone: str = ""
    position: str = ""
    staff_group: str = ""  # a back-office group (accounts.groups): the user may log in to /admin/ for it


DEMO_USERS = (
    DemoUser("calltaker", Role.CALL_TAKER, "HC", "李娜", "话务员",
             "录入来电诉求（受理表单），直接答复咨询，分类处置，催办"),
    DemoUser("dispatcher", Role.DISPATCHER, "HC", "王强", "派单员",
             "待派单队列：确认类别与承办单位并派单；审核退单和延期申请；合并重复件"),
    DemoUser("dispatch-lead", Role.DISPATCHER, "HC", "钱磊", "派单组长",
             "派单台，以及后台维护权责清单（派单目录）、地名库、自动派单阈值（不能管理用户和组织）",
             staff_group=DISPATCH_CATALOGUE.name),
    DemoUser("callback", Role.CALLBACK_AGENT, "HC", "赵敏", "回访员",
             "回访队列：记录解决/满意情况，办结或发起重办"),
    DemoUser("supervisor", Role.SUPERVISOR, "110000", "张卫东", "督办 / 领导",
             "全市工单；对超期工单督办；审批延期"),
    DemoUser("street", Role.UNIT_STAFF, "110101001", "刘洋", "承办人（街道）",
             "东华门街道的工作台：签收、联系诉求人、反馈、退单、申请延期；吹哨（科室申请）", position="staff"),
    DemoUser("deputy", Role.UNIT_STAFF, "110101001", "何雪", "分管副职（街道）",
             "东华门街道：吹哨审批的“分管副职签字”", position="deputy"),
    DemoUser("leader", Role.SUPERVISOR, "110101001", "郑国华", "主要负责人（街道）",
             "东华门街道：吹哨审批的“主要负责人批准”，评价报到部门", position="head"),
    DemoUser("street2", Role.UNIT_STAFF, "110101002", "陈静", "承办人（街道）",
             "景山街道：看不到东华门街道的工单（属地范围）"),
    DemoUser("district", Role.UNIT_STAFF, "110101", "杨帆", "承办人（区）",
             "东城区全区工单（街道工单抄送区）"),
    DemoUser("dept", Role.UNIT_STAFF, "CD-RSJ", "黄磊", "承办人（市级部门）",
             "市人社局：拖欠工资、社保等派给本局的工单"),
    DemoUser("enterprise", Role.UNIT_STAFF, "EN-WATER", "周涛", "承办人（公共服务企业）",
             "自来水集团：停水、水压、水质工单（24小时时限）"),
    DemoUser("grid", Role.GRID_WORKER, "110101001001001", "吴秀英", "网格员",
             "东华门第一社区第1网格：巡查上报，查看本网格工单"),
    DemoUser("citizen", Role.CITIZEN, None, "孙明", "市民",
             "提交诉求，查看自己诉求的进度和答复", phone="13800138000"),
    DemoUser("admin", Role.ADMIN, "110000", "系统管理员", "管理员",
             "后台管理：组织、用户、类别、派单目录、时限、工作日历", superuser=True),
)
DEMO_USERNAMES = tuple(u.username for u in DEMO_USERS)

# Generated hotline colleagues: (prefix, role, how many).
HOTLINE_POOL = (("hotline-ct", Role.CALL_TAKER, 20), ("hotline-dp", Role.DISPATCHER, 6),
                ("hotline-cb", Role.CALLBACK_AGENT, 10), ("hotline-sv", Role.SUPERVISOR, 2))
# How often the demo user of a role (or of a unit) is the one who acted.
DEMO_USER_SHARE = 0.3


def person_name(key: str) -> str:
    """A stable fake Chinese name for a generated user (same key → same name)."""
    h = zlib.crc32(key.encode("utf-8"))
    return texts.SURNAMES[h % len(texts.SURNAMES)] + texts.GIVEN_NAMES[(h // 131) % len(texts.GIVEN_NAMES)]


def _staff_group(name):
    """The back-office group of that name, created when seed_reference has not yet run."""
    if not Group.objects.filter(name=name).exists():
        ensure_staff_groups()
    return Group.objects.get(name=name)


@transaction.atomic
def ensure_demo_users(password=DEMO_PASSWORD, log=print):
    """Create the demo users that are missing (existing ones are left alone). Returns {username: User}."""
    existing = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES)}
    missing = [spec for spec in DEMO_USERS if spec.username not in existing]
    if missing:
        hashed = make_password(password)  # hashed once: hashing is deliberately slow
        units = {u.code: u for u in Unit.objects.filter(code__in=[s.unit_code for s in missing if s.unit_code])}
        for spec in missing:
            unit = units.get(spec.unit_code) if spec.unit_code else None
            if spec.unit_code and unit is None:
                log(f"  demo user {spec.username}: unit {spec.unit_code} is not in the org tree, skipped")
                continue
            user = User(username=spec.username, role=spec.role, unit=unit, display_name=spec.display_name,
                        phone=spec.phone, position=spec.position, password=hashed, is_superuser=spec.superuser,
                        is_staff=spec.superuser or bool(spec.staff_group))
            user.save()
            if spec.staff_group:
                user.groups.add(_staff_group(spec.staff_group))
            existing[spec.username] = user
        log(f"  demo users: {len(missing)} created, {len(DEMO_USERS) - len(missing)} already there "
            f"(password {password})")
    else:
        log(f"  demo users: all {len(DEMO_USERS)} present")
    return existing


class StaffPool:
    """Who acted: (user id, unit id) pairs for hotline roles and for handling units."""

    def __init__(self):
        self.demo = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES)}
        self.by_unit = {}      # unit id → generated staff (user id, unit id)
        self.demo_by_unit = {}  # unit id → the demo user of that unit
        for spec in DEMO_USERS:  # the unit's first demo user handles its tickets (`street`, not its leaders)
            u = self.demo.get(spec.username)
            if u is not None and u.unit_id and u.role in (Role.UNIT_STAFF, Role.GRID_WORKER):
                self.demo_by_unit.setdefault(u.unit_id, (u.pk, u.unit_id))
        self.hotline = {}
        self._ensure_hotline()

    def _ensure_hotline(self):
        hc = Unit.objects.filter(kind=UnitKind.HOTLINE_CENTER).order_by("code").first()
        city = Unit.objects.filter(kind=UnitKind.CITY).order_by("code").first()
        wanted = []
        for prefix, role, count in HOTLINE_POOL:
            unit = city if role == Role.SUPERVISOR else hc
            for i in range(1, count + 1):
                wanted.append((f"{prefix}{i:02d}", role, unit))
        have = {u.username: u for u in User.objects.filter(username__in=[w[0] for w in wanted])}
        new = [User(username=name, role=role, unit=unit, display_name=person_name(name),
                    password=make_password(None)) for name, role, unit in wanted if name not in have]
        User.objects.bulk_create(new)
        have.update({u.username: u for u in User.objects.filter(username__in=[u.username for u in new])})
        for _prefix, role, _count in HOTLINE_POOL:
            self.hotline[str(role)] = [(u.pk, u.unit_id) for name, u in sorted(have.items()) if u.role == role]
        for spec in DEMO_USERS:
            user = self.demo.get(spec.username)
            if user and spec.role in (Role.CALL_TAKER, Role.DISPATCHER, Role.CALLBACK_AGENT, Role.SUPERVISOR):
                self.hotline.setdefault("demo:" + str(spec.role), []).append((user.pk, user.unit_id))

    def ensure_units(self, units):
        """Generated staff for each of `units` (Unit-like: pk, code, kind) that has none yet."""
        def username(unit):
            return ("grid-" if unit.kind == UnitKind.GRID else "staff-") + unit.code.lower()

        by_name = {username(u): u for u in units if u.pk not in self.by_unit}
        if not by_name:
            return
        have = {u.username: u for u in User.objects.filter(username__in=list(by_name))}
        new = []
        for name, unit in by_name.items():
            if name not in have:
                role = Role.GRID_WORKER if unit.kind == UnitKind.GRID else Role.UNIT_STAFF
                new.append(User(username=name, role=role, unit_id=unit.pk, display_name=person_name(name),
                                password=make_password(None)))
        for start in range(0, len(new), 500):
            User.objects.bulk_create(new[start:start + 500])
        if new:
            have.update({u.username: u for u in User.objects.filter(username__in=[u.username for u in new])})
        for name, unit in by_name.items():
            self.by_unit[unit.pk] = (have[name].pk, unit.pk)

    def for_unit(self, unit_id, rng):
        demo = self.demo_by_unit.get(unit_id)
        if demo and rng.random() < 0.7:
            return demo
        return self.by_unit.get(unit_id) or (None, unit_id)

    def hotline_user(self, role, rng):
        demo = self.hotline.get("demo:" + role)
        if demo and rng.random() < DEMO_USER_SHARE:
            return demo[0]
        pool = self.hotline[role]
        return pool[int(rng.random() * len(pool))]
