"""The locator on the database: coordinates in each datum, the seeded gazetteer, admin edits."""
import pytest

from jiesu.dispatch import locator, router
from jiesu.dispatch.coords import from_wgs84
from jiesu.dispatch.gazetteer import locate_text, seed_gazetteer
from jiesu.dispatch.models import EntrySource, GazetteerEntry
from jiesu.units.models import Unit

from .test_router_fixtures import dispatch_rows_once, shared_dispatch_db as dispatch_db  # noqa: F401  (fixtures: the rows built once for the module)


@pytest.mark.parametrize("system", ["wgs84", "gcj02", "bd09"])
def test_coordinates_in_each_datum_resolve_to_the_same_grid(dispatch_db, system):
    for grid in Unit.objects.filter(kind="grid", code__startswith="110101001").defer("geometry"):
        lon, lat = from_wgs84(grid.center_lon, grid.center_lat, system)  # a point inside the grid
        place = locator.locate(lon=lon, lat=lat, coord_system=system)
        assert place.grid.id == grid.id, (system, grid.code)
        assert place.street.code == "110101001" and place.district.code == "110101"
        assert place.source == "coordinates"
        assert place.lon == pytest.approx(grid.center_lon, abs=1e-7)
        assert place.lat == pytest.approx(grid.center_lat, abs=1e-7)
        assert "示意边界" in place.reason  # the generated boundaries say so
    upper = system.upper().replace("WGS84", "WGS-84").replace("GCJ02", "GCJ-02").replace("BD09", "BD-09")
    assert f"坐标（{upper}）" in place.reason


def test_an_undeclared_shift_lands_elsewhere(dispatch_db):
    """GCJ-02 read as WGS-84 is ≈ 500 m off: why the datum must be declared."""
    grid = Unit.objects.filter(kind="grid", code__startswith="110101").defer("geometry").first()
    lon, lat = from_wgs84(grid.center_lon, grid.center_lat, "gcj02")
    declared = locator.locate(lon=lon, lat=lat, coord_system="gcj02")
    assert declared.grid.id == grid.id
    assert abs(lon - grid.center_lon) + abs(lat - grid.center_lat) > 0.003


def test_bad_coordinates_are_refused_with_the_field(dispatch_db):
    with pytest.raises(locator.LocateError) as exc:
        locator.locate(lon=116.4, lat=39.9, coord_system="mars")
    assert exc.value.field == "coord_system"
    with pytest.raises(locator.LocateError) as exc:
        locator.locate(lon=116.4)
    assert exc.value.field == "lat"


def test_a_point_outside_the_city_falls_back_to_the_address(dispatch_db):
    place = locator.locate(address="东城区王府井大街", lon=121.47, lat=31.23)  # 上海
    assert place.street.code == "110101001" and place.source == "address"
    assert "不在本市任何辖区内" in place.reason


def test_address_and_point_agreeing_is_surer(dispatch_db):
    street = Unit.objects.filter(code="110101001").defer("geometry").get()
    alone = locator.locate(lon=street.center_lon, lat=street.center_lat)
    both = locator.locate(address="东华门街道", lon=street.center_lon, lat=street.center_lat)
    assert both.street.id == street.id and both.confidence > alone.confidence
    assert "与地址一致" in both.reason


def test_an_address_naming_a_street_beats_a_schematic_point(dispatch_db):
    other = Unit.objects.filter(code="110101002").defer("geometry").get()  # a street of 东城区, not 东华门
    place = locator.locate(address="东城区王府井大街", lon=other.center_lon, lat=other.center_lat)
    assert place.street.code == "110101001" and place.source == "address"
    assert "示意边界不可靠，以地址为准" in place.reason
    real = Unit.objects.get(pk=other.pk)
    real.schematic = False  # once its boundary is real, the point wins
    real.save()
    Unit.objects.filter(parent=other).update(schematic=False)
    Unit.objects.filter(parent__parent=other).update(schematic=False)
    router.invalidate()
    place = locator.locate(address="东城区王府井大街", lon=other.center_lon, lat=other.center_lat)
    assert place.street.code == "110101002" and place.source == "coordinates"
    assert "以坐标为准" in place.reason


def test_a_place_named_in_the_text_is_used_last(dispatch_db):
    place = locator.locate(text="西单路口有人占道经营")
    assert place.street.code == "110102001" and place.source == "text"  # 西长安街街道
    assert place.reason.startswith("从诉求内容中")
    nothing = locator.locate(text="有人占道经营")
    assert nothing.unit is None and "转12345热线中心人工派单" in nothing.reason


def test_the_gazetteer_is_seeded_from_the_org_tree(dispatch_db):
    names = set(GazetteerEntry.objects.filter(unit__code="110101001").values_list("name", flat=True))
    assert {"东华门街道", "东华门", "东华门街道办事处", "王府井大街", "王府井"} <= names
    assert set(GazetteerEntry.objects.filter(unit__code="110101").values_list("name", flat=True)) >= {
        "东城区", "东城", "东城区人民政府"}
    assert GazetteerEntry.objects.filter(unit__kind="grid").count() == Unit.objects.filter(kind="grid").count()
    assert not GazetteerEntry.objects.filter(name="国贸").exists()  # 朝阳区 has no streets in this tree
    assert seed_gazetteer() == {"created": 0, "deleted": 0}  # idempotent


