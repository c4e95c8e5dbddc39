"""Loading the catalogue into the database, the dispatch catalogue, search."""
import pytest
from django.core.management import call_command

from jiesu.categories import services
from jiesu.categories.models import Category, Duty, TimeLimitClass
from jiesu.categories.services import CatalogueError, load_categories, load_duties, resolve_duty_unit


def test_time_limits_load_and_reload(db):
    assert services.load_time_limits() == {"created": 4, "updated": 0, "unchanged": 0, "kept": 0}
    TimeLimitClass.objects.filter(code="general").update(reply_amount=9)
    assert services.load_time_limits() == {"created": 0, "updated": 1, "unchanged": 3, "kept": 0}
    assert TimeLimitClass.objects.get(code="general").limit("reply") == (7, "working_days")
    assert list(TimeLimitClass.objects.values_list("code", flat=True)) == [
        "emergency", "utilities", "general", "complex"]


def test_categories_need_time_limits_first(db):
    with pytest.raises(CatalogueError, match="load_time_limits"):
        load_categories()


def test_categories_load(catalogue):
    leaves = services.leaf_categories()
    assert leaves.count() >= 150 + 250
    assert Category.objects.filter(level=3).count() == leaves.count()
    for c in leaves.select_related("time_limit_class"):
        assert c.request_type and c.time_limit_class is not None, c.code
    assert Category.objects.get(code="02.01.01").full_name() == "水电气热 / 供水 / 停水"
    assert Category.objects.get(code="02.04.01").time_limit_class.code == "emergency"
    gbt = Category.objects.exclude(gbt_code="")
    assert gbt.count() == 250 and all(len(c) == 5 for c in gbt.values_list("gbt_code", flat=True))
    noise = Category.objects.get(gbt_code="06028")
    assert (noise.code, noise.parent.name, noise.parent.parent.name) == ("90.06.06028", "市容环境类", "城市管理部件与事件")


def test_categories_reload_is_idempotent(catalogue, django_assert_max_num_queries):
    total = Category.objects.count()
    with django_assert_max_num_queries(12):
        stats = load_categories()
    assert stats == {"created": 0, "updated": 0, "unchanged": total, "kept": 0}
    Category.objects.filter(code="02.01.01").update(name="x", keywords="")
    Category.objects.filter(code="02.01.02").update(active=False)
    extra = Category.objects.create(code="99", name="本地自定义", level=1)
    assert load_categories()["updated"] == 1
    assert Category.objects.get(code="02.01.01").name == "停水"
    assert not Category.objects.get(code="02.01.02").active  # active is the admin's to decide
    assert Category.objects.filter(pk=extra.pk).exists()


def test_duties_need_the_org_tree(catalogue):
    with pytest.raises(CatalogueError) as err:
        load_duties()
    assert "CD-RSJ" in err.value.message and "build_org_tree" in err.value.message
    assert "06.01.01" in err.value.message or "…" in err.value.message


def test_missing_unit_is_named(catalogue, org):
    org.unit("CD-GZJ").delete()
    with pytest.raises(CatalogueError, match=r"CD-GZJ \(needed by 01\.06\.08"):
        load_duties()
    assert not Duty.objects.exists()


def test_every_leaf_has_a_resolvable_lead(catalogue, org):
    stats = load_duties()
    assert stats["created"] == Duty.objects.count() and stats["deleted"] == 0
    for leaf in services.leaf_categories():
        leads = [d for d in leaf.duties.all() if d.role == "lead" and not d.negative]
        assert len(leads) == 1, leaf.code
        for place in (org.street, org.community, org.grid):
            unit = resolve_duty_unit(leads[0], place)
            assert unit is not None, (leaf.code, leads[0].unit_kind)
    water = Duty.objects.get(category__code="02.01.01", role="lead")
    assert (water.scope, water.unit.code, water.unit_kind) == ("sectoral", "EN-WATER", "enterprise")
    food = Duty.objects.get(category__code="09.01.01", role="lead")
    assert (food.scope, food.unit_id, food.unit_kind) == ("sectoral", None, "district_department:SCJ")
    assert resolve_duty_unit(food, org.grid).code == "110101-SCJ"
    assert resolve_duty_unit(food, None) is None
    stall = Duty.objects.get(category__code="03.01.01", role="lead")
    assert (stall.scope, stall.unit_kind, resolve_duty_unit(stall, org.grid)) == ("territorial", "street", org.street)
    fund = Duty.objects.get(category__code="01.06.08", negative=True)
    assert (fund.scope, fund.unit_kind, fund.unit_id) == ("territorial", "street", None)
    assert Duty.objects.filter(category__code="02.05.01", role="co", unit_kind="street").exists()


