"""The monthly ranking in a real browser: a street sees both streets ranked, its own row marked and linked,
the explanation next to the numbers, and downloads the ranking as xlsx. Screenshot: docs/screenshots/ranking.png."""
import io
import zipfile

import pytest

from jiesu.core.tests_support import force_login, screenshot
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket
from jiesu.tickets import services


def handled(w, unit, staff, street_code, resolved="resolved", satisfied="satisfied"):
    t = new_ticket(w, street_code=street_code)
    services.dispatch(w.dispatcher, t, unit.pk)
    services.sign(staff, t)
    services.contact(staff, t, "已电话联系")
    services.reply(staff, t, "已处理", True)
    return services.record_callback(w.callback_agent, t, True, resolved, satisfied)


@pytest.mark.django_db(transaction=True)
def test_ranking_page_and_xlsx_download(live_server, page, world):
    w = world
    for outcome in (("resolved", "satisfied"), ("resolved", "satisfied"), ("partly", "basically")):
        handled(w, w.street, w.street_staff, w.street.code, *outcome)
    handled(w, w.street_b, w.street_b_staff, w.street_b.code, "unresolved", "dissatisfied")
    force_login(page, live_server, w.street_staff)
    page.goto(live_server.url + "/kpi/?group=street")
    table = page.locator("table.kpi-ranking")
    rows = table.locator("tbody tr")
    assert rows.count() == 2
    own = table.locator("tr.own")
    assert own.get_attribute("data-unit") == w.street.code
    assert own.locator("a").count() == 1  # its own page is linked …
    other = table.locator(f"tr[data-unit='{w.street_b.code}']")
    assert other.locator("a").count() == 0  # … another street's is not
    assert "解决率" in table.locator("thead").inner_text()
    assert "部分解决" in table.locator("thead th .how").nth(2).get_attribute("title")
    page.locator("details.how-computed summary").click()
    assert page.locator("details.how-computed dd").first.is_visible()
    screenshot(page, "ranking")

    with page.expect_download() as info:
        page.click("#export-xlsx")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    with zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read())) as book:
        strings = book.read("xl/sharedStrings.xml").decode()
    assert w.street.name in strings and w.street_b.name in strings

    page.goto(live_server.url + f"/kpi/units/{w.street_b.pk}/")
    assert "403" in page.title() or page.locator("h1").inner_text() != w.street_b.name
