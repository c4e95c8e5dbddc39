"""Grid services on the database: boundaries, people and scoping, duty lists, patrols, reports, the ladder."""
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from jiesu.core.errors import Conflict, DomainError, Forbidden
from jiesu.grids import jobs, scoping, services
from jiesu.grids.models import BoundaryVersion, GridDuty, LadderStep, Patrol, PatrolReport
from jiesu.tickets import services as tickets
from jiesu.tickets.models import Notice, State, Ticket, TicketEvent
from jiesu.units import boundaries
from jiesu.units.models import Unit

from .conftest import at, box, photo

C1 = "110101001001"


def feature(code, geometry, name=""):
    return {"type": "Feature", "geometry": geometry, "properties": {"code": code, "name": name or code}}


def records(*features):
    return boundaries.read_geojson(json.dumps({"type": "FeatureCollection", "features": list(features)}))


def c1_tiles(**changed):
    """The four grids of community C1 as features; `changed` replaces some: {"g004": geometry}."""
    tiles = {"001": box(116.38, 39.91, 116.39, 39.92), "002": box(116.39, 39.91, 116.40, 39.92),
             "003": box(116.38, 39.90, 116.39, 39.91), "004": box(116.39, 39.90, 116.40, 39.91)}
    for key, geometry in changed.items():
        tiles[key[1:]] = geometry
    return [feature(C1 + n, g) for n, g in tiles.items() if g is not None]


# ── 定格: import, validation report, versions, export ──────────────────────

def test_import_of_a_valid_community_redraws_and_keeps_versions(gw):
    moved = c1_tiles(g001=box(116.38, 39.912, 116.39, 39.92), g003=box(116.38, 39.90, 116.39, 39.912))
    report = services.import_grids(gw.admin, records(*moved), note="survey 2026")
    assert report.ok, report.rejected
    assert sorted(report.redrawn) == [C1 + "001", C1 + "003"]
    assert sorted(report.unchanged) == [C1 + "002", C1 + "004"]
    gw.g1.refresh_from_db()
    assert gw.g1.geometry["coordinates"][0][0][1] == pytest.approx(39.912)
    versions = list(BoundaryVersion.objects.filter(grid=gw.g1).order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].valid_to == versions[1].valid_from
    assert versions[1].note == "survey 2026"


def test_import_rejects_overlap_gap_invalid_and_foreign_codes_with_a_report(gw):
    overlap = c1_tiles(g004=box(116.389, 39.90, 116.40, 39.91))
    report = services.import_grids(gw.admin, records(*overlap))
    assert not report.ok and not report.redrawn
    assert any("重叠" in m or "overlap" in m for _label, m in report.rejected)

    gap = c1_tiles(g004=box(116.395, 39.90, 116.40, 39.91))
    report = services.import_grids(gw.admin, records(*gap))
    assert any("gap" in m or "空隙" in m for _label, m in report.rejected)

    bowtie = {"type": "Polygon", "coordinates": [[[116.38, 39.90], [116.39, 39.91], [116.39, 39.90],
                                                  [116.38, 39.91], [116.38, 39.90]]]}
    report = services.import_grids(gw.admin, records(*c1_tiles(g003=bowtie)))
    assert any(C1 + "003" in m for _label, m in report.rejected)

    foreign = [feature("110101001002009", box(116.38, 39.90, 116.381, 39.901))]
    report = services.import_grids(gw.admin, records(*foreign))
    assert report.rejected and not report.created  # 002009 lies in C1 but names community C2
    assert Unit.objects.filter(code="110101001002009").count() == 0

    short = services.import_grids(gw.admin, records(feature("11010100100100", box(116.38, 39.90, 116.39, 39.91))))
    assert "15" in short.rejected[0][1]
    assert BoundaryVersion.objects.filter(grid=gw.g4).count() == 0  # nothing was redrawn


def test_check_community_reports_numbering_west_to_east_north_to_south(gw):
    swapped = {C1 + "001": ("", box(116.39, 39.91, 116.40, 39.92)), C1 + "002": ("", box(116.38, 39.91, 116.39, 39.92))}
    check = services.check_community(gw.c1, swapped)
    assert check.ok  # numbering is a warning, not an error
    assert len(check.warnings) == 2 and C1 + "001" in check.warnings[0]
    assert services.check_community(gw.c1).warnings == []


