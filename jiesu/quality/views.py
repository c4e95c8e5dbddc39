"""Reply-quality pages: flagged replies with reasons and reply times per unit (supervisors); the reply hint."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiesu.core import scoping
from jiesu.core.errors import DomainError
from jiesu.quality import checks, services
from jiesu.quality.models import AppealState
from jiesu.tickets.models import Ticket


@login_required
def board(request):
    services.require_reader(request.user)
    reason = request.GET.get("reason", "")
    show = "dismissed" if request.GET.get("show") == "dismissed" else ""
    appeal = request.GET.get("appeal", "")
    appeal = appeal if appeal in services.APPEAL_FILTERS else ""
    flags = services.flag_list(request.user, show, appeal, reason)
    page = Paginator(flags.select_related("appealed_by", "appeal_decided_by"), 30).get_page(request.GET.get("page"))
    for f in services.with_appeal_times(page.object_list):
        f.labels = services.reason_labels(f.reasons)
    try:
        days = services.check_days(request.GET.get("days") or 30)
    except DomainError:
        days = 30
    times = services.unit_reply_times(request.user, days)
    counts = services.unit_flag_counts(request.user, days)
    for row in times:
        row.flags, row.pending = counts.get(row.unit.pk, (0, 0))
    may_dismiss = scoping.has_role(request.user, *services.DISMISSERS)
    return render(request, "quality/board.html", {
        "page": page, "reason": reason, "show": show, "appeal": appeal,
        "appeals": [("none", _("Not appealed")), *AppealState.choices[:1], ("overdue", _("Decision overdue")),
                    *AppealState.choices[1:]],
        "overdue": services.overdue_appeals(request.user) if may_dismiss else 0,
        "may_dismiss": may_dismiss,
        "may_appeal": scoping.has_role(request.user, *services.APPELLANTS),
        "reasons": [(r, services.reason_labels([r])[0]) for r in checks.REASONS],
        "times": times, "days": days,
        "thresholds": {"relevance": checks.RELEVANCE_MIN, "boilerplate": checks.BOILERPLATE_MIN}})


@require_POST
@login_required
def check_reply(request, pk):
    """The hint under the reply form: what the checks would flag in the draft (a warning; it never blocks)."""
    ticket = get_object_or_404(Ticket, pk=pk)
    scoping.require_view(request.user, ticket)
    text = request.POST.get("reply_text", "")
    verdict = services.check_draft(request.user, ticket, text) if len(text.strip()) >= 4 else None
    labels = services.reason_labels(verdict.reasons) if verdict else []
    return render(request, "quality/_hint.html", {"verdict": verdict, "labels": labels})


def _act(request, action, done):
    """Run a flag action of the board's forms; back to the list (`next`) with its outcome or the refusal in words."""
    try:
        flag = action()
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from None
        messages.error(request, exc.message)
    else:
        messages.success(request, done % {"number": flag.ticket.number})
    return redirect(request.POST.get("next") if url_has_allowed_host_and_scheme(
        request.POST.get("next"), {request.get_host()}) else reverse("quality_board"))


@require_POST
@login_required
def dismiss_flag(request, pk):
    """A supervisor takes a false flag off the list, with a reason (recorded in the ticket's history)."""
    return _act(request, lambda: services.dismiss_flag(request.user, pk, request.POST.get("reason", "")),
                _("Flag on %(number)s dismissed."))


@require_POST
@login_required
def appeal_flag(request, pk):
    """申诉: the flagged unit contests a flag, with a reason (the centre decides)."""
    return _act(request, lambda: services.appeal_flag(request.user, pk, request.POST.get("reason", "")),
                _("Appeal on %(number)s sent to the 12345 centre."))


@require_POST
@login_required
def decide_appeal(request, pk):
    """The centre upholds or withdraws an appealed flag, with a reason."""
    decision = request.POST.get("decision", "")
    uphold = {"uphold": True, "withdraw": False}.get(decision, decision)
    return _act(request, lambda: services.decide_appeal(request.user, pk, uphold, request.POST.get("reason", "")),
                _("Appeal on %(number)s decided."))
