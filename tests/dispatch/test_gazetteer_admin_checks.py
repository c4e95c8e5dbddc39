"""The gazetteer admin after audit 8: names that would re-route addresses are refused or warned of (finding 7),
points are typed in a declared datum (finding 4), swapped longitude and latitude are called so (finding 14),
and its list filters and fields read in Chinese (finding 8)."""
import re

import pytest
from django.urls import reverse

from jiesu.dispatch import locator
from jiesu.dispatch.coords import from_wgs84, swapped_hint
from jiesu.dispatch.gazetteer import locate_text
from jiesu.dispatch.models import GazetteerEntry
from jiesu.units.models import Unit

from .test_gazetteer_load import load, write
from .test_router_fixtures import dispatch_db  # noqa: F401  (fixture)

SWAPPED = "经纬度可能填反了（经度约 116，纬度约 40）"


@pytest.fixture
def add(dispatch_db, admin_client):
    def post(name, unit, kind="alias", follow=True, **more):
        return admin_client.post(reverse("admin:dispatch_gazetteerentry_add"),
                                 {"name": name, "kind": kind, "unit": unit.pk, "active": "on", "note": "", **more},
                                 follow=follow)
    return post


def street(code):
    return Unit.objects.defer("geometry").get(code=code)


def warnings(page):
    return re.findall(r'<li class="warning">(.*?)</li>', page.content.decode(), re.S)


def name_error(page):
    return page.context_data["adminform"].form.errors.get("name", [""])[0]


def test_a_places_own_name_and_a_number_are_refused(add):
    jingshan = street("110101002")
    page = add("东城区", jingshan)
    assert page.status_code == 200 and not GazetteerEntry.objects.filter(name="东城区", unit=jingshan).exists()
    assert name_error(page) == ("“东城区”是单位名称（东城区）：作为景山街道的地名，会使所有含“东城区”的地址有多处可能，"
                                "无法再定位到所在街道。")
    assert locate_text("东城区王府井大街").street.code == "110101001"  # unchanged
    for number in ("12345", "１２３４５", "123-45"):
        page = add(number, street("110101001"), kind="landmark")
        assert "只有数字或标点" in name_error(page), number
    assert locate_text("我上周打过12345反映小区门口有人摆摊").unit is None
    assert add("东华门街道", Unit.objects.defer("geometry").get(code="110101001001")).status_code == 200


def test_a_name_another_place_carries_is_saved_with_a_warning_naming_it(add):
    jingshan = street("110101002")
    page = add("王府井", jingshan)
    assert GazetteerEntry.objects.filter(name="王府井", unit=jingshan).exists()
    assert [w for w in warnings(page) if "王府井" in w] == [
        "“王府井”也是东华门街道（东城区）的地名：同名地名有多处，地址中只有它时无法确定是哪一处（只能定位到共同的上级单位，"
        "或无法定位），除非地址中的其他地名能确定。"]
    quiet = add("多福巷", Unit.objects.defer("geometry").get(code="110101001001"), kind="road")
    assert warnings(quiet) == []


CITY_WORDS = "是本市或国家的名称：大多数地址以它开头"
ANY_ADDRESS = "是地址中的通用词（小区、路口、门口…），不是某处的名称"


