"""A 每月一题 topic's page: its effect counted at every view (before) against the stored effect (now).

    .venv/bin/python bench/topic_effect.py [--tickets 40000] [--streets 20] [--runs 5]
    scripts/with-postgres.sh .venv/bin/python bench/topic_effect.py --db postgres

Builds a fresh database (migrations, then written directly): `--streets` streets, `--tickets` tickets spread over
the topic's month so far and the same number of days before it (the effect's two windows), their texts drawn from
a few problems of a street (占道经营, 垃圾清运, 供暖…) with a running number, all of one category. Two hotspot topics of
this month: "wide" counts every street's tickets by their texts (as the demo's topic of the giant problem of
before), "street" one street's. Then, for each, the CPU of this process (the page's work: time.process_time) as the
median of `--runs` page views (GET /topics/<id>/ as a supervisor):

* counted: the stored effect removed before each view — what every view did before (services.effect in the view);
* stored: the stored effect fresh (services.shown_effect reads it);

and the worker's count (services.count_effect). Prints the machine and load average, then a JSON line.
"""
import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import machine, peak_rss_mb  # noqa: E402

PROBLEMS = ["东华门大街早市摊贩占道经营堵塞人行道", "小区垃圾清运不及时，垃圾桶满溢发臭", "供暖温度不达标，室内只有十四度",
            "楼下饭馆油烟扰民，晚上排风机噪音大", "路口共享单车乱停乱放，堵住盲道", "小区路灯损坏多日无人修理"]


def configure(db):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
    if db == "sqlite":
        os.environ.pop("JIESU_DATABASE_URL", None)
        os.environ["JIESU_SQLITE_PATH"] = str(Path(tempfile.mkdtemp(prefix="jiesu-topic-bench-")) / "bench.sqlite3")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(n_tickets, n_streets):
    from django.utils import timezone

    from jiesu.accounts.models import Role, User
    from jiesu.categories.models import Category
    from jiesu.tickets.models import Ticket
    from jiesu.topics import services
    from jiesu.topics.models import Source, Topic
    from jiesu.units.models import Unit

    city = Unit.objects.create(code="110000", name="北京市", kind="city")
    district = Unit.objects.create(code="110101", name="东城区", kind="district", parent=city)
    streets = [Unit.objects.create(code=f"110101{i:03d}", name=f"第{i}街道", kind="street", parent=district)
               for i in range(1, n_streets + 1)]
    top = Category.objects.create(code="01", name="城市管理", level=1)
    leaf = Category.objects.create(code="01.01", name="街面秩序", level=2, parent=top)
    now = timezone.now()
    start, _end = services.month_window(now.year, now.month)
    span = max(now - start, timedelta(days=1))
    rng = random.Random(7)
    rows = []
    for i in range(n_tickets):
        problem = rng.choice(PROBLEMS)
        at = now - span * 2 * rng.random()
        rows.append(Ticket(title=problem[:12], text=f"市民来电反映：{problem}，第{i}次反映，希望尽快处理。",
                           created_at=at, category=leaf, district=district, street=rng.choice(streets)))
    Ticket.objects.bulk_create(rows, batch_size=2000)
    supervisor = User.objects.create_user("sup", password="pw", role=Role.SUPERVISOR, unit=city)
    texts = [f"市民来电反映：{PROBLEMS[0]}，第{i}次反映，希望尽快处理。" for i in range(3)]
    made = {}
    for name, its in (("wide", streets), ("street", streets[:1])):
        made[name] = Topic.objects.create(year=now.year, month=now.month, title=name, source=Source.HOTSPOT,
                                          exemplars=texts, streets=[s.pk for s in its], lead_unit=its[0],
                                          created_at=now)
    return supervisor, made


def cpu(call):
    started = time.process_time()
    call()
    return (time.process_time() - started) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=40000)
    parser.add_argument("--streets", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    configure(args.db)
    from django.test import Client
    from django.urls import reverse

    from jiesu.topics import services
    from jiesu.topics.models import TopicEffect

    supervisor, topics = build(args.tickets, args.streets)
    client = Client()
    client.force_login(supervisor)
    out = {"db": args.db, "tickets": args.tickets, "streets": args.streets}
    for name, topic in topics.items():
        url = reverse("topic_detail", args=[topic.pk])

        def view():
            assert client.get(url).status_code == 200

        def counted_view():
            TopicEffect.objects.filter(topic=topic).delete()
            view()

        view()  # warm: templates, the count stored
        counted = [cpu(counted_view) for _ in range(args.runs)]
        stored = [cpu(view) for _ in range(args.runs)]
        worker = [cpu(lambda: services.count_effect(topic)) for _ in range(args.runs)]
        effect = services.shown_effect(topic)
        out[name] = {"before_during": [effect.before, effect.during],
                     "page_counted_ms": round(statistics.median(counted), 1),
                     "page_stored_ms": round(statistics.median(stored), 1),
                     "worker_count_ms": round(statistics.median(worker), 1)}
    print(f"machine: {machine()}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    out["rss_mb"] = round(peak_rss_mb(), 1)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
