"""定人 and 巡查上报 as the street and the worker meet them: a worker taken off a grid, a refused report kept,
a retried report recorded once (audit s36)."""
import pytest

from jiesu.core.errors import Forbidden
from jiesu.grids import scoping, services
from jiesu.grids.models import GridMember, Patrol
from jiesu.tickets.models import Ticket


def fresh(user):
    user.refresh_from_db()
    user._grid_ids = None
    return user


def codes(qs):
    return sorted(g.code[-6:] for g in qs)


def test_a_worker_taken_off_their_own_grid_no_longer_sees_it(gw):
    """w1's unit is grid 1 (add_member sets it): taking w1 off grid 1 must end their sight of it, not only the
    membership row; their running patrol there ends too."""
    patrol = services.start_patrol(gw.w1, gw.g1)
    services.file_report(gw.w1, services.ReportData(text="路边暴露垃圾", category_code=gw.trash.code,
                                                     lon=116.385, lat=39.915))
    ticket = Ticket.objects.get()
    services.remove_member(gw.street_staff, GridMember.objects.get(user=gw.w1, grid=gw.g1))
    w1 = fresh(gw.w1)
    assert codes(scoping.visible_grids(w1)) == ["001002"]
    assert not scoping.can_see_grid(w1, gw.g1)
    assert w1.unit_id == gw.g2.pk  # their remaining grid, not the one left
    assert not scoping.grid_tickets(w1).filter(grid=gw.g1).exclude(created_by=w1).exists()
    assert not scoping.may_see_care_details(w1, gw.g1)
    patrol.refresh_from_db()
    assert patrol.ended_at is not None
    assert ticket.lead_unit_id == gw.g1.pk  # the grid's ticket stays with the grid, not with the person


def test_a_worker_taken_off_their_last_grid_sees_no_grid(gw):
    services.add_care_subject(gw.community_staff, gw.g3, "elderly_alone", "王秀兰", "13912345678", "东华门大街12号")
    services.remove_member(gw.street_staff, GridMember.objects.get(user=gw.w2, grid=gw.g3))
    w2 = fresh(gw.w2)
    assert w2.unit_id is None
    assert not scoping.visible_grids(w2).exists()
    assert not scoping.may_see_care_details(w2, gw.g3)
    with pytest.raises(Forbidden):
        services.start_patrol(w2, gw.g3)


def test_taking_off_one_post_keeps_the_other_on_the_same_grid(gw):
    services.add_member(gw.street_staff, gw.g1, "w1", post="leader")
    services.remove_member(gw.street_staff, GridMember.objects.get(user=gw.w1, grid=gw.g1, post="worker"))
    w1 = fresh(gw.w1)
    assert w1.unit_id == gw.g1.pk and scoping.can_see_grid(w1, gw.g1)
    assert not Patrol.objects.exists()


def report_key(body):
    import re

    return re.search(r'name="report_key" value="([^"]*)"', body).group(1)


def test_a_refused_report_comes_back_filled_in_with_the_photos_named(gw, client):
    """A report refused (here: 自处置 of a matter the duty list keeps from the grid) must not lose what the worker
    typed on the phone: the form comes back with the description, the matter, the place and the note; the photos
    (a browser cannot keep them) are named as to be chosen again."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import PNG

    client.force_login(gw.w1)
    r = client.post("/grids/patrol/report/", {
        "category": gw.noise.code, "text": "3号楼楼道深夜装修噪声", "lon": "116.3851234", "lat": "39.9151234",
        "address": "东华门大街12号院", "self_handled": "on", "handled_note": "已劝停", "grid": gw.g1.code,
        "report_key": "k-refused", "photos": SimpleUploadedFile("a.png", PNG, content_type="image/png")},
        follow=True)
    body = r.content.decode()
    assert not Ticket.objects.exists()
    assert "不允许自处置" in body
    assert ">3号楼楼道深夜装修噪声</textarea>" in body
    assert f'<option value="{gw.noise.code}" data-self="0" selected>' in body
    assert 'value="116.3851234"' in body and 'value="39.9151234"' in body
    assert 'value="东华门大街12号院"' in body and 'value="已劝停"' in body
    assert "照片未发送，请重新选择（a.png）" in body  # the photo to choose again is named
    again = client.get("/grids/patrol/").content.decode()
    assert "3号楼楼道深夜装修噪声" not in again  # kept once, not for ever


def test_each_patrol_page_carries_its_own_report_key(gw, client):
    """The key that makes a resent report count once is the page's own: two pages (two tabs, or one rendered
    again in the same second) must not share it, or the second report is silently taken for the first."""
    client.force_login(gw.w1)
    keys = {report_key(client.get("/grids/patrol/").content.decode()) for _i in range(3)}
    assert len(keys) == 3
    assert all(len(k) >= 20 for k in keys)


def test_a_grid_without_a_worker_sends_its_grid_matters_to_the_community(gw):
    """Grid 3's only worker leaves: a hotline ticket about a matter the duty list gives to the grid must not wait
    in an empty grid; the community above it (社区兜底) gets it first, on the ladder at the community's level."""
    from jiesu.tickets import services as tickets

    def hotline_ticket(lon, lat):
        t, _created = tickets.create_ticket(gw.call_taker, tickets.IntakeData(
            text="小区门口暴露垃圾好几天了", category_code=gw.trash.code, lon=lon, lat=lat))
        return t

    assert services.grid_first(hotline_ticket(116.385, 39.905))["unit"] == gw.g3  # staffed: the grid
    services.remove_member(gw.street_staff, GridMember.objects.get(user=gw.w2, grid=gw.g3))
    t = hotline_ticket(116.385, 39.905)
    first = services.grid_first(t)
    assert (first["level"], first["unit"]) == ("community", gw.c1)
    assert first["unstaffed"] == gw.g3
    services.route_to_grid(gw.dispatcher, t)
    t.refresh_from_db()
    assert t.lead_unit == gw.c1 and t.ladder_steps.get().level == "community"
    assert services.grid_first(hotline_ticket(116.385, 39.915))["unit"] == gw.g1  # grid 1 keeps its worker
    gw.w1.is_active = False  # an account closed counts as nobody
    gw.w1.save()
    assert services.grid_first(hotline_ticket(116.385, 39.915))["unit"] == gw.c1