def test_import_dry_run_and_strict_save_nothing(gw):
    new = feature("110101001002002", box(116.41, 39.90, 116.42, 39.92))
    g5 = feature("110101001002001", box(116.40, 39.90, 116.41, 39.92))
    report = services.import_grids(gw.admin, records(g5, new), dry_run=True)
    assert report.created == ["110101001002002"] and report.dry_run
    assert not Unit.objects.filter(code="110101001002002").exists()
    bad = feature(C1 + "004", box(116.389, 39.90, 116.40, 39.91))
    with pytest.raises(DomainError):
        services.import_grids(gw.admin, records(g5, new, bad), strict=True)
    assert not Unit.objects.filter(code="110101001002002").exists()
    report = services.import_grids(gw.admin, records(g5, new))
    assert report.created == ["110101001002002"]
    assert Unit.objects.get(code="110101001002002").parent == gw.c2


def test_import_needs_the_streets_staff(gw):
    with pytest.raises(Forbidden):
        services.import_grids(gw.street_b_staff, records(*c1_tiles()))
    with pytest.raises(Forbidden):
        services.import_grids(gw.w1, records(*c1_tiles()))
    assert services.import_grids(gw.street_staff, records(*c1_tiles())).ok


def test_export_reads_back_unchanged(gw):
    text = services.export_text(Unit.objects.filter(street=gw.street, kind="grid"))
    data = json.loads(text)
    assert [f["properties"]["code"] for f in data["features"]] == [gw.g1.code, gw.g2.code, gw.g3.code, gw.g4.code,
                                                                     gw.g5.code]
    assert data["features"][0]["properties"]["parent_code"] == C1
    report = services.import_grids(gw.admin, boundaries.read_geojson(text))
    assert len(report.unchanged) == 5 and not report.redrawn and not report.rejected


def test_redraw_keeps_tickets_in_the_grid_they_were_filed_in(gw):
    rep, _ = services.file_report(gw.w1, services.ReportData(text="路边暴露垃圾一堆", category_code=gw.trash.code,
                                                             lon=116.3905, lat=39.915))
    assert rep.ticket.grid == gw.g2 and rep.boundary.version == 1
    # g2 shrinks, g1 grows over the report's place
    services.redraw(gw.admin, gw.g2, box(116.392, 39.91, 116.40, 39.92), check=False)
    services.redraw(gw.admin, gw.g1, box(116.38, 39.91, 116.392, 39.92), check=False)
    rep.ticket.refresh_from_db()
    assert rep.ticket.grid == gw.g2
    assert services.grid_at(116.3905, 39.915, rep.filed_at) == gw.g2
    assert services.grid_at(116.3905, 39.915, timezone.now()) == gw.g1
    assert services.check_community(gw.c1).ok


def test_redraw_is_checked(gw):
    with pytest.raises(DomainError) as exc:
        services.redraw(gw.street_staff, gw.g1, box(116.38, 39.91, 116.395, 39.92))
    assert exc.value.field == "geometry"
    with pytest.raises(DomainError):
        services.redraw(gw.street_staff, gw.g1, {"type": "LineString", "coordinates": [[116.38, 39.9], [116.39, 39.91]]})
    with pytest.raises(Forbidden):
        services.redraw(gw.street_b_staff, gw.g1, box(116.38, 39.91, 116.39, 39.92))
    assert not BoundaryVersion.objects.filter(grid=gw.g1).exists()


# ── 定人 and scoping ────────────────────────────────────────────────────────

def codes(qs):
    return sorted(g.code[-6:] for g in qs)


def test_a_worker_sees_only_their_grids(gw):
    assert codes(scoping.visible_grids(gw.w1)) == ["001001", "001002"]
    assert codes(scoping.visible_grids(gw.w2)) == ["001003"]
    assert scoping.can_see_grid(gw.w1, gw.g2) and not scoping.can_see_grid(gw.w1, gw.g3)
    with pytest.raises(services.NotFound):
        services.grid_for(gw.w1, gw.g3.code)
    assert codes(scoping.visible_grids(gw.community_staff)) == ["001001", "001002", "001003", "001004"]


