"""The desk's grid-first suggestion (小事不出网格) is held to the negative list (负面清单), audit 10 #15: a grid,
community or street the list bars for the category is never offered; the suggestion keeps the catalogue's unit."""
from jiesu.categories.models import Duty
from jiesu.dispatch import router
from jiesu.dispatch import services as desk
from jiesu.dispatch.classifier import TextClassifier
from jiesu.tickets import services as tickets
from tests.grids.conftest import gw  # noqa: F401  (the grid world's fixture)


def trash_ticket_and_suggestions(gw):  # noqa: F811
    clf = TextClassifier.from_keywords([(gw.trash.code, "暴露垃圾 垃圾 堆放"), (gw.cover.code, "井盖 破损 丢失")])
    ticket, _ = tickets.create_ticket(gw.call_taker, tickets.IntakeData(
        text="小区门口暴露垃圾好几天了", category_code=gw.trash.code, lon=116.385, lat=39.915))
    return ticket, desk.suggestions_for(ticket, classifier=clf)


def test_a_barred_grid_is_not_offered_as_grid_first(gw):  # noqa: F811
    Duty.objects.create(category=gw.trash, unit_kind="grid", negative=True)
    router.invalidate()
    ticket, found = trash_ticket_and_suggestions(gw)
    trash = next(s for s in found if s.category == gw.trash)
    assert trash.mode != "grid_first" and trash.lead != gw.g1
    assert all(s.lead != gw.g1 for s in found)


def test_an_unbarred_grid_is_still_offered_first_with_no_more_queries(gw, django_assert_num_queries):  # noqa: F811
    Duty.objects.create(category=gw.trash, unit_kind="community", negative=True)  # another level: no bar
    router.invalidate()
    ticket, found = trash_ticket_and_suggestions(gw)
    assert (found[0].lead, found[0].mode) == (gw.g1, "grid_first")
    with django_assert_num_queries(2):  # the grid, and its street's duty list: the barring reads the cached table
        desk.with_grid_first(ticket, found)