def test_the_citys_name_and_words_of_any_address_are_refused(add):
    """Audit 9, finding 2: 北京市 as an alias of 景山街道 sent 北京市东城区王府井大街 there, 小区 every text naming a
    compound."""
    jingshan = street("110101002")
    page = add("北京市", jingshan)
    assert name_error(page) == ("“北京市”是本市或国家的名称：大多数地址以它开头，作为景山街道的地名，会把这些地址都定位到"
                                "景山街道。")
    for name in ("北京", "北京市人民政府", "中国", "中华人民共和国", "北 京"):
        assert CITY_WORDS in name_error(add(name, jingshan)), name
    assert name_error(add("小区", jingshan, kind="compound")) == (
        "“小区”是地址中的通用词（小区、路口、门口…），不是某处的名称：作为景山街道的地名，会把所有含有它的地址和诉求内容"
        "都定位到景山街道。请填写完整名称（如金宝花园小区、王府井大街路口）。")
    for name, kind in (("路口", "landmark"), ("街道", "alias"), ("大街", "road"), ("社区", "alias"), ("门口", "landmark"),
                       ("楼下", "landmark"), ("附近", "alias"), ("对面", "landmark"), ("胡同", "road"),
                       ("号楼", "landmark"), ("单元", "landmark"), ("小区门口", "landmark"), ("3号楼", "landmark"),
                       ("３号楼２单元", "landmark")):
        assert ANY_ADDRESS in name_error(add(name, jingshan, kind=kind)), name
    assert not GazetteerEntry.objects.filter(unit=jingshan).exclude(source="auto").exists()
    assert locate_text("北京市东城区王府井大街").street.code == "110101001"
    assert locate_text("东城区王府井大街").street.code == "110101001"
    assert locate_text("我家小区门口路灯坏了好几天").unit is None


def test_real_names_made_of_place_words_are_not_address_words(add):
    """Street names of the whole city's org tree made of place words (新村街道, 花园路, 南口, 北苑) pass the check: of
    the 4,238 entries `jiesu setup` makes none is refused."""
    from jiesu.dispatch.models import is_address_words

    assert [n for n in ("新村街道", "花园路", "花园路街道办事处", "南口", "北苑", "南苑", "景山东街小区")
            if is_address_words(n)] == []
    page = add("花园路", street("110101002"), kind="road")
    assert page.status_code == 200 and GazetteerEntry.objects.filter(name="花园路").exists()



CITY_AND_UNIT = "是本市名称加单位名称"


def test_the_city_with_a_units_name_its_latin_name_gates_and_courtyards_are_refused(add):
    """Audit 10, finding 6: 北京市东城区 as an alias of 景山街道 sent every 北京市东城区… address there, Beijing every
    "Beijing …" text, 小区南门 every text naming a compound's gate."""
    jingshan = street("110101002")
    assert name_error(add("北京市东城区", jingshan)) == (
        "“北京市东城区”是本市名称加单位名称（东城区）：该单位的地址常以它开头，作为景山街道的地名，会把这些地址都定位到"
        "景山街道。")
    for name in ("北京东城区", "北京市东华门街道"):
        assert CITY_AND_UNIT in name_error(add(name, jingshan)), name
    for name in ("Beijing", "BEIJING CITY", "peking", "Ｂｅｉｊｉｎｇ"):
        assert CITY_WORDS in name_error(add(name, jingshan)), name
    for name in ("南门", "小区南门", "北门", "东门", "西门", "正门", "侧门", "3号院", "三号院", "大院"):
        assert ANY_ADDRESS in name_error(add(name, jingshan, kind="landmark")), name
    assert not GazetteerEntry.objects.filter(unit=jingshan).exclude(source="auto").exists()
    assert locate_text("北京市东城区王府井大街").street.code == "110101001"


def test_real_names_with_gates_courtyards_and_numbers_pass(add):
    """The names audit 10 checked against the new refusals: none is refused (nor any of the 4,245 active entries of
    its `jiesu setup` database)."""
    from jiesu.dispatch.models import is_address_words

    real = ("金宝街", "新村街道", "花园路", "南锣鼓巷", "天通苑北一区", "望京SOHO", "南门仓胡同", "东四十条", "南口", "北苑")
    assert [n for n in real if is_address_words(n)] == []
    for name in ("金宝街", "南门仓胡同", "东四十条", "天通苑北一区", "望京SOHO", "北京坊"):
        page = add(name, street("110101002"), kind="landmark")
        assert page.status_code == 200 and GazetteerEntry.objects.filter(name=name).exists(), name_error(page)

def recent_addresses(*addresses):
    from django.utils import timezone

    from jiesu.tickets.models import Ticket

    Ticket.objects.bulk_create(Ticket(title="诉求", text="诉求内容", address=a, created_at=timezone.now())
                               for a in addresses)


