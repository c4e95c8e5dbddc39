"""A closed whistle is not reopened (its tickets were replied, its units rated, its closure counted): the matter
coming back is whistled again, from the closed whistle's page, with its tickets, title and trigger carried over
and the earlier whistle's number in the description (audit s37)."""
from urllib.parse import parse_qs, urlparse

from django.test import Client

from jiesu.whistles import services
from whistles.conftest import contacted_ticket, whistle


def _closed(world, tickets):
    w = whistle(world, tickets=tickets, trigger="enforcement")
    task = services.add_task(world.street_staff, w, world.dept2.pk, "取缔", "无摊点")
    services.report_progress(world.dept2_staff, task, "完成", done=True)
    services.accept_task(world.street_staff, task, True)
    return services.close(world.street_staff, w, "已处置")


def test_the_street_whistles_again_from_a_closed_whistle(world):
    ticket = contacted_ticket(world)
    w = _closed(world, [ticket])
    c = Client()
    c.force_login(world.street_staff)
    page = c.get(f"/whistles/{w.pk}/").content.decode()
    assert 'id="whistle-again"' in page
    href = page.split('id="whistle-again"')[1].split('href="')[1].split('"')[0].replace("&amp;", "&")
    query = parse_qs(urlparse(href).query)
    assert query["tickets"] == [ticket.number] and query["trigger"] == ["enforcement"]
    assert query["title"] == [w.title] and w.number in query["description"][0]
    form = c.get(href)
    assert form.status_code == 200 and [t.pk for t in form.context["tickets"]] == [ticket.pk]
    assert form.context["v"]["trigger"] == "enforcement" and w.number in form.context["v"]["description"]
    d = Client()
    d.force_login(world.dept2_staff)
    assert 'id="whistle-again"' not in d.get(f"/whistles/{w.pk}/").content.decode()
    assert 'id="whistle-again"' not in c.get(f"/whistles/{whistle(world).pk}/").content.decode()   # open
