"""A published month is frozen (月度排名 as Beijing publishes it, and units are assessed on it): publishing (by hand,
or the month's end + FREEZE_AFTER_DAYS days by the job) stores each group's ranking as it then stood — scores,
ranks, unit names, gathered by the tree as it then was — and the pages, the API and the exports read that for the
month. A community moved to another street later, a street renamed, a late callback: the published month does not
change. The open month still reads the live rollups. Only an administrator republishes, with a reason, recorded."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiesu.accounts.models import Role, User
from jiesu.core.errors import DomainError, Forbidden
from jiesu.kpi import services
from jiesu.kpi.models import PublishedRanking
from jiesu.units import services as units
from jiesu.units.models import Unit
from tests.kpi.helpers import handled


def admin_of(w):
    return User.objects.create_user("adm", password="pw", role=Role.ADMIN, unit=w.hc)


def month_after(month):
    """A moment in the month after `month`, late enough for it to be published."""
    return timezone.make_aware(timezone.datetime.combine(services.next_month(month), timezone.datetime.min.time())) \
        + timedelta(days=1)


def move_community(w, to_street):
    community = Unit.objects.get(pk=w.community.pk)
    old_path, old_code = community.path, community.code
    community.parent, community.code = to_street, to_street.code + "009"
    community.save()
    units.refresh_subtree(community, old_path, old_code)


def street_rows(month):
    return {r.unit_id: r for r in services.ranking("street", month).rows}


@pytest.fixture
def graded(world):
    """Street A: two tickets handled by its community's grid (one resolved, one not); street B: one resolved."""
    w = world
    handled(w, unit=w.grid, staff=w.grid_worker, street_code=w.grid.code)
    handled(w, unit=w.grid, staff=w.grid_worker, street_code=w.grid.code, resolved="unresolved",
            satisfied="dissatisfied")
    handled(w, unit=w.street_b, staff=w.street_b_staff, street_code=w.street_b.code)
    return w


def test_a_published_month_keeps_its_ranking_when_a_community_moves_and_a_street_is_renamed(graded):
    w, month = graded, services.current_month()
    before = street_rows(month)
    assert (before[w.street.pk].received, before[w.street_b.pk].received) == (2, 1)
    services.publish_month(admin_of(w), month, now=month_after(month))

    move_community(w, w.street_b)   # 街道调整: the community and its grid now belong to street B
    Unit.objects.filter(pk=w.street.pk).update(name="东华门新街道")  # 机构改革: renamed

    live = services.live_ranking("street", month)  # today's tree: the two tickets went with the community
    assert {r.unit_id: r.received for r in live.rows}[w.street_b.pk] == 3
    after = street_rows(month)
    for pk in (w.street.pk, w.street_b.pk):
        assert (after[pk].received, after[pk].valid_callbacks, after[pk].resolution_rate, after[pk].composite,
                after[pk].rank) == (before[pk].received, before[pk].valid_callbacks, before[pk].resolution_rate,
                                    before[pk].composite, before[pk].rank)
    assert after[w.street.pk].name == w.street.name  # the name as published
    ranking = services.ranking("street", month)
    assert ranking.published is not None and ranking.published.edition == 1
    # one unit's page reads the published row too
    street = Unit.objects.get(pk=w.street.pk)
    kpis = services.unit_kpis(street, month)
    assert (kpis.received, kpis.name, kpis.rank) == (2, w.street.name, before[w.street.pk].rank)
    # the tree as then: the edition lists the units each street gathered (the community and its grid under A)
    edition = PublishedRanking.objects.get(month=month, unit_class="street")
    gathered = {row["unit_id"]: set(row["members"]) for row in edition.rows}
    assert {w.community.pk, w.grid.pk} <= gathered[w.street.pk] and w.community.pk not in gathered[w.street_b.pk]
    # the district group was frozen too: 东城区 keeps the community's two tickets
    districts = {r.unit_id: r for r in services.ranking("district", month).rows}
    assert (districts[w.district.pk].received, districts[w.district_b.pk].received) == (2, 1)


def test_a_late_callback_does_not_change_a_published_month_but_the_open_month_reads_live(graded):
    w, month = graded, services.current_month()
    services.publish_month(admin_of(w), month, now=month_after(month))
    handled(w, unit=w.street_b, staff=w.street_b_staff, street_code=w.street_b.code)
    assert street_rows(month)[w.street_b.pk].received == 1
    assert {r.unit_id: r.received for r in services.live_ranking("street", month).rows}[w.street_b.pk] == 2


def test_the_open_month_takes_last_months_rank_from_the_published_ranking(graded):
    w, month = graded, services.current_month()
    published = street_rows(month)
    services.publish_month(admin_of(w), month, now=month_after(month))
    move_community(w, w.street_b)
    following = street_rows(services.next_month(month))  # open: live, empty, with last month's published ranks
    assert following[w.street.pk].previous_rank == published[w.street.pk].rank
    assert following[w.street.pk].previous_composite == published[w.street.pk].composite


