import pytest

from jiesu.accounts.models import User


@pytest.fixture
def admin_browser(db, client, settings):
    """A logged-in superuser client; admin pages rendered without the site navigation
    (another app's context processor, which these tests are not about)."""
    templates = [dict(t, OPTIONS=dict(t.get("OPTIONS", {}))) for t in settings.TEMPLATES]
    for t in templates:
        t["OPTIONS"]["context_processors"] = [p for p in t["OPTIONS"].get("context_processors", [])
                                              if not p.startswith("jiesu.")]
    settings.TEMPLATES = templates
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client.force_login(User.objects.create_superuser("root", password="pw"))
    return client


# The codes of docs/units-codes.md: the catalogue may name no others.
CITY_DEPARTMENTS = (
    "CGW ZJW JTW JGJ GAJ STHJ SCJG RSJ WJW JW MZJ SWJ YLLH GZW WLJ ZFJ YJJ FGW CZJ SWJ2 YBJ TYJ SFJ GZJ KJW "
    "JXJ SWU NYNC TJJ XFJ FXJ YJGL LSJ WTJ HZJ DSJ RFB QXJ ZWJ DYJ").split()
ENTERPRISES = "WATER GAS HEAT POWER TEL DRAIN".split()
DISTRICT_DEPARTMENTS = "CGJ ZJW ZFJ SCJ STJ".split()
DOCUMENTED_CODES = {"HC", *(f"CD-{a}" for a in CITY_DEPARTMENTS), *(f"EN-{a}" for a in ENTERPRISES)}


@pytest.fixture
def org(db):
    """A small org tree holding every unit the catalogue names (made directly, not by build_org_tree)."""
    from jiesu.units.models import Unit

    city = Unit.objects.create(code="110000", name="北京市", kind="city")
    Unit.objects.create(code="HC", name="12345热线中心", kind="hotline_center", parent=city)
    for abbr in CITY_DEPARTMENTS:
        Unit.objects.create(code=f"CD-{abbr}", name=f"市{abbr}", kind="department", parent=city)
    for abbr in ENTERPRISES:
        Unit.objects.create(code=f"EN-{abbr}", name=f"企业{abbr}", kind="enterprise", parent=city)
    district = Unit.objects.create(code="110101", name="东城区", kind="district", parent=city)
    for abbr in DISTRICT_DEPARTMENTS:
        Unit.objects.create(code=f"110101-{abbr}", name=f"东城区{abbr}", kind="department", parent=district)
    street = Unit.objects.create(code="110101001", name="东华门街道", kind="street", parent=district)
    community = Unit.objects.create(code="110101001001", name="多福巷社区", kind="community", parent=street)
    grid = Unit.objects.create(code="110101001001001", name="第1网格", kind="grid", parent=community)
    return type("Org", (), {"city": city, "district": district, "street": street, "community": community,
                            "grid": grid, "unit": staticmethod(lambda code: Unit.objects.get(code=code))})


@pytest.fixture
def catalogue(db):
    from jiesu.categories import services

    services.load_time_limits()
    services.load_categories()
    return services
