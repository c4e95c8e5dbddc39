"""A small grid world with real (box) boundaries, so point location, coverage and checks are exact.

    street 110101001 (116.38–116.42 E, 39.90–39.92 N)
      community C1 110101001001 (west half): grids 001 NW, 002 NE, 003 SW, 004 SE
      community C2 110101001002 (east half): grid 001 (all of it)
    street B 110101002 (further east) with one community and one grid
"""
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiesu.accounts.models import Role, User
from jiesu.categories.models import Category, TimeLimitClass
from jiesu.units.models import Unit
from jiesu.workcal.models import WorkingHours

TZ = ZoneInfo("Asia/Shanghai")
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def at(*args):
    return datetime(*args, tzinfo=TZ)


def box(w, s, e, n):
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def photo(name="p.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def unit(code, name, kind, parent, geometry=None):
    u = Unit.objects.create(code=code, name=name, kind=kind, parent=parent, geometry=geometry,
                            schematic=False)
    if geometry:
        from jiesu.units.geometry import as_shape, representative_lonlat

        u.center_lon, u.center_lat = representative_lonlat(as_shape(geometry))
        u.save()
    return u


@pytest.fixture
def gw(db):
    from jiesu.dispatch import router
    from jiesu.grids import services
    from jiesu.grids.models import GridMember
    from jiesu.units.services import invalidate_locator

    city = unit("110000", "北京市", "city", None)
    hc = unit("HC", "12345热线中心", "hotline_center", city)
    district = unit("110101", "东城区", "district", city, box(116.30, 39.85, 116.50, 39.95))
    street = unit("110101001", "东华门街道", "street", district, box(116.38, 39.90, 116.42, 39.92))
    street_b = unit("110101002", "景山街道", "street", district, box(116.42, 39.90, 116.46, 39.92))
    c1 = unit("110101001001", "东华门第一社区", "community", street, box(116.38, 39.90, 116.40, 39.92))
    c2 = unit("110101001002", "东华门第二社区", "community", street, box(116.40, 39.90, 116.42, 39.92))
    cb = unit("110101002001", "景山第一社区", "community", street_b, box(116.42, 39.90, 116.46, 39.92))
    g1 = unit("110101001001001", "第一社区第1网格", "grid", c1, box(116.38, 39.91, 116.39, 39.92))
    g2 = unit("110101001001002", "第一社区第2网格", "grid", c1, box(116.39, 39.91, 116.40, 39.92))
    g3 = unit("110101001001003", "第一社区第3网格", "grid", c1, box(116.38, 39.90, 116.39, 39.91))
    g4 = unit("110101001001004", "第一社区第4网格", "grid", c1, box(116.39, 39.90, 116.40, 39.91))
    g5 = unit("110101001002001", "第二社区第1网格", "grid", c2, box(116.40, 39.90, 116.42, 39.92))
    gb = unit("110101002001001", "景山第一社区第1网格", "grid", cb, box(116.42, 39.90, 116.46, 39.92))
    dept = unit("CD-SWJ", "市水务局", "department", city)
    WorkingHours.objects.create(start=time(9), end=time(12))
    WorkingHours.objects.create(start=time(13, 30), end=time(17, 30))
    general = TimeLimitClass.objects.create(
        code="general", name="一般", dispatch_amount=1, dispatch_unit="working_days", sign_amount=2,
        sign_unit="working_hours", contact_amount=1, contact_unit="working_days", reply_amount=7,
        reply_unit="working_days")
    top = Category.objects.create(code="90", name="城市管理部件和事件", level=1, time_limit_class=general)
    c06 = Category.objects.create(code="90.06", name="市容环境类", level=2, parent=top)
    c01 = Category.objects.create(code="90.01", name="市政公用设施类", level=2, parent=top)
    trash = Category.objects.create(code="90.06.06010", name="暴露垃圾", level=3, parent=c06, gbt_code="06010")
    noise = Category.objects.create(code="90.06.06028", name="噪声扰民", level=3, parent=c06, gbt_code="06028")
    shed = Category.objects.create(code="90.06.06001", name="私搭乱建", level=3, parent=c06, gbt_code="06001")
    cover = Category.objects.create(code="90.01.01001", name="供水井盖异常", level=3, parent=c01, gbt_code="01001")
    h1 = Category.objects.create(code="01", name="住房与物业", level=1, time_limit_class=general)
    h2 = Category.objects.create(code="01.01", name="物业服务", level=2, parent=h1)
    hotline_cat = Category.objects.create(code="01.01.02", name="物业服务质量", level=3, parent=h2)
    services.seed_city_default()

    def user(name, role, u, **kw):
        return User.objects.create_user(name, password="pw", role=role, unit=u, **kw)

    w1 = user("w1", Role.GRID_WORKER, g1, display_name="吴网格")
    w2 = user("w2", Role.GRID_WORKER, g3)
    GridMember.objects.create(user=w1, grid=g1)
    GridMember.objects.create(user=w1, grid=g2, employment="part_time")
    GridMember.objects.create(user=w2, grid=g3)
    invalidate_locator()
    router.invalidate()
    yield type("GridWorld", (), dict(
        city=city, hc=hc, district=district, street=street, street_b=street_b, c1=c1, c2=c2, cb=cb,
        g1=g1, g2=g2, g3=g3, g4=g4, g5=g5, gb=gb, dept=dept, trash=trash, noise=noise, shed=shed, cover=cover,
        hotline_cat=hotline_cat, general=general, w1=w1, w2=w2,
        community_staff=user("cs", Role.UNIT_STAFF, c1), street_staff=user("ss", Role.UNIT_STAFF, street),
        street_b_staff=user("sb", Role.UNIT_STAFF, street_b), district_staff=user("ds", Role.UNIT_STAFF, district),
        dispatcher=user("disp", Role.DISPATCHER, hc), call_taker=user("ct", Role.CALL_TAKER, hc),
        supervisor=user("sup", Role.SUPERVISOR, city), admin=user("adm", Role.ADMIN, city, is_superuser=True,
                                                                 is_staff=True),
        dept_staff=user("dp", Role.UNIT_STAFF, dept), citizen=user("cz", Role.CITIZEN, None),
    ))
    invalidate_locator()
    router.invalidate()


@pytest.fixture(autouse=True)
def fast_passwords(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
