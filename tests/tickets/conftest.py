"""A small world for lifecycle tests: two streets, a department, a user per role."""
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from jiesu.accounts.models import Role, User
from jiesu.categories.models import Category, TimeLimitClass
from jiesu.units.models import Unit
from jiesu.workcal.models import WorkingHours

TZ = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=TZ)


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture(scope="module")
def world_once(django_db_setup, django_db_blocker):
    """The world built once for a test module, in a transaction rolled back at the module's end; each test runs in a
    savepoint inside it, rolled back after the test. For a module whose tests only add rows beside the world's (new
    tickets …) and change none of its objects: it overrides `world` with one that returns this (test_lifecycle_table:
    230 tests, docs/ci.md)."""
    from django.conf import settings
    from django.db import transaction
    from django.test import override_settings
    from django.utils import translation

    with django_db_blocker.unblock(), transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        with override_settings(PASSWORD_HASHERS=FAST_HASHERS):  # the settings fixture is a test's, not a module's
            world = build_world()
        yield world
        transaction.set_rollback(True)


def build_world():
    city = Unit.objects.create(code="110000", name="北京市", kind="city")
    hc = Unit.objects.create(code="HC", name="12345热线中心", kind="hotline_center", parent=city)
    dist = Unit.objects.create(code="110101", name="东城区", kind="district", parent=city)
    dist2 = Unit.objects.create(code="110102", name="西城区", kind="district", parent=city)
    street = Unit.objects.create(code="110101001", name="东华门街道", kind="street", parent=dist)
    street_b = Unit.objects.create(code="110102001", name="西长安街街道", kind="street", parent=dist2)
    community = Unit.objects.create(code="110101001001", name="东华门第一社区", kind="community", parent=street)
    grid = Unit.objects.create(code="110101001001001", name="第1网格", kind="grid", parent=community)
    dept = Unit.objects.create(code="CD-RSJ", name="市人力资源和社会保障局", kind="department", parent=city)
    dept2 = Unit.objects.create(code="CD-SCJG", name="市市场监督管理局", kind="department", parent=city)
    WorkingHours.objects.create(start=time(9), end=time(12))
    WorkingHours.objects.create(start=time(13, 30), end=time(17, 30))
    general = TimeLimitClass.objects.create(
        code="general", name="一般", dispatch_amount=1, dispatch_unit="working_days", sign_amount=2,
        sign_unit="working_hours", contact_amount=1, contact_unit="working_days", reply_amount=7,
        reply_unit="working_days")
    urgent = TimeLimitClass.objects.create(
        code="emergency", name="紧急", dispatch_amount=1, dispatch_unit="clock_hours", sign_amount=1,
        sign_unit="clock_hours", contact_amount=1, contact_unit="clock_hours", reply_amount=2,
        reply_unit="clock_hours")
    top = Category.objects.create(code="01", name="城市管理", level=1)
    mid = Category.objects.create(code="01.01", name="街面秩序", level=2, parent=top)
    leaf = Category.objects.create(code="01.01.01", name="占道经营", level=3, parent=mid, time_limit_class=general)
    gas = Category.objects.create(code="01.01.02", name="燃气泄漏", level=3, parent=mid, time_limit_class=urgent)
    consult = Category.objects.create(code="01.01.03", name="政策咨询", level=3, parent=mid,
                                      time_limit_class=general, request_type="consult")

    def user(name, role, unit):
        return User.objects.create_user(name, password="pw", role=role, unit=unit)

    return type("World", (), dict(
        city=city, hc=hc, district=dist, district_b=dist2, street=street, street_b=street_b,
        community=community, grid=grid, dept=dept, dept2=dept2, category=leaf, gas=gas, consult=consult,
        general=general,
        call_taker=user("ct", Role.CALL_TAKER, hc), dispatcher=user("disp", Role.DISPATCHER, hc),
        callback_agent=user("cb", Role.CALLBACK_AGENT, hc), supervisor=user("sup", Role.SUPERVISOR, city),
        street_staff=user("st", Role.UNIT_STAFF, street), street_b_staff=user("stb", Role.UNIT_STAFF, street_b),
        district_staff=user("ds", Role.UNIT_STAFF, dist), dept_staff=user("dp", Role.UNIT_STAFF, dept),
        dept2_staff=user("dp2", Role.UNIT_STAFF, dept2), grid_worker=user("gw", Role.GRID_WORKER, grid),
        citizen=user("cz", Role.CITIZEN, None),
    ))


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