def test_only_a_finished_month_is_published_and_only_an_administrator_republishes_with_a_reason(graded):
    w, month = graded, services.current_month()
    admin = admin_of(w)
    with pytest.raises(DomainError) as refused:
        services.publish_month(admin, month, now=timezone.now())  # the month is not over
    assert refused.value.field == "month"
    with pytest.raises(Forbidden):
        services.publish_month(w.street_staff, month, now=month_after(month))
    services.publish_month(w.supervisor, month, now=month_after(month))  # the first publication: a leader may

    handled(w, unit=w.street_b, staff=w.street_b_staff, street_code=w.street_b.code)  # a late callback
    with pytest.raises(Forbidden):
        services.publish_month(w.supervisor, month, reason="更正", now=month_after(month))
    with pytest.raises(DomainError) as refused:
        services.publish_month(admin, month, reason="  ", now=month_after(month))
    assert refused.value.field == "reason"
    services.publish_month(admin, month, reason="回访复核更正", now=month_after(month))

    assert street_rows(month)[w.street_b.pk].received == 2  # the new edition is read
    editions = list(PublishedRanking.objects.filter(month=month, unit_class="street").order_by("edition"))
    assert [(e.edition, e.published_by_id, e.reason) for e in editions] == [
        (1, w.supervisor.pk, ""), (2, admin.pk, "回访复核更正")]
    assert editions[0].rows[0]["received"] in (1, 2)  # the first edition is kept as it was published


@pytest.fixture(autouse=True)
def _job_not_looked_yet():
    """The job looks at the months once a day per process (services.FREEZE_LOOKED): another test may have today."""
    services.FREEZE_LOOKED.clear()


def test_the_job_freezes_a_month_n_days_after_its_end_once(graded):
    """The worker runs the job at every pass (each minute): it reads the rollup's months once a day, and again the
    day a month becomes due, which it then publishes."""
    w, month = graded, services.current_month()
    end = month_after(month) - timedelta(days=1)  # midnight starting the next month
    day_before = end + timedelta(days=services.FREEZE_AFTER_DAYS - 1, hours=1)
    with CaptureQueriesContext(connection) as first:
        assert services.freeze_due_months(now=day_before) == []
    with CaptureQueriesContext(connection) as next_pass:
        assert services.freeze_due_months(now=day_before + timedelta(hours=22)) == []
    assert len(first) == 2 and len(next_pass) == 0  # published months, rollup months; then nothing that day
    assert services.freeze_due_months(now=end + timedelta(days=services.FREEZE_AFTER_DAYS, hours=1)) == [month]
    assert services.freeze_due_months(now=end + timedelta(days=services.FREEZE_AFTER_DAYS, hours=2)) == []
    ranking = services.ranking("street", month)
    assert ranking.published.edition == 1 and ranking.published.published_by is None


def test_pages_api_and_exports_say_the_month_is_published_and_read_the_snapshot(graded, client):
    w, month = graded, services.current_month()
    services.publish_month(admin_of(w), month, now=month_after(month))
    Unit.objects.filter(pk=w.street.pk).update(name="东华门新街道")
    client.force_login(w.supervisor)
    m = f"{month:%Y-%m}"
    answer = client.get(f"/api/v1/kpi/rankings?group=street&month={m}").json()
    assert answer["published"]["edition"] == 1
    assert {r["name"] for r in answer["rows"]} == {w.street.name, w.street_b.name}
    page = client.get(f"/kpi/?group=street&month={m}").content.decode()
    assert "已发布" in page and w.street.name in page and "东华门新街道" not in page
    csv = client.get(f"/kpi/export.csv?group=street&month={m}").content.decode("utf-8-sig")
    assert w.street.name in csv and "东华门新街道" not in csv
    report = client.get(f"/kpi/report/?month={m}").content.decode()
    assert report.count("已发布（第 1 版") == 4 and "东华门新街道" not in report  # each group's section says so
    unit_page = client.get(f"/kpi/units/{w.street.pk}/?month={m}").content.decode()
    assert "已发布（第 1 版" in unit_page
    following = f"{services.next_month(month):%Y-%m}"
    assert "未发布" in client.get(f"/kpi/units/{w.street.pk}/?month={following}").content.decode()


def test_an_administrator_republishes_from_the_rankings_page_with_a_reason(graded):
    w, month = graded, services.current_month()
    services.publish_month(admin_of(w), month, now=month_after(month))
    browser = Client()
    browser.force_login(User.objects.get(username="adm"))
    m = f"{month:%Y-%m}"
    refused = browser.post("/kpi/publish/", {"group": "street", "month": m, "reason": ""}, follow=True)
    assert PublishedRanking.objects.filter(month=month).values("edition").distinct().count() == 1
    assert "请填写理由" in refused.content.decode()
    browser.post("/kpi/publish/", {"group": "street", "month": m, "reason": "回访复核更正"})
    assert services.ranking("street", month).published.reason == "回访复核更正"


def test_the_admin_lists_every_edition_read_only(graded, admin_client):
    w, month = graded, services.current_month()
    services.publish_month(admin_of(w), month, now=month_after(month))
    services.publish_month(User.objects.get(username="adm"), month, reason="回访复核更正", now=month_after(month))
    page = admin_client.get("/admin/kpi/publishedranking/")
    assert page.status_code == 200 and "回访复核更正" in page.content.decode()
    assert PublishedRanking.objects.count() == 8  # four groups, two editions
    edition = PublishedRanking.objects.first()
    assert admin_client.post(f"/admin/kpi/publishedranking/{edition.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PublishedRanking.objects.count() == 8


def test_a_month_that_cannot_be_published_does_not_stop_the_job(graded, caplog):
    """No KPI version in force for an old month (history older than the first version): the job says so and goes on
    with the later months, instead of failing on the oldest month at every pass and never publishing another."""
    from jiesu.kpi.models import KpiVersion

    w, month = graded, services.current_month()
    KpiVersion.objects.update(valid_from=services.next_month(month))  # the only version starts after the month
    end = month_after(month) - timedelta(days=1)
    assert services.freeze_due_months(now=end + timedelta(days=services.FREEZE_AFTER_DAYS, hours=1)) == []
    assert f"{month:%Y-%m}" in caplog.text
    assert not PublishedRanking.objects.exists()
