"""Attachments are served only within scope; the UI is Chinese unless the user chooses English."""
from django.core.files.uploadedfile import SimpleUploadedFile

from jiesu.tickets import services
from tests.tickets.helpers import new_ticket


def test_attachment_served_only_to_those_who_may_see_the_ticket(world, client):
    photo = SimpleUploadedFile("road.png", b"\x89PNG" + b"1" * 64, content_type="image/png")
    ticket = new_ticket(world, attachments=[photo])
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    attachment = ticket.attachments.get()
    url = f"/tickets/{ticket.pk}/attachments/{attachment.pk}/"
    client.force_login(world.street_staff)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"\x89PNG")
    client.force_login(world.street_b_staff)
    assert client.get(url).status_code == 403
    assert client.get(f"/media/{attachment.file.name}").status_code == 404


def test_chinese_by_default_even_for_english_browsers(world, client):
    client.force_login(world.call_taker)
    page = client.get("/intake/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page["Content-Language"] == "zh-hans" and "受理" in page.content.decode()
    client.cookies["django_language"] = "en"
    english = client.get("/intake/")
    assert english["Content-Language"] == "en" and "Intake" in english.content.decode()


def test_opening_the_ticket_marks_the_units_notices_read(world, client):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    services.supervise(world.supervisor, ticket, "请加快")
    notice = ticket.notices.get()
    assert notice.read_at is None
    client.force_login(world.street_staff)
    client.get(f"/tickets/{ticket.pk}/")
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_arbitration_on_the_page_that_redispatches_is_logged_as_the_desks(world, client):
    from jiesu.dispatch.models import DispatchSuggestion

    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.dept.pk)
    services.return_ticket(world.dept_staff, ticket, "不属于本单位职责")
    client.force_login(world.dispatcher)
    r = client.post(f"/tickets/{ticket.pk}/act/arbitrate/", {"decision": "uphold", "lead_unit": str(world.street.pk)})
    assert r.status_code == 302
    row = DispatchSuggestion.objects.get(ticket=ticket)
    assert (row.source, row.lead_unit_id, row.by) == ("desk", world.street.pk, world.dispatcher)
    ticket.refresh_from_db()
    assert ticket.lead_unit == world.street


def test_an_expired_form_leads_back_to_its_own_page_only(world):
    from django.test import Client

    stale = Client(enforce_csrf_checks=True)
    stale.force_login(world.call_taker)
    page = stale.post("/intake/", {"text": "路灯不亮"}, HTTP_REFERER="http://testserver/intake/")
    body = page.content.decode()
    assert page.status_code == 403 and "本次提交没有保存" in body and 'href="http://testserver/intake/"' in body
    elsewhere = stale.post("/intake/", {"text": "路灯不亮"}, HTTP_REFERER="https://evil.example/intake/")
    assert elsewhere.status_code == 403 and "evil.example" not in elsewhere.content.decode()
    assert 'href="/intake/"' in elsewhere.content.decode()  # no way "back" to another site: to its own page


def test_forms_name_their_drafts_and_done_actions_end_them(world, client):
    """The server's side of the tab's drafts (jiesu.core.drafts): a form shown empty may be refilled, one
    refilled by the server after a refusal may not, and a done action's message names the draft it ends."""
    client.force_login(world.call_taker)
    assert 'data-draft="intake" data-draft-restore' in client.get("/intake/").content.decode()
    refused = client.post("/intake/", {"text": "", "channel": "phone"})
    assert refused.status_code == 400 and 'data-draft="intake"' in refused.content.decode()
    assert "data-draft-restore" not in refused.content.decode().split('id="intake-form"')[1].split(">")[0]
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    client.force_login(world.street_staff)
    done = client.post(f"/tickets/{ticket.pk}/act/sign/", follow=True)
    assert f'data-tags="draft:ticket-{ticket.pk}-sign"' in done.content.decode()
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f'data-draft="ticket-{ticket.pk}-contact" data-draft-restore' in page