def test_a_street_does_not_see_another_streets_grids(gw):
    assert codes(scoping.visible_grids(gw.street_staff)) == ["001001", "001002", "001003", "001004", "002001"]
    assert codes(scoping.visible_grids(gw.street_b_staff)) == ["001001"]
    assert scoping.visible_grids(gw.street_b_staff).get() == gw.gb
    assert list(scoping.visible_streets(gw.street_b_staff)) == [gw.street_b]
    assert scoping.visible_grids(gw.district_staff).count() == 6
    assert scoping.visible_grids(gw.dept_staff).count() == 0
    assert scoping.visible_grids(gw.citizen).count() == 0
    assert scoping.visible_grids(gw.dispatcher).count() == 6


def test_grid_tickets_of_a_worker(gw):
    mine, _ = services.file_report(gw.w1, services.ReportData(text="暴露垃圾", category_code=gw.trash.code,
                                                              lon=116.385, lat=39.915))
    other, _ = services.file_report(gw.w2, services.ReportData(text="暴露垃圾", category_code=gw.trash.code,
                                                               lon=116.385, lat=39.905))
    assert list(scoping.grid_tickets(gw.w1)) == [mine.ticket]
    assert list(scoping.grid_tickets(gw.w2)) == [other.ticket]
    assert scoping.can_see_ticket(gw.w1, mine.ticket) and not scoping.can_see_ticket(gw.w1, other.ticket)


def test_members_several_grids_leaders_and_staff_above(gw):
    services.add_member(gw.street_staff, gw.g4, "w1", post="leader", employment="part_time")
    gw.w1._grid_ids = None
    assert codes(scoping.visible_grids(gw.w1)) == ["001001", "001002", "001004"]
    people = services.people_of(gw.g4)
    assert [(m.user.username, m.post, m.employment) for m in people["members"]] == [("w1", "leader", "part_time")]
    assert [u.username for u in people["community"]] == ["cs"]
    assert [u.username for u in people["street"]] == ["ss"]
    with pytest.raises(DomainError) as exc:
        services.add_member(gw.street_staff, gw.g4, "nobody")
    assert exc.value.field == "user"
    with pytest.raises(DomainError):
        services.add_member(gw.street_staff, gw.g4, "cz")  # a citizen
    with pytest.raises(DomainError) as exc:
        services.add_member(gw.street_staff, gw.g4, "w2", employment="sometimes")
    assert exc.value.field == "employment"
    with pytest.raises(Forbidden):
        services.add_member(gw.street_b_staff, gw.g4, "w2")
    member = people["members"][0]
    services.remove_member(gw.street_staff, member)
    gw.w1._grid_ids = None
    assert codes(scoping.visible_grids(gw.w1)) == ["001001", "001002"]


# ── grid information and masking ────────────────────────────────────────────

def test_care_subjects_are_masked_for_those_who_need_not_know(gw):
    services.add_care_subject(gw.community_staff, gw.g1, "elderly_alone", "王秀兰", "13912345678", "东华门大街12号院3号楼")
    full = services.care_subjects_for(gw.w1, gw.g1)[0]
    assert (full["name"], full["phone"], full["masked"]) == ("王秀兰", "13912345678", False)
    for user in (gw.district_staff, gw.supervisor, gw.dispatcher):
        masked = services.care_subjects_for(user, gw.g1)[0]
        assert masked["masked"] and masked["name"] == "王**" and masked["phone"] == "139****5678"
        assert "12号院" not in masked["address"]
    assert services.care_subjects_for(gw.street_staff, gw.g1)[0]["masked"] is False
    with pytest.raises(Forbidden):
        services.add_care_subject(gw.district_staff, gw.g1, "disabled", "李四")
    with pytest.raises(DomainError) as exc:
        services.add_care_subject(gw.w1, gw.g1, "disabled", "李四", phone="abc")
    assert exc.value.field == "phone"


def test_grid_information(gw):
    info = services.update_info(gw.w1, gw.g1, population="1520", households=610, buildings=12)
    assert (info.population, info.households, info.buildings) == (1520, 610, 12)
    with pytest.raises(DomainError) as exc:
        services.update_info(gw.w1, gw.g1, population=-3)
    assert exc.value.field == "population"
    with pytest.raises(Forbidden):
        services.update_info(gw.w2, gw.g1, population=1)
    place = services.add_key_place(gw.community_staff, gw.g1, "school", "东华门小学", "东华门大街5号")
    assert place.get_kind_display() and place.grid == gw.g1
    with pytest.raises(DomainError):
        services.add_key_place(gw.community_staff, gw.g1, "castle", "紫禁城")


