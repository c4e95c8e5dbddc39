"""The router on the real catalogue (categories.csv + GB/T 47678.5 duties) and its cache."""
from jiesu.categories.models import Category, Duty
from jiesu.dispatch import router
from jiesu.dispatch.gazetteer import locate_text
from jiesu.units.models import Unit

from .test_router_fixtures import dispatch_rows_once, shared_dispatch_db as dispatch_db  # noqa: F401  (fixtures: the rows built once for the module)


def test_real_catalogue_examples(dispatch_db):
    place = locate_text("东城区王府井大街")
    best = router.route("03.01.01", place)[0]  # 占道经营: 属地
    assert best.lead.code == "110101001" and best.copy_to.code == "110101"
    assert best.explanation.startswith("占道经营 位于 东华门街道 → 东华门街道办事处（派单目录 #")
    assert "属地" in best.explanation and "抄送东城区" in best.explanation
    assert router.route("02.01.01", place)[0].lead.code == "EN-WATER"  # 停水
    assert router.route("05.03.01", place)[0].lead.code == "CD-JGJ"  # 道路违法停车


def test_no_category_is_ever_routed_to_a_unit_on_its_negative_list(dispatch_db):
    table = dispatch_db.table
    places = [locate_text(a) for a in ("东城区王府井大街", "西城区", "东华门第一社区第1网格")] + [None]
    negatives = {}
    for d in Duty.objects.filter(negative=True):
        negatives.setdefault(d.category_id, []).append(d)
    assert negatives, "the catalogue has a negative list"
    checked = 0
    for cat in Category.objects.filter(active=True):
        chain = table.category_chain(table.categories[cat.id])
        rules = [d for c in chain for d in negatives.get(c.id, ())]
        for place in places:
            for s in router.route(cat.code, place):
                for unit in [s.lead, *s.co]:
                    assert not any(table._negative_hits(d, unit) for d in rules), (cat.code, unit.code)
                checked += 1
    assert checked > 1000


def test_changes_to_duties_and_units_are_seen_at_once(dispatch_db):
    place = locate_text("东华门街道")
    assert router.route("03.01.01", place)[0].lead.code == "110101001"
    cat = Category.objects.get(code="03.01.01")
    zfj = Unit.objects.get(code="110101-ZFJ")
    override = Duty.objects.create(category=cat, territory=Unit.objects.get(code="110101"), scope="sectoral",
                                   unit_kind=zfj.kind, unit=zfj, role="lead")
    best = router.route("03.01.01", place)[0]
    assert best.lead.code == "110101-ZFJ" and best.duty_id == override.id
    override.delete()
    assert router.route("03.01.01", place)[0].lead.code == "110101001"
    street = Unit.objects.get(code="110101001")
    street.aliases = "东华门测试街道办事处"
    street.save()
    assert "东华门测试街道办事处" in router.route("03.01.01", locate_text("东华门街道"))[0].explanation


def test_the_table_is_reused_between_calls(dispatch_db, settings, django_assert_num_queries):
    settings.JIESU = {**settings.JIESU, "DISPATCH_RECHECK_SECONDS": 60}
    router.reference()
    place = locate_text("东城区王府井大街")
    with django_assert_num_queries(0):
        for code in ("03.01.01", "02.01.01", "09.01.01"):
            router.route(code, place)
        locate_text("西城区金融大街")
