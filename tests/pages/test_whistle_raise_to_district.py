"""提级 in a real browser (audit s37): a summoned department has been missing for three days; the street's
whistle page proposes raising the whistle to the district, the street gives a reason and raises it; the district
finds it first on its board, marked, with the street's reason in its notices."""
from datetime import timedelta

import pytest
from django.utils import timezone

from jiesu.whistles.models import Summons
from whistles.conftest import fast_passwords, ticket_world, whistle, world  # noqa: F401
from pages.test_whistle_flow import act_in, as_user


@pytest.mark.django_db(transaction=True)
def test_the_street_raises_a_stalled_whistle_and_the_district_sees_it_first(live_server, page, world):  # noqa: F811
    whistle(world, title="较早的一件：施工噪音", units=[(world.dept2.pk, "meeting")])
    w = whistle(world, title="东华门大街占道经营反复回潮")
    Summons.objects.filter(whistle=w, unit=world.dept).update(report_due=timezone.now() - timedelta(days=3))
    as_user(page, live_server, world.street_staff, f"/whistles/{w.pk}/")
    proposal = page.locator("#raise-proposal")
    assert proposal.is_visible() and world.dept.name in proposal.inner_text()
    form = page.locator("#act-raise_to_district")
    assert form.is_visible()                                   # the proposal opens the form
    form.locator("input[name=reason]").fill("市人力资源和社会保障局逾期三天未报到，督办无果")
    act_in(page, "act-raise_to_district")
    assert "已提级" in page.locator(".ticket-head").inner_text()
    assert "逾期三天未报到" in page.locator("#raised-to-district").inner_text()
    assert page.locator("#raise-proposal").count() == 0 and page.locator("#act-raise_to_district").count() == 0
    as_user(page, live_server, world.district_staff, "/whistles/")
    assert "逾期三天未报到" in page.locator("ul.notices").inner_text()
    first = page.locator("table.whistles tbody tr").first
    assert w.title in first.inner_text() and "已提级" in first.inner_text()
    page.check("#f-raised")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert page.locator("table.whistles tbody tr").count() == 1