# ── 定责: duty lists ────────────────────────────────────────────────────────

def test_city_default_and_street_override(gw):
    assert services.duty_for(gw.street.pk, gw.trash)[:2] == ("grid", True)
    assert services.duty_for(gw.street.pk, gw.noise)[:2] == ("community", False)
    assert services.duty_for(gw.street.pk, gw.cover)[:2] == ("department", False)
    services.set_duty(gw.street_staff, gw.street, "grid", gbt_code="06028", self_handle=True, note="劝导")
    assert services.duty_for(gw.street.pk, gw.noise)[:2] == ("grid", True)
    assert services.duty_for(gw.street_b.pk, gw.noise)[:2] == ("community", False)  # other streets keep the default
    own, city = services.duty_list(gw.street)
    assert [d.gbt_code for d in own] == ["06028"] and "06028" not in [d.gbt_code for d in city]
    services.set_duty(gw.street_staff, gw.street, "street", category_code=gw.hotline_cat.code)
    assert services.duty_for(gw.street.pk, gw.hotline_cat)[0] == "street"


def test_duty_list_changes_are_checked(gw):
    with pytest.raises(Forbidden):
        services.set_duty(gw.street_staff, None, "grid", gbt_code="06028")
    with pytest.raises(Forbidden):
        services.set_duty(gw.street_b_staff, gw.street, "grid", gbt_code="06028")
    for kwargs, field in (({"gbt_code": "6028"}, "gbt_code"), ({}, "gbt_code"),
                          ({"gbt_code": "06028", "category_code": "01"}, "gbt_code"),
                          ({"category_code": "nope"}, "category")):
        with pytest.raises(DomainError) as exc:
            services.set_duty(gw.street_staff, gw.street, "grid", **kwargs)
        assert exc.value.field == field
    with pytest.raises(DomainError) as exc:
        services.set_duty(gw.street_staff, gw.street, "street", gbt_code="06028", self_handle=True)
    assert exc.value.field == "self_handle"
    before = GridDuty.objects.count()
    duty = services.set_duty(gw.admin, None, "grid", gbt_code="06099")
    assert GridDuty.objects.count() == before + 1 and duty.street is None
    services.delete_duty(gw.admin, duty)
    assert GridDuty.objects.count() == before


# ── patrols ─────────────────────────────────────────────────────────────────

def test_patrol_with_track_distance_and_coverage(gw):
    start = timezone.now() - timedelta(hours=1)
    patrol = services.start_patrol(gw.w1, gw.g1.code, at=start)
    with pytest.raises(Conflict):
        services.start_patrol(gw.w1, gw.g2.code)
    track = [(116.385, 39.9101 + i * 0.001, start + timedelta(minutes=5 * i), 8.0) for i in range(10)]
    assert services.add_points(gw.w1, patrol.pk, track) == 10
    with pytest.raises(services.NotFound):
        services.add_points(gw.w2, patrol.pk, track[:1])
    with pytest.raises(DomainError) as exc:
        services.add_points(gw.w1, patrol.pk, [(1.0, 2.0, None, None)])
    assert exc.value.field == "points"
    services.stop_patrol(gw.w1, patrol.pk)
    patrol.refresh_from_db()
    assert patrol.points == 10
    assert patrol.distance_m == pytest.approx(1000, rel=0.01)  # 9 × 0.001° of latitude
    assert 0.04 < patrol.visited_share < 0.08  # a 50 m band across a grid 853 m wide
    with pytest.raises(Conflict):
        services.add_points(gw.w1, patrol.pk, track[:1])


def test_only_a_grids_workers_patrol_it(gw):
    with pytest.raises(Forbidden):
        services.start_patrol(gw.w1, gw.g3.code)
    with pytest.raises(Forbidden):
        services.start_patrol(gw.street_staff, gw.g1.code)
    assert not Patrol.objects.exists()


# ── reports ─────────────────────────────────────────────────────────────────

