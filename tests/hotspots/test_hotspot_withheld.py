"""Reports (举报) and confidential requests (保密) in hot problems: they count, but their words are never a problem's
label or exemplar (shown to all who see the problem, copied into a 每月一题 topic), their address is not among its
places, and a problem's ticket list shows only the tickets the viewer may read. The label and exemplars are stored
masked (the citizen's phone and name)."""
import re

import pytest
from django.test import Client
from django.urls import reverse

from jiesu.hotspots import services
from jiesu.hotspots.cluster import DAY, Item, find_problems
from jiesu.hotspots.models import Hotspot, HotspotTicket
from jiesu.tickets import services as ticket_services
from jiesu.topics import services as topic_services
from jiesu.topics.services import TopicData
from tickets.helpers import new_ticket

from .conftest import SAME

T0 = 1_700_000_000.0
# the report says everything the others say (so it is the problem's most central text), and whom it accuses
ACCUSATION = "东华门大街早市摊贩占道经营，行人无法通过，人行道被堵，城管收钱"
SECRET = "城管收钱"
HOME = "东华门大街5号楼3单元"


def items(withheld):
    texts = [ACCUSATION, "东华门大街早市摊贩占道经营", "早市摊贩占道经营堵塞人行道", "东华门大街人行道被早市堵塞，行人无法通过"]
    return [Item(i, t, t, T0 + i * DAY, f"c{i}", None, 1.0, district=1, street=2,
                 withheld=withheld and i == 0) for i, t in enumerate(texts)]


def test_a_withheld_item_counts_but_is_never_the_label_or_an_exemplar():
    [shown] = find_problems(items(withheld=False), now=T0 + 4 * DAY)
    assert shown.label == ACCUSATION and shown.exemplar_ids[0] == 0        # the most central: it would be the label
    [p] = find_problems(items(withheld=True), now=T0 + 4 * DAY)
    assert p.size == 4 and p.heat.citizens == 4                              # still counted
    assert SECRET not in p.label and 0 not in p.exemplar_ids
    assert not any(SECRET in e for e in p.exemplars) and len(p.exemplars) == 3
    assert p.label == shown.items[1].title                                   # the most central item shown


def test_a_problem_of_withheld_items_only_has_no_label_nor_exemplars():
    its = [Item(i, ACCUSATION, ACCUSATION, T0 + i * DAY, f"c{i}", withheld=True, district=1) for i in range(3)]
    [p] = find_problems(its, now=T0 + 3 * DAY)
    assert p.size == 3 and p.label == "" and p.exemplars == [] and p.exemplar_ids == []


@pytest.fixture
def reported(world):
    """Three tickets about the 东华门 market dispatched to its street; a report about it (accusing the street's
    城管, the reporter's home in its address) dispatched to a department: the street and its district may not read
    it."""
    w = world
    w.plain = [new_ticket(w, text=t, citizen_phone=f"1380000000{i}") for i, t in enumerate(SAME[:3])]
    for t in w.plain:
        ticket_services.dispatch(w.dispatcher, t, w.street.pk)
    w.report = new_ticket(w, text=ACCUSATION, request_type="report", citizen_name="卫七", citizen_phone="13800000009",
                          address=HOME)
    ticket_services.dispatch(w.dispatcher, w.report, w.dept.pk)
    w.run = services.run_hotspots(days=30)
    w.hotspot = Hotspot.objects.get(run=w.run, tickets=w.report)
    return w


def page(user, name, *args):
    c = Client()
    c.force_login(user)
    r = c.get(reverse(name, args=args))
    assert r.status_code == 200
    return r.content.decode()


def test_the_report_is_not_the_problems_label_exemplar_or_place(reported):
    w, h = reported, reported.hotspot
    central = HotspotTicket.objects.filter(hotspot=h).order_by("-centrality", "id").first()
    assert central.ticket_id == w.report.pk                          # without the rule it would be the label
    assert h.size == 4 and set(h.tickets.all()) == {*w.plain, w.report}
    assert SECRET not in h.label and h.label in {t.title for t in w.plain}
    assert h.exemplars and not any(SECRET in e for e in h.exemplars)
    assert not any("5号楼" in name for name, _count in h.places)


@pytest.mark.parametrize("who", ["street_staff", "district_staff"])
def test_the_street_and_district_of_the_place_see_the_problem_but_not_the_report(reported, who):
    w, h = reported, reported.hotspot
    user = getattr(w, who)
    board = page(user, "hotspot_board")
    assert h.label in board and SECRET not in board
    detail = page(user, "hotspot_detail", h.pk)
    assert SECRET not in detail and w.report.number not in detail and "卫七" not in detail
    assert all(t.number in detail for t in w.plain)                  # the tickets they may read still show
    assert "1 more ticket is outside your territory" in detail or "另有 1 件工单不在您的辖区内" in detail