def test_a_name_in_many_recent_addresses_is_saved_only_once_confirmed_and_the_form_says_why(add, admin_client):
    """The share of recent addresses is said before the entry is saved, while it can still be changed: the form
    comes back with it and a "save it all the same" box; ticked, the entry is saved, without saying it again."""
    recent_addresses(*["东城区景山后街8号"] * 10, *["东城区沙滩北街2号"] * 4, *["西城区西单北大街"] * 86)
    form = admin_client.get(reverse("admin:dispatch_gazetteerentry_add")).content.decode()
    assert re.search(r'<input type="hidden" name="save_common_name"', form)
    assert "form-row hidden field-save_common_name" in form  # not shown
    page = add("景山后街", street("110101002"), kind="road")
    assert not GazetteerEntry.objects.filter(name="景山后街").exists()
    assert name_error(page) == (
        "“景山后街”出现在最近 100 条地址中的 10%（10 条）：作为景山街道的地名，会把其中未写明更具体地点的地址都定位到"
        "景山街道。请确认它确是此处的名称。 如仍要保存，请勾选下方的“仍然保存”。")
    assert re.search(r'<input type="checkbox" name="save_common_name"', page.content.decode())
    assert "form-row field-save_common_name" in page.content.decode()  # shown
    page = add("景山后街", street("110101002"), kind="road", save_common_name="on")
    assert GazetteerEntry.objects.filter(name="景山后街").exists() and [w for w in warnings(page) if "最近" in w] == []
    quiet = add("沙滩北街", street("110101002"), kind="road")
    assert GazetteerEntry.objects.filter(name="沙滩北街").exists() and [w for w in warnings(quiet) if "最近" in w] == []
    entry = GazetteerEntry.objects.get(name="景山后街")
    page = admin_client.post(reverse("admin:dispatch_gazetteerentry_change", args=[entry.pk]), {
        "name": entry.name, "kind": entry.kind, "unit": entry.unit_id, "active": "on", "note": "核实过"})
    assert page.status_code == 302 and GazetteerEntry.objects.get(pk=entry.pk).note == "核实过"  # not a new name


def test_a_name_two_units_carry_stays_editable_and_is_refused_elsewhere(add, admin_client):
    """Two streets of one name (八里庄街道 in 朝阳区 and in 海淀区): each one's own entry is edited (a note) as before;
    the name given to a third place is refused, naming both."""
    from jiesu.dispatch.gazetteer import seed_gazetteer

    Unit.objects.create(code="110102999", name="东华门街道", kind="street", parent=street("110102"))
    seed_gazetteer()
    entry = GazetteerEntry.objects.get(name="东华门街道", unit__code="110101001")
    page = admin_client.post(reverse("admin:dispatch_gazetteerentry_change", args=[entry.pk]), {
        "name": entry.name, "kind": entry.kind, "unit": entry.unit_id, "active": "on", "note": "核实过"})
    assert page.status_code == 302 and GazetteerEntry.objects.get(pk=entry.pk).note == "核实过"
    page = add("东华门街道", Unit.objects.defer("geometry").get(code="110101001001"))
    assert "（东华门街道（东城区）、东华门街道（西城区））" in name_error(page)


def outside_unless_converted(unit_code):
    """A WGS-84 point inside the street whose GCJ-02 numbers, read as WGS-84, lie outside it."""
    unit = street(unit_code)
    for grid in Unit.objects.filter(kind="grid", code__startswith=unit_code).defer("geometry"):
        for dx in (-0.004, -0.002, 0, 0.002, 0.004):
            for dy in (-0.003, 0, 0.003):
                lon, lat = grid.center_lon + dx, grid.center_lat + dy
                if locator.locate_coordinates(lon, lat).street != unit:
                    continue
                typed = from_wgs84(lon, lat, "gcj02")
                if locator.locate_coordinates(*typed).street != unit:
                    return (lon, lat), typed
    raise AssertionError(f"no point near the edge of {unit_code}")


