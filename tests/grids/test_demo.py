"""The demo grid work (jiesu.grids.demo) on the small grid world: complete, consistent, seeded, idempotent."""
from collections import Counter
from datetime import timedelta

from django.utils import timezone

from jiesu.grids import demo
from jiesu.grids.models import GridDemo, GridMember, LadderStep, Patrol, PatrolReport, TrackPoint
from jiesu.tickets.models import Ticket, TicketEvent

NOW = timezone.now().replace(microsecond=0)


def test_every_grid_gets_people_patrols_and_reports(gw, monkeypatch):
    monkeypatch.setitem(demo.PATROL_RATE, "other", 0.6)  # the small world is no demo district: patrol often
    result = demo.generate_grid_demo(seed=7, now=NOW, log=lambda *a: None)
    grids = [gw.g1, gw.g2, gw.g3, gw.g4, gw.g5, gw.gb]
    assert {m.grid_id for m in GridMember.objects.filter(post="worker")} == {g.pk for g in grids}
    assert GridMember.objects.filter(post="leader", grid=gw.g2, user__username=f"grid-{gw.g1.code}").exists()
    assert set(Patrol.objects.values_list("grid_id", flat=True)) == {g.pk for g in grids}
    first = Patrol.objects.order_by("started_at").first()
    assert first.started_at > NOW - timedelta(days=demo.DAYS + 1) and first.ended_at < NOW
    assert first.points == TrackPoint.objects.filter(patrol=first).count() > 3
    assert 0 < first.visited_share <= 1 and first.distance_m > 0
    reports = PatrolReport.objects.select_related("ticket")
    assert reports.count() == result.rows["PatrolReport"] > 20
    for r in reports:
        t = r.ticket
        assert t.channel == "patrol" and t.grid_id == r.grid_id and t.created_at == r.filed_at
        kinds = list(TicketEvent.objects.filter(ticket=t).order_by("at", "id").values_list("kind", flat=True))
        assert kinds[0] == "intake"
        if r.self_handled:
            assert t.state == "closed" and kinds == ["intake", "self_handle"]
        else:
            assert kinds[1] == "dispatch"
        steps = list(LadderStep.objects.filter(ticket=t).order_by("number"))
        assert steps and steps[-1].unit_id == t.lead_unit_id
        assert all(s.outcome == "escalated" for s in steps[:-1])
        assert all(s.due_at > s.entered_at for s in steps)
    levels = Counter(r.duty_level for r in reports)
    assert levels["grid"] > levels["street"] > 0
    assert reports.filter(self_handled=True).exists()
    assert Ticket.objects.filter(channel="patrol", state="closed").exists()


def test_seeded_idempotent_and_reset(gw):
    logged = []
    first = demo.setup_step(logged.append, seed=3)
    counts = dict(first.rows)
    assert demo.setup_step(logged.append, seed=3) is None and "present" in logged[-1]
    assert GridDemo.objects.count() == 1
    tickets = Ticket.objects.count()
    again = demo.setup_step(logged.append, seed=3, reset=True)
    assert Ticket.objects.count() == tickets and GridDemo.objects.count() == 1
    assert again.rows["Patrol"] == counts["Patrol"] and again.rows["Ticket"] == counts["Ticket"]
    demo.delete_grid_demo()
    assert not Patrol.objects.exists() and not Ticket.objects.filter(channel="patrol").exists()
