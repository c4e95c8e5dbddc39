"""A unit closed after a month (a street merged into another, 街道调整) keeps its place in that month's ranking: its
tickets were handled and called back under it, and the month's published figures must not lose them."""
from jiesu.kpi import services
from jiesu.units.models import Unit
from tests.kpi.helpers import handled


def test_a_street_closed_later_stays_in_the_rankings_of_its_months(world):
    w = world
    handled(w)
    handled(w, resolved="unresolved", satisfied="dissatisfied")
    handled(w, unit=w.street_b, staff=w.street_b_staff, street_code=w.street_b.code)
    month = services.current_month()
    before = {r.code: r for r in services.ranking("street", month).rows}
    assert before[w.street.code].valid_callbacks == 2

    Unit.objects.filter(pk=w.street.pk).update(active=False)  # closed (merged away) after the month

    after = {r.code: r for r in services.ranking("street", month).rows}
    assert set(after) == {w.street.code, w.street_b.code}
    closed = after[w.street.code]
    assert (closed.received, closed.valid_callbacks, closed.resolution_rate, closed.rank) == \
        (2, 2, 0.5, before[w.street.code].rank)
    district = {r.code: r for r in services.ranking("district", month).rows}[w.district.code]
    assert district.received == 2  # the district still gathers its tickets
    # a closed street with nothing in the month is not listed
    assert w.street.code not in {r.code for r in services.ranking("street", services.next_month(month)).rows}