def test_a_point_is_typed_in_its_datum_and_stored_in_wgs84(add):
    unit = street("110101001")
    (lon, lat), (typed_lon, typed_lat) = outside_unless_converted("110101001")
    page = add("某某大厦", unit, kind="landmark", lon=typed_lon, lat=typed_lat, coord_system="gcj02")
    entry = GazetteerEntry.objects.get(name="某某大厦")
    assert (entry.lon, entry.lat) == (pytest.approx(lon, abs=1e-6), pytest.approx(lat, abs=1e-6))
    assert warnings(page) == []
    page = add("某某中心", unit, kind="landmark", lon=typed_lon, lat=typed_lat, coord_system="wgs84")
    assert GazetteerEntry.objects.get(name="某某中心").lon == typed_lon
    assert warnings(page) == ["该坐标不在东华门街道内：定位时只用地名，不用坐标。 按 GCJ-02 换算后位于东华门街道内：请选择坐标系。"]

def test_the_datum_is_chosen_in_words(dispatch_db, admin_client):
    form = admin_client.get(reverse("admin:dispatch_gazetteerentry_add")).content.decode()
    assert "GCJ-02（高德、腾讯地图、微信）" in form and "BD-09（百度地图）" in form and "WGS-84（GPS）" in form


def test_swapped_longitude_and_latitude_are_called_so(add):
    assert swapped_hint(39.91, 116.41) == SWAPPED + "。"
    assert swapped_hint(116.41, 39.91) == "" and swapped_hint("x", 1) == "" and swapped_hint(-74.0, 40.7) == ""
    assert swapped_hint(43.8, 87.6) == "经纬度可能填反了（经度约 88，纬度约 44）。"  # 乌鲁木齐: in range, still swapped
    page = add("某大厦", street("110101001"), kind="landmark", lon="39.91", lat="116.41")
    assert SWAPPED in page.context_data["adminform"].form.errors["lon"][0]
    with pytest.raises(locator.LocateError) as refused:  # the intake (tickets.services.locate) checks so too
        locator.check_coordinates(39.91, 116.41, "gcj02")
    assert str(refused.value) == "经纬度超出范围。 " + SWAPPED + "。" and refused.value.field == "lon"


def test_the_locate_api_says_swapped_too(dispatch_db):
    from ninja.testing import TestClient

    from jiesu.core.errors import DomainError
    from jiesu.dispatch.api import router

    with pytest.raises(DomainError) as refused:
        TestClient(router).get("/locate", query_params={"lon": 39.91, "lat": 116.41})
    assert SWAPPED in refused.value.message and refused.value.field == "lon"
    with pytest.raises(DomainError) as refused:
        TestClient(router).get("/locate", query_params={"lon": 200, "lat": 39.9})
    assert refused.value.message == "经纬度超出范围。"


def test_the_lists_filters_are_told_apart_and_the_unit_is_searched_by_name(dispatch_db, admin_client):
    page = admin_client.get(reverse("admin:dispatch_gazetteerentry_changelist")).content.decode()
    titles = re.findall(r"<summary>\s*以 (.*?)\s*</summary>", page) or re.findall(r"<h3>\s*以 (.*?)\s*</h3>", page)
    assert "地名类型" in titles and "所在单位类型" in titles and "类型" not in titles
    form = admin_client.get(reverse("admin:dispatch_gazetteerentry_add")).content.decode()
    search = "/admin/dispatch/gazetteerentry/autocomplete/"
    assert re.search(rf'<select name="unit"[^>]*data-ajax--url="{search}"', form)
    found = admin_client.get(search, {"app_label": "dispatch", "model_name": "gazetteerentry", "field_name": "unit",
                                      "term": "东城区"}).json()
    names = {r["text"] for r in found["results"]}
    departments = set(Unit.objects.filter(kind="department", name__contains="东城区").values_list("name", flat=True))
    assert "东城区" in names and departments and not names & departments  # places only
    units = admin_client.get(reverse("admin:units_unit_changelist") + "?_popup=1").content.decode()
    header = re.search(r'<th scope="col" class="[^"]*column-district_of[^"]*">.*?</th>', units, re.S).group(0)
    assert re.search(r">\s*区\s*<", header)


