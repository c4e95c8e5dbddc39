"""每月一题 pages: the yearly list, a topic (effect, tasks, policies, progress, changes), a new topic."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiesu.core.errors import DomainError
from jiesu.hotspots import services as hotspot_services
from jiesu.topics import services
from jiesu.topics.models import Topic, TopicState, TopicTask
from jiesu.topics.services import TopicData
from jiesu.units.models import Unit


def _reader(user):
    if not services.may_read(user):
        raise PermissionDenied(_("Your role may not do this."))


def handling_units():
    return Unit.objects.filter(kind__in=services.HANDLING_KINDS).exclude(kind="community").order_by("kind", "code")


@login_required
def year_list(request):
    _reader(request.user)
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    topics = list(services.year_topics(year))
    months = [(m, [t for t in topics if t.month == m]) for m in range(1, 13)]
    return render(request, "topics/year.html", {"year": year, "months": months, "n": len(topics),
                                                "may_create": services.may_create(request.user)})


def change_labels():
    return {"created": _("Created"), "task_added": _("Task added"), "task_done": _("Task done"),
            "policy_added": _("Policy added"), "progress": _("Progress recorded"), "state": _("State changed"),
            "texts_repaired": _("Copied texts repaired: reports' and confidential requests' words left out, numbers "
                                "masked")}


@login_required
def detail(request, pk):
    _reader(request.user)
    topic = get_object_or_404(Topic.objects.select_related("lead_unit", "category", "hotspot", "territory"), pk=pk)
    labels = change_labels()
    changes = list(topic.changes.select_related("by", "unit")[:50])
    states = dict(TopicState.choices)
    for c in changes:
        c.label = labels.get(c.kind, c.kind)
        if c.kind == "state":                       # stored as codes (active, done): read in the user's words
            c.detail = {**c.detail, **{k: states.get(c.detail.get(k), c.detail.get(k)) for k in ("before", "after")}}
    return render(request, "topics/detail.html", {
        "t": topic, "effect": services.shown_effect(topic), "tasks": topic.tasks.select_related("unit"),
        "policies": topic.policies.all(), "progress": topic.progress.select_related("by", "unit"),
        "changes": changes, "co_units": topic.co_units.all(),
        "may_create": services.may_create(request.user), "may_update": services.may_update(request.user, topic),
        "states": TopicState.choices, "units": handling_units(), "user_unit": request.user.unit_id,
        "errors": request.session.pop("topic_errors", {})})


def _data(post):
    return TopicData(title=post.get("title", ""), description=post.get("description", ""), year=post.get("year"),
                     month=post.get("month"), lead_unit=post.get("lead_unit"), co_units=tuple(post.getlist("co_units")),
                     hotspot=post.get("hotspot"), category=post.get("category", ""), territory=post.get("territory"))


@login_required
def new(request):
    if not services.may_create(request.user):
        raise PermissionDenied(_("Your role may not do this."))
    today = timezone.localdate()
    hotspot = None
    if request.GET.get("hotspot", "").isdigit():
        hotspot = hotspot_services.get_visible(request.user, int(request.GET["hotspot"]))
    initial = {"title": hotspot.display_label if hotspot else "", "year": today.year, "month": today.month,
               "hotspot": hotspot.pk if hotspot else "", "category": hotspot.category.code if hotspot and
               hotspot.category else "", "lead_unit": (hotspot.street_id or hotspot.district_id) if hotspot else "",
               "co_units": []}
    error = None
    if request.method == "POST":
        data = _data(request.POST)
        try:
            topic = services.create_topic(request.user, data)
        except DomainError as exc:
            error = exc
            initial = {**data.__dict__, "co_units": [int(v) for v in data.co_units if str(v).isdigit()]}
        else:
            messages.success(request, _("Monthly topic created."))
            return redirect("topic_detail", topic.pk)
    latest = hotspot_services.latest_run() if hotspot else None
    return render(request, "topics/new.html", {"initial": initial, "hotspot": hotspot, "error": error,
                                               "units": handling_units(),
                                               "older_run": hotspot and latest and hotspot.run_id != latest.pk},
                  status=400 if error else 200)


ACTIONS = {
    "task": lambda u, t, p: services.add_task(u, t, p.get("task_title"), p.get("task_unit"), p.get("task_due")),
    "policy": lambda u, t, p: services.add_policy(u, t, p.get("policy_title"), p.get("policy_issued_on"),
                                                  p.get("policy_number", ""), p.get("policy_issuer", "")),
    "progress": lambda u, t, p: services.add_progress(u, t, p.get("progress_text")),
    "state": lambda u, t, p: services.set_state(u, t, p.get("state")),
    "done": lambda u, t, p: services.finish_task(u, _task(t, p.get("task"))),
}


def _task(topic, pk):
    """The topic's task `pk`; 404 for an id that names none (a word, a fraction: it was a server error)."""
    if not str(pk or "").isdigit():
        raise Http404(_("No such task."))
    return get_object_or_404(TopicTask, pk=int(pk), topic=topic)


@require_POST
@login_required
def act(request, pk, action):
    _reader(request.user)
    topic = get_object_or_404(Topic, pk=pk)
    if action not in ACTIONS:
        raise PermissionDenied(_("Unknown action."))
    try:
        ACTIONS[action](request.user, topic, request.POST)
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from None
        request.session["topic_errors"] = {exc.field or action: exc.message}
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("topic_detail", topic.pk)
