"""Back-office staff groups: a dispatch lead keeps the dispatch catalogue without being a superuser."""
import pytest
from django.contrib.auth.models import Group, Permission

from jiesu.accounts.groups import DISPATCH_CATALOGUE, RULES, ensure_staff_groups, permissions_of
from jiesu.accounts.models import Role, User
from jiesu.demo.users import ensure_demo_users
from jiesu.units.models import Unit


@pytest.fixture
def lead(db, client):
    ensure_staff_groups()
    user = User.objects.create_user("lead", password="x", role=Role.DISPATCHER, is_staff=True)
    user.groups.add(Group.objects.get(name=DISPATCH_CATALOGUE.name))
    client.force_login(user)
    return client


def test_the_groups_are_created_once_and_an_administrators_changes_are_kept(db):
    assert ensure_staff_groups() == {"created": 2, "kept": 0}
    catalogue = Group.objects.get(name="派单目录维护")
    codes = set(catalogue.permissions.values_list("codename", flat=True))
    assert {"change_duty", "add_gazetteerentry", "change_autodispatchrule", "view_retrainrun"} <= codes
    assert not codes & {"change_user", "change_unit", "change_category", "delete_retrainrun"}
    assert "delete_category" not in set(Group.objects.get(name=RULES.name).permissions.values_list("codename", flat=True))
    catalogue.permissions.remove(Permission.objects.get(codename="delete_duty"))
    assert ensure_staff_groups() == {"created": 0, "kept": 2}
    assert not catalogue.permissions.filter(codename="delete_duty").exists()


def test_a_missing_permission_is_named(db):
    from jiesu.accounts.groups import StaffGroup

    with pytest.raises(LookupError, match="dispatch.fly_duty"):
        permissions_of(StaffGroup("x", "", (("dispatch", "duty", ("fly",)),)))


def test_the_dispatch_lead_keeps_the_catalogue_and_nothing_else(lead):
    index = lead.get("/admin/").content.decode()
    assert "您在此可维护的内容" in index
    assert "/admin/categories/duty/" in index and "/admin/dispatch/gazetteerentry/" in index
    assert "/admin/accounts/user/" not in index and "/admin/units/unit/add/" not in index
    assert lead.get("/admin/categories/duty/add/").status_code == 200
    assert lead.get("/admin/dispatch/autodispatchrule/add/").status_code == 200
    assert lead.get("/admin/categories/category/").status_code == 200  # to look categories up
    assert lead.get("/admin/categories/category/add/").status_code == 403
    assert lead.get("/admin/accounts/user/").status_code == 403
    assert lead.get("/admin/dispatch/retrainrun/").status_code == 200


def test_the_demo_city_has_a_dispatch_lead(db):
    city = Unit.objects.create(code="110000", name="北京市", kind="city")
    Unit.objects.create(code="HC", name="12345热线中心", kind="hotline_center", parent=city)
    ensure_demo_users(log=lambda *_: None)
    lead = User.objects.get(username="dispatch-lead")
    assert lead.is_staff and not lead.is_superuser and lead.role == Role.DISPATCHER
    assert list(lead.groups.values_list("name", flat=True)) == ["派单目录维护"]
    assert lead.has_perm("categories.change_duty") and not lead.has_perm("accounts.change_user")
