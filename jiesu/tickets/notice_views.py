"""The notices page (jiesu.tickets.notices): the list with its filters, and 「标为已读」."""
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from jiesu.core.errors import DomainError
from jiesu.core.text_masking import text_for
from jiesu.tickets import notices
from jiesu.tickets.models import Notice, NoticeKind
from jiesu.tickets.views import page_of, render_page, roles


@roles(*notices.READERS)
def notice_list(request):
    """通知: the notices of the user's units, unread first; `kind` (one NoticeKind, e.g. emergency) and `unread`
    filter it."""
    kind = request.GET.get("kind", "")
    kind = kind if kind in NoticeKind.values else ""
    unread_only = request.GET.get("unread") == "1"
    listing = notices.notices_for(request.user, kind, unread_only)
    page = page_of(request, listing)
    markable = notices.marker_unit_ids(request.user)
    for notice in page:
        notice.markable = notice.unit_id in markable
        notice.title = text_for(request.user, notice.ticket, notice.ticket.title)
        notice.words = notices.words_for(request.user, notice)
    return render_page(request, "tickets/notice_list.html", {
        "page": page, "kind": kind, "unread_only": unread_only, "kinds": NoticeKind.choices,
        "unread": notices.remember_unread(request.user, None if kind else listing),  # the menu's too: one count
    })


@require_POST
@roles(*notices.READERS)
def notice_read(request, pk):
    """「标为已读」, back to the list as it was (its filters and page, `next`)."""
    notice = get_object_or_404(Notice.objects.select_related("ticket"), pk=pk)
    try:
        notices.mark_read(request.user, notice)
    except DomainError as exc:  # not one of theirs: the page offers it to nobody else
        return HttpResponse(exc.message, status=exc.status)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = reverse("notice_list")
    return redirect(back)
