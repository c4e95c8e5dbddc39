"""超时 (Overdue now) leaves out imported history (tickets.queries.import_history_q: imported, more than a week past
its dispatch time), as the dispatch queue and the work lists do, and the card says how many it left out."""
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dashboards.worlds import at, ticket_at
from jiesu.kpi import services as kpi
from jiesu.tickets.models import State

NOW = at(2026, 11, 20, 15, 0)


def overdue_ticket(street, dispatch_due, imported=""):
    """Being handled in `street`, its reply deadline passed yesterday; `imported` its external id if imported."""
    return ticket_at(street, dispatch_due - timedelta(hours=2), "01.01.02", lead_unit=street, state=State.DISPATCHED,
                     dispatch_due=dispatch_due, dispatched_at=dispatch_due, reply_due=NOW - timedelta(days=1),
                     idempotency_key=f"import:legacy:{imported}" if imported else None)


@pytest.fixture
def overdue_city(world, monkeypatch):
    """东华门: one of today's tickets overdue, one imported a few days past its dispatch time (today's work too),
    two imported a month past it (history); 景山: one imported history ticket."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    dh, js = world.donghuamen, world.jingshan
    overdue_ticket(dh, NOW - timedelta(days=9))
    overdue_ticket(dh, NOW - timedelta(days=3), imported="A-1")
    overdue_ticket(dh, NOW - timedelta(days=30), imported="A-2")
    overdue_ticket(dh, NOW - timedelta(days=31), imported="A-3")
    overdue_ticket(js, NOW - timedelta(days=30), imported="B-1")
    kpi.rebuild()
    return world


def card_html(user, url):
    client = Client()
    client.force_login(user)
    html = client.get(url).content.decode()
    start = html.index('data-card="overdue"')
    return html[start:html.index("</div>", start)]


def test_the_count_leaves_imported_history_out_and_counts_it_apart(overdue_city):
    assert kpi.overdue_counts(NOW) == kpi.Overdue(now=2, history=3)
    assert kpi.overdue_count(NOW) == 2
    assert kpi.overdue_counts(NOW, unit_ids=[overdue_city.jingshan.pk]) == kpi.Overdue(now=0, history=1)
    a_week_on = NOW + timedelta(days=5)  # the import three days past due is history once a week is gone
    assert kpi.overdue_counts(a_week_on) == kpi.Overdue(now=1, history=4)


def test_the_city_card_says_how_many_it_left_out(overdue_city):
    card = card_html(overdue_city.supervisor, "/dashboards/")
    assert '<span class="value">2</span>' in card and "另有 3 件历史导入工单超期，未计入" in card


def test_a_streets_card_counts_its_own_and_says_nothing_without_history(overdue_city):
    card = card_html(overdue_city.street_staff, "/dashboards/units/110101001/")
    assert '<span class="value">2</span>' in card and "另有 2 件历史导入工单超期，未计入" in card
    card = card_html(overdue_city.street2_staff, "/dashboards/units/110101002/")
    assert '<span class="value">0</span>' in card and "另有 1 件历史导入工单超期，未计入" in card
    card = card_html(overdue_city.xc_staff, "/dashboards/units/110102/")  # 西城区: none overdue
    assert '<span class="value">0</span>' in card and "data-card-note" not in card
