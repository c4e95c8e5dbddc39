"""The duty admin after audit 8: contradicting entries are warned of (finding 6), a refused field reports no
false duplicate (finding 13), unit kinds are chosen from a list in words and units and categories by name
(finding 8)."""
import re

import pytest

from jiesu.accounts.groups import DISPATCH_CATALOGUE, ensure_staff_groups
from jiesu.accounts.models import User
from jiesu.categories.models import Category, Duty, find_conflicts
from jiesu.units.models import Unit

ADD = "/admin/categories/duty/add/"


@pytest.fixture
def leaf(catalogue):
    return Category.objects.get(code="03.01.01")  # 占道经营


def form(category, **changes):
    fields = {"category": category.pk, "territory": "", "unit_kind": "", "unit": "", "role": "lead", "note": ""}
    return {k: v for k, v in {**fields, **changes}.items() if v != ""}


def warnings(page):
    """The admin's warning messages on a page."""
    return re.findall(r'<li class="warning">(.*?)</li>', page.content.decode(), re.S)


def test_saving_a_contradicting_entry_warns_naming_the_entries(admin_browser, org, leaf):
    cgj, zfj = org.unit("110101-CGJ"), org.unit("110101-ZFJ")
    first = admin_browser.post(ADD, form(leaf, unit=cgj.pk, territory=org.street.pk), follow=True)
    assert first.status_code == 200 and warnings(first) == []
    lead = Duty.objects.latest("id")

    barred = admin_browser.post(ADD, form(leaf, unit=cgj.pk, negative="on"), follow=True)
    negative = Duty.objects.latest("id")
    assert negative.negative and negative.pk != lead.pk  # saved: a warning, not a refusal
    assert f"#{negative.pk} 负面清单禁止 东城区CGJ 接收「占道经营」，与主办条目 #{lead.pk} 冲突。" in warnings(barred)
    assert "/admin/categories/duty/" == barred.redirect_chain[-1][0]  # said on the change list

    second = admin_browser.post(ADD, form(leaf, unit=zfj.pk, territory=org.street.pk), follow=True)
    other = Duty.objects.latest("id")
    assert (f"#{lead.pk} 与 #{other.pk} 对同一区域同一类别指定了不同的主办单位（东城区CGJ、东城区ZFJ），请核实。"
            in warnings(second))

    listed = admin_browser.get("/admin/categories/duty/?conflicting=yes").content.decode()
    for duty in (lead, negative, other):
        assert f"/admin/categories/duty/{duty.pk}/change/" in listed
    admin_browser.post(ADD, form(leaf, unit_kind="grid"), follow=True)
    quiet = Duty.objects.latest("id")
    assert f"/admin/categories/duty/{quiet.pk}/change/" not in \
        admin_browser.get("/admin/categories/duty/?conflicting=yes").content.decode()


def test_the_rows_of_a_categorys_page_warn_too(admin_browser, org, leaf):
    from .test_api_admin import category_form

    negative = Duty.objects.create(category=leaf, unit_kind="street", negative=True)
    rows = {"duties-TOTAL_FORMS": 2, "duties-INITIAL_FORMS": 1, "duties-0-id": negative.pk,
            "duties-0-category": leaf.pk, "duties-0-role": "lead", "duties-0-negative": "on",
            "duties-0-unit_kind": "street", "duties-1-category": leaf.pk, "duties-1-role": "lead",
            "duties-1-unit": org.street.pk}
    saved = admin_browser.post(f"/admin/categories/category/{leaf.pk}/change/", category_form(leaf, **rows),
                               follow=True)
    lead = Duty.objects.exclude(pk=negative.pk).get()
    assert f"#{negative.pk} 负面清单禁止 所在街道 接收「占道经营」，与主办条目 #{lead.pk} 冲突。" in warnings(saved)


def test_what_counts_as_a_contradiction(org, leaf):
    """A negative entry above the lead's category or over a wider territory bars it; one below it, or in a
    territory elsewhere, or a negative fixed unit against a lead unit kind (an exception) does not."""
    other_street = Unit.objects.create(code="110101002", name="景山街道", kind="street", parent=org.district)
    cgj = org.unit("110101-CGJ")
    branch = leaf.parent
    parents = dict(Category.objects.values_list("id", "parent_id"))
    lead = Duty.objects.create(category=leaf, territory=org.street, unit=cgj)
    cases = [
        (dict(category=branch, unit=cgj), True),                                   # above the category
        (dict(category=leaf, unit_kind="district_department:CGJ"), True),          # its kind of department
        (dict(category=leaf, territory=org.district, unit=cgj), True),             # a wider territory
        (dict(category=leaf, territory=org.grid, unit=cgj), True),                 # a narrower one
        (dict(category=leaf, territory=other_street, unit=cgj), False),            # elsewhere
        (dict(category=leaf, unit=org.unit("110101-ZFJ")), False),                 # another unit
        (dict(category=leaf, unit_kind="district_department:ZFJ"), False),
    ]
    for fields, contradicts in cases:
        negative = Duty.objects.create(negative=True, **fields)
        duties = list(Duty.objects.select_related("territory", "unit"))
        found = [(c.kind, c.first.pk, c.second.pk) for c in find_conflicts(duties, parents)]
        assert found == ([("negative", negative.pk, lead.pk)] if contradicts else []), fields
        negative.delete()
    street_lead = Duty.objects.create(category=leaf, unit_kind="street")
    Duty.objects.create(category=leaf, unit=org.street, negative=True)  # not in 东华门街道: an exception
    assert [c for c in street_lead.conflicts() if c.kind == "negative"] == []
    same = Duty.objects.create(category=leaf, territory=org.street, unit=cgj, role="co")  # co entries never
    assert same.conflicts() == []


