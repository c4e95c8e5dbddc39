"""The whistle pages through Django's test client (the browser test is tests/pages/test_whistle_flow.py)."""
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from jiesu.accounts.models import Role, User
from jiesu.whistles import services
from jiesu.whistles.models import Summons, Whistle
from whistles.conftest import contacted_ticket, whistle


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def test_raise_from_a_ticket_suggests_units_and_warns_about_no_duty(world):
    ticket = contacted_ticket(world)
    c = client_for(world.street_staff)
    page = c.get(f"/whistles/new/?tickets={ticket.number}")
    assert page.status_code == 200
    html = page.content.decode()
    assert world.dept2.name in html and ticket.title in html      # suggested from the duty list
    r = c.post("/whistles/new/", {"tickets": ticket.number, "title": "占道", "description": "联合执法",
                                  "trigger": "public", "level": "normal", "mode": "regular",
                                  "summon": [world.dept2.pk], f"form_{world.dept2.pk}": "joint",
                                  "more_units": [world.dept.pk], "more_form": "written"}, follow=True)
    assert r.status_code == 200
    w = Whistle.objects.get()
    assert {(s.unit, s.form) for s in w.summons.all()} == {(world.dept2, "joint"), (world.dept, "written")}
    assert list(w.tickets.all()) == [ticket]
    warnings = [str(m) for m in r.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 1 and world.dept.name in warnings[0]        # 人社局 has no duty for 占道经营


def test_raise_refusal_keeps_the_input(world):
    c = client_for(world.street_staff)
    r = c.post("/whistles/new/", {"title": "只写了标题", "description": "", "trigger": "public", "level": "normal",
                                  "more_units": [world.dept.pk]})
    assert r.status_code == 400
    assert "只写了标题" in r.content.decode() and not Whistle.objects.exists()


def test_board_detail_inbox_stats_render_for_each_side(world):
    w = whistle(world)
    Summons.objects.filter(whistle=w, unit=world.dept2).update(report_due=timezone.now() - timedelta(hours=1))
    services.add_task(world.street_staff, w, world.dept2.pk, "取缔摊点", "无摊点")
    for user in (world.street_staff, world.dept_staff, world.district_staff, world.supervisor):
        c = client_for(user)
        for url in ("/whistles/", f"/whistles/{w.pk}/", "/whistles/summoned/", "/whistles/stats/"):
            r = c.get(url)
            assert r.status_code == 200, (user, url)
    html = client_for(world.street_staff).get(f"/whistles/{w.pk}/").content.decode()
    assert "row-overdue" in html                                        # a missing check-in shows
    inbox = client_for(world.dept_staff).get("/whistles/summoned/").content.decode()
    assert w.title in inbox and "check_in" in inbox
    assert client_for(world.street_b_staff).get(f"/whistles/{w.pk}/").status_code == 404
    assert client_for(world.citizen).get("/whistles/").status_code == 403
    assert client_for(world.dept_staff).get("/whistles/new/").status_code == 200   # a department may whistle too


def test_actions_through_the_page_and_refusals(world):
    w = whistle(world)
    s = w.summons.get(unit=world.dept)
    dept = client_for(world.dept_staff)
    r = dept.post(f"/whistles/{w.pk}/act/check_in/", {"summons": s.pk, "person": "黄磊"}, follow=True)
    assert [m.level_tag for m in r.context["messages"]] == ["error"]
    s.refresh_from_db()
    assert s.state == "summoned"                                         # on site: no location, refused
    dept.post(f"/whistles/{w.pk}/act/check_in/", {"summons": s.pk, "person": "黄磊", "lon": "116.4", "lat": "39.9"})
    s.refresh_from_db()
    assert s.state == "checked_in" and s.person == "黄磊"
    street = client_for(world.street_staff)
    street.post(f"/whistles/{w.pk}/act/add_task/", {"unit": world.dept.pk, "title": "政策解释", "criterion": "书面答复",
                                                     "due": f"{timezone.localdate() + timedelta(days=3)}"})
    task = w.tasks.get()
    dept.post(f"/whistles/{w.pk}/act/progress/", {"task": task.pk, "text": "已答复", "done": "1"})
    street.post(f"/whistles/{w.pk}/act/accept_task/", {"task": task.pk, "decision": "accept"})
    street.post(f"/whistles/{w.pk}/act/close/", {"result": "已解决"})
    w.refresh_from_db()
    assert w.state == "closed"
    street.post(f"/whistles/{w.pk}/act/rate/", {"unit": world.dept.pk, "timeliness": "5", "effort": "4",
                                                "result": "4", "comment": "好"})
    assert w.ratings.get().score == round(13 / 3, 2)
    assert street.post(f"/whistles/{w.pk}/act/nope/").status_code == 404


def test_a_summoned_communitys_worker_checks_in_from_the_inbox(world):
    worker = User.objects.create_user("cw", password="pw", role=Role.GRID_WORKER, unit=world.community)
    w = whistle(world, units=[(world.community.pk, "meeting")])
    c = client_for(worker)
    assert c.get("/").status_code == 302 and "/whistles/" in c.get("/work/").content.decode()  # in the menu
    assert w.title in c.get("/whistles/summoned/").content.decode()
    s = w.summons.get(unit=world.community)
    c.post(f"/whistles/{w.pk}/act/check_in/", {"summons": s.pk, "person": "社区书记王芳"})
    s.refresh_from_db()
    assert s.state == "checked_in" and s.checked_in_by == worker
    other = whistle(world, units=[(world.dept.pk, "meeting")])
    assert c.get(f"/whistles/{other.pk}/").status_code == 404       # not summoned: not seen
    assert client_for(world.grid_worker).get("/whistles/summoned/").content.decode().count(w.title) == 0