def test_duties_reload_is_idempotent_and_keeps_local_overrides(catalogue, org):
    load_duties()
    total = Duty.objects.count()
    assert load_duties() == {"created": 0, "deleted": 0, "unchanged": total, "kept": 0}
    leaf = Category.objects.get(code="03.01.01")
    local = Duty.objects.create(category=leaf, territory=org.district, scope="sectoral",
                                unit=org.unit("110101-ZFJ"), unit_kind="department")
    stray = Duty.objects.create(category=leaf, scope="sectoral", unit=org.unit("CD-ZFJ"), unit_kind="department")
    Duty.objects.filter(category=leaf, role="lead", territory=None).exclude(pk=stray.pk).delete()
    stats = load_duties()
    assert stats == {"created": 1, "deleted": 1, "unchanged": total - 1, "kept": 0}
    assert Duty.objects.filter(pk=local.pk).exists() and not Duty.objects.filter(pk=stray.pk).exists()
    stray = Duty.objects.create(category=leaf, scope="sectoral", unit=org.unit("CD-ZFJ"), unit_kind="department")
    assert load_duties(prune=False)["deleted"] == 0


def test_what_was_changed_in_the_admin_is_kept_by_the_loaders(catalogue, org):
    """`follows_catalogue` off: the loaders leave the record (and a category's citywide duties) as changed; ticked
    again, the next load restores the files' version."""
    load_duties()
    general = TimeLimitClass.objects.get(code="general")
    TimeLimitClass.objects.filter(pk=general.pk).update(reply_amount=9, follows_catalogue=False)
    assert services.load_time_limits()["kept"] == 1
    assert TimeLimitClass.objects.get(code="general").reply_amount == 9
    leaf = Category.objects.get(code="03.01.01")
    Category.objects.filter(pk=leaf.pk).update(name="占道经营（本市）", keywords="摆摊", follows_catalogue=False)
    Duty.objects.filter(category=leaf, territory=None, role="lead").update(unit_kind="district")
    assert load_categories()["kept"] == 1
    stats = load_duties()
    assert stats["kept"] == 1 and stats["created"] == stats["deleted"] == 0
    assert Category.objects.get(pk=leaf.pk).name == "占道经营（本市）"
    assert Duty.objects.filter(category=leaf, territory=None, role="lead").get().unit_kind == "district"
    Category.objects.filter(pk=leaf.pk).update(follows_catalogue=True)
    assert load_categories()["updated"] == 1 and load_duties()["created"] == 1
    assert Category.objects.get(pk=leaf.pk).name == "占道经营"
    assert Duty.objects.filter(category=leaf, territory=None, role="lead").get().unit_kind == "street"


def test_search(catalogue):
    def codes(q, **kw):
        return [c.code for c in services.search_categories(q, **kw)]

    assert codes("停水")[0] == "02.01.01"
    assert codes("停电")[0] == "02.03.01"
    assert codes("暖气不热")[0] == "02.05.01"
    assert "01.06.08" in codes("公积金")[:3]
    assert codes("06028") == ["90.06.06028"]            # GB/T code
    assert codes("02.01.01") == ["02.01.01"]            # our code
    assert set(codes("02.01", limit=50)) >= {"02.01", "02.01.01", "02.01.06"}
    assert codes("02.01", limit=50)[-1] == "02.01"       # leaves first
    assert codes("供水 水质")[0] == "02.01.03"           # a parent's name + a keyword
    assert codes("欠薪") and all(c.startswith("06.01.") for c in codes("欠薪"))
    assert codes("噪声", leaves_only=True) and "04.01" not in codes("噪声", leaves_only=True)
    assert codes("zzz-nothing") == []
    assert len(codes("", limit=10)) == 10
    assert all(c.is_leaf_node for c in services.search_categories("", limit=30, leaves_only=True))
    Category.objects.filter(code="02.01.01").update(active=False)
    assert "02.01.01" not in codes("停水")


def test_effective_time_limit_through_the_index(catalogue):
    index = services.category_index()
    leaf = Category.objects.get(code="02.04.01")
    assert services.effective_time_limit(index, leaf.pk) == "emergency"
    assert services.effective_time_limit(index, leaf.parent_id) == "general"
    assert services.full_name(index, leaf.pk) == "水电气热 / 燃气 / 燃气泄漏"


def test_tree(catalogue):
    tree = services.category_tree()
    assert [n["code"] for n in tree][:2] == ["01", "02"] and tree[-1]["code"] == "90"
    water = services.category_tree(root="02.01")[0]
    assert water["children"][0] == {"code": "02.01.01", "name": "停水", "level": 3, "request_type": "help",
                                    "time_limit": "utilities", "gbt_code": "", "children": []}


def test_seed_reference_command(db, capsys):
    call_command("seed_reference")
    out = capsys.readouterr().out
    assert "duties: skipped" in out
    assert Category.objects.count() > 600 and TimeLimitClass.objects.count() == 4
    from jiesu.workcal.models import CalendarDay

    assert CalendarDay.objects.filter(date__year=2026).exists()


def test_seed_reference_with_units(org, capsys):
    call_command("seed_reference")
    call_command("seed_reference")
    out = capsys.readouterr().out
    assert "0 created, 0 deleted" in out
    assert Duty.objects.filter(role="lead", negative=False).count() == services.leaf_categories().count()


def test_seed_reference_reports_missing_units(org):
    from django.core.management.base import CommandError

    org.unit("EN-HEAT").delete()
    with pytest.raises(CommandError, match="EN-HEAT"):
        call_command("seed_reference")
