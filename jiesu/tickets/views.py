"""The ticket pages: intake, the queues, the work list, the ticket page, search, tracking.

Views only parse input and show results: every change goes through
jiesu.tickets.services, every list through jiesu.tickets.queries, and what a
user may see is decided by jiesu.core.scoping.
"""
import hashlib
import json
import re
import uuid
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jiesu.accounts.models import Role
from jiesu.categories.models import Category
from jiesu.core import drafts, scoping
from jiesu.core.errors import DomainError
from jiesu.core.params import as_id
from jiesu.dispatch import services as desk
from jiesu.dispatch.models import SuggestionSource
from jiesu.tickets import citizen, emergencies, logged, queries, queue_marks, services
from jiesu.tickets.forms import IntakeForm, SearchForm
from jiesu.tickets.models import (
    AssignmentRole, AssignmentState, RequestState, Resolved, Satisfied, SpecialClass, State, TicketEvent,
)
from jiesu.tickets.services import IntakeData
from jiesu.units.models import Unit, UnitKind

PAGE_SIZE = 25
QUEUE_PAGE_SIZE = 15
INTAKE_ROLES = (Role.CALL_TAKER, Role.GRID_WORKER, Role.CITIZEN, Role.ADMIN)
STAFF_ROLES = (Role.CALL_TAKER, Role.DISPATCHER, Role.CALLBACK_AGENT, Role.SUPERVISOR, Role.UNIT_STAFF,
               Role.GRID_WORKER, Role.ADMIN)
HANDLING_UNIT_KINDS = ",".join(str(k) for k in (UnitKind.STREET, UnitKind.DISTRICT, UnitKind.DEPARTMENT,
                                                UnitKind.ENTERPRISE, UnitKind.COMMUNITY, UnitKind.GRID))
PLACE_KINDS = ",".join(str(k) for k in (UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.DISTRICT))
MULTI_FIELDS = ("co_units",)