def test_a_refused_territory_reports_no_duplicate(admin_browser, org, leaf):
    """Audit 8, finding 13: an unknown territory was read as the whole city and met the citywide entry."""
    citywide = Duty.objects.create(category=leaf, unit_kind="street")
    refused = admin_browser.post(ADD, form(leaf, unit_kind="street", territory="abc")).content.decode()
    assert "选择一个有效的选项" in refused and "已有相同的条目" not in refused
    refused = admin_browser.post(ADD, form(leaf, unit_kind="street", territory=999999)).content.decode()
    assert "选择一个有效的选项" in refused and "已有相同的条目" not in refused
    duplicate = admin_browser.post(ADD, form(leaf, unit_kind="street")).content.decode()
    assert f"已有相同的条目：#{citywide.pk}。" in duplicate
    assert Duty.objects.count() == 1


def test_unit_kinds_are_chosen_in_words_and_the_files_kind_is_kept(admin_browser, org, leaf):
    page = admin_browser.get(ADD).content.decode()
    select = re.search(r'<select name="unit_kind".*?</select>', page, re.S).group(0)
    for value, words in (("street", "所在街道"), ("district_department:CGJ", "所在区的城市管理委员会"), ("", "固定单位")):
        assert re.search(rf'<option value="{value}"[^>]*>[^<]*{words}', select), (value, words)
    loaded = Duty.objects.create(category=leaf, unit=org.unit("CD-RSJ"), unit_kind="department",
                                 scope="sectoral")  # as the catalogue's files store a fixed unit
    change = f"/admin/categories/duty/{loaded.pk}/change/"
    shown = admin_browser.get(change).content.decode()
    assert re.search(r'<option value="" selected>', shown)  # a fixed unit: no kind shown
    for typed in ("", "department"):
        saved = admin_browser.post(change, form(leaf, unit=loaded.unit_id, unit_kind=typed, note=f"n{typed}"))
        assert saved.status_code == 302, saved.content.decode()[:3000]
        loaded.refresh_from_db()
        assert (loaded.unit_kind, loaded.note) == ("department", f"n{typed}")
    made = admin_browser.post(ADD, form(leaf, unit=org.unit("CD-RSJ").pk, territory=org.street.pk))
    assert made.status_code == 302 and Duty.objects.latest("id").unit_kind == "department"
    again = admin_browser.post(ADD, form(leaf, unit=org.unit("CD-RSJ").pk)).content.decode()
    assert f"已有相同的条目：#{loaded.pk}。" in again  # found whichever way the kind was stored
    listed = admin_browser.get("/admin/categories/duty/").content.decode()
    assert "固定单位（部门）" in listed and ">department<" not in listed
    assert "以 固定单位的类型" in listed and "以 类型" not in listed  # the unit's own kind, told apart


def test_category_territory_and_unit_are_found_by_name(client, settings, org, leaf):
    """A dispatch lead (not a superuser) searches them by name: the group's view permissions suffice."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ensure_staff_groups()
    lead = User.objects.create_user("lead", password="pw", is_staff=True)
    lead.groups.add(*__import__("django.contrib.auth.models", fromlist=["Group"]).Group.objects.filter(
        name=DISPATCH_CATALOGUE.name))
    client.force_login(lead)
    page = client.get(ADD).content.decode()
    search = "/admin/categories/duty/autocomplete/"
    for field in ("category", "territory", "unit"):
        assert re.search(rf'<select name="{field}"[^>]*data-ajax--url="{search}"', page), field

    def found(field, term):
        answer = client.get(search, {"app_label": "categories", "model_name": "duty", "field_name": field,
                                     "term": term})
        assert answer.status_code == 200
        return [r["text"] for r in answer.json()["results"]]

    Unit.objects.create(code="110102001", name="东华门街道", kind="street",  # a namesake in another district
                        parent=Unit.objects.create(code="110102", name="西城区", kind="district", parent=org.city))
    assert found("unit", "东华门") == ["东华门街道（东城区）", "东华门街道（西城区）"]  # told apart
    assert found("unit", "东城区CGJ") == ["东城区CGJ"]  # a name that says its district says it once
    assert found("territory", "东城区CGJ") == []  # a department is no area a duty applies to
    assert found("territory", "东华门") == ["东华门街道（东城区）", "东华门街道（西城区）"]
    namesakes = found("category", "占道经营")
    assert len(namesakes) == 2 and len(set(namesakes)) == 2
    assert "占道经营 — 城市管理 / 街面秩序 · 03.01.01" in namesakes
    shown = client.get(f"/admin/categories/duty/{Duty.objects.create(category=leaf, unit=org.street).pk}/change/")
    assert "东华门街道（东城区）" in shown.content.decode()  # the chosen unit reads as the search said it


def test_the_scope_is_shown_once_it_follows_from_where_the_entry_goes(admin_browser, org, leaf):
    """属性 is not typed: before saving there is none to show (it was the model's default, 属地), after it is."""
    blank = admin_browser.get(ADD).content.decode()
    assert "—（保存时按派往确定）" in blank and 'name="scope"' not in blank
    admin_browser.post(ADD, form(leaf, unit=org.unit("110101-CGJ").pk), follow=True)
    saved = admin_browser.get(f"/admin/categories/duty/{Duty.objects.latest('id').pk}/change/").content.decode()
    assert "—（保存时按派往确定）" not in saved and Duty.objects.latest("id").get_scope_display() in saved
