"""A small real city for dashboard and warning tests: 东城 and 西城 with schematic boundaries,
the whole category catalogue, and one user per kind of viewer.

`geo_world(settings)` builds it (call it from a fixture with database access); `ticket_at`
makes tickets directly (bulk rows, like the demo) where a test needs numbers, not a lifecycle.
"""
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from jiesu.accounts.models import Role, User
from jiesu.categories.models import Category
from jiesu.tickets.models import Ticket
from jiesu.units.models import Unit

TZ = ZoneInfo("Asia/Shanghai")
DISTRICTS = ("110101", "110102")


def at(*args):
    return datetime(*args, tzinfo=TZ)


def geo_world(settings):
    from jiesu.categories import services as catalogue
    from jiesu.dispatch import router
    from jiesu.units import services as unit_services

    settings.JIESU = {**settings.JIESU, "DISPATCH_RECHECK_SECONDS": 0}
    unit_services.build_org_tree(districts=DISTRICTS, communities_per_street=1, grids_per_community=1)
    catalogue.load_time_limits()
    catalogue.load_categories()
    router.invalidate()
    default_kpi_version()
    units = {u.code: u for u in Unit.objects.filter(kind__in=("city", "district", "street", "hotline_center"))}
    dept = Unit.objects.filter(kind="department", district__isnull=True).order_by("code").first()

    def user(name, role, unit, **kw):
        return User.objects.create_user(name, password="pw", role=role, unit=unit, **kw)

    dongcheng, xicheng = units["110101"], units["110102"]
    donghuamen, jingshan = units["110101001"], units["110101002"]
    return SimpleNamespace(
        city=units["110000"], dongcheng=dongcheng, xicheng=xicheng, donghuamen=donghuamen, jingshan=jingshan,
        xc_street=Unit.objects.filter(kind="street", district=xicheng).order_by("code").first(), dept=dept,
        supervisor=user("sup", Role.SUPERVISOR, units["110000"]),
        dispatcher=user("disp", Role.DISPATCHER, Unit.objects.filter(kind="hotline_center").first()),
        district_staff=user("ds", Role.UNIT_STAFF, dongcheng),
        street_staff=user("st", Role.UNIT_STAFF, donghuamen),
        street2_staff=user("st2", Role.UNIT_STAFF, jingshan),
        xc_staff=user("xc", Role.UNIT_STAFF, xicheng),
        dept_staff=user("dp", Role.UNIT_STAFF, dept),
        citizen=user("cz", Role.CITIZEN, None),
        admin=User.objects.create_superuser("adm", password="pw", role=Role.ADMIN),
    )


def default_kpi_version():
    """The KPI app's version 1 (its data migration's rows are gone after a transactional test's flush)."""
    import importlib

    from django.apps import apps

    importlib.import_module("jiesu.kpi.migrations.0002_default_version").forwards(apps, None)


def category(code):
    return Category.objects.get(code=code)


def ticket_at(street, created_at, category_code="01.01.02", lon=None, lat=None, **kw):
    """A ticket row placed in `street` (no lifecycle): enough for counting."""
    return Ticket.objects.create(
        title=kw.pop("title", "测试诉求"), text=kw.pop("text", "测试诉求内容"), created_at=created_at,
        category=category(category_code), district_id=street.district_id, street=street, lon=lon, lat=lat, **kw)