def test_a_report_becomes_a_patrol_ticket_routed_to_the_grid(gw):
    patrol = services.start_patrol(gw.w1, gw.g1.code)
    rep, created = services.file_report(gw.w1, services.ReportData(
        text="东华门大街12号门前暴露垃圾", category_code=gw.trash.code, lon=116.385, lat=39.915, photos=[photo()],
        patrol_id=patrol.pk), idempotency_key="k1")
    t = rep.ticket
    assert created and t.channel == "patrol" and t.grid == gw.g1 and t.lead_unit == gw.g1
    assert t.state == State.DISPATCHED and t.attachments.count() == 1
    assert (rep.duty_level, rep.worker, rep.patrol) == ("grid", gw.w1, patrol)
    step = t.ladder_steps.get()
    assert (step.level, step.unit, step.number) == ("grid", gw.g1, 1) and step.due_at > step.entered_at
    assert list(t.events.values_list("kind", flat=True)) == ["intake", "dispatch"]
    again, created = services.file_report(gw.w1, services.ReportData(
        text="东华门大街12号门前暴露垃圾", category_code=gw.trash.code, lon=116.385, lat=39.915), idempotency_key="k1")
    assert not created and again.pk == rep.pk and Ticket.objects.count() == 1


def test_reports_go_where_the_duty_list_says(gw):
    noise, _ = services.file_report(gw.w1, services.ReportData(text="夜间噪声", category_code=gw.noise.code,
                                                               grid_code=gw.g2.code))
    assert (noise.ticket.lead_unit, noise.duty_level) == (gw.c1, "community")
    shed, _ = services.file_report(gw.w1, services.ReportData(text="私搭乱建", gbt_code="06001", lon=116.385, lat=39.915))
    assert (shed.ticket.lead_unit, shed.ticket.ladder_steps.get().level) == (gw.street, "street")
    cover, _ = services.file_report(gw.w1, services.ReportData(text="井盖破损", category_code=gw.cover.code,
                                                               lon=116.385, lat=39.915))
    assert cover.ticket.state == State.NEW and cover.ticket.lead_unit is None
    assert cover.ticket.events.filter(kind="grid_handover").exists()


def test_self_handled_on_the_spot_closes_with_an_after_photo(gw):
    rep, _ = services.file_report(gw.w1, services.ReportData(
        text="暴露垃圾已清理", category_code=gw.trash.code, lon=116.385, lat=39.915, photos=[photo("before.png")],
        self_handled=True, after_photos=[photo("after.png")], handled_note="已组织保洁清运"))
    t = rep.ticket
    assert rep.self_handled and t.state == State.CLOSED and t.close_reason == services.SELF_HANDLED
    assert t.self_resolved and t.attachments.count() == 2 and t.reply_text == "已组织保洁清运"
    assert t.events.filter(kind="self_handle").get().payload["after_photos"] == 1
    assert t.lead_unit == gw.g1


def test_self_handling_is_refused_when_the_duty_list_does_not_allow_it(gw):
    cases = [
        (dict(category_code=gw.noise.code, self_handled=True, after_photos=[photo()]), "self_handled"),
        (dict(category_code=gw.trash.code, self_handled=True), "after_photos"),
        (dict(category_code=""), "category"),
        (dict(category_code="99.99"), "category"),
    ]
    for extra, field in cases:
        with pytest.raises(DomainError) as exc:
            services.file_report(gw.w1, services.ReportData(text="x", lon=116.385, lat=39.915, **extra))
        assert exc.value.field == field
    assert not Ticket.objects.exists()


def test_reports_outside_the_workers_grids_are_refused(gw):
    for data, field in ((dict(lon=116.385, lat=39.905), "lon"),          # in g3, not w1's
                        (dict(lon=116.43, lat=39.91), "lon"),            # another street
                        (dict(lon=116.385, lat=39.915, grid_code=gw.g2.code), "lon"),  # in g1, g2 chosen
                        (dict(), "lon")):                                # w1 has two grids: which?
        with pytest.raises(DomainError) as exc:
            services.file_report(gw.w1, services.ReportData(text="x", category_code=gw.trash.code, **data))
        assert exc.value.field == field
    with pytest.raises(Forbidden):
        services.file_report(gw.street_staff, services.ReportData(text="x", category_code=gw.trash.code))
    assert not Ticket.objects.exists()


def test_self_handle_later(gw):
    rep, _ = services.file_report(gw.w1, services.ReportData(text="暴露垃圾", category_code=gw.trash.code,
                                                             lon=116.385, lat=39.915))
    with pytest.raises(DomainError):
        services.self_handle(gw.w1, rep.ticket, "清理了", [])
    with pytest.raises(Forbidden):
        services.self_handle(gw.w2, rep.ticket, "清理了", [photo()])
    t = services.self_handle(gw.w1, rep.ticket, "清理了", [photo()])
    assert t.state == State.CLOSED
    rep.refresh_from_db()
    assert rep.self_handled and rep.ticket.ladder_steps.get().outcome == "handled"


