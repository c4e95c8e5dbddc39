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