def roles(*allowed):
    """Log in first, then only these roles (superusers always)."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            scoping.require_role(request.user, *allowed)
            return view(request, *args, **kwargs)
        return wrapper
    return decorator


def page_of(request, queryset, size=PAGE_SIZE, paginator=Paginator):
    return paginator(queryset, size).get_page(request.GET.get("page"))


def render_page(request, template, context, status=200):
    """render() plus the input of a refused action kept for the form it came from."""
    context.setdefault("kept", request.session.pop("kept", None))
    return render(request, template, context, status=status)


def action_labels():
    return {
        "close_special": _("Close as special class (分类处置)"),
        "answer": _("Answer directly (直接答复)"),
        "dispatch": _("Dispatch"),
        "sign": _("Sign for the ticket"),
        "co_sign": _("Sign for the ticket (co-handling)"),
        "contact": _("Record first contact with the citizen"),
        "reply": _("Reply"),
        "co_reply": _("Report to the lead unit"),
        "return": _("Return the ticket (退单)"),
        "arbitrate": _("Decide the return"),
        "request_extension": _("Request an extension"),
        "decide_extension": _("Decide the extension request"),
        "supervise": _("Issue a supervision notice (督办)"),
        "remind": _("Send a reminder (催办)"),
        "callback": _("Record the callback"),
        "rate": _("Your assessment"),
        "merge": _("Merge into another ticket"),
        "reopen": _("Reopen"),
        "unmerge": _("Undo the merge (撤销合并)"),
        "recategorize": _("Correct the category (更正类别)"),
        "attach": _("Add a photo"),
    }


def unit_label(pk):
    if not pk:
        return ""
    unit = Unit.objects.filter(pk=pk).only("name").first()
    return unit.name if unit else ""


def category_label(code):
    if not code:
        return ""
    cat = Category.objects.filter(code=code).select_related("parent__parent__parent").first()
    return services.category_told_apart(cat) if cat else ""




# ── intake ──────────────────────────────────────────────────────────────────

INTAKE_DONE = drafts.done(drafts.INTAKE)
INTAKE_KEY = re.compile(r"[0-9A-Za-z_-]{1,40}")  # the page makes 32 hex digits; the ticket keeps ≤ 80 in all


def say_recorded(request, ticket):
    """The intake's confirmation: to the call-taker, the code to tell the citizen; to a citizen (or a grid worker),
    their own code and, when the text reads as an emergency, to call the line now (nobody has transferred the
    call: the hotline sees the prompt only when it opens the ticket)."""
    from jiesu.dispatch.services import emergency_of
    from jiesu.dispatch.wording import service_words

    figures = {"number": ticket.number, "code": ticket.query_code}
    if request.user.role != Role.CITIZEN:
        messages.success(request, _("Ticket %(number)s recorded. Query code for the citizen: %(code)s.") % figures,
                         extra_tags=INTAKE_DONE)
    else:
        messages.success(request, _("Your request was recorded as %(number)s. Keep its query code %(code)s: with "
                                    "it you can follow the handling.") % figures, extra_tags=INTAKE_DONE)
    hint = emergency_of(ticket) if request.user.role in (Role.CITIZEN, Role.GRID_WORKER) else None
    if hint is not None:
        messages.warning(request, _("This reads like an emergency: call %(number)s (%(service)s) now.") % {
            "number": hint.number, "service": service_words(hint.number)})


def intake_key_of(posted):
    """The key the intake page was made with (kept with the tab's draft), or a new one if it is not one."""
    key = posted.get("intake_key", "")
    return key if INTAKE_KEY.fullmatch(key) else uuid.uuid4().hex


def submission_digest(cleaned):
    """What the form says, in 16 hex digits. The intake's idempotency key holds it beside the page's key, so the
    same request sent again (a double click, Record after Back) is recorded once, while a page brought back
    with the key of a request already recorded (the browser's back-forward cache, a duplicated tab) and filled
    with the next caller's request records that one, instead of answering "already recorded" and losing it."""
    said = {name: value for name, value in cleaned.items() if name != "attachments"}
    said["attachments"] = [(f.name, f.size) for f in cleaned.get("attachments") or ()]
    return hashlib.sha256(json.dumps(said, sort_keys=True, default=str).encode()).hexdigest()[:16]


@roles(*INTAKE_ROLES)
def intake(request):
    """受理: one screen, keyboard first; Ctrl+Enter records the request.

    Call-takers see the duplicate panel (jiesu.dispatch.duplicates): similar open tickets, repeat requests
    and emergency wording while they type; their choice is carried out once the ticket is recorded.
    """
    from jiesu.dispatch import duplicates

    user = request.user
    if request.method == "POST":
        form = IntakeForm(request.POST, request.FILES)
        key = intake_key_of(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            data = IntakeData(
                text=d["text"], title=d["title"], channel=d["channel"], request_type=d["request_type"],
                address=d["address"], lon=d["lon"], lat=d["lat"], coord_system=d["coord_system"] or "wgs84",
                citizen_name=d["citizen_name"],
                citizen_phone=d["citizen_phone"], anonymous=d["anonymous"], confidential=d["confidential"],
                category_code=d["category"].strip(), street_code=d["street"].strip(), attachments=d["attachments"])
            try:
                ticket, created = services.create_ticket(
                    user, data, idempotency_key=f"web-intake:{key}:{submission_digest(d)}")
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                if created:
                    say_recorded(request, ticket)
                    # the duplicate panel's choice: a merge proposal for the dispatcher, or 分类处置 at once
                    for level, text in duplicates.after_intake(user, ticket, as_id(request.POST.get("merge_into")),
                                                               request.POST.get("then", "")):
                        getattr(messages, level)(request, text)
                else:  # the same form sent again (double click, back button): no second ticket. The browser
                    # dropped the first response with its messages (the query code to tell): say it again
                    say_recorded(request, ticket)
                    messages.info(request, _("This form was already recorded as ticket %(number)s.")
                                  % {"number": ticket.number}, extra_tags=INTAKE_DONE)
                return redirect("ticket_detail", pk=ticket.pk)
        status = 400
    else:
        initial = {"channel": {Role.CITIZEN: "web", Role.GRID_WORKER: "patrol"}.get(user.role, "phone")}
        form = IntakeForm(initial=initial)
        key, status = uuid.uuid4().hex, 200
    street_code = form["street"].value() or ""
    category_code = form["category"].value() or ""
    street = Unit.objects.filter(code=street_code).only("name").first() if street_code else None
    return render(request, "tickets/intake.html", {
        "form": form, "intake_key": key, "place_kinds": PLACE_KINDS,
        "street_label": street.name if street else "", "category_label": category_label(category_code),
        "duplicate_check": duplicates.may_check(user), "merge_into": as_id(request.POST.get("merge_into")),
        "draft": drafts.attributes(drafts.INTAKE, restore=not form.is_bound),
    }, status=status)


# ── queues ──────────────────────────────────────────────────────────────────

def dispatch_initial(ticket, kept):
    """What the dispatch form of `ticket` shows: the router's answer for its category and place (as the
    suggestion panel's), or what the user typed."""
    if kept and kept.get("action") == "dispatch" and str(kept.get("ticket")) == str(ticket.pk):
        data = kept.get("data", {})
        lead_id = as_id(data.get("lead_unit"))
        co = [as_id(v) for v in data.get("co_units", []) if as_id(v)]
        code = data.get("category", "")
        return {"category": code, "category_label": category_label(code), "lead": lead_id,
                "lead_label": unit_label(lead_id), "co": [{"value": pk, "label": unit_label(pk)} for pk in co],
                "note": data.get("note", "")}
    lead, co = desk.form_route(ticket)
    return {"category": ticket.category.code if ticket.category_id else "",
            "category_label": services.category_told_apart(ticket.category) if ticket.category_id else "",
            "lead": lead.pk if lead else "", "lead_label": lead.name if lead else "",
            "co": [{"value": u.pk, "label": u.name} for u in co], "note": ""}


def queue_filters(params):
    """The dispatch queue's view, order and district from the query string; anything unknown is the default."""
    view, order = params.get("view", ""), params.get("order", "")
    return queries.QueueFilters(view=view if view in queries.QUEUE_VIEWS else "current",
                                order=order if order in queries.QUEUE_ORDERS else "due",
                                district=as_id(params.get("district")))


def queue_choices():
    views = {"current": _("Current queue"), "emergency": _("Emergencies"), "history": _("Imported history")}
    orders = {"due": _("Dispatch time nearest first"), "oldest": _("Received first"),
              "place": _("By district and street")}
    return views, orders


@roles(Role.DISPATCHER, Role.ADMIN)
def dispatch_queue(request):
    """派单: tickets awaiting dispatch, emergencies first, then nearest their dispatch time (or as chosen), each with
    its dispatch form. An emergency that did not come by phone is marked for an immediate call back."""
    kept = request.session.pop("kept", None)
    filters = queue_filters(request.GET)
    queue = queries.dispatch_queue(filters)
    page = page_of(request, queue, QUEUE_PAGE_SIZE)
    returned, stepped_up = services.rehandles_returned(page), queue_marks.barred_grid_step_ups(page)
    for ticket in page:
        ticket.form = dispatch_initial(ticket, kept)
        ticket.negative_return, ticket.barred_step_up = returned.get(ticket.pk), stepped_up.get(ticket.pk)
        ticket.call_back = emergencies.needs_call_back(ticket, ticket.emergency)
        if ticket.call_back:
            ticket.contact = services.masked_contact(ticket)
            ticket.may_reveal = emergencies.may_reveal_number(request.user, ticket)
            ticket.call_taker_calls_back = not ticket.may_reveal and emergencies.protects_citizen(ticket)
    views, orders = queue_choices()
    return render_page(request, "tickets/dispatch_queue.html", {
        "page": page, "kept": kept, "special_classes": SpecialClass.choices, "unit_kinds": HANDLING_UNIT_KINDS,
        "filters": filters, "counts": queue.counts, "districts": queue.districts,
        "views": [(key, label, queue.counts[key]) for key, label in views.items()],
        "orders": orders.items(), "history_days": queries.HISTORY_OVERDUE.days,
        "poll_cursor": emergencies.ticket_start_cursor(), "poll_event_cursor": emergencies.event_start_cursor(),
    })


@roles(Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)
def arbitration_queue(request):
    """异议审核 and 延期审批: pending returns and extension requests."""
    show_returns = scoping.has_role(request.user, Role.DISPATCHER, Role.ADMIN)
    kept = request.session.pop("kept", None)
    returns = list(queries.pending_returns()[:100]) if show_returns else []
    machine_made = auto_dispatch_words(returns)
    for pending in returns:
        pending.lead = arbitrate_initial(pending.ticket, pending, kept)
        pending.category = kept_category(pending.ticket, kept)
        pending.auto_dispatch = machine_made.get(pending.pk, "")
    extensions = list(queries.pending_extensions(request.user)[:100])
    return render_page(request, "tickets/arbitration_queue.html", {
        "returns": returns, "extensions": extensions, "unit_kinds": HANDLING_UNIT_KINDS, "show_returns": show_returns,
        "kept": kept,
    })


def arbitrate_initial(ticket, pending_return, kept):
    """The unit the 退单审核 form offers: the one the dispatcher submitted when it was refused (kept), else the
    returning unit's suggestion."""
    if kept and kept.get("action") == "arbitrate" and str(kept.get("ticket")) == str(ticket.pk):
        lead_id = as_id(kept.get("data", {}).get("lead_unit"))
        return {"pk": lead_id or "", "name": unit_label(lead_id) if lead_id else ""}
    suggested = pending_return.suggested_unit if pending_return else None
    return {"pk": suggested.pk if suggested else "", "name": suggested.name if suggested else ""}


def kept_category(ticket, kept):
    """The category (code and name) a refused 退单审核 or 更正类别 of `ticket` was sent with, for its picker."""
    if not kept or kept.get("action") not in ("arbitrate", "recategorize") or str(kept.get("ticket")) != str(ticket.pk):
        return {"code": "", "name": ""}
    code = (kept.get("data", {}).get("category") or "").strip()
    return {"code": code, "name": category_label(code)}


def auto_dispatch_words(returns):
    """{return id: 「系统自动派单（规则 餐饮油烟 ≥ 80%，置信度 91%）」} for the pending `returns` whose unit the machine
    chose (queries.auto_dispatch_event on the events before the return). One query, by the tickets' index:
    filtering the kinds in SQL had SQLite walk the kind's index over every dispatch of the city (24 ms against
    1.3 ms for 8 returns on the demo city)."""
    from jiesu.dispatch.wording import auto_dispatch_rule_words

    events = {}
    for event in (TicketEvent.objects.filter(ticket_id__in={r.ticket_id for r in returns})
                  .only("ticket_id", "kind", "at", "payload").order_by("at", "id")):
        events.setdefault(event.ticket_id, []).append(event)
    words = {}
    for r in returns:
        auto = queries.auto_dispatch_event([e for e in events.get(r.ticket_id, ()) if e.at <= r.created_at])
        if auto is not None:
            words[r.pk] = auto_dispatch_rule_words(auto.payload["auto"])
    return words


@roles(Role.CALLBACK_AGENT, Role.ADMIN)
def callback_queue(request):
    """回访: replied and answered tickets, the longest waiting first."""
    page = page_of(request, queries.callback_queue().select_related("parent"), QUEUE_PAGE_SIZE)  # 随主工单反馈
    for ticket in page:
        ticket.contact = services.masked_contact(ticket)
        ticket.may_reveal = scoping.may_reveal_contact(request.user, ticket)
    return render_page(request, "tickets/callback_queue.html", {
        "page": page, "resolved_choices": Resolved.choices, "satisfied_choices": Satisfied.choices,
    })


# ── the ticket page ─────────────────────────────────────────────────────────

def get_visible_ticket(request, pk):
    ticket = queries.ticket_for_page(pk)
    if ticket is None:
        raise Http404(_("No such ticket."))
    scoping.require_view(request.user, ticket)
    return ticket


def shown_actions(user, ticket, parts):
    """available_actions, minus the ones with nothing to act on (no pending request, already signed)."""
    names = services.available_actions(user, ticket)
    pending_ext = any(e.state == RequestState.PENDING for e in parts["extensions"])
    mine = [a for a in parts["assignments"] if a.active and a.unit_id == user.unit_id]
    hidden = set()
    if not pending_ext:
        hidden.add("decide_extension")
    else:
        hidden.add("request_extension")
    if any(a.role == AssignmentRole.CO and a.signed_at for a in mine):
        hidden.add("co_sign")
    if not any(r.state == RequestState.PENDING for r in parts["returns"]):
        hidden.add("arbitrate")
    return [n for n in names if n not in hidden]


@login_required
def ticket_detail(request, pk):
    ticket = get_visible_ticket(request, pk)
    if request.user.role == Role.CITIZEN and not request.user.is_superuser:
        actions = services.available_actions(request.user, ticket)
        return render_page(request, "tickets/progress.html", {
            **citizen.progress(ticket), "own": True, "resolved_choices": Resolved.choices,
            "satisfied_choices": Satisfied.choices, "may_rate": "rate" in actions, "may_attach": "attach" in actions,
            "own_photos": ticket.attachments.filter(uploaded_by=request.user).order_by("pk")})
    kept = request.session.pop("kept", None)
    services.mark_notices_read(request.user, ticket)
    parts = queries.ticket_page_parts(ticket)
    actions = shown_actions(request.user, ticket, parts)
    labels = action_labels()
    pending_return = next((r for r in parts["returns"] if r.state == RequestState.PENDING), None)
    pending_extension = next((e for e in parts["extensions"] if e.state == RequestState.PENDING), None)
    relation = services.relation_of(request.user, ticket)
    return render_page(request, "tickets/ticket_detail.html", {
        "ticket": ticket, **parts, "kept": kept, "draft_scope": drafts.of_ticket(ticket.pk),
        "actions": [{"name": n, "label": labels.get(n, n)} for n in actions],
        "dispatch": dispatch_initial(ticket, kept) if "dispatch" in actions else None,
        "contact": services.masked_contact(ticket),
        "may_reveal": emergencies.may_reveal_number(request.user, ticket),
        "relation": relation, "may_whistle": may_whistle(request.user, ticket, relation),
        "pending_return": pending_return, "pending_extension": pending_extension,
        "special_classes": SpecialClass.choices, "resolved_choices": Resolved.choices,
        "satisfied_choices": Satisfied.choices, "unit_kinds": HANDLING_UNIT_KINDS,
        "arbitrate_lead": arbitrate_initial(ticket, pending_return, kept),
        "corrected_category": kept_category(ticket, kept),
        "category_path": ticket.category.full_name() if ticket.category_id else "",
        "AssignmentState": AssignmentState,
    })


def may_whistle(user, ticket, relation):
    """吹哨 from the ticket page: the lead unit's staff while the ticket is open, if their unit may whistle
    (a street/township or a department: jiesu.whistles.scoping.may_raise, imported here so the ticket
    core does not import the whistles at load time)."""
    from jiesu.whistles.scoping import may_raise

    return relation == "lead" and ticket.is_open and may_raise(user)


@login_required
def attachment(request, pk, attachment_id):
    """Serve an attachment only to those who may see the ticket."""
    ticket = get_visible_ticket(request, pk)
    found = ticket.attachments.filter(pk=attachment_id).first()
    if found is None:
        raise Http404
    return FileResponse(found.file.open("rb"), content_type=found.content_type, filename=found.name)


@require_POST
@login_required
def reveal_contact(request, pk):
    """HTMX: swap the masked contact for the real one (services.reveal_contact writes the event)."""
    ticket = get_visible_ticket(request, pk)
    try:
        contact = services.reveal_contact(request.user, ticket)
    except DomainError as exc:
        return HttpResponse(exc.message, status=exc.status)
    contact["phone"] = scoping.display_phone(contact["phone"])  # 010-65123456 转 8021, not the stored 01065123456,8021
    return render(request, "tickets/_contact.html", {"ticket": ticket, "contact": contact, "revealed": True})


def _merge(user, ticket, p):
    parent = queries.ticket_by_number(p.get("parent"))
    if parent is None:
        raise DomainError(_("There is no ticket with that number."), field="parent")
    return services.merge(user, ticket, parent, confirm=merge_confirmation(p, parent))


def merge_confirmation(p, parent):
    """The ticked 「已核实：是同一件事，仍然合并」 box confirms the pair the refusal named (its parent posted with the
    box, tickets/_confirm_merge.html), never another number typed since."""
    return p.get("confirm_merge") == "1" and queries.ticket_by_number(p.get("confirmed_parent")) == parent


def _dispatch(user, ticket, p):
    """Logged on the dispatcher's desk against the engine's suggestions (an override is a training signal)."""
    return logged.dispatch(user, ticket, as_id(p.get("lead_unit")),
                           [as_id(v) for v in p.getlist("co_units") if as_id(v)], p.get("note", ""),
                           (p.get("category") or "").strip() or None, source=SuggestionSource.DESK,
                           confirm_negative=negative_confirmation(p))


def negative_confirmation(p):
    """The units the ticked 「已核实：越过负面清单派单」 box confirms: those the refusal named (posted with the box,
    tickets/_confirm_negative.html), never whatever unit the form holds now."""
    if p.get("confirm_negative") != "1":
        return ()
    return {as_id(v) for v in p.getlist("negative_units") if as_id(v)}


def _bool(value):
    return {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}.get(
        str(value).strip().lower()) if value not in (None, "") else None


ACTIONS = {
    "close_special": lambda u, t, p: services.close_special(u, t, p.get("special_class", ""), p.get("note", "")),
    "answer": lambda u, t, p: services.answer_directly(u, t, p.get("reply_text", "")),
    "dispatch": _dispatch,
    "sign": lambda u, t, p: services.sign(u, t),
    "co_sign": lambda u, t, p: services.sign(u, t),
    "contact": lambda u, t, p: services.contact(u, t, p.get("note", "")),
    "reply": lambda u, t, p: services.reply(u, t, p.get("reply_text", ""), _bool(p.get("self_resolved"))),
    "co_reply": lambda u, t, p: services.co_reply(u, t, p.get("reply_text", "")),
    "return": lambda u, t, p: services.return_ticket(u, t, p.get("reason", ""), as_id(p.get("suggested_unit"))),
    "arbitrate": lambda u, t, p: logged.arbitrate(
        u, t, p.get("decision") == "uphold", p.get("note", ""), as_id(p.get("lead_unit")),
        [as_id(v) for v in p.getlist("co_units") if as_id(v)], source=SuggestionSource.DESK,
        confirm_negative=negative_confirmation(p), category_code=(p.get("category") or "").strip() or None),
    "request_extension": lambda u, t, p: services.request_extension(u, t, p.get("working_days"), p.get("reason", "")),
    "decide_extension": lambda u, t, p: services.decide_extension(u, t, p.get("decision") == "approve",
                                                                  p.get("note", "")),
    "supervise": lambda u, t, p: services.supervise(u, t, p.get("text", "")),
    "remind": lambda u, t, p: services.remind(u, t, p.get("text", "")),
    "callback": lambda u, t, p: services.record_callback(
        u, t, p.get("reached", "1") != "0", p.get("resolved", ""), p.get("satisfied", ""), p.get("note", "")),
    "rate": lambda u, t, p: services.rate(u, t, p.get("resolved", ""), p.get("satisfied", ""), p.get("note", "")),
    "merge": _merge,
    "reopen": lambda u, t, p: services.reopen(u, t, p.get("reason", "")),
    "unmerge": lambda u, t, p: services.unmerge(u, t, p.get("reason", "")),
    "recategorize": lambda u, t, p: services.correct_category(u, t, p.get("category", ""), p.get("reason", ""),
                                                             take_back=p.get("take_back") == "1"),
}


def _attach(user, ticket, files):
    if not files.get("photo"):
        raise DomainError(_("Choose a photo."), field="attachments")
    return services.add_attachment(user, ticket, files["photo"])


FILE_ACTIONS = {"attach": _attach}


@require_http_methods(["GET", "POST"])
@login_required
def act(request, pk, action):
    """POST /tickets/<id>/act/<action>/: call the service, then back to where the form was.

    A refusal (DomainError) comes back as a message, with the user's input kept for the form. A GET (the login
    page leads back here after a lapsed login) opens the ticket, where the tab's draft of the form is filled in.
    """
    if request.method == "GET":
        return redirect("ticket_detail", pk=get_visible_ticket(request, pk).pk)
    handler = ACTIONS.get(action)
    if action in FILE_ACTIONS:
        handler = lambda u, t, p: FILE_ACTIONS[action](u, t, request.FILES)  # noqa: E731
    if handler is None:
        raise Http404(_("Unknown action."))
    ticket = get_visible_ticket(request, pk)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = reverse("ticket_detail", args=[ticket.pk])
    label = action_labels().get(action, action)
    try:
        result = handler(request.user, ticket, request.POST)
    except DomainError as exc:
        messages.error(request, _("%(action)s — not done: %(message)s") % {"action": label, "message": exc.message})
        data = {k: (request.POST.getlist(k) if k in MULTI_FIELDS else request.POST.get(k))
                for k in request.POST if k not in ("csrfmiddlewaretoken", "next", "pq")}
        request.session["kept"] = {"ticket": ticket.pk, "action": action, "field": exc.field,
                                   "message": exc.message, "data": data, "code": exc.code,
                                   "barred": [unit.pk for _field, unit, _duty in getattr(exc, "barred", ())]}
        return redirect(back)
    result = result if hasattr(result, "state") else ticket
    messages.success(request, _("%(number)s: %(action)s — done. State now: %(state)s.") % {
        "number": result.number, "action": label,
        "state": citizen.state_words(result) if request.user.role == Role.CITIZEN else result.get_state_display()},
        extra_tags=drafts.done(drafts.of_action(ticket.pk, action)))
    return redirect(back)


# ── search, citizens, tracking ──────────────────────────────────────────────

@roles(*STAFF_ROLES)
def ticket_search(request):
    districts = list(Unit.objects.filter(kind=UnitKind.DISTRICT, active=True).only("pk", "name").order_by("code"))
    form = SearchForm(request.GET or None, districts=districts)
    data = form.cleaned_data if form.is_valid() else {}
    filters = queries.SearchFilters(
        number=(data.get("number") or "").strip(), q=(data.get("q") or "").strip(), state=data.get("state") or "",
        district=data.get("district"), street=data.get("street"), category=(data.get("category") or "").strip(),
        date_from=data.get("date_from"), date_to=data.get("date_to"),
        negative_override=bool(data.get("negative_override")), auto_dispatched=bool(data.get("auto_dispatched")),
        auto_category=(data.get("auto_category") or "").strip())
    if filters.number and not any((filters.q, filters.state, filters.district, filters.street, filters.category)):
        visible = list(scoping.visible_tickets(request.user)
                       .filter(pk__in=queries.tickets_by_number(filters.number)).values_list("pk", flat=True)[:2])
        if len(visible) == 1:  # one ticket has this number: its page (an external id two sources share: the list)
            return redirect("ticket_detail", pk=visible[0])
    page = page_of(request, queries.search(request.user, filters), paginator=queries.CappedPaginator)
    return render_page(request, "tickets/ticket_search.html", {
        "form": form, "page": page, "street_label": unit_label(filters.street),
        "category_label": category_label(filters.category),
        "auto_category_label": category_label(filters.auto_category),
    })


@roles(Role.CITIZEN)
def my_tickets(request):
    page = page_of(request, queries.my_tickets(request.user))
    for ticket in page:
        ticket.state_words = citizen.state_words(ticket)
    return render_page(request, "tickets/my_tickets.html", {"page": page})


def track(request):
    """Public: anyone with a query code sees the progress, nothing personal."""
    from jiesu.accounts import signin

    code = request.GET.get("code", "").strip()
    lock = signin.track_lock(request) if code else None
    if lock:
        return render(request, "tickets/track.html", {"code": code, "refused": signin.track_refusal(lock)},
                      status=429)
    ticket = queries.public_progress(code) if code else None
    if code and ticket is None:
        signin.record(signin.Kind.TRACK_MISS, request)
    return render(request, "tickets/track.html", {"code": code, "searched": bool(code),
                                                  **(citizen.progress(ticket) if ticket else {})})
