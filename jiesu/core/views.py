"""Pages every role shares: home (sends each role to its main page), login, the search pickers, and the page
for a form whose security token is stale."""
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from jiesu.accounts.models import Role
from jiesu.accounts.signin import SignInForm
from jiesu.core import drafts

HOME_BY_ROLE = {
    Role.CALL_TAKER: "intake",
    Role.DISPATCHER: "dispatch_queue",
    Role.UNIT_STAFF: "worklist",
    Role.GRID_WORKER: "worklist",
    Role.SUPERVISOR: "worklist",
    Role.CALLBACK_AGENT: "callback_queue",
    Role.CITIZEN: "my_tickets",
    Role.ADMIN: "ticket_search",
}
PICKER_LIMIT = 15


def home(request):
    if not request.user.is_authenticated:
        return redirect("login")
    if request.user.is_superuser:
        return redirect("ticket_search")
    return redirect(HOME_BY_ROLE.get(request.user.role, "ticket_search"))


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = True
    authentication_form = SignInForm  # repeated failures lock the user name and the address (accounts.signin)

    def get_context_data(self, **kwargs):
        """`unsent`: the login lapsed while a form was being sent (core.middleware.UNSENT): it was not saved."""
        return {**super().get_context_data(**kwargs), "unsent": self.request.GET.get("unsent") == "1"}


class LogoutView(auth_views.LogoutView):
    """Logging out (here or in the admin) ends the drafts of every tab (core.drafts.mark_logout)."""
    next_page = "login"

    def post(self, request, *args, **kwargs):
        return drafts.mark_logout(super().post(request, *args, **kwargs))


def _search_units(q, kinds):
    try:
        from jiesu.units.services import search_units
    except ImportError:  # the units app without its search service
        search_units = None
    if search_units is not None:
        return search_units(q, kinds=kinds or None, limit=PICKER_LIMIT)
    from jiesu.units.models import Unit

    qs = Unit.objects.filter(active=True).select_related("parent")
    if kinds:
        qs = qs.filter(kind__in=kinds)
    for word in q.split():
        qs = qs.filter(Q(name__icontains=word) | Q(code__startswith=word))
    return list(qs.order_by("code")[:PICKER_LIMIT])


def _search_categories(q):
    try:
        from jiesu.categories.services import search_categories
    except ImportError:
        search_categories = None
    if search_categories is not None:
        return search_categories(q, limit=PICKER_LIMIT, leaves_only=True)
    from jiesu.categories.models import Category

    qs = Category.objects.filter(active=True).exclude(children__active=True).select_related("parent")
    for word in q.split():
        qs = qs.filter(name__icontains=word)
    return list(qs.order_by("code")[:PICKER_LIMIT])


@login_required
@require_GET
def pick_units(request):
    """HTMX: the options of a unit picker. ?pq=text&kinds=street,community&value=id|code"""
    q = request.GET.get("pq", "").strip()
    kinds = [k for k in request.GET.get("kinds", "").split(",") if k]
    value = "code" if request.GET.get("value") == "code" else "pk"
    units = _search_units(q, kinds)
    options = [{"value": getattr(u, value), "label": u.name, "detail": _unit_detail(u)} for u in units]
    return render(request, "core/picker_options.html", {"options": options, "q": q})


def _unit_detail(unit):
    parts = [str(unit.get_kind_display())]
    parent = unit.parent if unit.parent_id else None
    if parent is not None and unit.kind in ("street", "community", "grid"):
        parts.append(parent.name)
    return " · ".join(parts)


@login_required
@require_GET
def pick_categories(request):
    """HTMX: the options of the category picker (leaves). ?pq=text. Each reads as its name with its parents' path
    beside it; a namesake's chosen label (`picked`, the search box's once chosen) carries the path too."""
    from jiesu.tickets.services import category_told_apart

    q = request.GET.get("pq", "").strip()
    options = []
    for c in _search_categories(q):
        parent = c.parent if c.parent_id else None
        grand = parent.parent if parent is not None and parent.parent_id else None
        path = " / ".join(n.name for n in (grand, parent) if n is not None)
        options.append({"value": c.code, "label": c.name, "detail": path, "picked": category_told_apart(c),
                        "request_type": c.request_type, "request_type_label": c.get_request_type_display()})
    return render(request, "core/picker_options.html", {"options": options, "q": q})


def csrf_failure(request, reason=""):
    """A form whose security token is missing or stale (a page left open over a restart, a lost cookie): the
    site's own 403 saying what to do, not Django's technical page (settings.CSRF_FAILURE_VIEW). The way back
    opens the form's page afresh (the same-site Referer, else the form's `next`, else its own address where a GET
    opens its page), where the tab's draft of what was typed is filled in again (core.drafts)."""
    if request.headers.get("HX-Request"):  # a part of the page (the duplicate panel): a line, not a page in it
        return HttpResponse(_("This page has expired: reload it; what you typed is filled in again."), status=403,
                            content_type="text/plain; charset=utf-8")
    return render(request, "403.html", {"heading": _("This form has expired"), "exception": _(
        "The page's security token is missing or has expired, so nothing was saved. Open the page again: what "
        "you typed into a request, a reply or a reason is kept in this browser tab and is filled in again."),
        "again": drafts.way_back(request)}, status=403)