def test_an_expired_form_without_a_referer_leads_back_to_a_page_its_url_opens(world):
    """Privacy settings may send no Referer: the intake's and an action's own URL open their page again (an
    action's leads to its ticket); a URL only a form posts to gets no such link."""
    from django.test import Client

    ticket = new_ticket(world)
    stale = Client(enforce_csrf_checks=True)
    stale.force_login(world.call_taker)
    for url in ("/intake/", f"/tickets/{ticket.pk}/act/answer/"):
        body = stale.post(url, {"text": "路灯不亮"}).content.decode()
        assert f'<a class="btn btn-primary" href="{url}">重新打开该页</a>' in body
    body = stale.post("/logout/").content.decode()
    assert "btn-primary" not in body and "本次提交没有保存" in body


def test_draft_forms_are_not_refilled_by_the_browser_and_a_logout_marks_every_tab(world, client):
    """The tab's draft is the only refill (the Back button does not bring back a recorded request), and a logout,
    also the admin's, sets a new mark on which every tab drops the drafts typed before (core.drafts)."""
    client.force_login(world.call_taker)
    form_tag = client.get("/intake/").content.decode().split('id="intake-form"')[1].split(">")[0]
    assert 'autocomplete="off"' in form_tag
    first = client.post("/logout/")
    assert first.status_code == 302 and len(first.cookies["jiesu_logout"].value) == 32
    assert not first.cookies["jiesu_logout"]["httponly"]  # the tabs' script reads it
    world.call_taker.is_staff = True
    world.call_taker.save()
    client.force_login(world.call_taker)
    second = client.post("/admin/logout/")
    assert second.status_code == 302 and second.cookies["jiesu_logout"].value != first.cookies["jiesu_logout"].value
    assert client.get("/intake/").status_code == 302  # logged out indeed


def test_a_lapsed_login_answers_a_part_of_the_page_in_a_line_and_leads_a_form_back_to_its_page(world):
    """HTMX would swap the login page into the duplicate panel; a POST-only address after the login is a 405."""
    from django.test import Client

    nobody = Client()
    panel = nobody.post("/intake-check/", {"text": "路灯不亮"}, HTTP_HX_REQUEST="true")
    assert panel.status_code == 401 and "登录已过期" in panel.content.decode() and "<html" not in panel.content.decode()
    desk = nobody.post("/dispatch/desk/1/accept/", {"rank": 1}, HTTP_REFERER="http://testserver/dispatch/desk/?q=1")
    assert desk.status_code == 302 and desk.url == "/login/?next=/dispatch/desk/%3Fq%3D1&unsent=1"
    assert nobody.post("/dispatch/desk/1/accept/", {"rank": 1}).url == "/login/?unsent=1"  # no way back: home
    own_next = nobody.post("/dispatch/desk/1/accept/", {"rank": 1, "next": "/dispatch/?page=2"})
    assert own_next.url == "/login/?next=/dispatch/%3Fpage%3D2&unsent=1"  # no Referer: the form's own next
    assert nobody.post("/dispatch/desk/1/accept/", {"rank": 1, "next": "https://evil.example/"}).url == \
        "/login/?unsent=1"
    assert "刚才提交的内容没有保存" in nobody.get(desk.url).content.decode()  # the dispatcher knows it was not done
    assert "刚才提交的内容没有保存" not in nobody.get("/login/?next=/dispatch/desk/").content.decode()
    ticket = new_ticket(world)
    act = nobody.post(f"/tickets/{ticket.pk}/act/reply/", {"reply_text": "已处理"})
    assert act.url == f"/login/?next=/tickets/{ticket.pk}/act/reply/&unsent=1"  # a GET of it opens the ticket
    stale = Client(enforce_csrf_checks=True)
    stale.force_login(world.call_taker)
    expired = stale.post("/intake-check/", {"text": "路灯不亮"}, HTTP_HX_REQUEST="true")
    assert expired.status_code == 403 and expired.content.decode() == "本页已过期：请刷新本页，已填写的内容会重新填入。"
