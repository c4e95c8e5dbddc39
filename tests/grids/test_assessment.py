"""Assessment of grid work: coverage, reports, on-the-spot share, timeliness, 主动发现率, CSV, monthly figures."""
import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from jiesu.grids import assessment, services
from jiesu.grids.models import LadderStep
from jiesu.tickets import services as tickets
from jiesu.units.models import Unit

from .conftest import at, photo


def patrol(gw, worker, grid, start, track, minutes=60):
    p = services.start_patrol(worker, grid.code, at=start)
    services.add_points(worker, p.pk, [(lon, lat, start + timedelta(minutes=i), None)
                                       for i, (lon, lat) in enumerate(track)])
    services.stop_patrol(worker, p.pk, at=start + timedelta(minutes=minutes))
    return p


def report(gw, worker, lon, lat, category=None, on_the_spot=False, when=None):
    data = services.ReportData(text="巡查发现", category_code=(category or gw.trash).code, lon=lon, lat=lat,
                               self_handled=on_the_spot, after_photos=[photo()] if on_the_spot else [])
    return services.file_report(worker, data, at=when)[0]


def citizen(gw, lon, lat, category=None):
    return tickets.create_ticket(gw.call_taker, tickets.IntakeData(
        text="市民反映", category_code=(category or gw.trash).code, lon=lon, lat=lat))[0]


@pytest.fixture
def worked(gw):
    now = timezone.now()
    start = now - timedelta(days=3)
    # w1 walks the middle of g1 twice (the same line: coverage counts once) and g2 once
    patrol(gw, gw.w1, gw.g1, start, [(116.385, 39.9101), (116.385, 39.9199)], minutes=90)
    patrol(gw, gw.w1, gw.g1, start + timedelta(days=1), [(116.385, 39.9101), (116.385, 39.9199)], minutes=30)
    patrol(gw, gw.w1, gw.g2, start + timedelta(days=2), [(116.395, 39.9101), (116.395, 39.9199)])
    report(gw, gw.w1, 116.385, 39.915, on_the_spot=True)
    report(gw, gw.w1, 116.386, 39.915)
    report(gw, gw.w1, 116.387, 39.915, category=gw.noise)  # to the community: not a grid ladder step
    late = report(gw, gw.w1, 116.388, 39.915, when=now - timedelta(days=10))
    services.escalate(gw.w1, late.ticket, "清不动")  # left after its one-day deadline
    citizen(gw, 116.385, 39.912)
    citizen(gw, 116.385, 39.913, category=gw.hotline_cat)  # 物业服务质量: not something a patrol finds
    citizen(gw, 116.395, 39.912)
    return gw


def rows_by_code(rows):
    return {r.grid_code[-3:]: r for r in rows}


def test_grid_rows(worked):
    gw = worked
    now = timezone.now()
    grid_rows, worker_rows = assessment.assess(Unit.objects.filter(parent=gw.c1), now - timedelta(days=30), now)
    g = rows_by_code(grid_rows)
    assert (g["001"].patrols, g["001"].hours) == (2, 2.0)
    assert g["001"].km == pytest.approx(2 * 1.09, abs=0.02)
    assert g["001"].visited_share == pytest.approx(50 / 853, rel=0.05)
    assert (g["001"].reports, g["001"].self_handled) == (4, 1)
    assert g["001"].self_handled_share == 0.25
    assert (g["001"].steps_on_time, g["001"].steps_late) == (1, 1)  # on the spot in time, the escalated one late
    assert g["001"].timeliness == 0.5
    assert g["001"].citizen_tickets == 1
    assert g["001"].discovery_rate == pytest.approx(4 / 5)
    assert g["001"].open_tickets == 5  # three open reports and both citizen tickets
    assert (g["002"].patrols, g["002"].reports, g["002"].citizen_tickets, g["002"].discovery_rate) == (1, 0, 1, 0)
    assert g["003"].visited_share is None and g["003"].discovery_rate is None
    w = {(r.worker, r.grid_code[-3:]): r for r in worker_rows}
    assert set(w) == {("w1", "001"), ("w1", "002")}
    assert (w[("w1", "001")].patrols, w[("w1", "001")].reports) == (2, 4)