def test_the_hotline_and_the_unit_it_was_dispatched_to_see_the_report_in_the_list(reported):
    w, h = reported, reported.hotspot
    for user in (w.dispatcher, w.supervisor):
        detail = page(user, "hotspot_detail", h.pk)
        assert w.report.number in detail and SECRET in detail       # its title, in its ticket row
        assert all(t.number in detail for t in w.plain)
    detail = page(w.dept_staff, "hotspot_detail", h.pk)           # the department reads the report only
    assert w.report.number in detail and not any(t.number in detail for t in w.plain)


def test_a_topic_from_the_problem_keeps_no_word_of_the_report(reported):
    w, h = reported, reported.hotspot
    topic = topic_services.create_topic(w.supervisor, TopicData(
        title=h.label, year=w.run.started_at.year, month=w.run.started_at.month, lead_unit=w.street.pk,
        hotspot=h.pk))
    assert topic.exemplars == h.exemplars and not any(SECRET in e for e in topic.exemplars)
    detail = page(w.district_staff, "topic_detail", topic.pk)
    assert h.label in detail and SECRET not in detail
    c = Client()
    c.force_login(w.supervisor)
    new = c.get(reverse("topic_new") + f"?hotspot={h.pk}").content.decode()
    assert f'value="{h.label}"' in new and SECRET not in new


def test_a_problem_of_reports_only_gets_a_neutral_name(world):
    w = world
    reports = [new_ticket(w, text=t, request_type="report", citizen_phone=f"1380000001{i}")
               for i, t in enumerate(SAME)]
    plain = new_ticket(w, text="西长安街街道小区垃圾清运不及时臭味大", street_code=w.street_b.code)
    new_ticket(w, text="西长安街街道小区垃圾清运不及时，蚊蝇多", street_code=w.street_b.code)
    run = services.run_hotspots(days=30)
    h = Hotspot.objects.get(run=run, tickets=reports[0])
    assert h.size == 4 and h.label == "" and h.exemplars == []
    other = Hotspot.objects.get(run=run, tickets=plain)
    assert other.label and other.exemplars                            # a problem of plain tickets as before
    board = page(w.supervisor, "hotspot_board")
    assert "举报或保密诉求：占道经营" in board and not any(t in board for t in SAME)
    assert other.label in board
    topic = topic_services.create_topic(w.supervisor, TopicData(
        title=h.display_label, year=run.started_at.year, month=run.started_at.month, lead_unit=w.street.pk,
        hotspot=h.pk))
    assert topic.exemplars == [] and topic.streets == [w.street.pk]
    during = topic_services.matching(topic, run.window_start, run.window_end)
    assert set(during) == {t.pk for t in reports}                    # counted by its streets, not the whole city


def test_the_label_and_exemplars_are_stored_masked(world):
    w = world
    for i, t in enumerate(SAME):
        new_ticket(w, text=f"我叫韩梅梅，电话1391234567{i}，{t}", title="", citizen_name="韩梅梅")
    h = Hotspot.objects.get(run=services.run_hotspots(days=30))
    assert "139****567" in h.label and "韩**" in h.label
    for words in (h.label, *h.exemplars):
        assert not re.search(r"1\d{10}", words) and "韩梅梅" not in words
    assert len(h.exemplars) == 3


def test_a_problem_with_a_ticket_of_no_place_shows_its_page(world):
    """A ticket without street or community in a problem's list reads 「—」 (its page was a server error)."""
    w = world
    tickets = [new_ticket(w, text=t, street_code="") for t in SAME]
    assert all(t.street_id is None for t in tickets)
    h = Hotspot.objects.get(run=services.run_hotspots(days=30))
    detail = page(w.supervisor, "hotspot_detail", h.pk)
    assert all(t.number in detail for t in tickets) and "<td>—</td>" in detail


def test_a_large_problems_tickets_come_a_hundred_a_page(world):
    """A problem's page listed every ticket: the giant problem of the demo city (16,013 tickets, hotspots.md "At a
    city's volume") was a 3.5 MB page taking 4.8 s of CPU. 100 a page now, most central first; a page number that
    is no number shows the first page, one out of range the last."""
    w = world
    tickets = [new_ticket(w, text=SAME[0], citizen_phone=f"138{i:08d}") for i in range(105)]
    h = Hotspot.objects.get(run=services.run_hotspots(days=30))
    assert h.size == 105
    number = {t.pk: t.number for t in tickets}
    ranked = [number[pk] for pk in h.members.order_by("-centrality", "ticket_id").values_list("ticket_id", flat=True)]

    def rows(query=""):
        c = Client()
        c.force_login(w.supervisor)
        r = c.get(reverse("hotspot_detail", args=[h.pk]) + query)
        assert r.status_code == 200
        body = r.content.decode()
        return [n for n in ranked if f">{n}</a>" in body], body

    first, body = rows()
    assert first == ranked[:100] and "第1页，共2页" in body
    assert rows("?page=2")[0] == ranked[100:]
    for bad in ("abc", "1.5", ""):                                   # no number: the first page
        assert rows(f"?page={bad}")[0] == ranked[:100]
    for beyond in ("0", "-1", "3", "9" * 25):                         # out of range: the last (Django's get_page)
        assert rows(f"?page={beyond}")[0] == ranked[100:]
    assert len(tickets) == 105
