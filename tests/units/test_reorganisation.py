"""The city reorganises (机构改革, 街道调整): units move, close and are recoded through the admin.

Nothing may be lost, orphaned or left with a unit that no longer exists, and who may read a ticket follows the
tree at once.
"""
import pytest

from jiesu.core import scoping
from jiesu.tickets import services as tickets
from jiesu.units.models import Unit
from tests.tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tests.tickets.helpers import new_ticket
from tests.units.test_api import admin_client  # noqa: F401  (fixture)


def form_of(unit, **changes):
    """The admin change form of `unit` as the browser posts it, with `changes`."""
    form = {"code": unit.code, "name": unit.name, "kind": unit.kind, "parent": unit.parent_id or "",
            "aliases": unit.aliases, "phone": unit.phone, "center_lon": unit.center_lon or "",
            "center_lat": unit.center_lat or "", "geometry": "null"}
    if unit.active:
        form["active"] = "on"
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def change(client, unit, **changes):
    return client.post(f"/admin/units/unit/{unit.pk}/change/", form_of(unit, **changes))


def errors_of(response):
    assert response.status_code == 200, response.status_code  # the form again, not a redirect
    return {field: " ".join(str(e) for e in errs) for field, errs in response.context["adminform"].form.errors.items()}


# ---------------------------------------------------------------- a community moves to another street

@pytest.mark.django_db
def test_a_community_moved_to_another_street_takes_its_tickets_territory_with_it(world, admin_client):
    ticket = new_ticket(world, street_code=world.grid.code)
    tickets.dispatch(world.dispatcher, ticket, world.dept.pk)  # handled by a department: no street assignment
    assert scoping.can_view(world.street_staff, ticket) and not scoping.can_view(world.street_b_staff, ticket)

    response = change(admin_client, world.community, parent=world.street_b.pk, code="110102001009")
    assert response.status_code == 302, errors_of(response)

    ticket.refresh_from_db()
    assert (ticket.street_id, ticket.district_id, ticket.community_id, ticket.grid_id) == (
        world.street_b.pk, world.district_b.pk, world.community.pk, world.grid.pk)
    for user, sees in ((world.street_b_staff, True), (world.street_staff, False),
                       (world.district_staff, False), (world.grid_worker, True)):
        assert scoping.can_view(user, ticket) is sees, user
        assert scoping.visible_tickets(user).filter(pk=ticket.pk).exists() is sees, user
    grid = Unit.objects.get(pk=world.grid.pk)
    assert grid.code == "110102001009001"  # the grid's code follows its community's new code
    assert (grid.street_id, grid.district_id) == (world.street_b.pk, world.district_b.pk)


@pytest.mark.django_db
def test_a_street_moved_to_another_district_takes_its_tickets_with_it(world, admin_client):
    ticket = new_ticket(world)
    tickets.dispatch(world.dispatcher, ticket, world.dept.pk)
    response = change(admin_client, world.street, parent=world.district_b.pk, code="110102050")
    assert response.status_code == 302, errors_of(response)
    ticket.refresh_from_db()
    assert (ticket.street_id, ticket.district_id) == (world.street.pk, world.district_b.pk)
    assert scoping.can_view(world.street_staff, ticket)
    assert not scoping.can_view(world.district_staff, ticket)
    assert list(Unit.objects.filter(path__startswith=Unit.objects.get(pk=world.street.pk).path)
                .order_by("code").values_list("code", flat=True)) == [
        "110102050", "110102050001", "110102050001001"]


# ---------------------------------------------------------------- the tree stays a tree; codes keep their format

@pytest.mark.django_db
def test_a_unit_is_neither_its_own_parent_nor_below_itself(world, admin_client):
    street = world.street
    assert "上级" in errors_of(change(admin_client, street, parent=street.pk))["parent"]
    assert "下级" in errors_of(change(admin_client, street, parent=world.grid.pk))["parent"]
    street.refresh_from_db()
    assert street.parent_id == world.district.pk and street.path == f"{world.district.path}{street.pk}/"