# ── the ladder ──────────────────────────────────────────────────────────────

MONDAY_10 = at(2026, 3, 2, 10, 0)


def test_ladder_deadlines_follow_the_working_calendar(db):
    """The calendar is read from the database (none seeded here: weekends only), not from a memo an earlier test
    happened to leave."""
    assert services._step_due("grid", MONDAY_10) == at(2026, 3, 3, 10, 0)
    assert services._step_due("community", MONDAY_10) == at(2026, 3, 4, 10, 0)
    assert services._step_due("street", MONDAY_10) == at(2026, 3, 5, 10, 0)
    assert services._step_due("district", MONDAY_10) == at(2026, 3, 9, 10, 0)  # over the weekend
    friday = at(2026, 3, 6, 16, 0)
    assert services._step_due("grid", friday) == at(2026, 3, 9, 16, 0)


def test_the_ladder_grid_community_street_district(gw, settings):
    rep, _ = services.file_report(gw.w1, services.ReportData(text="暴露垃圾清不动", category_code=gw.trash.code,
                                                             lon=116.385, lat=39.915), at=MONDAY_10)
    t = rep.ticket
    assert t.ladder_steps.get().due_at == at(2026, 3, 3, 10, 0)
    tickets.sign(gw.w1, t)
    with pytest.raises(DomainError) as exc:
        services.escalate(gw.w1, t, "  ")
    assert exc.value.field == "reason"
    with pytest.raises(Forbidden):
        services.escalate(gw.w2, t, "不是我的")
    late = at(2026, 3, 3, 15, 0)  # after the grid's one working day
    services.escalate(gw.w1, t, "垃圾量大，需社区协调清运车", at=late)
    t.refresh_from_db()
    assert t.lead_unit == gw.c1 and t.state == State.DISPATCHED
    event = t.events.get(kind="escalate")
    assert event.note == "垃圾量大，需社区协调清运车"
    assert (event.payload["from_level"], event.payload["to_level"], event.payload["late"]) == ("grid", "community", True)
    with pytest.raises(Forbidden):
        services.escalate(gw.w1, t, "再报")  # the grid no longer holds it
    services.escalate(gw.community_staff, t, "需街道综合执法", at=at(2026, 3, 4, 9, 0))
    services.escalate(gw.street_staff, t, "需区级协调", at=at(2026, 3, 4, 11, 0))
    t.refresh_from_db()
    assert t.lead_unit == gw.district
    steps = list(t.ladder_steps.order_by("number"))
    assert [(s.level, s.outcome) for s in steps] == [("grid", "escalated"), ("community", "escalated"),
                                                     ("street", "escalated"), ("district", "")]
    assert [s.late for s in steps[:3]] == [True, False, False]
    assert steps[2].reason == "需街道综合执法"
    assert steps[3].due_at == at(2026, 3, 11, 11, 0)
    assert t.events.filter(kind="escalate").last().payload["may_whistle"] is False
    assert t.events.filter(kind="escalate")[1].payload["may_whistle"] is True  # arriving at the street
    with pytest.raises(Conflict):
        services.escalate(gw.district_staff, t, "再往上")


def test_ladder_scan_warns_overdue_steps_once_and_closes_finished_ones(gw):
    old = timezone.now() - timedelta(days=10)
    late, _ = services.file_report(gw.w1, services.ReportData(text="暴露垃圾", category_code=gw.trash.code,
                                                              lon=116.385, lat=39.915), at=old)
    fresh, _ = services.file_report(gw.w1, services.ReportData(text="暴露垃圾2", category_code=gw.trash.code,
                                                               lon=116.386, lat=39.915))
    assert jobs.scan_ladder() == {"closed": 0, "withdrawn": 0, "warned": 1}
    assert jobs.scan_ladder()["warned"] == 0
    assert Notice.objects.get().ticket == late.ticket
    services.self_handle(gw.w1, fresh.ticket, "已清理", [photo()])
    assert LadderStep.objects.get(ticket=fresh.ticket).outcome == "handled"