def test_renamed_units_are_followed_and_hand_entries_kept(dispatch_db):
    community = Unit.objects.get(code="110101001001")
    GazetteerEntry.objects.create(name="多福巷", kind="road", unit=community)
    community.name = "多福巷社区"
    community.save()
    stats = seed_gazetteer()
    assert stats == {"created": 1, "deleted": 1}
    assert set(GazetteerEntry.objects.filter(unit=community).values_list("name", "source")) == {
        ("多福巷社区", EntrySource.AUTO), ("多福巷", EntrySource.MANUAL)}


def test_admin_edits_take_effect_at_once(dispatch_db):
    assert locate_text("多福巷12号").unit is None
    community = Unit.objects.get(code="110101001001")
    entry = GazetteerEntry.objects.create(name="多福巷", kind="road", unit=community)
    place = locate_text("多福巷12号")
    assert place.community.id == community.id and place.street.code == "110101001"
    entry.active = False
    entry.save()
    assert locate_text("多福巷12号").unit is None


def test_an_entry_with_coordinates_is_narrowed_to_the_grid_there(dispatch_db):
    grid = Unit.objects.filter(code="110101001002002").defer("geometry").get()
    GazetteerEntry.objects.create(name="某某大厦", kind="landmark", unit=Unit.objects.get(code="110101001"),
                                  lon=grid.center_lon, lat=grid.center_lat)
    assert locate_text("某某大厦").grid.id == grid.id


def test_the_place_dict_for_intake(dispatch_db):
    place = locate_text("东华门第一社区第2网格")
    assert {k: (u.code if u else None) for k, u in place.place().items()} == {
        "grid": "110101001001002", "community": "110101001001", "street": "110101001", "district": "110101"}


def test_gazetteer_admin(dispatch_db, admin_client):
    from django.urls import reverse

    page = admin_client.get(reverse("admin:dispatch_gazetteerentry_changelist") + "?q=王府井")
    assert page.status_code == 200
    assert "王府井大街" in page.content.decode()
    community = Unit.objects.get(code="110101001001")
    add = admin_client.post(reverse("admin:dispatch_gazetteerentry_add"), {
        "name": "多福巷", "kind": "road", "unit": community.pk, "active": "on", "note": ""})
    assert add.status_code == 302, add.content.decode()[:2000]
    entry = GazetteerEntry.objects.get(name="多福巷")
    assert entry.source == EntrySource.MANUAL
    assert locate_text("多福巷").community.id == community.id
    department = Unit.objects.get(code="110101-SCJ")  # not a place
    refused = admin_client.post(reverse("admin:dispatch_gazetteerentry_add"), {
        "name": "某局", "kind": "landmark", "unit": department.pk, "active": "on"})
    assert refused.status_code == 200 and not GazetteerEntry.objects.filter(name="某局").exists()
    auto = GazetteerEntry.objects.get(name="东华门", source=EntrySource.AUTO)
    admin_client.post(reverse("admin:dispatch_gazetteerentry_changelist"),
                      {"action": "deactivate", "_selected_action": [auto.pk]})
    auto.refresh_from_db()
    assert not auto.active and auto.source == EntrySource.MANUAL
    assert locate_text("东华门").unit is None


def test_gazetteer_admin_keeps_what_the_administrator_did_to_built_in_entries(dispatch_db, admin_client):
    """A built-in entry deleted or renamed in the admin stays so: seeding would bring a deleted one back."""
    from django.urls import reverse

    changelist = reverse("admin:dispatch_gazetteerentry_changelist")
    shipped = GazetteerEntry.objects.get(name="王府井大街", source=EntrySource.PACKAGE)
    street = Unit.objects.get(pk=shipped.unit_id)
    page = admin_client.post(reverse("admin:dispatch_gazetteerentry_delete", args=[shipped.pk]), {"post": "yes"},
                             follow=True)
    assert "内置条目改为停用" in page.content.decode()
    seed_gazetteer()
    router.invalidate()
    assert list(GazetteerEntry.objects.filter(name="王府井大街").values_list("active", flat=True)) == [False]
    assert "王府井大街" not in locate_text("王府井大街").matched
    auto = GazetteerEntry.objects.filter(name="东华门", source=EntrySource.AUTO).first()
    r = admin_client.post(reverse("admin:dispatch_gazetteerentry_change", args=[auto.pk]), {
        "name": "东华门外", "kind": auto.kind, "unit": auto.unit_id, "active": "on", "note": ""})
    assert r.status_code == 302
    seed_gazetteer()
    router.invalidate()
    assert not GazetteerEntry.objects.get(pk=auto.pk).active  # the original kept, switched off
    assert GazetteerEntry.objects.filter(name="东华门").count() == 1 and locate_text("东华门外").unit is not None
    bad = {"kind": "landmark", "unit": street.pk, "active": "on", "note": ""}
    for fields, message in (({"name": "塔"}, "地名至少两个字"),
                            ({"name": "某大厦", "lon": "121.47", "lat": "31.23"}, "不在本市范围内"),
                            ({"name": "某大厦", "lon": "39.9", "lat": "116.4"}, "超出范围"),
                            ({"name": "某大厦", "lon": "116.4"}, "经度和纬度")):
        r = admin_client.post(reverse("admin:dispatch_gazetteerentry_add"), {**bad, **fields})
        assert r.status_code == 200 and message in r.content.decode(), (fields, message)
    department = Unit.objects.get(code="110101-SCJ")
    r = admin_client.post(reverse("admin:dispatch_gazetteerentry_add"), {**bad, "name": "某局", "unit": department.pk})
    assert "地名只能对应网格、社区、街道（乡镇）或区" in r.content.decode()
    r = admin_client.post(changelist, {"action": "reseed", "index": "0"}, follow=True)  # no rows ticked
    assert "新增 0 条，删除 0 条" in r.content.decode()