@pytest.mark.django_db
def test_each_kind_hangs_under_its_own_parent_kind(world, admin_client):
    message = errors_of(change(admin_client, world.community, parent=world.district.pk,
                               code="110101009"))["parent"]
    assert "社区" in message and "街道" in message  # a community's parent is a street
    assert "上级" in errors_of(change(admin_client, world.dept, parent=world.street.pk))["parent"]
    # a street turned into a grid would leave its communities under a grid
    assert "类型" in errors_of(change(admin_client, world.street, kind="grid", code="110101001001009",
                                      parent=world.community.pk))["kind"]


@pytest.mark.django_db
@pytest.mark.parametrize("kind,parent,code,words", [
    ("street", "district", "11010100A", ["编码", "9 位数字"]),
    ("street", "district", "1101010011", ["编码", "9 位数字"]),
    ("street", "district", "110102050", ["编码", "110101"]),       # not under its district's code
    ("community", "street", "110101002001", ["编码", "110101001"]),
    ("district", "city", "120101", ["编码", "11"]),                # another province
    ("department", "city", "CGW", ["编码", "CD-"]),
    ("department", "district", "110102-CGJ", ["编码", "110101-"]),
    ("enterprise", "city", "WATER", ["编码", "EN-"]),
])
def test_codes_follow_units_codes_md(world, admin_client, kind, parent, code, words):
    parents = {"district": world.district, "city": world.city, "street": world.street}
    response = admin_client.post("/admin/units/unit/add/", {
        "code": code, "name": "新单位", "kind": kind, "parent": parents[parent].pk, "active": "on",
        "aliases": "", "phone": "", "center_lon": "", "center_lat": "", "geometry": "null"})
    message = errors_of(response)["code"]
    for word in words:
        assert word in message, message
    assert not Unit.objects.filter(code=code).exists()


@pytest.mark.django_db
def test_a_well_formed_unit_is_added(world, admin_client):
    response = admin_client.post("/admin/units/unit/add/", {
        "code": "110101-SCJ", "name": "东城区市场监督管理局", "kind": "department", "parent": world.district.pk,
        "active": "on", "aliases": "", "phone": "", "center_lon": "", "center_lat": "", "geometry": "null"})
    assert response.status_code == 302, errors_of(response)
    assert Unit.objects.get(code="110101-SCJ").district_id == world.district.pk


# ---------------------------------------------------------------- closing a unit that still holds work

@pytest.mark.django_db
def test_a_unit_holding_open_work_is_not_closed(world, admin_client):
    ticket = new_ticket(world)
    tickets.dispatch(world.dispatcher, ticket, world.dept.pk)
    message = errors_of(change(admin_client, world.dept, active=None))["active"]
    assert "1" in message and "派单" in message and "用户" in message, message
    assert Unit.objects.get(pk=world.dept.pk).active

    message = errors_of(change(admin_client, world.street, active=None))["active"]
    assert "下级" in message and "用户" in message, message  # its community, its staff
    assert Unit.objects.get(pk=world.street.pk).active


@pytest.mark.django_db
def test_a_unit_without_open_work_is_closed_and_opened_again(world, admin_client):
    empty = Unit.objects.create(code="CD-TJJ", name="市统计局", kind="department", parent=world.city)
    response = change(admin_client, empty, active=None)
    assert response.status_code == 302, errors_of(response)
    assert not Unit.objects.get(pk=empty.pk).active
    empty.refresh_from_db()
    assert change(admin_client, empty, active="on").status_code == 302


@pytest.mark.django_db
def test_pickers_do_not_offer_a_closed_unit(world, admin_client):
    """The dispatch catalogue's unit picker (an admin autocomplete searching the units admin) leaves closed units
    out: a duty naming one would never be suggested (the router skips inactive units) and nobody would know why."""
    Unit.objects.create(code="CD-TJJ", name="市统计局", kind="department", parent=world.city, active=False)
    Unit.objects.create(code="CD-TJJ2", name="市统计局（新）", kind="department", parent=world.city)
    answer = admin_client.get("/admin/categories/duty/autocomplete/", {
        "app_label": "categories", "model_name": "duty", "field_name": "unit", "term": "统计"})
    assert answer.status_code == 200
    assert [r["text"] for r in answer.json()["results"]] == ["市统计局（新）"]
    listed = admin_client.get("/admin/units/unit/", {"q": "统计"}).content.decode()
    assert "CD-TJJ2" in listed and "CD-TJJ<" in listed  # the units admin's own list still shows the closed one