def test_the_dispatcher_is_told_why_an_empty_grids_matter_goes_to_the_community(gw, client):
    from jiesu.tickets import services as tickets

    services.remove_member(gw.street_staff, GridMember.objects.get(user=gw.w2, grid=gw.g3))
    t, _created = tickets.create_ticket(gw.call_taker, tickets.IntakeData(
        text="小区门口暴露垃圾好几天了", category_code=gw.trash.code, lon=116.385, lat=39.905))
    client.force_login(gw.dispatcher)
    body = client.get(f"/grids/tickets/{t.pk}/").content.decode()
    assert "第一社区第3网格暂无网格员，由所在社区办理。" in body


def test_a_routed_reports_step_names_the_unit_once(gw):
    """The ladder step of a report sent by the duty list read 「职责清单：此事项由网格处置处置。」 (the level's label
    already says 处置): it names the unit that handles it."""
    rep, _created = services.file_report(gw.w1, services.ReportData(
        text="路边暴露垃圾", category_code=gw.trash.code, lon=116.385, lat=39.915))
    assert rep.ticket.ladder_steps.get().reason == "职责清单：此事项由第一社区第1网格处置。"
    rep, _created = services.file_report(gw.w1, services.ReportData(
        text="楼上噪声", category_code=gw.noise.code, lon=116.385, lat=39.915))
    assert rep.ticket.ladder_steps.get().reason == "职责清单：此事项由东华门第一社区处置。"


def test_handling_on_the_spot_later_keeps_the_tickets_photo_limit(gw, settings):
    """自处置 later adds after photos to a ticket that may already hold the most photos a ticket may have."""
    from .conftest import photo

    settings.JIESU = {**settings.JIESU, "ATTACHMENTS_PER_TICKET": 2}
    rep, _created = services.file_report(gw.w1, services.ReportData(
        text="路边暴露垃圾", category_code=gw.trash.code, lon=116.385, lat=39.915, photos=[photo(), photo("b.png")]))
    with pytest.raises(services.DomainError) as exc:
        services.self_handle(gw.w1, rep.ticket, "已清理", [photo("after.png")])
    assert exc.value.field == "attachments"
    rep.ticket.refresh_from_db()
    assert rep.ticket.state == "dispatched" and rep.ticket.attachments.count() == 2


def test_the_streets_grid_list_marks_grids_without_a_worker(gw, client):
    """定人: the street sees at a glance which grids have nobody on them (a post to fill)."""
    import re

    services.remove_member(gw.street_staff, GridMember.objects.get(user=gw.w2, grid=gw.g3))
    client.force_login(gw.street_staff)
    body = client.get("/grids/").content.decode()
    rows = {m.group(1): m.group(0) for m in re.finditer(r'<tr>\s*<td><a href="/grids/(\d{15})/".*?</tr>', body, re.S)}
    assert set(rows) == {gw.g1.code, gw.g2.code, gw.g3.code, gw.g4.code, gw.g5.code}
    unstaffed = {code for code, row in rows.items() if "暂无网格员" in row}
    assert unstaffed == {gw.g3.code, gw.g4.code, gw.g5.code}


def test_a_point_on_the_line_between_the_workers_grid_and_another_is_the_workers(gw):
    """Grid lines run along streets, where problems are found: a point exactly on the edge between worker 2's grid
    3 and grid 1 lies in both, so worker 2 may file it (in grid 3); a point inside grid 1 stays refused."""
    rep, _created = services.file_report(gw.w2, services.ReportData(
        text="路边暴露垃圾", category_code=gw.trash.code, lon=116.385, lat=39.91))
    assert rep.grid == gw.g3 and rep.ticket.lead_unit == gw.g3
    rep.ticket.refresh_from_db()
    assert (rep.ticket.grid, rep.ticket.community) == (gw.g3, gw.c1)
    with pytest.raises(services.DomainError) as exc:
        services.file_report(gw.w2, services.ReportData(
            text="路边暴露垃圾", category_code=gw.trash.code, lon=116.385, lat=39.911))
    assert exc.value.field == "lon"