def test_a_grid_one_worker_patrolled_has_its_coverage_computed_once(worked, monkeypatch):
    """The worker who made every patrol of a grid covered what the grid's row says: the same tracks, so the share
    is the grid's, not buffered and joined again (the assessment page and its API: every grid of a street)."""
    gw = worked
    now = timezone.now()
    expected = assessment.assess(Unit.objects.filter(parent=gw.c1), now - timedelta(days=30), now, by_worker=False)[0]
    computed = []
    real = assessment.ggeo.visited_share
    monkeypatch.setattr(assessment.ggeo, "visited_share", lambda *args: computed.append(args) or real(*args))
    grid_rows, worker_rows = assessment.assess(Unit.objects.filter(parent=gw.c1), now - timedelta(days=30), now)
    assert len(computed) == 2  # g1 and g2, w1's alone
    shares = {r.grid_code: r.visited_share for r in expected}
    assert {r.grid_code: r.visited_share for r in grid_rows} == shares
    assert {r.grid_code: r.visited_share for r in worker_rows} == {code: shares[code] for code in shares
                                                                   if shares[code] is not None}


def test_csv_export(worked):
    now = timezone.now()
    grid_rows, worker_rows = assessment.assess(Unit.objects.filter(parent=worked.c1), now - timedelta(days=30), now)
    text = assessment.csv_text(grid_rows, worker_rows)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert len(rows) == 4 + 2
    first = next(r for r in rows if r["grid_code"].endswith("001") and not r["worker"])
    assert (first["reports"], first["self_handled_share"], first["discovery_rate"]) == ("4", "0.25", "0.8")


def test_discovery_by_month_for_the_later_governance_depth_measure(worked):
    gw = worked
    now = timezone.now()
    rows = assessment.discovery_by_month(now - timedelta(days=60), now + timedelta(seconds=1), level="street")
    assert {r["unit_id"] for r in rows} == {gw.street.pk}
    assert sum(r["patrol"] for r in rows) == 4 and sum(r["citizen"] for r in rows) == 2
    assert all(r["month"].day == 1 for r in rows)
    by_grid = assessment.discovery_by_month(now - timedelta(days=60), now + timedelta(seconds=1), level="grid",
                                            units=[gw.g2.pk])
    assert [(r["patrol"], r["citizen"], r["rate"]) for r in by_grid] == [(0, 1, 0.0)]


def test_months_are_local():
    assert assessment._month(at(2026, 3, 1)).isoformat() == "2026-03-01"


def test_map_colours_by_any_measure(worked):
    now = timezone.now()
    grids = Unit.objects.filter(street=worked.street, kind="grid")
    rows, _w = assessment.assess(grids, now - timedelta(days=30), now, by_worker=False)
    for measure in assessment.MEASURES:
        drawing = assessment.street_map(grids, rows, measure, href=lambda g: f"/grids/{g.code}/")
        assert len(drawing["shapes"]) == 5 and drawing["measure"] == measure
        assert all(s["d"].startswith("M") and s["href"].startswith("/grids/") for s in drawing["shapes"])
    drawing = assessment.street_map(grids, rows, "discovery_rate")
    fills = {s["code"][-6:]: s["fill"] for s in drawing["shapes"]}
    assert fills["001001"] != fills["001002"]  # 80 % against 0 %
    assert fills["001003"] == "#e3e7ec"  # no data
    assert assessment.street_map(grids, rows, "nonsense")["measure"] == "open_tickets"


def test_steps_still_running_are_not_counted(gw):
    report(gw, gw.w1, 116.385, 39.915)
    now = timezone.now()
    rows, _w = assessment.assess(Unit.objects.filter(pk=gw.g1.pk), now - timedelta(days=1), now)
    assert (rows[0].steps_on_time, rows[0].steps_late, rows[0].timeliness) == (0, 0, None)
    assert LadderStep.objects.count() == 1