# ---------------------------------------------------------------- a department renamed (机构改革)

@pytest.mark.django_db
def test_a_renamed_unit_keeps_its_old_name_as_an_alias_and_history_keeps_the_name_at_the_time(world, admin_client):
    from jiesu.units.services import search_units

    old = world.dept.name
    ticket = new_ticket(world)
    tickets.dispatch(world.dispatcher, ticket, world.dept.pk)
    response = change(admin_client, world.dept, name="市人力资源和社会保障局（市公务员局）", aliases="人社局")
    assert response.status_code == 302, errors_of(response)
    dept = Unit.objects.get(pk=world.dept.pk)
    assert dept.aliases.split(",") == ["人社局", old]  # citizens and dispatchers still say the old name
    assert [u.pk for u in search_units(old)] == [dept.pk]
    assert ticket.events.get(kind="dispatch").payload["lead"] == old  # the history says whom it went to then
    assert change(admin_client, dept, name=old).status_code == 302  # renamed back: no alias repeats its name
    assert Unit.objects.get(pk=dept.pk).aliases.split(",") == ["人社局", "市人力资源和社会保障局（市公务员局）"]


@pytest.mark.django_db
def test_a_unit_holding_work_is_not_deleted_with_it(world, admin_client):
    """Deleting would cascade its duties (派单目录) away with it: the admin refuses, listing what it holds."""
    from jiesu.categories.models import Duty

    unit = Unit.objects.create(code="CD-TJJ", name="市统计局", kind="department", parent=world.city)
    duty = Duty.objects.create(category=world.category, unit=unit)
    for url, form in ((f"/admin/units/unit/{unit.pk}/delete/", {"post": "yes"}),
                      ("/admin/units/unit/", {"action": "delete_selected", "_selected_action": [unit.pk],
                                              "post": "yes"})):
        page = admin_client.post(url, form).content.decode()
        assert "派单目录" in page, page[:500]
        assert Unit.objects.filter(pk=unit.pk).exists() and Duty.objects.filter(pk=duty.pk).exists()
    duty.delete()
    assert admin_client.post(f"/admin/units/unit/{unit.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Unit.objects.filter(pk=unit.pk).exists()


@pytest.mark.django_db
def test_intake_does_not_place_a_ticket_in_a_closed_unit(world):
    """A code typed at intake (the API, a form, a citizen's app) naming a street closed by a merger: refused on the
    place field, naming the unit, instead of a ticket in a territory nobody reads any more."""
    from jiesu.core.errors import DomainError

    Unit.objects.create(code="110101099", name="旧街道", kind="street", parent=world.district, active=False)
    with pytest.raises(DomainError) as refused:
        new_ticket(world, street_code="110101099")
    assert refused.value.field == "street" and "旧街道" in str(refused.value) and "停用" in str(refused.value)
    assert new_ticket(world, street_code=world.street.code).street_id == world.street.pk


@pytest.mark.django_db
def test_after_a_move_the_router_suggests_the_new_street(world, admin_client):
    """The dispatch catalogue's 属地 duty (the street of the place) follows the tree at once: no stale street."""
    from jiesu.categories.models import Duty
    from jiesu.dispatch import router

    Duty.objects.create(category=world.category, unit_kind="street")
    grid = Unit.objects.get(pk=world.grid.pk)
    assert router.route(world.category, grid)[0].lead.pk == world.street.pk
    assert change(admin_client, world.community, parent=world.street_b.pk, code="110102001009").status_code == 302
    grid = Unit.objects.get(pk=world.grid.pk)
    assert router.route(world.category, grid)[0].lead.pk == world.street_b.pk


# ---------------------------------------------------------------- two streets merged (街道合并)

@pytest.mark.django_db
def test_merging_a_street_into_another_moves_everything_and_closes_it(world, admin_client):
    from jiesu.categories.models import Duty

    at_street = new_ticket(world)  # placed at the street itself, no community
    in_grid = new_ticket(world, street_code=world.grid.code)
    for t in (at_street, in_grid):
        tickets.dispatch(world.dispatcher, t, world.dept.pk)
    duty = Duty.objects.create(category=world.category, unit=world.street)
    response = admin_client.post("/admin/units/unit/", {
        "action": "merge_into", "_selected_action": [world.street.pk], "into": world.street_b.code}, follow=True)
    said = " ".join(str(m) for m in response.context["messages"])
    street, street_b = Unit.objects.get(pk=world.street.pk), Unit.objects.get(pk=world.street_b.pk)
    assert not street.active and "已停用" in said, said
    community = Unit.objects.get(pk=world.community.pk)
    assert (community.parent_id, community.code) == (street_b.pk, "110102001001")
    assert Unit.objects.get(pk=world.grid.pk).code == "110102001001001"
    for t in (at_street, in_grid):
        t.refresh_from_db()
        assert (t.street_id, t.district_id) == (street_b.pk, world.district_b.pk)
        assert scoping.can_view(world.street_b_staff, t)
    assert not street.users.exists()
    world.street_staff.refresh_from_db()
    assert world.street_staff.unit_id == street_b.pk and scoping.can_view(world.street_staff, in_grid)
    duty.refresh_from_db()
    assert duty.unit_id == street_b.pk
    assert world.street.name in street_b.aliases.split(",")


@pytest.mark.django_db
def test_a_merge_is_refused_while_the_street_holds_open_assignments(world, admin_client):
    """Its open assignments are re-dispatched first (at the dispatch desk, with the ticket's history): a merge does
    not move them behind the handlers' backs, and moves nothing until it can move everything."""
    ticket = new_ticket(world)
    tickets.dispatch(world.dispatcher, ticket, world.street.pk)
    response = admin_client.post("/admin/units/unit/", {
        "action": "merge_into", "_selected_action": [world.street.pk], "into": world.street_b.code}, follow=True)
    said = " ".join(str(m) for m in response.context["messages"])
    assert "派单" in said and Unit.objects.get(pk=world.street.pk).active, said
    assert Unit.objects.get(pk=world.community.pk).parent_id == world.street.pk
    world.street_staff.refresh_from_db()
    assert world.street_staff.unit_id == world.street.pk
    refused = admin_client.post("/admin/units/unit/", {
        "action": "merge_into", "_selected_action": [world.street.pk], "into": world.dept.code}, follow=True)
    assert "类型" in " ".join(str(m) for m in refused.context["messages"])
    unknown = admin_client.post("/admin/units/unit/", {
        "action": "merge_into", "_selected_action": [world.street.pk], "into": "110109999"}, follow=True)
    assert "110109999" in " ".join(str(m) for m in unknown.context["messages"])


@pytest.mark.django_db
def test_every_kind_of_the_built_tree_saves_unchanged(small_tree, admin_client):
    """The rules refuse nothing the package data builds: each kind's unit, saved back as it is, is taken."""
    import json

    for code in ("110000", "HC", "CD-SWJ2", "EN-WATER", "110101", "110101-CGJ", "110101001", "110101001001",
                 "110101001001001"):
        unit = Unit.objects.get(code=code)
        response = change(admin_client, unit, geometry=json.dumps(unit.geometry), schematic="on")
        assert response.status_code == 302, (code, errors_of(response))
        assert Unit.objects.get(pk=unit.pk).code == code


@pytest.mark.django_db
def test_load_units_does_not_create_a_unit_under_a_closed_parent(world):
    """A boundary file from before a merger names a community of a street since closed: rejected, naming it."""
    from jiesu.units.boundaries import BoundaryRecord
    from jiesu.units.services import load_boundaries

    Unit.objects.create(code="110101099", name="旧街道", kind="street", parent=world.district, active=False)
    square = {"type": "Polygon", "coordinates": [[[116.40, 39.90], [116.41, 39.90], [116.41, 39.91],
                                                  [116.40, 39.91], [116.40, 39.90]]]}
    report = load_boundaries([BoundaryRecord(1, code="110101099001", name="旧社区", geometry=square)], retile=False)
    assert not Unit.objects.filter(code="110101099001").exists()
    assert len(report.rejected) == 1 and "110101099" in report.rejected[0][1], report.rejected
