"""What the assessment pages cost: the statements of each KPI page, export and API answer do not grow with the units
ranked or the months shown (the versions, published editions, month tables and whistle ratings are read once, not
once per month or unit), and the figures read in one go are the figures read month by month."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiesu.kpi import services
from jiesu.kpi.models import COUNTERS, KpiVersion, KpiWeights, MonthDim, MonthlyRollup, UnitClass
from jiesu.units.models import Unit

PAGES = {
    "ranking": "/kpi/?group=street",
    "last month's ranking": "/kpi/?group=street&month={last}",
    "district ranking": "/kpi/?group=district",
    "unit page": "/kpi/units/{street}/",
    "unit page, last month": "/kpi/units/{street}/?month={last}",
    "report": "/kpi/report/",
    "csv": "/kpi/export.csv?group=street",
    "xlsx": "/kpi/export.xlsx?group=street",
    "api ranking": "/api/v1/kpi/rankings?group=street",
    "api unit": "/api/v1/kpi/units/{street}",
    "api city": "/api/v1/kpi/city",
}


def months_back(n):
    """This month and the n − 1 before it, newest first."""
    out, month = [], services.current_month()
    for _i in range(n):
        out.append(month)
        month = services.previous_month(month)
    return out


def city_of(w, streets, months):
    """`streets` streets under the world's district (the world's own first), each new one with a community; rollup
    rows for `months` months up to this month for every street, community and department, on two shards and in an
    excluded class; a second KPI version in force from two months ago (other weights, consultations counted); every
    finished month published."""
    for i in range(streets - 1):
        street = Unit.objects.create(code=f"1101019{i:02d}", name=f"测试街道{i}", kind="street", parent=w.district)
        Unit.objects.create(code=f"1101019{i:02d}001", name=f"测试社区{i}", kind="community", parent=street)
    rows, ids = [], list(Unit.objects.filter(kind__in=("street", "community", "department")).values_list("id", flat=True))
    for m, month in enumerate(months_back(months)):
        for n, key in enumerate(ids):
            for exclusion, shard in (("", 0), ("", 3), ("consult", 5)):
                counts = {c: (n * 3 + m + i + shard) % 7 + 1 for i, c in enumerate(COUNTERS)}
                rows.append(MonthlyRollup(month=month, dim=MonthDim.UNIT, key=key, exclusion=exclusion, shard=shard,
                                          **counts))
    MonthlyRollup.objects.bulk_create(rows)
    v2 = KpiVersion.objects.create(valid_from=months_back(3)[-1], partly_weight=1.0, exclude_consultation=False)
    for unit_class in UnitClass.values:
        KpiWeights.objects.create(version=v2, unit_class=unit_class, response=0.5, resolution=0.2, satisfaction=0.2,
                                  speed=0.1, governance=0, whistle=0)
    for month in months_back(months)[1:]:
        services.publish_month(None, month)


def statements(client, w):
    client.force_login(w.supervisor)
    out = {}
    for name, url in PAGES.items():
        url = url.format(street=w.street.pk, last=f"{months_back(2)[1]:%Y-%m}")
        client.get(url)  # the session, translations and time-limit classes read once
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200, url
        out[name] = len(captured)
    return out


@pytest.fixture(scope="module")
def few_and_many(django_db_setup, django_db_blocker):
    """Each page's statements in a city of 3 streets with 2 months of figures, and of 30 streets with 12."""
    from django.db import transaction
    from django.test import Client, override_settings

    from tests.tickets.conftest import FAST_HASHERS, build_world

    counts = {}
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        for streets, months in ((3, 2), (30, 12)):
            with transaction.atomic():
                world = build_world()
                city_of(world, streets, months)
                counts[streets, months] = statements(Client(), world)
                transaction.set_rollback(True)
    return counts


@pytest.mark.parametrize("page", list(PAGES))
def test_a_pages_statements_do_not_grow_with_units_or_months(few_and_many, page):
    few, many = few_and_many[3, 2][page], few_and_many[30, 12][page]
    assert few == many, f"{page}: {few} statements for 3 streets and 2 months, {many} for 30 streets and 12"


def test_a_units_twelve_months_are_six_statements(world):
    """The published editions, the versions and their weights, the unit's members, the live months' rollup rows and
    the whistle ratings: one read each (before: about six a month, 72 for twelve)."""
    city_of(world, 3, 12)
    with CaptureQueriesContext(connection) as captured:
        services.unit_history(world.street, 12)
    assert len(captured) == 6, [q["sql"][:80] for q in captured.captured_queries]


def test_the_report_reads_the_shared_figures_once_for_its_four_groups(world):
    """rankings(): the editions, the versions and their weights, both months' rollup rows once (4); each group its
    units, and the district's and street's members (2 + 2 + 1 + 1); the street's and the department's whistle
    ratings of this month and last (2 × 2)."""
    city_of(world, 3, 1)
    with CaptureQueriesContext(connection) as captured:
        together = services.rankings(services.current_month())
    assert len(captured) == 4 + (2 + 2 + 1 + 1) + 2 * 2
    assert [r.as_dict() for r in together] == [services.ranking(g, services.current_month()).as_dict()
                                               for g in UnitClass.values]


def test_a_units_history_costs_the_same_for_2_and_12_months(world):
    city_of(world, 3, 12)
    counts = []
    for months in (2, 12):
        with CaptureQueriesContext(connection) as captured:
            assert len(services.unit_history(world.street, months)) == months
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_the_history_read_in_one_go_is_each_months_figures(world):
    """Twelve months (published and live, under two versions) read together give what each month read alone gives,
    and a live month's figures are the unit's row of the live ranking."""
    city_of(world, 5, 12)
    history = services.unit_history(world.street, 12)
    assert [k.month for k in history] == months_back(12)[::-1]
    assert {k.version for k in history} == {1, 2}
    for kpis in history:
        assert kpis == services.unit_kpis(world.street, kpis.month)
    this = history[-1]
    [row] = [r for r in services.ranking("street", this.month).rows if r.unit_id == world.street.pk]
    assert (row.composite, row.received, row.assessed, row.resolution_rate) == (
        this.composite, this.received, this.assessed, this.resolution_rate)
    assert this.received == sum(
        MonthlyRollup.objects.filter(month=this.month, key__in=[world.street.pk, world.community.pk, world.grid.pk])
        .values_list("received", flat=True))
