"""Demo whistles: `jiesu setup` adds a few hundred over six months, in every state, with ratings; seeded."""
import io
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.db.models import Count, Q

from jiesu.accounts.models import User
from jiesu.whistles import demo, rules, scoping, stats
from jiesu.whistles.models import Rating, Summons, Whistle, WhistleEvent, WhistleNotice

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def setup(**options):
    out = io.StringIO()
    call_command("setup", districts="110101", tickets=150, no_progress=True, stdout=out, **options)
    return out.getvalue()


def fingerprint():
    return list(Whistle.objects.filter(demo=True).order_by("created_at", "title")
                .values_list("title", "state", "created_at", "unit__code"))


def test_setup_generates_demo_whistles_once(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    output = setup()
    assert f"demo whistles: {demo.DEFAULT_WHISTLES} in" in output
    assert Whistle.objects.filter(demo=True).count() == demo.DEFAULT_WHISTLES
    ids = set(Whistle.objects.values_list("id", flat=True))
    assert "demo whistles: present" in setup()
    assert set(Whistle.objects.values_list("id", flat=True)) == ids


def test_demo_whistles_cover_every_state_and_follow_the_rules(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from jiesu.demo.generate import generate as demo_tickets
    from jiesu.demo.users import ensure_demo_users
    from jiesu.units.services import build_org_tree

    build_org_tree(districts=("110101",))
    call_command("seed_reference", stdout=io.StringIO())
    ensure_demo_users(log=lambda *a: None)
    demo_tickets(n=150, seed=7, now=NOW, progress=False)
    result = demo.generate(seed=3, now=NOW, log=lambda *a: None)
    whistles = Whistle.objects.filter(demo=True)
    assert result.whistles == whistles.count() == demo.DEFAULT_WHISTLES
    assert set(result.states) == {"approval", "refused", "active", "closed", "cancelled"}
    months = {rules.month_of(w.created_at.astimezone(NOW.tzinfo)) for w in whistles}
    assert len(months) >= 6 and min(w.created_at for w in whistles) >= NOW - timedelta(days=184)
    # 事不完、人不撤: a closed whistle has tasks, all accepted; ratings only on closed whistles
    closed = whistles.filter(state="closed").annotate(
        n=Count("tasks"), open=Count("tasks", filter=~Q(tasks__state="accepted")))
    assert closed.exists() and not closed.filter(Q(n=0) | Q(open__gt=0)).exists()
    assert not Rating.objects.exclude(whistle__state="closed").exists()
    assert Rating.objects.filter(by="district").exists() and Rating.objects.filter(by="street").exists()
    released = Summons.objects.filter(state="released").values_list("whistle_id", "unit_id")
    assert released and not [r for r in Rating.objects.values_list("whistle_id", "unit_id") if r in set(released)]
    # every whistle's history starts with its raising; check-ins on time, late and missing all occur
    first = {e.whistle_id: e.kind for e in WhistleEvent.objects.order_by("-at", "-id")}
    assert set(first.values()) == {"raise"}
    statuses = Counter(rules.checkin_status(s.report_due, s.checked_in_at, NOW, s.state == "objected",
                                            s.state == "released")
                       for s in Summons.objects.filter(summoned_at__isnull=False))
    assert statuses["on_time"] > statuses["late"] > 0 and statuses["missing"] > 0
    assert 0 < stats.summary(whistles, now=NOW)["over_summoning_share"] < 0.5
    # 提级: some whistles whose units never reported went up to the district, each with its notice (audit s37)
    raised = whistles.filter(raised_to_district_at__isnull=False)
    assert raised.exists() and not raised.filter(escalated=False).exists()
    assert WhistleNotice.objects.filter(kind="raised", whistle__in=raised).count() == raised.count()
    # …and the district runs them from then on: what the runner does after the raise is the district's (audit s39)
    run = WhistleEvent.objects.filter(whistle__in=raised, kind__in=("task_added", "task_accepted", "close"))
    after = [e for e in run.select_related("whistle") if e.at >= e.whistle.raised_to_district_at]
    assert after and all(e.actor_unit_id == e.whistle.district_id for e in after)
    assert not [e for e in run.select_related("whistle") if e.at < e.whistle.raised_to_district_at
                and e.actor_unit_id != e.whistle.unit_id]
    assert len({r["month"] for r in stats.unit_month_ratings()}) >= 5
    # the demo users see their part: the street its open whistles, the department its summons
    street, dept = User.objects.get(username="street"), User.objects.get(username="dept")
    assert scoping.visible_whistles(street).filter(state="active").exists()
    assert scoping.visible_whistles(dept).exists()
    assert not scoping.visible_whistles(User.objects.get(username="street2")).filter(unit=street.unit).exists()
    # seeded: the same seed and moment give the same whistles
    before = fingerprint()
    assert demo.delete_demo() == demo.DEFAULT_WHISTLES and not Whistle.objects.exists()
    demo.generate(seed=3, now=NOW, log=lambda *a: None)
    assert fingerprint() == before
