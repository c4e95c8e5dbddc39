"""The accuracy page's filter form in a real browser: a city-wide supervisor picks a district (the form submits
itself and offers that district's streets), a street and a source; the figures narrow, say they are counted live,
and one link shows all again (audit 11, finding 9)."""
import re

import pytest

from dispatch.desk_helpers import desk_world  # noqa: F401  (fixture)
from jiesu.core.tests_support import force_login
from jiesu.dispatch import services as desk
from jiesu.dispatch.models import SuggestionSource
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket


@pytest.mark.django_db(transaction=True)
def test_a_supervisor_narrows_the_accuracy_page(live_server, page, desk_world):
    w = desk_world
    desk.dispatch_and_log(w.dispatcher, new_ticket(w), w.street.pk, [], "", w.category.code)
    desk.dispatch_and_log(w.dispatcher, new_ticket(w, street_code=w.street_b.code), w.street_b.pk, [], "",
                          w.category.code)
    desk.dispatch_and_log(w.dispatcher, new_ticket(w, text="东华门大街人行道上摆摊卖水果"), w.street.pk, [], "",
                          w.category.code, source=SuggestionSource.API)
    force_login(page, live_server, w.supervisor)
    page.goto(live_server.url + "/dispatch/accuracy/?weeks=4")
    kpis = page.locator(".acc-kpis")
    assert kpis.get_attribute("data-total") == "3" and page.locator("#acc-live").is_visible()
    assert page.locator("#acc-street").count() == 0  # no district chosen: no streets to list
    page.select_option("#acc-district", str(w.district.pk))  # submits itself: the district's streets
    page.wait_for_url(re.compile(rf"district={w.district.pk}"))
    assert kpis.get_attribute("data-total") == "2" and page.locator("#acc-filtered").is_visible()
    assert page.locator("#acc-street option").all_inner_texts() == ["全部", "东华门街道"]
    page.select_option("#acc-street", str(w.street.pk))
    page.select_option("#acc-source", "api")
    page.click("#acc-filters button[type=submit]")
    page.wait_for_url(re.compile(r"source=api"))
    assert kpis.get_attribute("data-total") == "1"
    assert page.locator("#acc-street").input_value() == str(w.street.pk)  # the choices stay shown
    assert page.locator("#acc-dispatchers tbody tr").count() == 1  # the city's supervisor sees each dispatcher
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.click("#acc-unfilter")
    page.wait_for_url(re.compile(r"/dispatch/accuracy/\?weeks=4$"))
    assert kpis.get_attribute("data-total") == "3" and page.locator("#acc-filtered").count() == 0
