"""Template context: the navigation the current user may use."""
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from jiesu.core import scoping


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items = []
    for name, label, allowed in scoping.NAVIGATION:
        if scoping.has_role(user, *allowed):
            items.append({"url": reverse(name), "label": _(label), "active": request.path == reverse(name),
                          "count": SimpleLazyObject(lambda: unread_notices(user)) if name == "notice_list"
                          else None})  # asked where a menu is shown, not by a fragment (HTMX) that shows none
    return {"nav": items}


def unread_notices(user):
    """The unread notices of the notices page, shown by its menu entry (jiesu.tickets: imported when asked)."""
    from jiesu.tickets.notices import unread_count

    return unread_count(user)
