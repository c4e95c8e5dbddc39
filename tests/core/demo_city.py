"""The demo city for the audits that ask the whole platform (tests/core/test_every_page_audit.py,
test_api_bad_input_audit.py): what `jiesu setup --districts 110101 --no-model` builds, without its migrate."""
import io

from django.core.management import call_command
from django.db import connection


def build_demo_city(tickets, whole=True):
    """东城区 with its org tree, reference data, demo users, `tickets` demo tickets and the whistles; `whole` adds the
    grids, topics, forecasts and KPI roll-ups the pages show."""
    from jiesu.demo import setup_steps
    from jiesu.grids.demo import setup_step as demo_grids
    from jiesu.kpi.services import ensure_rollups
    from jiesu.topics.demo import ensure_demo_topics
    from jiesu.warnings.jobs import ensure_forecasts
    from jiesu.whistles.demo import setup_step as demo_whistles

    def quiet(*args, **kwargs):
        pass

    setup_steps.org_tree(quiet, ["110101"])
    call_command("seed_reference", stdout=io.StringIO())
    setup_steps.demo_users(quiet)
    setup_steps.demo_tickets(quiet, tickets, setup_steps.DEFAULT_SEED, progress=False)
    if whole:
        demo_grids(quiet, setup_steps.DEFAULT_SEED, False)
    demo_whistles(quiet, setup_steps.DEFAULT_SEED, False)
    if whole:
        ensure_demo_topics(quiet)
        ensure_forecasts()
        ensure_rollups()
    analyze_on_postgresql()


def analyze_on_postgresql():
    """Statistics for the rows just written (ANALYZE sees the transaction's own rows). Without them PostgreSQL
    plans the audits' queries from what the worker's earlier tests left (a table once analysed empty): the
    every-page audit took 454 s instead of 100 s in a full run, one page's query 30 s over 300 tickets."""
    if connection.vendor == "postgresql":
        with connection.cursor() as sql:
            sql.execute("ANALYZE")
