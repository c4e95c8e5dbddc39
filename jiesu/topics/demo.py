"""Demo 每月一题: a hotspot run and a few topics (from the hottest problem and the busiest categories).

Idempotent: nothing is done when demo topics exist. Called by `jiesu setup` after the demo tickets.
"""
from collections import Counter
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from jiesu.accounts.models import Role, User
from jiesu.hotspots import services as hotspot_services
from jiesu.tickets.models import Ticket
from jiesu.topics import services
from jiesu.topics.models import Topic
from jiesu.topics.services import TopicData
from jiesu.units.models import Unit

TASKS = ("排查问题点位并建立台账", "联合执法集中整治", "回访群众并公开整治结果")


def _supervisor():
    return (User.objects.filter(username="supervisor").first()
            or User.objects.filter(role=Role.SUPERVISOR, unit__kind="city").first()
            or User.objects.filter(is_superuser=True).first())


def _units(tickets):
    """The units that handled most of these tickets (their streets when none is dispatched yet)."""
    allowed = set(Unit.objects.filter(kind__in=services.HANDLING_KINDS).values_list("pk", flat=True))
    for column in ("lead_unit_id", "street_id"):
        counts = Counter(u for u in tickets.values_list(column, flat=True) if u in allowed)
        if counts:
            return [u for u, _n in counts.most_common(3)]
    return []


@transaction.atomic
def ensure_demo_topics(log=print, now=None):
    """Create the demo hotspot run and topics unless demo topics exist; returns the number of topics made."""
    if Topic.objects.filter(demo=True).exists():
        log("  demo topics: present")
        return 0
    user = _supervisor()
    now = now or timezone.now()
    if user is None or not Ticket.objects.exists():
        log("  demo topics: skipped (no supervisor or no tickets)")
        return 0
    run = hotspot_services.latest_run() or hotspot_services.run_hotspots(days=30, now=now)
    plans = []
    hot = run.hotspots.exclude(street=None).first()
    if hot is not None:
        plans.append(("hotspot", hot, hot.category, Ticket.objects.filter(pk__in=hot.tickets.values("pk"))))
    recent = Ticket.objects.filter(created_at__gte=now - timedelta(days=60)).exclude(category=None)
    for category_id, _n in Counter(recent.values_list("category_id", flat=True)).most_common(2):
        tickets = recent.filter(category_id=category_id)
        plans.append(("category", None, tickets.first().category, tickets))
    made = 0
    for i, (kind, hotspot, category, tickets) in enumerate(plans):
        units = _units(tickets)
        if not units:
            continue
        month = (now - timedelta(days=31 * (i % 2))).astimezone(timezone.get_current_timezone())
        title = hotspot.display_label if hotspot else f"{category.name}专项治理"
        topic = services.create_topic(user, TopicData(
            title=title[:200], description="每月一题：针对群众反映集中的问题，压实主责单位，推动源头治理。",
            year=month.year, month=month.month, lead_unit=units[0], co_units=tuple(units[1:]),
            hotspot=hotspot.pk if hotspot else None, category=category.code if kind == "category" else ""),
            demo=True)
        for title_ in TASKS:
            services.add_task(user, topic, title_, units[0], (month + timedelta(days=20)).date())
        services.add_policy(user, topic, f"关于开展{category.name if category else '专项'}治理的工作方案",
                            month.date().replace(day=1), number=f"京接诉办〔{month.year}〕{10 + i}号",
                            issuer="市接诉即办工作专班")
        services.add_progress(user, topic, "已召开专题推进会，明确主责单位和协办单位分工。")
        made += 1
    log(f"  demo topics: {made} (hotspot run {run.pk}: {run.hotspots.count()} problems)")
    return made