def load_rows(tmp_path, rows):
    """`jiesu gazetteer load` of a clerk's file (name, kind, unit code); its summary."""
    return load(write(tmp_path / "地名.csv", rows, header=["地名", "类型", "所在单位"]),
                "--report", str(tmp_path / "r.csv"))[1]


LOADED_COMES_BACK = "其中 1 条是从文件导入的（jiesu gazetteer load）：再次导入该文件会重新建立。"
SWITCHED_OFF_INSTEAD = "这些地名将改为停用而不删除"


def test_deleting_a_loaded_entry_says_a_load_would_bring_it_back_and_switches_it_off(add, admin_client, tmp_path):
    load_rows(tmp_path, [["金宝花园", "小区", "110101001001"]])
    entry = GazetteerEntry.objects.get(name="金宝花园")
    delete = reverse("admin:dispatch_gazetteerentry_delete", args=[entry.pk])
    page = admin_client.get(delete).content.decode()
    assert LOADED_COMES_BACK in page and SWITCHED_OFF_INSTEAD in page
    page = admin_client.post(delete, {"post": "yes"}, follow=True)
    entry.refresh_from_db()
    assert (entry.active, entry.source) == (False, "manual")
    assert "1 个从文件导入的地名改为停用" in page.content.decode()
    assert locate_text("金宝花园3号楼").unit is None
    summary = load_rows(tmp_path, [["金宝花园", "小区", "110101001001"]])
    assert (summary["added"], summary["kept_different"]) == (0, 1)
    assert GazetteerEntry.objects.filter(name="金宝花园").count() == 1 and not GazetteerEntry.objects.get(
        name="金宝花园").active


def test_the_bulk_delete_switches_off_what_would_come_back_and_deletes_the_rest(add, admin_client, tmp_path):
    load_rows(tmp_path, [["金宝花园", "小区", "110101001001"]])
    add("多福巷", street("110101001"), kind="road")
    loaded, hand_made = GazetteerEntry.objects.get(name="金宝花园"), GazetteerEntry.objects.get(name="多福巷")
    built_in = GazetteerEntry.objects.get(name="王府井大街", source="package")
    chosen = {"action": "delete_selected", "_selected_action": [loaded.pk, hand_made.pk, built_in.pk]}
    changelist = reverse("admin:dispatch_gazetteerentry_changelist")
    page = admin_client.post(changelist, chosen).content.decode()
    assert LOADED_COMES_BACK in page and "其中 1 条是内置的（来自组织树或内置清单）" in page and SWITCHED_OFF_INSTEAD in page
    page = admin_client.post(changelist, {**chosen, "post": "yes"}, follow=True).content.decode()
    assert not GazetteerEntry.objects.filter(pk=hand_made.pk).exists()
    assert set(GazetteerEntry.objects.filter(pk__in=[loaded.pk, built_in.pk]).values_list("active", "source")) == {
        (False, "manual")}
    assert "成功删除了 1 个" in page and "1 个从文件导入的地名改为停用" in page and "1 个内置条目改为停用" in page
    add("多福巷", street("110101001"), kind="road")
    only_hand_made = {"action": "delete_selected", "_selected_action": [GazetteerEntry.objects.get(name="多福巷").pk]}
    assert SWITCHED_OFF_INSTEAD not in admin_client.post(changelist, only_hand_made).content.decode()


POSITION_AND_DIRECTION = "是方位词加方向"
PLACE_AND_UNIT = "是区或街道名称加另一单位的名称"