def test_hotline_tickets_in_a_grids_duty_list_go_to_the_grid_first(gw):
    t, _ = tickets.create_ticket(gw.call_taker, tickets.IntakeData(
        text="小区门口暴露垃圾好几天了", category_code=gw.trash.code, lon=116.385, lat=39.915, citizen_phone="13800001111"))
    first = services.grid_first(t)
    assert (first["level"], first["unit"]) == ("grid", gw.g1)
    with pytest.raises(Forbidden):
        services.route_to_grid(gw.call_taker, t)
    services.route_to_grid(gw.dispatcher, t)
    t.refresh_from_db()
    assert t.lead_unit == gw.g1 and t.state == State.DISPATCHED
    assert t.ladder_steps.get().level == "grid"
    assert TicketEvent.objects.filter(ticket=t, kind="dispatch").exists()
    other, _ = tickets.create_ticket(gw.call_taker, tickets.IntakeData(
        text="井盖坏了", category_code=gw.cover.code, lon=116.385, lat=39.915))
    assert services.grid_first(other) is None
    with pytest.raises(Conflict):
        services.route_to_grid(gw.dispatcher, other)


def test_whole_report_is_one_transaction(gw, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_open_step", boom)
    with pytest.raises(RuntimeError):
        services.file_report(gw.w1, services.ReportData(text="暴露垃圾", category_code=gw.trash.code,
                                                        lon=116.385, lat=39.915))
    assert not Ticket.objects.exists() and not PatrolReport.objects.exists()


def test_the_desk_suggests_the_grid_first_and_dispatching_there_opens_the_ladder(gw):
    from jiesu.dispatch import services as desk
    from jiesu.dispatch.classifier import TextClassifier

    clf = TextClassifier.from_keywords([(gw.trash.code, "暴露垃圾 垃圾 堆放"), (gw.cover.code, "井盖 破损 丢失")])
    t, _ = tickets.create_ticket(gw.call_taker, tickets.IntakeData(
        text="小区门口暴露垃圾好几天了", category_code=gw.trash.code, lon=116.385, lat=39.915))
    found = desk.suggestions_for(t, classifier=clf)
    first = found[0]
    assert (first.category, first.lead, first.mode, first.co) == (gw.trash, gw.g1, "grid_first", [])
    assert "网格职责清单" in first.explanation and gw.g1.name in first.explanation
    assert all(s.lead != gw.g1 for s in found if s.category == gw.cover)
    assert desk.form_route(t) == (gw.g1, [])  # the dispatch form starts from the same unit


def test_the_desk_reads_the_grid_and_its_duty_list_once_for_all_suggestions(gw, django_assert_num_queries):
    from jiesu.dispatch import services as desk
    from jiesu.dispatch.classifier import TextClassifier

    clf = TextClassifier.from_keywords([(gw.trash.code, "暴露垃圾 垃圾 堆放"), (gw.cover.code, "井盖 破损 丢失")])
    t, _ = tickets.create_ticket(gw.call_taker, tickets.IntakeData(
        text="小区门口暴露垃圾好几天了", category_code=gw.trash.code, lon=116.385, lat=39.915))
    found = desk.suggestions_for(t, classifier=clf)
    assert len(found) == 2
    with django_assert_num_queries(2):  # the grid, and its street's duty list
        desk.with_grid_first(t, found)
    assert [s.mode == "grid_first" for s in found] == [True, False]
    assert services.grid_first_each(t, [gw.cover, None, gw.trash])[::2] == [None, services.grid_first(t)]
    assert services.grid_first_each(t, [None]) == [None]

    t, row = desk.dispatch_and_log(gw.dispatcher, t, gw.g1.id, [], "", gw.trash.code, suggestions=found)
    assert t.lead_unit == gw.g1 and row.accepted_rank == 1
    step = t.ladder_steps.get()
    assert (step.level, step.unit, step.number) == ("grid", gw.g1, 1)
    assert t.assignments.get(active=True, role="lead").reply_due == step.due_at


def test_a_desk_dispatch_elsewhere_opens_no_ladder_step(gw):
    from jiesu.dispatch import services as desk

    t, _ = tickets.create_ticket(gw.call_taker, tickets.IntakeData(
        text="小区门口暴露垃圾好几天了", category_code=gw.trash.code, lon=116.385, lat=39.915))
    t, _row = desk.dispatch_and_log(gw.dispatcher, t, gw.street.id, [], "", gw.trash.code, suggestions=[])
    assert t.lead_unit == gw.street and not t.ladder_steps.exists()
