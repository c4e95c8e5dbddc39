"""The dashboards' daily volume reads a (day, lead unit) table, not the fine rollup: at 2 million tickets a year the
city's 400 days summed from DailyRollup took 15.8 s (docs/dashboards.md, "Speed")."""
from collections import Counter

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiesu.dashboards import queries
from jiesu.kpi import rollup
from jiesu.kpi.models import DailyRollup
from tests.kpi.test_rollup import busy  # noqa: F401  (fixture)


def volume_of_the_fine_rollup():
    out = Counter()
    for day, unit_id, n in DailyRollup.objects.values_list("day", "unit_id", "received"):
        out[(day, unit_id)] += n
    return +out


def volume_table():
    from jiesu.kpi.models import DailyVolume

    out = Counter()
    for day, unit_id, n in DailyVolume.objects.values_list("day", "unit_id", "received"):
        out[(day, unit_id)] += n
    return +out


def test_the_dashboards_volume_series_read_the_small_table(busy):  # noqa: F811
    w = busy
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as city:
        figures = queries.volume_figures(today)
    assert figures["counts"][-1] == 9 and sum(figures["counts"]) == 9  # every ticket of the day (volume)
    with CaptureQueriesContext(connection) as street:
        mine = queries.volume_figures(today, queries.member_ids(w.street))
    assert mine["counts"][-1] == 6  # 东华门 leads six of them (the consultation and the unreasonable one included)
    for captured in (city, street):
        sql = " ".join(q["sql"] for q in captured.captured_queries)
        assert "kpi_dailyvolume" in sql and "kpi_dailyrollup" not in sql


def test_the_volume_table_is_kept_by_events_and_by_the_rebuild_alike(busy):  # noqa: F811
    kept = volume_table()
    assert kept == volume_of_the_fine_rollup() and sum(kept.values()) == 9
    rollup.rebuild()
    assert volume_table() == kept


def test_a_units_top_categories_are_one_read_of_the_rollup_whatever_the_catalogue(world):
    from jiesu.categories.models import Category
    from tests.kpi.helpers import handled

    w = world
    for code in ("02", "03", "04", "05", "06", "07", "08"):  # Beijing's catalogue has some twenty groups
        Category.objects.create(code=code, name=f"第{code}类", level=1)
    water_mid = Category.objects.create(code="05.01", name="供水", level=2, parent=Category.objects.get(code="05"))
    water = Category.objects.create(code="05.01.01", name="停水", level=3, parent=water_mid,
                                    time_limit_class=w.general)
    handled(w)
    handled(w, category_code=water.code)
    handled(w, category_code=water.code)
    handled(w, unit=w.street_b, staff=w.street_b_staff, street_code=w.street_b.code, category_code=water.code)
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as captured:
        top = queries.unit_top_categories(queries.member_ids(w.street), today.replace(day=1), today)
    assert [(c.code, n) for c, n in top] == [("05", 2), ("01", 1)]
    rollup_reads = [q["sql"] for q in captured.captured_queries if "kpi_daily" in q["sql"]]
    assert len(rollup_reads) == 1, rollup_reads