def test_a_word_of_position_with_a_direction_is_refused_and_real_names_with_directions_pass(add):
    """A position word and a direction name no place (路口东 sent every "…路口东…" text to the entry's unit); place
    words with directions, and names with a word of their own, are real names."""
    from jiesu.dispatch.models import is_position_with_direction

    jingshan = street("110101002")
    for name in ("路口东", "路口西北", "门口南侧", "东侧路口", "小区门口东", "3号楼东侧", "路 口 东"):
        assert POSITION_AND_DIRECTION in name_error(add(name, jingshan, kind="landmark")), name
    assert name_error(add("路口东", jingshan, kind="landmark")) == (
        "“路口东”是方位词加方向（路口东、门口南侧）：说的是在某处的哪一边，不是某处的名称，作为景山街道的地名，会把所有含有它的"
        "地址和诉求内容都定位到景山街道。请填写完整名称（如王府井大街路口东）。")
    real = ("东方花园", "南湖东园", "西坝河东里", "北苑", "南口", "南大街", "东四十条", "西直门", "东单", "南门仓胡同")
    assert [n for n in real if is_position_with_direction(n)] == []
    for name in ("东方花园", "南湖东园", "西坝河东里"):
        page = add(name, Unit.objects.defer("geometry").get(code="110101002001"), kind="compound")
        assert page.status_code == 200 and GazetteerEntry.objects.filter(name=name).exists(), name_error(page)
    assert not GazetteerEntry.objects.filter(unit=jingshan).exclude(source="auto").exists()


def test_a_long_name_of_overlapping_address_words_is_judged_at_once():
    """小区 is a place word and a locative word: a regular expression tried every split of 小区小区…x, and a name
    of 81 characters took minutes (the admin's worker hung); the table of positions takes milliseconds."""
    import time

    from jiesu.dispatch.models import is_address_words, is_position_with_direction

    started = time.perf_counter()
    judged = [f(name) for name in ("小区" * 40 + "x", "3号楼下" * 24 + "x", "路口东" * 33 + "x")
              for f in (is_address_words, is_position_with_direction)]
    assert judged == [False] * 6 and time.perf_counter() - started < 1.0
    assert is_address_words("3号楼下") and is_address_words("3号院")


def test_a_districts_name_followed_by_another_units_name_is_refused(add):
    """东城区东华门街道 as a name of 景山街道 sent every "东城区东华门街道…" address there; so would 东城区景山 (景山街道's
    alias) as a name of a community, 朝阳区八里庄街道 of any place but 朝阳区's 八里庄街道, 北京市东城区东华门街道 too."""
    from jiesu.dispatch.gazetteer import seed_gazetteer
    from jiesu.units import services

    services.build_org_tree(districts=("110101", "110102", "110105", "110108"))
    seed_gazetteer()
    jingshan, community = street("110101002"), Unit.objects.defer("geometry").get(code="110101002001")
    assert name_error(add("东城区东华门街道", jingshan)) == (
        "“东城区东华门街道”是区或街道名称加另一单位的名称（东华门街道（东城区））：该单位的地址常以它开头，作为景山街道的地名，会把"
        "这些地址都定位到景山街道。")
    for name, unit in (("东城区景山", community), ("东城景山街道", community), ("北京市东城区东华门街道", jingshan),
                       ("东华门街道东华门第一社区", jingshan), ("朝阳区八里庄街道", jingshan)):
        assert PLACE_AND_UNIT in name_error(add(name, unit)), name
    assert "八里庄街道（朝阳区）" in name_error(add("朝阳区八里庄街道", jingshan))
    for name, unit in (("东城区景山", jingshan),  # a street's own full name
                       ("朝阳区八里庄街道", Unit.objects.defer("geometry").get(name="八里庄街道", district__code="110105"))):
        page = add(name, unit)
        assert page.status_code == 200 and GazetteerEntry.objects.filter(name=name, unit=unit).exists(), name
    assert locate_text("东城区东华门街道多福巷").street.code == "110101001"


def test_of_the_whole_citys_seeded_entries_none_is_refused(db):
    """Every active entry `jiesu setup` makes (the whole org tree's names and aliases and the shipped list), checked
    as a new name (name_problem) against all the others: none is refused."""
    from jiesu.dispatch.gazetteer import seed_gazetteer
    from jiesu.dispatch.models import Namesakes
    from jiesu.units import services

    services.build_org_tree()
    seed_gazetteer()
    namesakes = Namesakes()
    entries = list(GazetteerEntry.objects.filter(active=True).select_related("unit").defer("unit__geometry"))
    assert len(entries) > 4000
    assert [(e.name, e.unit.code, e.name_problem(namesakes)) for e in entries if e.name_problem(namesakes)] == []
